package commitlog

import (
	"fmt"
	"sync"
	"time"

	"github.com/apogeemq/apogee/env"
)

// groupCommitRetryDelay spaces group-commit rounds that made no progress
// (RocketMQ's GroupCommitService period), so a stuck disk cannot make the
// rounds spin; the waiters then time out.
const groupCommitRetryDelay = 10 * time.Millisecond

// flushWaiter is one Durable call waiting for the flushed offset.
type flushWaiter struct {
	endOffset int64
	deadline  time.Time
	done      func(error)
}

// flusher holds the durability state: the group-commit waiters, the timers
// and the sticky flush error. Its mutex is never held while a done callback
// runs or while the disk is flushed.
type flusher struct {
	mu      sync.Mutex
	waiters []flushWaiter
	// ready holds reusable buffers for the waiters a round completes. At
	// most one round flushes at a time (roundPending is set from scheduling
	// a round until it has taken its waiters); its callbacks may still run
	// while the next round flushes.
	ready        [][]flushWaiter
	roundPending bool
	sweep        env.Timer
	sweepGen     uint64 // tells a stale sweep callback from the armed one
	service      env.Timer
	lastThorough time.Time
	err          error // first flush failure, sticky
	closed       bool
}

// Durable calls done when the record ending at endOffset is durable. In
// FlushAsync mode done(nil) runs at once. In FlushSync mode the caller joins
// the group commit: one flush round serves every waiter it passes; done
// receives nil, ErrFlushTimeout after SyncFlushTimeout, ErrFlushWaitersFull
// at once when MaxPendingFlushWaiters are pending, ErrTruncated when the
// record is no longer in the log (endOffset beyond MaxOffset), ErrClosed, or
// the error of a failed flush. done runs without any lock of the log held,
// on the caller's goroutine or a timer's.
func (l *Log) Durable(endOffset int64, done func(error)) {
	if l.cfg.FlushMode != FlushSync {
		done(nil)
		return
	}
	if queued, err := l.addWaiter(endOffset, done); !queued {
		done(err)
	}
}

// addWaiter queues a waiter, or returns the answer for one that need not
// wait.
func (l *Log) addWaiter(endOffset int64, done func(error)) (bool, error) {
	// Read before taking f.mu: the flushed offset may wait for a flush in
	// progress, and a stale value only queues a waiter the round completes.
	flushed, maxOffset := l.FlushedOffset(), l.MaxOffset()
	f := &l.fl
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.err != nil:
		return false, f.err
	case f.closed:
		return false, ErrClosed
	case flushed >= endOffset:
		return false, nil
	case endOffset > maxOffset:
		return false, ErrTruncated
	case len(f.waiters) >= l.cfg.MaxPendingFlushWaiters:
		return false, ErrFlushWaitersFull
	}
	now := l.e.Clock.Now()
	f.waiters = append(f.waiters, flushWaiter{endOffset: endOffset, deadline: now.Add(l.cfg.SyncFlushTimeout), done: done})
	if !f.roundPending {
		f.roundPending = true
		l.e.Clock.AfterFunc(0, l.groupCommit)
	}
	if f.sweep == nil {
		l.armSweepLocked(l.cfg.SyncFlushTimeout)
	}
	return true, nil
}

// groupCommit is one round: flush everything published once, then complete
// every waiter the flush passed. The next round is scheduled before this
// one runs its callbacks, so the next flush overlaps the completions
// instead of waiting for them.
func (l *Log) groupCommit() {
	f := &l.fl
	before := l.q.FlushedWhere()
	flushed, err := l.q.Flush(0)
	if err != nil {
		l.fail(err)
	}
	f.mu.Lock()
	ready := f.takeReadyLocked()
	keep := f.waiters[:0]
	for _, w := range f.waiters {
		if w.endOffset <= flushed || f.err != nil {
			ready = append(ready, w)
		} else {
			keep = append(keep, w)
		}
	}
	clear(f.waiters[len(keep):])
	f.waiters = keep
	if len(keep) == 0 && f.sweep != nil {
		f.sweep.Stop()
		f.sweep = nil
		f.sweepGen++
	}
	failure := f.err
	if len(f.waiters) == 0 || f.closed {
		f.roundPending = false
	} else {
		delay := time.Duration(0)
		if flushed == before && len(ready) == 0 {
			delay = groupCommitRetryDelay // the disk made no progress: do not spin
		}
		l.e.Clock.AfterFunc(delay, l.groupCommit)
	}
	f.mu.Unlock()

	if flushed > before {
		l.flushedTo(flushed)
	}
	for i := range ready {
		if ready[i].endOffset <= flushed {
			ready[i].done(nil)
		} else {
			ready[i].done(failure)
		}
		ready[i] = flushWaiter{}
	}
	f.mu.Lock()
	f.ready = append(f.ready, ready[:0])
	f.mu.Unlock()
}

// takeReadyLocked returns an empty buffer for a round's completed waiters.
// Two rounds may overlap (one flushing while the previous completes), so
// buffers are kept in a small free list. f.mu is held.
func (f *flusher) takeReadyLocked() []flushWaiter {
	if n := len(f.ready); n > 0 {
		b := f.ready[n-1]
		f.ready = f.ready[:n-1]
		return b
	}
	return nil
}

// armSweepLocked schedules the timeout sweep after d. f.mu is held.
func (l *Log) armSweepLocked(d time.Duration) {
	f := &l.fl
	f.sweepGen++
	gen := f.sweepGen
	f.sweep = l.e.Clock.AfterFunc(d, func() { l.sweepExpired(gen) })
}

// sweepExpired completes the waiters whose deadline has passed with
// ErrFlushTimeout and re-arms itself for the earliest remaining deadline.
func (l *Log) sweepExpired(gen uint64) {
	f := &l.fl
	f.mu.Lock()
	if f.closed || gen != f.sweepGen {
		f.mu.Unlock()
		return
	}
	now := l.e.Clock.Now()
	var expired []flushWaiter
	keep := f.waiters[:0]
	var earliest time.Time
	for _, w := range f.waiters {
		if !w.deadline.After(now) {
			expired = append(expired, w)
			continue
		}
		if len(keep) == 0 || w.deadline.Before(earliest) {
			earliest = w.deadline
		}
		keep = append(keep, w)
	}
	clear(f.waiters[len(keep):])
	f.waiters = keep
	f.sweep = nil
	if len(keep) > 0 {
		l.armSweepLocked(earliest.Sub(now))
	}
	f.mu.Unlock()
	for _, w := range expired {
		w.done(ErrFlushTimeout)
	}
}

// startFlushService arms the periodic flush (both modes; see Config).
func (l *Log) startFlushService() {
	f := &l.fl
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastThorough = l.e.Clock.Now()
	f.service = l.e.Clock.AfterFunc(l.cfg.FlushInterval, l.serviceTick)
}

// serviceTick is one run of the periodic flush: least-pages flushing, with
// a thorough flush every FlushThoroughInterval (spec §4.4).
func (l *Log) serviceTick() {
	f := &l.fl
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	leastPages := l.cfg.FlushLeastPages
	if l.cfg.FlushMode == FlushSync {
		leastPages = 0
	}
	if now := l.e.Clock.Now(); now.Sub(f.lastThorough) >= l.cfg.FlushThoroughInterval {
		leastPages = 0
		f.lastThorough = now
	}
	f.mu.Unlock()
	before := l.q.FlushedWhere()
	if flushed, err := l.q.Flush(leastPages); err != nil {
		l.fail(err)
	} else if flushed > before {
		l.flushedTo(flushed)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.service = l.e.Clock.AfterFunc(l.cfg.FlushInterval, l.serviceTick)
	}
}

// Flush makes everything published durable now.
func (l *Log) Flush() error {
	before := l.q.FlushedWhere()
	flushed, err := l.q.Flush(0)
	if err != nil {
		l.fail(err)
		return fmt.Errorf("commitlog: flushing %s: %w", l.dir, err)
	}
	if flushed > before {
		l.flushedTo(flushed)
	}
	return nil
}

// flushedTo runs the OnFlushed hook.
func (l *Log) flushedTo(flushed int64) {
	if l.cfg.OnFlushed != nil {
		l.cfg.OnFlushed(flushed)
	}
}

// Err returns the first flush failure, or nil. It is sticky: after a failed
// flush the page cache can no longer be trusted to reach the disk, so every
// later sync waiter gets it too.
func (l *Log) Err() error {
	l.fl.mu.Lock()
	defer l.fl.mu.Unlock()
	return l.fl.err
}

// fail records the first flush failure and logs it.
func (l *Log) fail(err error) {
	f := &l.fl
	f.mu.Lock()
	first := f.err == nil
	if first {
		f.err = err
	}
	f.mu.Unlock()
	if first {
		l.cfg.Logger.Error("commitlog flush failed; sync waiters will get this error", "dir", l.dir, "err", err)
		if l.cfg.OnFlushFailure != nil {
			l.cfg.OnFlushFailure(err)
		}
	}
}

// closeFlusher stops the timers and hands back the pending waiters.
func (l *Log) closeFlusher() []flushWaiter {
	f := &l.fl
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	if f.sweep != nil {
		f.sweep.Stop()
		f.sweep = nil
		f.sweepGen++
	}
	if f.service != nil {
		f.service.Stop()
		f.service = nil
	}
	waiters := f.waiters
	f.waiters = nil
	return waiters
}
