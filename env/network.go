package env

import (
	"errors"
	"time"
)

// Network connects processes. It is callback driven, like the rest of the
// seam: nothing blocks waiting for a peer. The real implementation (TCP)
// runs a reader and a writer goroutine per connection inside env and calls
// the handlers from them; a simulated one calls them from its event loop.
// Addresses are "host:port" strings.
type Network interface {
	// Listen accepts connections on addr ("127.0.0.1:0" picks a free port).
	// accept is called once per accepted connection, which stays idle until
	// the callee calls Start on it. Calls of accept never overlap, so a slow
	// accept delays the next connection.
	Listen(addr string, accept func(Conn)) (Listener, error)
	// Dial connects to addr and calls done exactly once, with the idle
	// connection or the reason it failed (including the timeout). done is
	// never called from inside Dial. A timeout <= 0 means no limit but the
	// operating system's.
	Dial(addr string, timeout time.Duration, done func(Conn, error))
}

// Listener is a listening endpoint.
type Listener interface {
	// Addr returns the address actually bound ("127.0.0.1:41234").
	Addr() string
	// Close stops accepting. Connections already accepted stay open. It is
	// safe to call more than once.
	Close() error
}

// Conn is one connection, a reliable ordered byte stream.
type Conn interface {
	// LocalAddr returns this end's "host:port".
	LocalAddr() string
	// RemoteAddr returns the peer's "host:port".
	RemoteAddr() string
	// Start begins delivery. onData receives the bytes that arrive, in
	// order, in chunks of any size; the slice is valid only during the call
	// and calls never overlap. onClose is called once when the connection
	// ends, after the last onData: err is nil when the peer closed cleanly
	// or Close was called, else why it broke. Start is called once; calling
	// it again is a bug and panics. Writes made before Start are held and
	// sent once Start is called.
	//
	// Writes made while onData runs (answers to the requests it carries,
	// typically) may be held until it returns and then sent together, by
	// the goroutine that called onData: a burst of requests answered at
	// once costs one system call, and a single request one wake-up. So
	// onData must not wait for its own writes to leave, which it could not
	// do anyway: like every handler, it must not block.
	Start(onData func([]byte), onClose func(err error))
	// Write queues bufs to be sent, in order after earlier writes, and
	// returns at once. The connection sends queued writes together (one
	// writev for all that are pending), so many small writes cost few
	// system calls; the bytes of one Write are never interleaved with those
	// of another. done, if not nil, is called once the bytes were handed
	// to the operating system, or with the error that stopped them; the
	// caller must not modify bufs before then. The done callbacks of one
	// connection are called in Write order, never from inside onData, and
	// never concurrently with each other. They may run on the goroutine
	// that calls onData, between two onData calls (after sending writes
	// held during the first), or on another goroutine, concurrently with
	// onData; a done callback must therefore not block either, since it
	// may delay the delivery of the next bytes.
	//
	// An error never reaches done from inside Write, but success may: a
	// Write made outside onData while nothing else is queued or being sent
	// may hand its bytes to the operating system on the caller's goroutine
	// and, when they were all taken, call done(nil) before it returns
	// (TCPNetwork does, so that a request leaves without a hand-over to
	// another goroutine; MemNetwork never does). The caller must therefore
	// not hold, across Write, a lock that done takes.
	//
	// Writing to a closed connection calls done with an error matching
	// ErrConnClosed. A Write that would queue more than the connection's
	// bound of unsent bytes fails with ErrWriteQueueFull and closes the
	// connection: a peer that stops reading must not pin unbounded memory.
	Write(bufs [][]byte, done func(error))
	// Close ends the connection; queued writes are dropped (their done gets
	// an error matching ErrConnClosed). It is safe to call more than once and
	// from any goroutine, including from inside onData; it does not wait
	// for the handlers to return.
	Close() error
}

// Errors of a Network. Implementations wrap them with context; match them
// with errors.Is.
var (
	// ErrConnRefused: nothing listens at the dialed address.
	ErrConnRefused = errors.New("env: connection refused")
	// ErrDialTimeout: the connection was not established within the
	// timeout given to Dial.
	ErrDialTimeout = errors.New("env: dial timed out")
	// ErrAddrInUse: Listen was asked for an address already bound.
	ErrAddrInUse = errors.New("env: address already in use")
	// ErrConnClosed: the connection was closed (by either end) before the
	// write could be handed over.
	ErrConnClosed = errors.New("env: connection closed")
	// ErrConnReset: the peer reset the connection or the stream broke.
	ErrConnReset = errors.New("env: connection reset")
	// ErrWriteQueueFull: a Write would have queued more unsent bytes than
	// the connection allows; the connection was closed.
	ErrWriteQueueFull = errors.New("env: write queue full")
)
