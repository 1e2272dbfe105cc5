package commitlog

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

// outcome records what a Durable callback received.
type outcome struct {
	called bool
	err    error
}

func (o *outcome) done(err error) {
	if o.called {
		panic("done called twice")
	}
	o.called, o.err = true, err
}

func syncConfig() Config {
	cfg := testConfig()
	cfg.SegmentSizeBytes = 1 << 20
	cfg.FlushMode = FlushSync
	return cfg
}

func TestGroupCommitSharesOneFlush(t *testing.T) {
	te := newTestEnv()
	l := openRecovered(t, te.Env, syncConfig())
	const appenders = 50
	outcomes := make([]outcome, appenders)
	for i := range appenders {
		r := mustAppend(t, l, testMsg("T", 0, 100, i))
		l.Durable(r.EndOffset, outcomes[i].done)
	}
	for i := range outcomes {
		require.False(t, outcomes[i].called, "nothing is durable before the round runs")
	}
	before := te.fs.flushes.Load()
	te.clock.RunDue()
	for i := range outcomes {
		require.True(t, outcomes[i].called)
		require.NoError(t, outcomes[i].err)
	}
	require.Equal(t, int64(1), te.fs.flushes.Load()-before, "one fsync for all %d waiters", appenders)
	require.Equal(t, l.MaxOffset(), l.FlushedOffset())

	// Already durable: answered at once.
	var o outcome
	l.Durable(l.MaxOffset(), o.done)
	require.True(t, o.called)
	require.NoError(t, o.err)
}

func TestGroupCommitLateWaiterGetsNextRound(t *testing.T) {
	te := newTestEnv()
	l := openRecovered(t, te.Env, syncConfig())
	var first, late outcome
	r := mustAppend(t, l, testMsg("T", 0, 100, 0))
	l.Durable(r.EndOffset, func(err error) {
		first.done(err)
		// Appended while the round completes its waiters: the round saw no
		// such bytes, so the next round serves this one.
		r2 := mustAppend(t, l, testMsg("T", 0, 100, 1))
		l.Durable(r2.EndOffset, late.done)
	})
	te.clock.RunDue()
	require.True(t, first.called)
	require.True(t, late.called)
	require.NoError(t, late.err)
	require.Equal(t, l.MaxOffset(), l.FlushedOffset())
}

func TestSyncFlushTimeout(t *testing.T) {
	te := newTestEnv()
	clock := &holdClock{ManualClock: te.clock}
	te.Clock = clock
	cfg := syncConfig()
	l := openRecovered(t, te.Env, cfg)

	var early, later outcome
	r := mustAppend(t, l, testMsg("T", 0, 100, 0))
	l.Durable(r.EndOffset, early.done)
	te.clock.Advance(3 * time.Second)
	r = mustAppend(t, l, testMsg("T", 0, 100, 1))
	l.Durable(r.EndOffset, later.done)

	te.clock.Advance(2 * time.Second)
	require.True(t, early.called)
	require.ErrorIs(t, early.err, ErrFlushTimeout)
	require.False(t, later.called, "its own deadline is 3s later")

	te.clock.Advance(3 * time.Second)
	require.True(t, later.called)
	require.ErrorIs(t, later.err, ErrFlushTimeout)

	clock.release() // the stalled round finally ends: nobody is left to complete
	require.Equal(t, l.MaxOffset(), l.FlushedOffset())
	te.clock.RunDue()
}

func TestFlushWaitersBounded(t *testing.T) {
	te := newTestEnv()
	clock := &holdClock{ManualClock: te.clock}
	te.Clock = clock
	cfg := syncConfig()
	cfg.MaxPendingFlushWaiters = 2
	l := openRecovered(t, te.Env, cfg)
	outcomes := make([]outcome, 3)
	for i := range outcomes {
		r := mustAppend(t, l, testMsg("T", 0, 100, i))
		l.Durable(r.EndOffset, outcomes[i].done)
	}
	require.False(t, outcomes[0].called)
	require.False(t, outcomes[1].called)
	require.True(t, outcomes[2].called)
	require.ErrorIs(t, outcomes[2].err, ErrFlushWaitersFull)
	clock.release()
	require.NoError(t, outcomes[0].err)
	require.NoError(t, outcomes[1].err)
	require.True(t, outcomes[1].called)
}

func TestFlushErrorReachesWaitersAndSticks(t *testing.T) {
	te := newTestEnv()
	l := openRecovered(t, te.Env, syncConfig())
	r := mustAppend(t, l, testMsg("T", 0, 100, 0))
	te.mem.SetRule(env.FailOnce(env.OpMappingFlush, ""))
	var o outcome
	l.Durable(r.EndOffset, o.done)
	te.clock.RunDue()
	require.True(t, o.called)
	require.ErrorIs(t, o.err, env.ErrInjected)
	require.ErrorIs(t, l.Err(), env.ErrInjected)

	// The disk works again, but the failure is sticky.
	r = mustAppend(t, l, testMsg("T", 0, 100, 1))
	var after outcome
	l.Durable(r.EndOffset, after.done)
	require.True(t, after.called)
	require.ErrorIs(t, after.err, env.ErrInjected)
}

func TestAsyncDurableAnswersAtOnce(t *testing.T) {
	te := newTestEnv()
	l := openRecovered(t, te.Env, testConfig())
	r := mustAppend(t, l, testMsg("T", 0, 100, 0))
	var o outcome
	l.Durable(r.EndOffset, o.done)
	require.True(t, o.called)
	require.NoError(t, o.err)
	require.Equal(t, int64(0), l.FlushedOffset())
}

func TestAsyncFlushPolicy(t *testing.T) {
	te := newTestEnv()
	cfg := testConfig()
	cfg.SegmentSizeBytes = 1 << 20
	l := openRecovered(t, te.Env, cfg)
	page := 4096
	bodyForPages := func(pages float64) int { return int(pages*float64(page)) - 200 }

	// Three pages dirty: below FlushLeastPages (4).
	mustAppend(t, l, testMsg("T", 0, bodyForPages(3), 0))
	te.clock.Advance(DefaultFlushInterval)
	require.Equal(t, int64(0), l.FlushedOffset())
	te.clock.Advance(DefaultFlushInterval)
	require.Equal(t, int64(0), l.FlushedOffset())

	// Past four pages: the next tick flushes everything written.
	mustAppend(t, l, testMsg("T", 0, bodyForPages(1.5), 1))
	te.clock.Advance(DefaultFlushInterval)
	require.Equal(t, l.MaxOffset(), l.FlushedOffset())

	// A little more: only the thorough flush (10 s after the last one)
	// takes it.
	mustAppend(t, l, testMsg("T", 0, 10, 2))
	flushedBefore := l.FlushedOffset()
	for i := 0; i < 16; i++ {
		te.clock.Advance(DefaultFlushInterval)
		require.Equal(t, flushedBefore, l.FlushedOffset(), "tick %d", i)
	}
	// 1.5 s + 16 * 0.5 s = 9.5 s since the start; the tick at 10 s is thorough.
	te.clock.Advance(DefaultFlushInterval)
	require.Equal(t, l.MaxOffset(), l.FlushedOffset())
}

func TestFlushAndClose(t *testing.T) {
	te := newTestEnv()
	clock := &holdClock{ManualClock: te.clock}
	te.Clock = clock
	l, err := Open(te.Env, testDir, syncConfig())
	require.NoError(t, err)
	_, err = l.Recover(RecoverOptions{}, nil)
	require.NoError(t, err)
	r := mustAppend(t, l, testMsg("T", 0, 100, 0))
	var pending outcome
	l.Durable(r.EndOffset, pending.done)
	require.NoError(t, l.Flush())
	require.Equal(t, l.MaxOffset(), l.FlushedOffset())
	mustAppend(t, l, testMsg("T", 0, 100, 1))
	require.NoError(t, l.Close())
	require.True(t, pending.called, "Close completes the waiters")
	require.NoError(t, pending.err)
	clock.release() // a round that runs after Close finds nothing to do
	require.Zero(t, te.clock.Pending(), "Close stopped the timers")

	var late outcome
	l.Durable(r.EndOffset, late.done)
	require.True(t, late.called)
	require.ErrorIs(t, late.err, ErrClosed)
}
