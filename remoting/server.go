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

// Handler serves one request. It must not block: it answers by calling reply
// exactly once, at once or later and from any goroutine, or, for a body held
// in separate buffers, by calling p.ReplyParts instead. The transport writes
// the reply with req's opaque and serialization and the response bit,
// overwriting those fields of the reply, which belongs to the transport from
// then on. A reply to a request with the oneway bit is dropped, and may be
// left out. req, its ExtFields and its Body belong to the handler.
type Handler func(p Peer, req *Command, reply func(*Command))

// Peer is a client connected to a Server, as handlers see it.
type Peer interface {
	// ID identifies the connection within its Server: 1, 2, ... in the order
	// connections were accepted.
	ID() uint64
	// RemoteAddr returns the client's address.
	RemoteAddr() string
	// Invoke sends a request to the client (NOTIFY_CONSUMER_IDS_CHANGED,
	// CHECK_TRANSACTION_STATE, ...) and calls cb once with the response, or
	// with an error wrapping ErrTimeout, ErrConnClosed, ErrTooManyPending,
	// ErrInvalidTimeout or a codec error. It sets req.Opaque (from the
	// Server's counter) and clears req's flag bits. cb never runs inside
	// Invoke; it may run on any goroutine.
	Invoke(req *Command, timeout time.Duration, cb func(*Command, error))
	// InvokeOneway sends a request with the oneway bit and a fresh opaque,
	// expecting nothing back. It fails only when the request cannot be
	// encoded or the connection is closed.
	InvokeOneway(req *Command) error
	// ReplyParts answers req, instead of the handler's reply, with resp
	// whose body is resp.Body followed by parts. The parts (record slices of
	// a mapped CommitLog, say) are handed to the Network without being
	// copied; release is called once when they are no longer needed: after
	// they were written, or with the error that stopped them (a closed
	// connection, an unencodable resp), or with nil when the reply is
	// dropped because req was oneway. It may be called before ReplyParts
	// returns (a reply the Network sends at once), so the caller must not
	// hold a lock that release takes. release may be nil.
	ReplyParts(req *Command, resp *Command, parts [][]byte, release func(error))
	// Close closes the connection. Its pending requests fail with
	// ErrConnClosed and the Server's disconnect hook runs.
	Close() error
}

// ServerConfig configures a Server. Zero values take the defaults.
type ServerConfig struct {
	// ListenAddr is the address to listen on, e.g. ":9876" or
	// "127.0.0.1:0" (a free port; see Addr).
	ListenAddr string
	// MaxFrameBytes bounds a frame, both ways (default DefaultMaxFrameBytes,
	// at most 1 GiB).
	MaxFrameBytes int
	// MaxPending bounds the server-initiated requests awaiting a response,
	// all connections together (default DefaultMaxPending).
	MaxPending int
	// MaxInflightPerConn bounds the requests of one connection handed to
	// handlers and not answered yet (default DefaultMaxInflightPerConn).
	// Requests beyond it are answered SYSTEM_BUSY.
	MaxInflightPerConn int
	// Logger receives the transport's log lines (default slog.Default()).
	Logger *slog.Logger
}

// Server accepts connections and serves requests on them. Its methods are
// safe for concurrent use.
type Server struct {
	env         env.Env
	cfg         ServerConfig
	side        *side
	maxInflight int

	mu           sync.Mutex
	listener     env.Listener
	conns        map[uint64]*conn
	closed       bool
	onDisconnect func(Peer)

	hmu      sync.RWMutex // guards handlers and fallback, read per request
	handlers map[int32]Handler
	fallback Handler

	nextID atomic.Uint64
}

// NewServer returns a Server that will listen on cfg.ListenAddr once
// started. It panics on a configuration out of range (a MaxFrameBytes over
// 1 GiB), which is a programming error.
func NewServer(e env.Env, cfg ServerConfig) *Server {
	s := &Server{
		env:         e,
		cfg:         cfg,
		maxInflight: orDefault(cfg.MaxInflightPerConn, DefaultMaxInflightPerConn),
		conns:       make(map[uint64]*conn),
		handlers:    make(map[int32]Handler),
	}
	s.side = newSide(e, "ServerConfig", cfg.Logger, cfg.MaxFrameBytes, cfg.MaxPending, s.serve, s.connClosed)
	return s
}

// Handle registers h for requests with code, replacing any earlier one.
func (s *Server) Handle(code int32, h Handler) {
	s.hmu.Lock()
	defer s.hmu.Unlock()
	s.handlers[code] = h
}

// HandleDefault registers h for the codes without a handler of their own.
// Without one they are answered REQUEST_CODE_NOT_SUPPORTED.
func (s *Server) HandleDefault(h Handler) {
	s.hmu.Lock()
	defer s.hmu.Unlock()
	s.fallback = h
}

// OnDisconnect registers f to run once for every connection that ends,
// whoever ended it, after its pending requests failed.
func (s *Server) OnDisconnect(f func(p Peer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onDisconnect = f
}

// Start listens on cfg.ListenAddr.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.listener != nil {
		return fmt.Errorf("remoting: server on %s already started", s.listener.Addr())
	}
	l, err := s.env.Net.Listen(s.cfg.ListenAddr, s.accept)
	if err != nil {
		return fmt.Errorf("remoting: listen on %q: %w", s.cfg.ListenAddr, err)
	}
	s.listener = l
	return nil
}

// Addr returns the address the server listens on, or "" before Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener == nil {
		return ""
	}
	return s.listener.Addr()
}

// Close stops listening and closes every connection; their disconnect hooks
// run before Close returns. Close is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	l := s.listener
	conns := make([]*conn, 0, len(s.conns))
	for _, c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()

	var err error
	if l != nil {
		err = l.Close()
	}
	slices.SortFunc(conns, func(a, b *conn) int { return cmp.Compare(a.id, b.id) })
	for _, c := range conns {
		c.shutdown(nil)
	}
	return err
}

// accept adopts a new connection and starts delivery on it.
func (s *Server) accept(nc env.Conn) {
	c := newConn(s.side, s.nextID.Add(1), nc.RemoteAddr(), nc, s.maxInflight)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = nc.Close()
		return
	}
	s.conns[c.id] = c
	s.mu.Unlock()
	c.start(nc)
}

// connClosed forgets a connection and runs the disconnect hook.
func (s *Server) connClosed(c *conn, cause error) {
	s.mu.Lock()
	delete(s.conns, c.id)
	hook := s.onDisconnect
	s.mu.Unlock()
	if cause != nil && !c.broken.Load() { // a malformed frame was logged already
		s.side.logger.Debug("remoting: connection ended", slog.String("remote", c.remote), slog.Uint64("conn", c.id), slog.Any("cause", cause))
	}
	if hook != nil {
		hook(c)
	}
}

// handler returns the handler for code: its own, the default, or nil.
func (s *Server) handler(code int32) Handler {
	s.hmu.RLock()
	defer s.hmu.RUnlock()
	if h, ok := s.handlers[code]; ok {
		return h
	}
	return s.fallback
}

// serve dispatches one request to its handler, within the connection's
// in-flight bound. Oneway requests are not counted: nothing is written for
// them, so their handlers may skip the reply.
func (s *Server) serve(c *conn, req *Command) {
	to := replyToOf(req)
	if !to.oneway && c.inflight.Add(1) > c.maxInflight {
		c.inflight.Add(-1)
		c.writeReply(to, NewResponse(req, ResSystemBusy,
			fmt.Sprintf("too many requests in flight on this connection (limit %d)", c.maxInflight)), nil, nil)
		return
	}
	h := s.handler(req.Code)
	if h == nil {
		c.answered(to)
		c.writeReply(to, NewResponse(req, ResRequestCodeNotSupported,
			fmt.Sprintf("request code %d not supported", req.Code)), nil, nil)
		return
	}
	var replied atomic.Bool
	h(c, req, func(resp *Command) {
		if replied.Swap(true) {
			panic(fmt.Sprintf("remoting: request code %d (opaque %d) answered twice", to.code, to.opaque))
		}
		c.answered(to)
		c.writeReply(to, resp, nil, nil)
	})
}

// Invoke sends a request to the client on this connection (see Peer).
func (c *conn) Invoke(req *Command, timeout time.Duration, cb func(*Command, error)) {
	c.invoke(req, timeout, cb)
}

// InvokeOneway sends a oneway request to the client (see Peer).
func (c *conn) InvokeOneway(req *Command) error { return c.sendOneway(req) }

// ReplyParts answers req with resp and a body in parts (see Peer).
func (c *conn) ReplyParts(req *Command, resp *Command, parts [][]byte, release func(error)) {
	to := replyToOf(req)
	c.answered(to)
	c.writeReply(to, resp, parts, release)
}

// answered counts the request to as answered, unless it was oneway and so
// never counted.
func (c *conn) answered(to replyTo) {
	if to.oneway {
		return
	}
	if c.inflight.Add(-1) < 0 {
		panic("remoting: more replies than requests on a connection")
	}
}
