package remoting

import (
	"cmp"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apogeemq/apogee/env"
)

// side is what the connections of one Server or one Client share: settings,
// the opaque counter, the pending bound and the owner's hooks.
type side struct {
	clock         env.Clock
	logger        *slog.Logger
	maxFrameBytes int
	maxPending    int64
	// onRequest dispatches a decoded request; it runs on the connection's
	// delivery callback.
	onRequest func(c *conn, req *Command)
	// onClosed runs once per connection, after its pending requests failed.
	onClosed func(c *conn, err error)

	opaque  atomic.Int32 // last opaque handed out
	pending atomic.Int64 // requests awaiting a response, all connections
}

// newSide builds the state a Client or Server shares with its connections,
// with defaults for zero limits. A maxFrameBytes over the configurable limit
// is a programming error and panics, naming owner.
func newSide(e env.Env, owner string, logger *slog.Logger, maxFrameBytes, maxPending int,
	onRequest func(*conn, *Command), onClosed func(*conn, error)) *side {
	if maxFrameBytes > maxConfigFrameBytes {
		panic(fmt.Sprintf("remoting: %s.MaxFrameBytes %d over the %d limit", owner, maxFrameBytes, maxConfigFrameBytes))
	}
	return &side{
		clock:         e.Clock,
		logger:        loggerOrDefault(logger),
		maxFrameBytes: orDefault(maxFrameBytes, DefaultMaxFrameBytes),
		maxPending:    int64(orDefault(maxPending, DefaultMaxPending)),
		onRequest:     onRequest,
		onClosed:      onClosed,
	}
}

// nextOpaque returns the next request id: 1, 2, ... skipping 0 when the
// counter wraps around.
func (s *side) nextOpaque() int32 {
	for {
		if op := s.opaque.Add(1); op != 0 {
			return op
		}
	}
}

// acquirePending takes one of the maxPending slots; false when none is left.
func (s *side) acquirePending() bool {
	if s.pending.Add(1) > s.maxPending {
		s.pending.Add(-1)
		return false
	}
	return true
}

// releasePending returns a slot taken by acquirePending.
func (s *side) releasePending() {
	if s.pending.Add(-1) < 0 {
		panic("remoting: pending request count went negative")
	}
}

// conn is one connection endpoint, used by both the Server and the Client.
// It implements Peer.
//
// The read side (prefix, frame) is touched only from onData, whose calls
// never overlap. Everything under mu may be touched from any goroutine: the
// Network's callbacks, timers, and handlers replying later.
type conn struct {
	side   *side
	id     uint64
	remote string

	// Read side: the frame being reassembled.
	prefix    [4]byte // the length field, while it is incomplete
	prefixLen int     // bytes of prefix received
	frame     []byte  // the frame so far, length field included
	frameLen  int     // announced size of frame; 0 while reading the prefix
	broken    atomic.Bool

	// inflight counts requests handed to handlers and not answered yet.
	inflight    atomic.Int64
	maxInflight int64

	mu       sync.Mutex
	nc       env.Conn // nil until the dial completes
	ready    bool     // writes go straight to nc (else they queue)
	queued   []*writeReq
	pending  map[int32]*pendingCall
	closed   bool
	closeErr error // why it closed, wrapping ErrConnClosed, once closed

	// Timeouts of the pending calls (see conn_invoke.go).
	deadlines []*pendingCall // min-heap by deadline
	seq       uint64         // calls sent so far, for pendingCall.seq
	timer     env.Timer      // armed for timerAt, or nil
	timerAt   time.Time
	timerGen  uint64 // identifies the armed timer; stale ones do nothing
}

// newConn returns an endpoint for remote. nc is nil for a connection still
// being dialed; its writes queue until dialed is called.
func newConn(s *side, id uint64, remote string, nc env.Conn, maxInflight int) *conn {
	return &conn{
		side:        s,
		id:          id,
		remote:      remote,
		maxInflight: int64(maxInflight),
		nc:          nc,
		ready:       nc != nil,
		pending:     make(map[int32]*pendingCall),
	}
}

// ID identifies the connection within its Server or Client.
func (c *conn) ID() uint64 { return c.id }

// RemoteAddr returns the peer's address.
func (c *conn) RemoteAddr() string { return c.remote }

// Close ends the connection: pending requests fail with ErrConnClosed and
// the owner's disconnect hook runs.
func (c *conn) Close() error {
	c.shutdown(nil)
	return nil
}

// start begins delivery on an accepted or dialed connection.
func (c *conn) start(nc env.Conn) {
	nc.Start(c.onData, c.shutdown)
}

// dialed completes the dial of a client connection: on success delivery
// starts and the writes queued meanwhile go out in order.
func (c *conn) dialed(nc env.Conn, err error) {
	if err != nil {
		c.shutdown(fmt.Errorf("dial: %w", err))
		return
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		_ = nc.Close()
		return
	}
	c.nc = nc
	c.mu.Unlock()
	c.start(nc)
	// Flush the queue without holding mu during Write; writes queued while
	// flushing are picked up by the next round, so order is kept.
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return
		}
		batch := c.queued
		c.queued = nil
		if len(batch) == 0 {
			c.ready = true
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		for _, w := range batch {
			nc.Write(w.bufs, w.doneFn)
		}
	}
}

// onData reassembles frames from the delivered chunk and dispatches each
// complete one. A frame that lies whole in the chunk is decoded where it
// lies, its body copied out, rather than assembled first (the chunk is only
// lent for the call). A bad length closes the connection.
func (c *conn) onData(p []byte) {
	for len(p) > 0 && !c.broken.Load() {
		if c.frameLen == 0 && c.prefixLen == 0 && len(p) >= len(c.prefix) {
			total, err := FrameLength(p, c.side.maxFrameBytes)
			if err != nil {
				c.fail(err)
				return
			}
			if total <= len(p) {
				c.deliver(p[:total], true)
				p = p[total:]
				continue
			}
		}
		if c.frameLen == 0 {
			n := copy(c.prefix[c.prefixLen:], p)
			c.prefixLen += n
			p = p[n:]
			if c.prefixLen < len(c.prefix) {
				return
			}
			c.prefixLen = 0
			total, err := FrameLength(c.prefix[:], c.side.maxFrameBytes)
			if err != nil {
				c.fail(err)
				return
			}
			c.frameLen = total
			c.frame = make([]byte, 0, min(total, max(initialFrameBufBytes, len(c.prefix)+len(p))))
			c.frame = append(c.frame, c.prefix[:]...)
		}
		n := min(c.frameLen-len(c.frame), len(p))
		c.frame = appendBounded(c.frame, p[:n], c.frameLen)
		p = p[n:]
		if len(c.frame) == c.frameLen {
			frame := c.frame
			c.frame, c.frameLen = nil, 0
			c.deliver(frame, false)
		}
	}
}

// appendBounded appends src to dst, growing dst's capacity at most to
// limit, which len(dst)+len(src) must not exceed.
func appendBounded(dst, src []byte, limit int) []byte {
	if need := len(dst) + len(src); need > cap(dst) {
		grown := make([]byte, len(dst), min(limit, max(need, 2*cap(dst))))
		copy(grown, dst)
		dst = grown
	}
	return append(dst, src...)
}

// deliver decodes one whole frame and dispatches it. A borrowed frame is
// the Network's buffer, so the body is copied out of it; otherwise the conn
// owns the frame from now on and a decoded Body aliases it.
func (c *conn) deliver(frame []byte, borrowed bool) {
	cmd, err := decodeFrame(frame, borrowed)
	if err != nil {
		c.fail(err)
		return
	}
	if cmd.IsResponse() {
		c.completeResponse(cmd)
		return
	}
	c.side.onRequest(c, cmd)
}

// fail closes the connection after a malformed frame, with one log line.
func (c *conn) fail(err error) {
	if c.broken.Swap(true) {
		return
	}
	c.side.logger.Warn("remoting: malformed frame, closing the connection",
		slog.String("remote", c.remote), slog.Uint64("conn", c.id), slog.Any("err", err))
	c.shutdown(fmt.Errorf("malformed frame: %w", err))
}

// shutdown ends the connection once, whoever asks first (Close, the
// Network's onClose, a failed dial, a malformed frame): it closes the
// env.Conn, fails queued writes and pending requests, and tells the owner.
// cause is nil for a clean close.
func (c *conn) shutdown(cause error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.closeErr = fmt.Errorf("remoting: connection %s: %w", c.remote, ErrConnClosed)
	if cause != nil {
		c.closeErr = fmt.Errorf("remoting: connection %s: %w: %w", c.remote, ErrConnClosed, cause)
	}
	err := c.closeErr
	nc := c.nc
	queued := c.queued
	c.queued = nil
	calls := make([]*pendingCall, 0, len(c.pending))
	for _, p := range c.pending {
		calls = append(calls, p)
	}
	clear(c.pending)
	c.stopTimerLocked()
	c.mu.Unlock()

	if nc != nil {
		_ = nc.Close()
	}
	for _, w := range queued {
		w.done(err)
	}
	// Complete in opaque order: map order must not leak into behaviour.
	slices.SortFunc(calls, func(a, b *pendingCall) int { return cmp.Compare(a.opaque, b.opaque) })
	for _, p := range calls {
		callErr := fmt.Errorf("request code %d: %w", p.code, err)
		cb := p.release()
		c.side.releasePending()
		cb(nil, callErr)
	}
	c.side.onClosed(c, cause)
}

// closedErr returns why the connection closed, or nil while it is open.
func (c *conn) closedErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeErr
}
