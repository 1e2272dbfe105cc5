package main

import (
	"bytes"
	"errors"
	"flag"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/apogeemq/apogee/cmd/internal/cmdutil"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer that run's goroutine writes while the test
// reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits for a line of out matching re and returns its submatches.
func waitFor(t *testing.T, out *syncBuffer, re *regexp.Regexp) []string {
	t.Helper()
	var m []string
	require.Eventually(t, func() bool {
		m = re.FindStringSubmatch(out.String())
		return m != nil
	}, 5*time.Second, 10*time.Millisecond, "no line matching %s in:\n%s", re, out.String())
	return m
}

func dial(t *testing.T, addr string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	require.NoError(t, err)
	require.NoError(t, conn.Close())
}

func TestRunServesUntilStopped(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	dir := t.TempDir()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- run([]string{"-data", dir, "-namesrv-addr", "127.0.0.1:0", "-broker-addr", "127.0.0.1:0"}, stdout, stderr, stop)
	}()

	ns := waitFor(t, stdout, regexp.MustCompile(`apogee: name server listening on (127\.0\.0\.1:\d+)\n`))[1]
	b := waitFor(t, stdout, regexp.MustCompile(`apogee: broker broker-a listening on (127\.0\.0\.1:\d+) \(cluster DefaultCluster\)\n`))[1]
	storeDir := filepath.Join(dir, "store")
	waitFor(t, stdout, regexp.MustCompile(regexp.QuoteMeta("apogee: store at "+storeDir+"\n")))
	waitFor(t, stdout, regexp.MustCompile(regexp.QuoteMeta("apogee: point clients at NAMESRV_ADDR="+ns+"\n")))
	dial(t, ns)
	dial(t, b)

	close(stop)
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return after stop")
	}

	info, err := os.Stat(filepath.Join(storeDir, "commitlog"))
	require.NoError(t, err)
	require.True(t, info.IsDir())
	for _, name := range []string{"checkpoint", "lock", filepath.Join("config", "topics.json")} {
		_, err := os.Stat(filepath.Join(storeDir, name))
		require.NoError(t, err, name)
	}
	_, err = os.Stat(filepath.Join(storeDir, "abort"))
	require.True(t, errors.Is(err, os.ErrNotExist), "a clean stop removes the abort file: %v", err)
	logFile, err := os.ReadFile(filepath.Join(dir, "logs", "apogee.log"))
	require.NoError(t, err)
	require.Contains(t, string(logFile), "apogee: stopped")

	_, err = net.DialTimeout("tcp", ns, time.Second)
	require.Error(t, err, "the name server is closed")
}

func TestRunReportsAPortInUse(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	dir := t.TempDir()
	stop := make(chan struct{})
	close(stop)

	err = run([]string{"-data", dir, "-namesrv-addr", busy.Addr().String(), "-broker-addr", "127.0.0.1:0"}, &syncBuffer{}, &syncBuffer{}, stop)
	require.ErrorContains(t, err, "name server")

	err = run([]string{"-data", dir, "-namesrv-addr", "127.0.0.1:0", "-broker-addr", busy.Addr().String()}, &syncBuffer{}, &syncBuffer{}, stop)
	require.Error(t, err)
	_, statErr := os.Stat(filepath.Join(dir, "store", "abort"))
	require.True(t, errors.Is(statErr, os.ErrNotExist), "a broker that could not start closed its store: %v", statErr)
}

func TestRunRefusesBadInput(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	var out, errOut bytes.Buffer
	var usage cmdutil.UsageError
	require.ErrorAs(t, run([]string{"-bogus"}, &out, &errOut, nil), &usage)
	require.ErrorAs(t, run([]string{"extra"}, &out, &errOut, nil), &usage)
	require.ErrorIs(t, run([]string{"-h"}, &out, &errOut, nil), flag.ErrHelp)
	require.Contains(t, errOut.String(), "-namesrv-addr string")
	require.ErrorContains(t, run([]string{"-broker-addr", "nowhere"}, &out, &errOut, nil), "-broker-addr")
	require.Empty(t, out.String())
}
