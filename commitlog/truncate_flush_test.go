package commitlog

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

// A truncation that races a flush in progress must not leave the flushed
// position past the cut: bytes appended there again would be reported
// durable without being flushed, and a machine crash would lose them.
func TestTruncateWaitsForAFlushInProgress(t *testing.T) {
	te := newTestEnv()
	cfg := testConfig()
	cfg.SegmentSizeBytes = 64 * 1024
	l := openRecovered(t, te.Env, cfg)
	a := mustAppend(t, l, testMsg("T", 0, 900, 1))
	require.NoError(t, l.Flush())
	for i := 0; i < 8; i++ {
		mustAppend(t, l, testMsg("T", 0, 900, 10+i))
	}
	oldEnd := l.MaxOffset()

	var armed atomic.Bool
	armed.Store(true)
	gate, entered := make(chan struct{}), make(chan struct{})
	te.mem.SetRule(func(op env.Op) error {
		if op.Kind == env.OpMappingFlush && armed.CompareAndSwap(true, false) {
			close(entered)
			<-gate
		}
		return nil
	})
	flushDone := make(chan error)
	go func() { flushDone <- l.Flush() }()
	<-entered // Flush read wrote=oldEnd and is inside msync
	truncDone := make(chan error)
	go func() { truncDone <- l.TruncateTo(a.EndOffset) }()
	// The truncation waits for the flush; give it time to get there.
	for i := 0; i < 100 && l.MaxOffset() != a.EndOffset; i++ {
		time.Sleep(time.Millisecond)
	}
	close(gate)
	require.NoError(t, <-flushDone)
	require.NoError(t, <-truncDone)
	te.mem.SetRule(nil)
	require.Equal(t, a.EndOffset, l.FlushedOffset())

	var last AppendResult
	for i := 0; i < 10; i++ {
		last = mustAppend(t, l, testMsg("T", 0, 900, 100+i))
	}
	require.NoError(t, l.Flush())
	require.Greater(t, oldEnd, a.EndOffset)
	require.GreaterOrEqual(t, l.FlushedOffset(), last.EndOffset, "reported durable")

	te.mem.CrashMachine(1, env.CrashOptions{KeepNoPages: true})
	l2, err := Open(te.Env, testDir, cfg)
	require.NoError(t, err)
	res, err := l2.Recover(RecoverOptions{Abnormal: true}, nil)
	require.NoError(t, err)
	require.Equal(t, last.EndOffset, res.EndOffset, "acknowledged-durable records lost after machine crash")
}
