package env

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// latchCounts returns the pipe latches alive and idle.
func latchCounts() (alive, idle int) {
	latches.mu.Lock()
	defer latches.mu.Unlock()
	return latches.alive, len(latches.idle)
}

// TestLatchOpenedBeforeWaitReturnsAtOnce: Open may come first (the answer
// arrived before the caller got to wait); Wait then does not block.
func TestLatchOpenedBeforeWaitReturnsAtOnce(t *testing.T) {
	l := NewLatch()
	l.Open()
	returned := make(chan struct{})
	go func() {
		l.Wait()
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(waitBound):
		t.Fatal("Wait blocked on an opened latch")
	}
}

// TestLatchWaitBlocksUntilOpen: Wait returns only after Open, and what the
// opener wrote before Open is visible to the waiter after Wait (the race
// detector checks the ordering).
func TestLatchWaitBlocksUntilOpen(t *testing.T) {
	for range 100 {
		l := NewLatch()
		var result string
		var opened atomic.Bool
		go func() {
			time.Sleep(100 * time.Microsecond)
			result = "answer"
			opened.Store(true)
			l.Open()
		}()
		l.Wait()
		require.True(t, opened.Load(), "Wait returned before Open")
		require.Equal(t, "answer", result)
	}
}

// TestLatchesAreReusedAndBounded runs many sequential waits: they reuse a
// few pipes. Then more waiters than maxPipeLatches block at once: the
// extra ones wait on channels, every one is released, and afterwards at
// most maxIdleLatches pipes stay open.
func TestLatchesAreReusedAndBounded(t *testing.T) {
	aliveBefore, _ := latchCounts()
	for range 1000 {
		l := NewLatch()
		go l.Open()
		l.Wait()
	}
	alive, _ := latchCounts()
	assert.LessOrEqual(t, alive, aliveBefore+1, "sequential waits reuse one pipe")

	const waiters = maxPipeLatches + 50
	ls := make([]*Latch, waiters)
	for i := range ls {
		ls[i] = NewLatch()
	}
	alive, _ = latchCounts()
	assert.LessOrEqual(t, alive, maxPipeLatches, "pipes are bounded")
	channels := 0
	for _, l := range ls {
		if l.ch != nil {
			channels++
		}
	}
	assert.GreaterOrEqual(t, channels, waiters-maxPipeLatches, "the latches past the bound wait on channels")

	var wg sync.WaitGroup
	var released atomic.Int32
	for _, l := range ls {
		wg.Go(func() {
			l.Wait()
			released.Add(1)
		})
	}
	for i := len(ls) - 1; i >= 0; i-- {
		ls[i].Open()
	}
	wg.Wait()
	assert.Equal(t, int32(waiters), released.Load())
	alive, idle := latchCounts()
	assert.LessOrEqual(t, idle, maxIdleLatches)
	assert.Equal(t, idle, alive, "every pipe left is idle, the others were closed")
}

// TestLatchOpenedTwicePanics: a callback that completes twice is a bug.
func TestLatchOpenedTwicePanics(t *testing.T) {
	l := NewLatch()
	l.Open()
	assert.Panics(t, l.Open)
	l.Wait()
}
