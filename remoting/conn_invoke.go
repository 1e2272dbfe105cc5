package remoting

import (
	"fmt"
	"sync"
	"time"
)

// pendingCall is a request awaiting its response. pendingCalls are pooled:
// one is referenced only by its conn's pending map and deadline heap, both
// under c.mu, and whoever removes it from them (a response, a timeout, a
// failed write, the close) reads what it needs and returns it with
// release before calling back.
type pendingCall struct {
	opaque   int32
	code     int32         // request code, for error messages
	timeout  time.Duration // for error messages
	deadline time.Time     // when it times out
	seq      uint64        // orders calls with equal deadlines: first sent, first expired
	index    int           // position in the conn's deadline heap
	cb       func(*Command, error)
}

var pendingPool = sync.Pool{New: func() any { return new(pendingCall) }}

// release returns p, removed from its conn, to the pool and hands back its
// callback.
func (p *pendingCall) release() func(*Command, error) {
	cb := p.cb
	*p = pendingCall{}
	pendingPool.Put(p)
	return cb
}

// Timeouts. A connection keeps its pending calls in a min-heap by deadline
// (c.deadlines) and at most one clock timer, armed for a time no later than
// the earliest deadline (c.timerAt). Arming a timer per request and stopping
// it at the response would cost two timer operations and allocations per
// round trip; here a request whose deadline comes after the armed time (the
// common case: requests with one timeout, sent one after the other) costs
// a heap push and pop and no timer operation. The timer is left armed when
// the heap empties: when it fires it fails what is due, if anything, and
// arms itself for the new earliest deadline. So a request still fails
// exactly when its deadline passes, and a connection's idle timer fires at
// most once per timeout.

// invoke sends req and calls cb once with its response or the reason there
// is none. cb never runs on the caller's stack: errors found before the
// request is sent are reported through the clock.
func (c *conn) invoke(req *Command, timeout time.Duration, cb func(*Command, error)) {
	if cb == nil {
		panic("remoting: Invoke with a nil callback")
	}
	s := c.side
	if timeout <= 0 {
		c.failLater(cb, fmt.Errorf("remoting: request code %d to %s: %w (got %v)", req.Code, c.remote, ErrInvalidTimeout, timeout))
		return
	}
	if !s.acquirePending() {
		c.failLater(cb, fmt.Errorf("remoting: request code %d to %s: %w (max %d)", req.Code, c.remote, ErrTooManyPending, s.maxPending))
		return
	}
	opaque := s.nextOpaque()
	req.Opaque = opaque
	req.Flag &^= FlagResponse | FlagOneway
	w, err := c.encode(req, nil)
	if err != nil {
		s.releasePending()
		c.failLater(cb, fmt.Errorf("remoting: request to %s: %w", c.remote, err))
		return
	}
	w.opaque, w.awaits = opaque, true

	now := s.clock.Now()
	c.mu.Lock()
	if c.closed {
		err := c.closeErr
		c.mu.Unlock()
		s.releasePending()
		w.recycle()
		c.failLater(cb, fmt.Errorf("request code %d: %w", req.Code, err))
		return
	}
	if _, taken := c.pending[opaque]; taken {
		// Only possible after 2^32 requests with one of them still pending.
		c.mu.Unlock()
		s.releasePending()
		w.recycle()
		c.failLater(cb, fmt.Errorf("remoting: request code %d to %s: opaque %d still in use: %w", req.Code, c.remote, opaque, ErrTooManyPending))
		return
	}
	p := pendingPool.Get().(*pendingCall)
	*p = pendingCall{opaque: opaque, code: req.Code, timeout: timeout, deadline: now.Add(timeout), cb: cb}
	c.pending[opaque] = p
	c.seq++
	p.seq = c.seq
	c.pushDeadlineLocked(p)
	c.armTimerLocked(now)
	c.mu.Unlock()
	c.submit(w)
}

// failLater reports err to cb from a clock callback, off the caller's stack.
func (c *conn) failLater(cb func(*Command, error), err error) {
	c.side.clock.AfterFunc(0, func() { cb(nil, err) })
}

// take removes and returns the pending call with opaque, or nil.
func (c *conn) take(opaque int32) *pendingCall {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pending[opaque]
	if p != nil {
		delete(c.pending, opaque)
		c.removeDeadlineLocked(p)
	}
	return p
}

// completeResponse completes the request resp answers. A response nobody
// waits for (timed out, or to a oneway request) is dropped, as the Go
// client does.
func (c *conn) completeResponse(resp *Command) {
	p := c.take(resp.Opaque)
	if p == nil {
		return
	}
	cb := p.release()
	c.side.releasePending()
	cb(resp, nil)
}

// failPending fails the pending call with opaque, if it is still pending.
func (c *conn) failPending(opaque int32, err error) {
	p := c.take(opaque)
	if p == nil {
		return
	}
	err = fmt.Errorf("request code %d: %w", p.code, err)
	cb := p.release()
	c.side.releasePending()
	cb(nil, err)
}

// armTimerLocked makes sure a timer is armed no later than the earliest
// deadline: it arms one when none is, or replaces one armed for later. now
// is the clock's current time. The caller holds c.mu.
func (c *conn) armTimerLocked(now time.Time) {
	if len(c.deadlines) == 0 || c.closed {
		return
	}
	next := c.deadlines[0].deadline
	if c.timer != nil {
		if !next.Before(c.timerAt) {
			return
		}
		c.timer.Stop() // if it fires anyway, its generation is stale
	}
	c.timerGen++
	gen := c.timerGen
	c.timerAt = next
	c.timer = c.side.clock.AfterFunc(next.Sub(now), func() { c.expireDue(gen) })
}

// expireDue runs when the timer of generation gen fires: it fails every
// call whose deadline has passed, earliest first, and arms the timer for
// the next deadline.
func (c *conn) expireDue(gen uint64) {
	c.mu.Lock()
	if gen != c.timerGen || c.closed {
		c.mu.Unlock() // replaced by a timer armed for earlier, or closed
		return
	}
	c.timer = nil
	now := c.side.clock.Now()
	var due []*pendingCall
	for len(c.deadlines) > 0 && !c.deadlines[0].deadline.After(now) {
		p := c.deadlines[0]
		c.removeDeadlineLocked(p)
		delete(c.pending, p.opaque)
		due = append(due, p)
	}
	c.armTimerLocked(now)
	c.mu.Unlock()
	for _, p := range due {
		err := fmt.Errorf("remoting: request code %d to %s: %w after %v", p.code, c.remote, ErrTimeout, p.timeout)
		cb := p.release()
		c.side.releasePending()
		cb(nil, err)
	}
}

// stopTimerLocked disarms the timer of a closing connection. The caller
// holds c.mu.
func (c *conn) stopTimerLocked() {
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	c.timerGen++
	clear(c.deadlines)
	c.deadlines = c.deadlines[:0]
}

// The deadline heap: c.deadlines is a binary min-heap of the pending calls
// ordered by (deadline, seq), and each call's index is its position in it.

// deadlineBefore reports whether a expires before b.
func deadlineBefore(a, b *pendingCall) bool {
	if !a.deadline.Equal(b.deadline) {
		return a.deadline.Before(b.deadline)
	}
	return a.seq < b.seq
}

// pushDeadlineLocked adds p to the heap. The caller holds c.mu.
func (c *conn) pushDeadlineLocked(p *pendingCall) {
	p.index = len(c.deadlines)
	c.deadlines = append(c.deadlines, p)
	c.siftUpLocked(p.index)
}

// removeDeadlineLocked takes p out of the heap. The caller holds c.mu.
func (c *conn) removeDeadlineLocked(p *pendingCall) {
	i, last := p.index, len(c.deadlines)-1
	if i < 0 || i > last || c.deadlines[i] != p {
		panic(fmt.Sprintf("remoting: pending call %d is not in the deadline heap at %d", p.opaque, i))
	}
	if i != last {
		c.swapDeadlinesLocked(i, last)
	}
	c.deadlines[last] = nil
	c.deadlines = c.deadlines[:last]
	p.index = -1
	if i != last {
		c.siftDownLocked(i)
		c.siftUpLocked(i)
	}
}

// siftUpLocked moves the call at i up to its place.
func (c *conn) siftUpLocked(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !deadlineBefore(c.deadlines[i], c.deadlines[parent]) {
			return
		}
		c.swapDeadlinesLocked(i, parent)
		i = parent
	}
}

// siftDownLocked moves the call at i down to its place.
func (c *conn) siftDownLocked(i int) {
	h := c.deadlines
	for {
		least := i
		if l := 2*i + 1; l < len(h) && deadlineBefore(h[l], h[least]) {
			least = l
		}
		if r := 2*i + 2; r < len(h) && deadlineBefore(h[r], h[least]) {
			least = r
		}
		if least == i {
			return
		}
		c.swapDeadlinesLocked(i, least)
		i = least
	}
}

// swapDeadlinesLocked swaps two heap entries and their indexes.
func (c *conn) swapDeadlinesLocked(i, j int) {
	h := c.deadlines
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
