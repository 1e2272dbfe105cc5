package benchmarks

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Bounds on the processes the end-to-end benchmarks start.
const (
	// childStartTimeout bounds the wait for a child's "listening" lines:
	// the all-in-one server opens its store and registers with its name
	// server in well under a second on an idle machine, and the build that
	// precedes it is not counted.
	childStartTimeout = 30 * time.Second
	// childStopTimeout bounds the wait after SIGTERM: the broker flushes
	// and closes a store of at most maxStoredBytesPerServer, which takes
	// seconds at worst. A child still running then is killed and the
	// stop reported as failed.
	childStopTimeout = 30 * time.Second
	// childStderrTailBytes is how much of a child's stderr an error
	// quotes: enough for the last log lines and the reason it failed.
	childStderrTailBytes = 4 << 10
)

// childProcess is a process the benchmarks started: the apogee server or
// the echo server. Its stdout is read line by line until the lines it was
// started for arrive, then drained so that the child never blocks on a full
// pipe; its stderr goes to a file quoted by errors.
type childProcess struct {
	name       string
	cmd        *exec.Cmd
	stderrPath string
	lines      chan string   // stdout lines, closed at EOF
	exited     chan struct{} // closed when cmd.Wait returned
	waitErr    error         // cmd.Wait's result, set before exited closes
}

// startChild starts cmd, its stderr written to stderrPath, and returns the
// submatches of each of patterns, in order, as they appear on its stdout.
// A child that exits or stays silent for childStartTimeout is killed and
// reported with the tail of its stderr.
func startChild(name string, cmd *exec.Cmd, stderrPath string, patterns ...*regexp.Regexp) (*childProcess, [][]string, error) {
	stderr, err := os.Create(stderrPath)
	if err != nil {
		return nil, nil, fmt.Errorf("creating the stderr file of %s: %w", name, err)
	}
	defer stderr.Close() // the child holds its own descriptor
	// A pipe of our own rather than cmd.StdoutPipe, which Wait closes as
	// soon as the child exits, possibly before its last lines were read.
	stdout, stdoutW, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("piping the stdout of %s: %w", name, err)
	}
	cmd.Stdout, cmd.Stderr = stdoutW, stderr
	setParentDeathSignal(cmd)
	err = cmd.Start()
	stdoutW.Close() // the child holds its own descriptor
	if err != nil {
		stdout.Close()
		return nil, nil, fmt.Errorf("starting %s: %w", name, err)
	}
	c := &childProcess{name: name, cmd: cmd, stderrPath: stderrPath, lines: make(chan string, len(patterns)+16), exited: make(chan struct{})}
	go c.readStdout(stdout)
	go func() {
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	defer func() { // whatever happens, the lines that follow are not needed
		go func() {
			for range c.lines {
			}
		}()
	}()

	deadline := time.NewTimer(childStartTimeout)
	defer deadline.Stop()
	matches := make([][]string, 0, len(patterns))
	for len(matches) < len(patterns) {
		select {
		case line, ok := <-c.lines:
			if !ok {
				<-c.exited
				return nil, nil, fmt.Errorf("%s ended (%v) before printing a line matching %s%s", name, c.waitErr, patterns[len(matches)], c.stderrTail())
			}
			if m := patterns[len(matches)].FindStringSubmatch(line); m != nil {
				matches = append(matches, m)
			}
		case <-deadline.C:
			c.kill()
			return nil, nil, fmt.Errorf("%s printed no line matching %s within %v%s", name, patterns[len(matches)], childStartTimeout, c.stderrTail())
		}
	}
	return c, matches, nil
}

// readStdout sends each line of r to c.lines, and closes both at EOF.
func (c *childProcess) readStdout(r io.ReadCloser) {
	defer close(c.lines)
	defer r.Close()
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		c.lines <- sc.Text()
	}
}

// stop sends SIGTERM and waits for the child to exit; anything but a clean
// exit with status 0 within childStopTimeout is an error.
func (c *childProcess) stop() error {
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signalling %s: %w", c.name, err)
	}
	select {
	case <-c.exited:
	case <-time.After(childStopTimeout):
		c.kill()
		return fmt.Errorf("%s did not exit within %v of SIGTERM and was killed%s", c.name, childStopTimeout, c.stderrTail())
	}
	if c.waitErr != nil {
		return fmt.Errorf("%s exited uncleanly after SIGTERM: %w%s", c.name, c.waitErr, c.stderrTail())
	}
	return nil
}

// kill ends the child at once and waits for it.
func (c *childProcess) kill() {
	_ = c.cmd.Process.Kill() // it may have exited already
	<-c.exited
}

// stderrTail returns the end of the child's stderr, ready to be appended
// to an error message.
func (c *childProcess) stderrTail() string {
	f, err := os.Open(c.stderrPath)
	if err != nil {
		return fmt.Sprintf(" (stderr unreadable: %v)", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Sprintf(" (stderr unreadable: %v)", err)
	}
	off := max(info.Size()-childStderrTailBytes, 0)
	tail, err := io.ReadAll(io.NewSectionReader(f, off, info.Size()-off))
	if err != nil {
		return fmt.Sprintf(" (stderr unreadable: %v)", err)
	}
	if len(tail) == 0 {
		return "; stderr was empty"
	}
	return "; end of stderr:\n" + strings.TrimRight(string(tail), "\n")
}

// TestEchoChildServesAndStopsCleanly starts the echo server the way the
// baseline does, makes an exchange and stops it: SIGTERM must end it with
// status 0, which TestMain checks after every benchmark run.
func TestEchoChildServesAndStopsCleanly(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), echoModeEnv+"=1")
	proc, m, err := startChild("echo server", cmd, filepath.Join(t.TempDir(), "stderr"), echoListeningLine)
	require.NoError(t, err)
	p, err := dialEchoAddr(m[0][1])
	if err != nil {
		assert.NoError(t, proc.stop())
		t.Fatal(err)
	}
	var h latencyHistogram
	_, err = p.run(10, &h)
	assert.NoError(t, err)
	assert.Equal(t, uint64(10), h.Count())
	p.close()
	require.NoError(t, proc.stop())
}

// TestChildThatEndsEarlyIsReported runs this test binary without the echo
// variable and without tests: it exits without printing the line waited
// for, and startChild says so rather than waiting out its timeout.
func TestChildThatEndsEarlyIsReported(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe, "-test.run=^$")
	_, _, err = startChild("silent child", cmd, filepath.Join(t.TempDir(), "stderr"), echoListeningLine)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "silent child ended")
}

func TestModuleRootHoldsGoMod(t *testing.T) {
	root, err := moduleRoot()
	require.NoError(t, err)
	assert.FileExists(t, filepath.Join(root, "go.mod"))
	assert.FileExists(t, filepath.Join(root, "cmd", "apogee", "main.go"))
}
