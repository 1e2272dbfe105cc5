package main

import (
	"bytes"
	"errors"
	"flag"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/cmd/internal/cmdutil"
	"github.com/apogeemq/apogee/store"
)

func TestPrintImportant(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("NAMESRV_ADDR", "10.0.0.9:9876")
	conf := writeConf(t, "brokerName=broker-b\nbrokerIP1=192.0.2.5\nflushDiskType=SYNC_FLUSH\n")
	var out, errOut bytes.Buffer
	require.NoError(t, run([]string{"-c", conf, "-m"}, &out, &errOut, nil))
	require.Equal(t, "brokerClusterName=DefaultCluster\n"+
		"brokerIP1=192.0.2.5\n"+
		"brokerId=0\n"+
		"brokerName=broker-b\n"+
		"brokerRole=ASYNC_MASTER\n"+
		"flushDiskType=SYNC_FLUSH\n"+
		"listenPort=10911\n"+
		"namesrvAddr=10.0.0.9:9876\n"+
		"storePathRootDir="+filepath.Join(home, "store")+"\n", out.String())
	require.Empty(t, errOut.String())
}

func TestPrintAll(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("NAMESRV_ADDR", "")
	conf := writeConf(t, "mapedFileSizeCommitLog=8388608\ndeleteWhen=01;02\n")
	var out, errOut bytes.Buffer
	require.NoError(t, run([]string{"-c", conf, "-n", "ns:9876", "-p"}, &out, &errOut, nil))
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	require.Len(t, lines, 62, "every applied key")
	require.IsIncreasing(t, lines, "sorted by key")
	for _, want := range []string{
		"mappedFileSizeCommitLog=8388608",
		"deleteWhen=01;02",
		"namesrvAddr=ns:9876",
		"storePathRootDir=" + filepath.Join(home, "store"),
		"storePathCommitLog=" + filepath.Join(home, "store", "commitlog"),
		"logDir=" + filepath.Join(home, "logs", "rocketmqlogs"),
		"fileReservedTime=72",
	} {
		require.Contains(t, lines, want)
	}

	// The output is a broker.conf that gives the same output again.
	again := writeConf(t, out.String())
	var out2 bytes.Buffer
	require.NoError(t, run([]string{"-c", again, "-p"}, &out2, &errOut, nil))
	require.Equal(t, out.String(), out2.String())
	require.Empty(t, errOut.String())
}

func TestRunRefusesBadInput(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	var out, errOut bytes.Buffer
	err := run([]string{"-x"}, &out, &errOut, nil)
	var usage cmdutil.UsageError
	require.ErrorAs(t, err, &usage)
	require.Contains(t, errOut.String(), "flag provided but not defined: -x")

	err = run([]string{"-p", "extra"}, &out, &errOut, nil)
	require.ErrorAs(t, err, &usage)

	require.ErrorIs(t, run([]string{"-h"}, &out, &errOut, nil), flag.ErrHelp)
	require.Contains(t, errOut.String(), "-n string")

	conf := writeConf(t, "listenPort=ten\n")
	err = run([]string{"-c", conf, "-p"}, &out, &errOut, nil)
	require.ErrorContains(t, err, `listenPort="ten"`)
	require.Empty(t, out.String(), "nothing printed for a bad configuration")
}

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

// testConf is a broker.conf for a broker on a free loopback port with a
// small store under dir.
func testConf(t *testing.T, dir string) string {
	return writeConf(t, "listenPort=0\nbindAddress=127.0.0.1\nbrokerIP1=127.0.0.1\n"+
		"storePathRootDir="+filepath.Join(dir, "store")+"\nlogDir="+filepath.Join(dir, "logs")+"\n"+
		"mappedFileSizeCommitLog=1048576\nmaxMessageSize=65536\nmaxHashSlotNum=1000\nmaxIndexNum=4000\n"+
		"mappedFileSizeConsumeQueue=6000\nnamesrvAddr=\n")
}

func TestRunServesUntilStopped(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("NAMESRV_ADDR", "")
	dir := t.TempDir()
	conf := testConf(t, dir)
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- run([]string{"-c", conf}, stdout, stderr, stop) }()

	m := waitFor(t, stdout, regexp.MustCompile(`mqbroker: broker broker-a listening on \S+, published as (\S+) \(cluster DefaultCluster, brokerId 0, ASYNC_MASTER, ASYNC_FLUSH\)\n`))
	published := m[1]
	require.True(t, strings.HasPrefix(published, "127.0.0.1:"), published)
	waitFor(t, stdout, regexp.MustCompile(regexp.QuoteMeta("mqbroker: store at "+filepath.Join(dir, "store")+"\n")))
	waitFor(t, stdout, regexp.MustCompile(`mqbroker: no name server`))

	conn, err := net.DialTimeout("tcp", published, 2*time.Second)
	require.NoError(t, err)
	require.NoError(t, conn.Close())
	_, err = os.Stat(filepath.Join(dir, "store", "abort"))
	require.NoError(t, err, "the store marks itself running")

	// A second broker on the same store is refused, and the first one is
	// not disturbed.
	err = run([]string{"-c", conf}, &syncBuffer{}, &syncBuffer{}, stop)
	require.ErrorIs(t, err, store.ErrLocked)

	close(stop)
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return after stop")
	}

	storeDir := filepath.Join(dir, "store")
	info, err := os.Stat(filepath.Join(storeDir, "commitlog"))
	require.NoError(t, err)
	require.True(t, info.IsDir())
	for _, name := range []string{"checkpoint", "lock", filepath.Join("config", "topics.json")} {
		_, err := os.Stat(filepath.Join(storeDir, name))
		require.NoError(t, err, name)
	}
	_, err = os.Stat(filepath.Join(storeDir, "abort"))
	require.True(t, errors.Is(err, os.ErrNotExist), "a clean stop removes the abort file: %v", err)

	logFile, err := os.ReadFile(filepath.Join(dir, "logs", "broker.log"))
	require.NoError(t, err)
	require.Contains(t, string(logFile), "mqbroker: stopped")
	require.Contains(t, stderr.String(), "mqbroker: stopped", "the log also goes to stderr")
}
