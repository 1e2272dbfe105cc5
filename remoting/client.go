package remoting

import (
	"cmp"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/apogeemq/apogee/env"
)

// ClientHandler serves a request a server pushed to the client
// (NOTIFY_CONSUMER_IDS_CHANGED, GET_CONSUMER_RUNNING_INFO, ...). addr is the
// server's address. It returns the reply, or nil for none; the transport
// writes the reply with req's opaque and serialization and the response
// bit. It runs on the connection's delivery callback and must not block.
type ClientHandler func(addr string, req *Command) *Command

// ClientConfig configures a Client. Zero values take the defaults.
type ClientConfig struct {
	// MaxFrameBytes bounds a frame, both ways (default DefaultMaxFrameBytes,
	// at most 1 GiB).
	MaxFrameBytes int
	// MaxPending bounds the requests awaiting a response, all addresses
	// together (default DefaultMaxPending). Requests beyond it fail at once
	// with ErrTooManyPending.
	MaxPending int
	// DialTimeout bounds a connection attempt (default DefaultDialTimeout).
	DialTimeout time.Duration
	// Logger receives the transport's log lines (default slog.Default()).
	Logger *slog.Logger
}

// Client sends requests to servers by address, over one connection per
// address, opened on first use. A request made while its connection is
// being dialed waits for the dial (within its own timeout); a connection
// that ends is forgotten, and the next request to its address dials anew.
// Opaques come from one client-wide counter starting at 1. Its methods are
// safe for concurrent use.
type Client struct {
	env         env.Env
	side        *side
	dialTimeout time.Duration

	mu     sync.Mutex
	conns  map[string]*conn
	closed bool
	nextID uint64

	hmu      sync.RWMutex // guards handlers, read per pushed request
	handlers map[int32]ClientHandler
}

// NewClient returns a Client. It panics on a configuration out of range (a
// MaxFrameBytes over 1 GiB), which is a programming error.
func NewClient(e env.Env, cfg ClientConfig) *Client {
	cl := &Client{
		env:         e,
		dialTimeout: orDefault(cfg.DialTimeout, DefaultDialTimeout),
		conns:       make(map[string]*conn),
		handlers:    make(map[int32]ClientHandler),
	}
	cl.side = newSide(e, "ClientConfig", cfg.Logger, cfg.MaxFrameBytes, cfg.MaxPending, cl.serve, cl.connClosed)
	return cl
}

// Handle registers h for server-pushed requests with code, replacing any
// earlier one. Pushed requests without a handler are answered
// REQUEST_CODE_NOT_SUPPORTED.
func (cl *Client) Handle(code int32, h ClientHandler) {
	cl.hmu.Lock()
	defer cl.hmu.Unlock()
	cl.handlers[code] = h
}

// Invoke sends req to addr and calls cb once with the response, or with an
// error wrapping ErrTimeout (no response within timeout, dial included),
// ErrConnClosed (the connection ended or could not be opened),
// ErrTooManyPending, ErrInvalidTimeout, ErrClosed or a codec error. It sets
// req.Opaque and clears req's flag bits; req must not be reused until cb
// runs. cb never runs inside Invoke; it may run on any goroutine.
func (cl *Client) Invoke(addr string, req *Command, timeout time.Duration, cb func(*Command, error)) {
	c, err := cl.conn(addr)
	if err != nil {
		if cb == nil {
			panic("remoting: Invoke with a nil callback")
		}
		cl.side.clock.AfterFunc(0, func() { cb(nil, err) })
		return
	}
	c.invoke(req, timeout, cb)
}

// InvokeOneway sends req to addr with the oneway bit and a fresh opaque,
// expecting nothing back. It fails only when the client is closed, the
// connection is known closed, or req cannot be encoded; a request queued
// behind a dial that then fails is lost.
func (cl *Client) InvokeOneway(addr string, req *Command) error {
	c, err := cl.conn(addr)
	if err != nil {
		return err
	}
	return c.sendOneway(req)
}

// InvokeSync is Invoke that blocks until the response or the error. It is
// for tests and tools only: never call it from a handler, a callback or the
// simulator, where nothing else runs while it waits. It parks on an
// env.Latch, so that the answer reaches it without another thread being
// woken.
func (cl *Client) InvokeSync(addr string, req *Command, timeout time.Duration) (*Command, error) {
	var resp *Command
	var err error
	l := env.NewLatch()
	cl.Invoke(addr, req, timeout, func(r *Command, e error) {
		resp, err = r, e
		l.Open()
	})
	l.Wait()
	return resp, err
}

// CloseConn closes the connection to addr, if any: its pending requests
// fail with ErrConnClosed, and the next request to addr dials anew.
func (cl *Client) CloseConn(addr string) {
	cl.mu.Lock()
	c := cl.conns[addr]
	cl.mu.Unlock()
	if c != nil {
		c.shutdown(nil)
	}
}

// Close closes every connection, failing their pending requests with
// ErrConnClosed; later requests fail with ErrClosed. Close is idempotent.
func (cl *Client) Close() error {
	cl.mu.Lock()
	if cl.closed {
		cl.mu.Unlock()
		return nil
	}
	cl.closed = true
	conns := make([]*conn, 0, len(cl.conns))
	for _, c := range cl.conns {
		conns = append(conns, c)
	}
	cl.mu.Unlock()
	slices.SortFunc(conns, func(a, b *conn) int { return cmp.Compare(a.id, b.id) })
	for _, c := range conns {
		c.shutdown(nil)
	}
	return nil
}

// conn returns the connection to addr, starting a dial when there is none.
func (cl *Client) conn(addr string) (*conn, error) {
	cl.mu.Lock()
	if cl.closed {
		cl.mu.Unlock()
		return nil, fmt.Errorf("remoting: client: %w", ErrClosed)
	}
	if c, ok := cl.conns[addr]; ok {
		cl.mu.Unlock()
		return c, nil
	}
	cl.nextID++
	c := newConn(cl.side, cl.nextID, addr, nil, 0)
	cl.conns[addr] = c
	cl.mu.Unlock()
	cl.env.Net.Dial(addr, cl.dialTimeout, c.dialed)
	return c, nil
}

// connClosed forgets a connection that ended.
func (cl *Client) connClosed(c *conn, cause error) {
	cl.mu.Lock()
	if cl.conns[c.remote] == c {
		delete(cl.conns, c.remote)
	}
	cl.mu.Unlock()
	if cause != nil && !c.broken.Load() { // a malformed frame was logged already
		cl.side.logger.Debug("remoting: connection ended", slog.String("remote", c.remote), slog.Any("cause", cause))
	}
}

// serve answers a request the server pushed.
func (cl *Client) serve(c *conn, req *Command) {
	cl.hmu.RLock()
	h := cl.handlers[req.Code]
	cl.hmu.RUnlock()
	to := replyToOf(req)
	if h == nil {
		c.writeReply(to, NewResponse(req, ResRequestCodeNotSupported,
			fmt.Sprintf("request code %d not supported", req.Code)), nil, nil)
		return
	}
	if resp := h(c.remote, req); resp != nil {
		c.writeReply(to, resp, nil, nil)
	}
}
