package remoting

import (
	"fmt"
	"time"

	"github.com/apogeemq/apogee/env"
)

// pendingCall is a request awaiting its response.
type pendingCall struct {
	opaque  int32
	code    int32         // request code, for error messages
	timeout time.Duration // for error messages
	timer   env.Timer
	cb      func(*Command, error)
}

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

	p := &pendingCall{opaque: opaque, code: req.Code, timeout: timeout, cb: cb}
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
	c.pending[opaque] = p
	p.timer = s.clock.AfterFunc(timeout, func() { c.expire(opaque) })
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
	p.timer.Stop()
	c.side.releasePending()
	p.cb(resp, nil)
}

// expire fails the pending call with opaque when its timer fires first.
func (c *conn) expire(opaque int32) {
	p := c.take(opaque)
	if p == nil {
		return
	}
	c.side.releasePending()
	p.cb(nil, fmt.Errorf("remoting: request code %d to %s: %w after %v", p.code, c.remote, ErrTimeout, p.timeout))
}

// failPending fails the pending call with opaque, if it is still pending.
func (c *conn) failPending(opaque int32, err error) {
	p := c.take(opaque)
	if p == nil {
		return
	}
	p.timer.Stop()
	c.side.releasePending()
	p.cb(nil, fmt.Errorf("request code %d: %w", p.code, err))
}
