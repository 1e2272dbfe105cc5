package env

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exemptTrees are the top-level directories whose code may touch the world
// directly: the seam itself and the binaries that build the real Env.
var exemptTrees = []string{"env", "cmd"}

// binaryTree is the directory name that holds binaries at any depth
// (sim/cmd/apogee-sim): like the top-level cmd, they build the real Env.
const binaryTree = "cmd"

// wallClockFuncs are the functions of package time that read the wall clock
// or start timers; everything else in time (Duration, Unix, Date, ...) is a
// value computation and allowed.
var wallClockFuncs = map[string]bool{
	"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
	"AfterFunc": true, "NewTimer": true, "NewTicker": true, "Tick": true,
}

// forbiddenImport returns why importing importPath breaks the seam, or "".
func forbiddenImport(importPath string) string {
	under := func(root string) bool { return importPath == root || strings.HasPrefix(importPath, root+"/") }
	switch {
	case importPath == "net/netip":
		return ""
	case under("os"):
		return "use env.FS"
	case under("net"):
		return "use the env network seam"
	case importPath == "math/rand" || importPath == "math/rand/v2":
		return "use env.Rand"
	case importPath == "syscall" || under("golang.org/x/sys"):
		return "system calls belong in env"
	}
	return ""
}

// seamViolation is one breach of the seam rule.
type seamViolation struct {
	pos token.Position
	msg string
}

func (v seamViolation) String() string { return fmt.Sprintf("%s: %s", v.pos, v.msg) }

// checkSeam returns the seam violations of one parsed file.
func checkSeam(fset *token.FileSet, file *ast.File) []seamViolation {
	var out []seamViolation
	report := func(pos token.Pos, format string, args ...any) {
		out = append(out, seamViolation{pos: fset.Position(pos), msg: fmt.Sprintf(format, args...)})
	}
	timeNames := map[string]bool{}
	for _, imp := range file.Imports {
		importPath, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			report(imp.Pos(), "unreadable import path %s", imp.Path.Value)
			continue
		}
		if why := forbiddenImport(importPath); why != "" {
			report(imp.Pos(), "import of %q: %s", importPath, why)
		}
		if importPath != "time" {
			continue
		}
		name := "time"
		if imp.Name != nil {
			name = imp.Name.Name
		}
		switch name {
		case "_":
		case ".":
			report(imp.Pos(), "dot import of \"time\" hides wall-clock calls")
		default:
			timeNames[name] = true
		}
	}
	ast.Inspect(file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			report(n.Pos(), "go statement: defer work with env.Clock.AfterFunc")
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok && timeNames[id.Name] && wallClockFuncs[n.Sel.Name] {
				report(n.Pos(), "time.%s reads the wall clock or starts a timer: use env.Clock", n.Sel.Name)
			}
		}
		return true
	})
	return out
}

// moduleRoot returns the directory holding go.mod, searching up from the
// package directory.
func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "no go.mod above the env package")
		dir = parent
	}
}

// seamFiles lists the non-test Go files of the module the rule applies to.
func seamFiles(t *testing.T, root string) []string {
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == root {
				return nil
			}
			name := d.Name()
			if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" ||
				name == "vendor" || slices.Contains(exemptTrees, filepath.ToSlash(rel)) || name == binaryTree {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			files = append(files, rel)
		}
		return nil
	})
	require.NoError(t, err)
	return files
}

// TestSeamLint enforces the seam rule (package doc) on the whole module.
func TestSeamLint(t *testing.T) {
	root := moduleRoot(t)
	fset := token.NewFileSet()
	files := seamFiles(t, root)
	require.NotEmpty(t, files, "no Go files found under %s", root)
	var problems []string
	for _, rel := range files {
		file, err := parser.ParseFile(fset, filepath.Join(root, rel), nil, parser.SkipObjectResolution)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		for _, v := range checkSeam(fset, file) {
			v.pos.Filename = rel
			problems = append(problems, v.String())
		}
	}
	assert.Empty(t, problems, "seam violations (see the env package doc):\n%s", strings.Join(problems, "\n"))
}

func TestSeamCheckerReportsEachViolation(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		lines []int    // lines with a violation, in order
		words []string // a word each message must contain, in order
	}{
		{
			name: "clean code using time values",
			src: `package p

import (
	"net/netip"
	"time"
)

const d = 3 * time.Millisecond

func f(t time.Time) (time.Time, time.Duration, netip.Addr) {
	var tick time.Duration = time.Second
	return t.Add(d).Add(tick), time.Unix(0, 0).Sub(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)), netip.Addr{}
}
`,
		},
		{
			name: "forbidden imports",
			src: `package p

import (
	"os"
	"os/exec"
	"net"
	"net/http"
	"math/rand"
	"math/rand/v2"
	"syscall"
	"golang.org/x/sys/unix"
)
`,
			lines: []int{4, 5, 6, 7, 8, 9, 10, 11},
			words: []string{`"os"`, `"os/exec"`, `"net"`, `"net/http"`, `"math/rand"`, `"math/rand/v2"`, `"syscall"`, `"golang.org/x/sys/unix"`},
		},
		{
			name: "wall-clock calls and a function value",
			src: `package p

import "time"

func f() {
	_ = time.Now()
	time.Sleep(time.Second)
	_ = time.Since(time.Time{}) + time.Until(time.Time{})
	<-time.After(1)
	time.AfterFunc(1, func() {})
	time.NewTimer(1)
	time.NewTicker(1)
	time.Tick(1)
	now := time.Now
	_ = now
}
`,
			lines: []int{6, 7, 8, 8, 9, 10, 11, 12, 13, 14},
			words: []string{"Now", "Sleep", "Since", "Until", "After", "AfterFunc", "NewTimer", "NewTicker", "Tick", "Now"},
		},
		{
			name: "renamed time import",
			src: `package p

import clock "time"

func f() clock.Time { return clock.Now() }
`,
			lines: []int{5},
			words: []string{"Now"},
		},
		{
			name: "dot import of time",
			src: `package p

import . "time"

var _ Duration
`,
			lines: []int{3},
			words: []string{"dot import"},
		},
		{
			name: "go statement",
			src: `package p

func f() {
	go func() {}()
}
`,
			lines: []int{4},
			words: []string{"go statement"},
		},
		{
			name: "a method named Now on another value is fine",
			src: `package p

type clock interface{ Now() int }

func f(c clock) int { return c.Now() }
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fset := token.NewFileSet()
			file, err := parser.ParseFile(fset, "p.go", tt.src, parser.SkipObjectResolution)
			require.NoError(t, err)
			got := checkSeam(fset, file)
			var lines []int
			for _, v := range got {
				lines = append(lines, v.pos.Line)
			}
			require.Equal(t, tt.lines, lines, "violations: %v", got)
			for i, word := range tt.words {
				assert.Contains(t, got[i].msg, word)
			}
		})
	}
}

func TestSeamFilesSkipsExemptTrees(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{
		"go.mod", "a/a.go", "a/a_test.go", "a/testdata/x.go", "env/e.go", "cmd/tool/main.go",
		"sim/cmd/tool/main.go", ".hidden/h.go", "b/env/nested.go", "sub/go.mod", "sub/s.go",
	} {
		p := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte("package x\n"), 0o644))
	}
	got := seamFiles(t, root)
	want := []string{filepath.Join("a", "a.go"), filepath.Join("b", "env", "nested.go")}
	assert.Equal(t, want, got)
}
