package env

import "time"

// Network connects processes. It is callback driven, like the rest of the
// seam: nothing blocks waiting for a peer. The real implementation (TCP)
// runs a reader and a writer goroutine per connection inside env and calls
// the handlers from them; a simulated one calls them from its event loop.
// Addresses are "host:port" strings.
type Network interface {
	// Listen accepts connections on addr ("127.0.0.1:0" picks a free port).
	// accept is called once per accepted connection, which stays idle until
	// the callee calls Start on it.
	Listen(addr string, accept func(Conn)) (Listener, error)
	// Dial connects to addr and calls done exactly once, with the idle
	// connection or the reason it failed (including the timeout).
	Dial(addr string, timeout time.Duration, done func(Conn, error))
}

// Listener is a listening endpoint.
type Listener interface {
	// Addr returns the address actually bound ("127.0.0.1:41234").
	Addr() string
	// Close stops accepting. Connections already accepted stay open.
	Close() error
}

// Conn is one connection, a reliable ordered byte stream.
type Conn interface {
	LocalAddr() string
	RemoteAddr() string
	// Start begins delivery. onData receives the bytes that arrive, in
	// order, in chunks of any size; the slice is valid only during the call
	// and calls never overlap. onClose is called once when the connection
	// ends, after the last onData: err is nil when the peer closed cleanly
	// or Close was called, else why it broke. Start is called once.
	Start(onData func([]byte), onClose func(err error))
	// Write queues bufs to be sent, in order after earlier writes, and
	// returns at once. The connection sends queued writes together (one
	// writev for all that are pending), so many small writes cost few
	// system calls. done, if not nil, is called once the bytes were handed
	// to the operating system, or with the error that stopped them; the
	// caller must not modify bufs before then. Writing to a closed
	// connection calls done with an error.
	Write(bufs [][]byte, done func(error))
	// Close ends the connection; queued writes are dropped (their done gets
	// an error). It is safe to call more than once and from any goroutine.
	Close() error
}
