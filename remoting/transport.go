package remoting

// The transport: a Server and a Client that carry Commands over the env
// Network seam (spec/remoting.md §1).
//
// # Model
//
// Both sides share one connection endpoint (conn.go). It reassembles frames
// from the byte chunks the Network delivers, decodes each one whole, and
// dispatches it: a response (FlagResponse set) completes the pending request
// with its opaque, and a response whose opaque is unknown (timed out, or the
// answer to a oneway request) is dropped silently, as the Go client does; a
// request goes to the handler registered for its code. One connection carries
// requests in both directions, so a server can invoke its clients too
// (NOTIFY_CONSUMER_IDS_CHANGED and the other broker-to-client calls).
//
// Nothing blocks and nothing spawns: frames are dispatched from the
// Network's delivery callback, writes are handed to the env.Conn (which
// coalesces pending writes into one writev, sends the replies a delivery
// produced when it returns, and sends a request made while nothing else is
// queued at once, from the caller's goroutine), and timeouts are env.Clock
// timers: one per connection, armed for its earliest deadline
// (conn_invoke.go). Handlers must therefore not block either; they answer
// through their reply callback, at once or later and from any goroutine.
// A write's completion (writeReq.done) may run inside the Write that
// handed it over, but only for a write that succeeded: it then recycles
// the frame's buffers and calls ReplyParts' release, and never completes a
// request, so Invoke's callback still never runs inside Invoke.
//
// A frame that arrives whole in one delivered chunk, the common case, is
// decoded straight from the Network's buffer: only its body is copied out,
// and the header's strings are copied by the decoder. A frame split
// across chunks is reassembled first and its body aliases that buffer.
//
// # Invariants
//
//   - Every request sent with Invoke completes exactly once: with its
//     response, with ErrTimeout when its deadline passes first, with
//     ErrConnClosed when its connection ends first, or with the error that
//     kept it from being sent. The callback is never run on the caller's stack
//     inside Invoke.
//   - A frame that cannot be decoded closes only the connection it arrived on,
//     with one log line; other connections never notice.
//   - A reply is written with its request's opaque, serialization and the
//     response bit, whatever the handler put there.
//   - Bodies are never copied on the way out: the frame head is encoded into a
//     pooled buffer and handed to the Network together with the body slices.
//
// # Bounds
//
//   - A frame is at most MaxFrameBytes (DefaultMaxFrameBytes, 16 MiB, unless
//     configured), length field included, both ways. A longer announced
//     frame closes the connection before any of it is buffered; a longer
//     outgoing one fails with ErrFrameTooLarge. The reassembly buffer of a
//     connection grows with the bytes actually received, never past the
//     frame size, so a peer that announces a huge frame and sends nothing
//     costs nothing.
//   - Requests waiting for a response are at most MaxPending per Client or
//     per Server (DefaultMaxPending); more fail at once with
//     ErrTooManyPending. Oneway requests queued behind a dial in progress
//     are bounded by the same number.
//   - Requests a server has handed to handlers and not yet answered are at
//     most MaxInflightPerConn per connection (DefaultMaxInflightPerConn);
//     more are answered SYSTEM_BUSY without reaching a handler.
//   - Bytes written and not yet sent are bounded by the Network (env's
//     MaxQueuedWriteBytes); a peer that stops reading loses its connection.

import (
	"errors"
	"log/slog"
	"time"
)

// Transport errors. Invoke callbacks receive them wrapped with the address
// and the cause; match them with errors.Is.
var (
	// ErrTimeout: no response arrived within the request's timeout.
	ErrTimeout = errors.New("remoting: request timed out")
	// ErrConnClosed: the connection ended (or could not be opened, or a
	// write failed) before the response arrived.
	ErrConnClosed = errors.New("remoting: connection closed")
	// ErrTooManyPending: the MaxPending bound of requests awaiting a
	// response was reached.
	ErrTooManyPending = errors.New("remoting: too many pending requests")
	// ErrClosed: the Client or Server was closed.
	ErrClosed = errors.New("remoting: closed")
	// ErrInvalidTimeout: a request was given a timeout that is not positive.
	ErrInvalidTimeout = errors.New("remoting: timeout must be positive")
)

// DefaultMaxPending bounds the requests a Client or a Server awaits
// responses for at once. A consumer with a few hundred queues has a few
// hundred pulls pending; 65536 leaves room for a burst of asynchronous sends
// while keeping the pending table and its timers to a few MiB.
const DefaultMaxPending = 65536

// DefaultMaxInflightPerConn bounds the requests of one connection that a
// server's handlers hold unanswered, long-polling pulls included. Java
// queues at most 100000 pulls per broker; one client connection needs far
// fewer, and the bound keeps a flooding client from holding unbounded
// memory in handlers.
const DefaultMaxInflightPerConn = 65536

// DefaultDialTimeout is how long a Client waits for a connection, as
// RocketMQ's Java client (connectTimeoutMillis, 3 s). A request's own
// timeout still applies while it waits for the dial.
const DefaultDialTimeout = 3 * time.Second

// maxPooledHeadBytes is the largest frame-head buffer kept for reuse. Heads
// are a few hundred bytes; an unusually large one (a long remark or many
// extFields) is left to the garbage collector instead of pinning its memory
// in the pool.
const maxPooledHeadBytes = 64 << 10

// initialFrameBufBytes is the largest reassembly buffer allocated up front
// for a partially received frame; the buffer then grows with the bytes that
// arrive, up to the announced frame size.
const initialFrameBufBytes = 64 << 10

// maxConfigFrameBytes is the largest MaxFrameBytes a configuration may ask
// for: the frame length is an int32 on the wire, and 1 GiB keeps every sum
// of lengths far from overflowing it.
const maxConfigFrameBytes = 1 << 30

// loggerOrDefault returns l, or slog.Default() when l is nil.
func loggerOrDefault(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}

// orDefault returns v, or def when v is not positive.
func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
