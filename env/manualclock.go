package env

import (
	"container/heap"
	"fmt"
	"sync"
	"time"
)

// maxFiresPerInstant bounds the callbacks one Advance or RunDue may run
// without time moving. A real workload schedules a handful
// of timers per instant; a million means a callback keeps rescheduling
// itself with zero delay and time could never advance.
const maxFiresPerInstant = 1_000_000

// ManualClock is a Clock that moves only when told (Advance, RunDue,
// FireNext). Timers fire on the caller's goroutine in (due time, scheduling
// order) order, which makes a run reproducible. It is safe for concurrent
// use; its mutex is never held while a callback runs.
type ManualClock struct {
	mu     sync.Mutex
	now    time.Time
	seq    uint64    // scheduling counter, breaks ties between equal due times
	timers timerHeap // pending timers, earliest first
	streak int       // callbacks fired at the current instant
	last   time.Time // the instant streak counts
}

var _ Clock = (*ManualClock)(nil)

// NewManualClock returns a clock reading start.
func NewManualClock(start time.Time) *ManualClock {
	return &ManualClock{now: start}
}

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f at Now()+d (Now() when d <= 0). It panics if f is
// nil.
func (c *ManualClock) AfterFunc(d time.Duration, f func()) Timer {
	if f == nil {
		panic("env: ManualClock.AfterFunc with a nil func")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &manualTimer{clock: c, due: c.now.Add(max(d, 0)), seq: c.seq, f: f}
	heap.Push(&c.timers, t)
	return t
}

// Advance moves the clock forward by d, firing every timer due up to the new
// time in (due time, scheduling order) order, with Now() equal to each
// timer's due time while it runs (or to the current time for a timer already
// overdue). Timers scheduled by callbacks fire too when they fall within the
// window. Afterwards Now() is the old time plus d. It panics if d < 0.
func (c *ManualClock) Advance(d time.Duration) {
	if d < 0 {
		panic(fmt.Sprintf("env: ManualClock.Advance(%v) would move time backwards", d))
	}
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	c.runUntil(target)
}

// Stall moves the clock forward by d without firing any timer: the caller
// has been busy for d (a simulated slow system call). Timers that fell due
// meanwhile fire on the next Advance, RunDue or FireNext, in (due time,
// scheduling order) order, with Now() left at the later time. It may be
// called from a timer callback. It panics if d < 0.
func (c *ManualClock) Stall(d time.Duration) {
	if d < 0 {
		panic(fmt.Sprintf("env: ManualClock.Stall(%v) would move time backwards", d))
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// RunDue fires the timers already due (AfterFunc(0, ...) and those due at
// Now()), including ones their callbacks schedule at no delay, without
// moving time.
func (c *ManualClock) RunDue() {
	c.runUntil(c.Now())
}

// FireNext fires the earliest pending timer, first moving time to its due
// time if that is later. It reports false, and does nothing, when no timer is
// pending.
func (c *ManualClock) FireNext() bool {
	c.mu.Lock()
	if len(c.timers) == 0 {
		c.mu.Unlock()
		return false
	}
	f := c.popLocked()
	c.mu.Unlock()
	f()
	return true
}

// Pending returns the number of timers scheduled and neither fired nor
// stopped.
func (c *ManualClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// NextDue returns the due time of the earliest pending timer; false when
// none is pending.
func (c *ManualClock) NextDue() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return time.Time{}, false
	}
	return c.timers[0].due, true
}

// runUntil fires every timer due at or before target, then sets the time to
// target if that is later.
func (c *ManualClock) runUntil(target time.Time) {
	var instant time.Time // the time of the previous firing
	streak := 0           // firings at instant
	for {
		c.mu.Lock()
		if len(c.timers) == 0 || c.timers[0].due.After(target) {
			if target.After(c.now) {
				c.now = target
			}
			c.mu.Unlock()
			return
		}
		f := c.popLocked()
		if c.now.Equal(instant) {
			streak++
		} else {
			instant, streak = c.now, 1
		}
		if streak > maxFiresPerInstant {
			c.mu.Unlock()
			panic(fmt.Sprintf("env: ManualClock fired more than %d timers at %v without time moving; a timer keeps rescheduling itself with no delay", maxFiresPerInstant, instant))
		}
		c.mu.Unlock()
		f()
	}
}

// popLocked removes the earliest timer, moves time to its due time when
// later, and returns the callback to run once the mutex is released.
func (c *ManualClock) popLocked() func() {
	t := heap.Pop(&c.timers).(*manualTimer)
	if t.due.After(c.now) {
		c.now = t.due
	}
	return t.f
}

// manualTimer is a timer of a ManualClock.
type manualTimer struct {
	clock *ManualClock
	due   time.Time
	seq   uint64
	f     func()
	index int // position in the clock's heap; -1 once fired or stopped
}

// Stop cancels the timer; it reports whether the call was prevented.
func (t *manualTimer) Stop() bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&c.timers, t.index)
	return true
}

// timerHeap is a min-heap of timers ordered by (due, seq); it implements
// heap.Interface and keeps each timer's index current.
type timerHeap []*manualTimer

func (h timerHeap) Len() int { return len(h) }

func (h timerHeap) Less(i, j int) bool {
	if h[i].due.Equal(h[j].due) {
		return h[i].seq < h[j].seq
	}
	return h[i].due.Before(h[j].due)
}

func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *timerHeap) Push(x any) {
	t := x.(*manualTimer)
	t.index = len(*h)
	*h = append(*h, t)
}

func (h *timerHeap) Pop() any {
	old := *h
	n := len(old)
	t := old[n-1]
	old[n-1] = nil
	t.index = -1
	*h = old[:n-1]
	return t
}
