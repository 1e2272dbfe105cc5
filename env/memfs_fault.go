package env

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
)

// OpKind names a MemFS operation that a fault rule can fail.
type OpKind int

// The operations a rule sees. OpAny never appears in an Op; FailOnce and
// FailAfter take it to match every kind.
const (
	OpAny          OpKind = iota // wildcard for FailOnce and FailAfter
	OpCreate                     // FS.Create
	OpOpen                       // FS.Open and FS.OpenRW
	OpRead                       // File.ReadAt
	OpWrite                      // File.WriteAt
	OpTruncate                   // File.Truncate; Offset is the new length
	OpSync                       // File.Sync
	OpMap                        // File.Map; Len is the size
	OpMappingFlush               // Mapping.Flush
	OpSyncDir                    // FS.SyncDir
	OpRename                     // FS.Rename; NewPath is the target
	OpRemove                     // FS.Remove and FS.RemoveAll
	OpMkdirAll                   // FS.MkdirAll
)

var opKindNames = [...]string{
	OpAny:          "any",
	OpCreate:       "create",
	OpOpen:         "open",
	OpRead:         "read",
	OpWrite:        "write",
	OpTruncate:     "truncate",
	OpSync:         "sync",
	OpMap:          "map",
	OpMappingFlush: "flush",
	OpSyncDir:      "syncdir",
	OpRename:       "rename",
	OpRemove:       "remove",
	OpMkdirAll:     "mkdir",
}

// String returns the operation's name.
func (k OpKind) String() string {
	if k < 0 || int(k) >= len(opKindNames) {
		return fmt.Sprintf("OpKind(%d)", int(k))
	}
	return opKindNames[k]
}

// Op describes an operation about to run, for a fault rule.
type Op struct {
	Kind OpKind
	// Path is the path the file was opened with, or the path argument.
	Path string
	// NewPath is the target of a rename.
	NewPath string
	// Offset is the byte offset of a read, write or flush, and the new
	// length of a truncate.
	Offset int64
	// Len is the byte count of a read, write or flush, and the size of a map.
	Len int
}

// SetRule installs rule, called before every operation listed under OpKind;
// nil removes it. An operation whose rule call returns an error fails with
// that error (also matching ErrInjected) and has no effect. The rule runs
// without the MemFS mutex held.
func (m *MemFS) SetRule(rule func(Op) error) {
	if rule == nil {
		m.rule.Store(nil)
		return
	}
	m.rule.Store(&rule)
}

// inject asks the rule about op.
func (m *MemFS) inject(op Op) error {
	rule := m.rule.Load()
	if rule == nil {
		return nil
	}
	err := (*rule)(op)
	if err == nil {
		return nil
	}
	if !errors.Is(err, ErrInjected) {
		err = fmt.Errorf("%w: %w", ErrInjected, err)
	}
	return fmt.Errorf("env: %s %s: %w", op.Kind, op.Path, err)
}

// matches reports whether op is of kind (OpAny: any kind) and names a path
// containing pathSubstring.
func matches(op Op, kind OpKind, pathSubstring string) bool {
	if kind != OpAny && op.Kind != kind {
		return false
	}
	return strings.Contains(op.Path, pathSubstring) || (op.NewPath != "" && strings.Contains(op.NewPath, pathSubstring))
}

// FailOnce returns a rule that fails the first operation of kind (OpAny:
// any) whose path (or rename target) contains pathSubstring with ErrInjected,
// and lets everything else through. It is safe for concurrent use.
func FailOnce(kind OpKind, pathSubstring string) func(Op) error {
	var fired atomic.Bool
	return func(op Op) error {
		if matches(op, kind, pathSubstring) && fired.CompareAndSwap(false, true) {
			return ErrInjected
		}
		return nil
	}
}

// FailAfter returns a rule that lets the first n matching operations (as for
// FailOnce) through and fails every later one with ErrInjected: a device
// that dies and stays dead. It is safe for concurrent use.
func FailAfter(n int, kind OpKind, pathSubstring string) func(Op) error {
	var seen atomic.Int64
	return func(op Op) error {
		if matches(op, kind, pathSubstring) && seen.Add(1) > int64(n) {
			return ErrInjected
		}
		return nil
	}
}
