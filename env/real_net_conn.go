package env

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
)

// readBufferBytes is the size of a connection's read buffer, reused for
// every read: 64 KiB takes a burst of pipelined requests in one system call
// while keeping the memory of ten thousand idle connections under a GiB.
const readBufferBytes = 64 << 10

// heldMaxBytes bounds what a connection holds for the end of onData (see
// tcpConn): past one read buffer's worth the writer is woken at once, so a
// handler producing a large answer streams it instead of piling it up.
const heldMaxBytes = readBufferBytes

// tcpConn is a Conn over a TCP socket.
//
// Start launches two goroutines. The reader reads into one reused buffer
// and calls onData, then onClose once the socket ends. The writer waits
// for queued writes and hands them to the kernel with blocking writev
// calls (net.Buffers.WriteTo). Close marks the connection closed and
// closes the socket, which ends both loops; it never waits for them, so
// handlers may call it.
//
// Writes made while the reader is inside onData (a handler answering at
// once, or a response callback sending the next request) are held, up to
// heldMaxBytes, instead of waking the writer: when onData returns the
// reader takes them as one batch and offers it to the kernel with one
// non-blocking writev (sendNow). If the kernel takes it all, the reader
// calls the batch's done callbacks itself; otherwise the writer finishes
// the rest with blocking writes. A request answered at once thus costs
// the server one read and one write system call on one goroutine, as a
// plain blocking socket would, instead of a hand-over to the writer.
//
// The first Write made after a delivery, outside onData, when nothing is
// queued or in flight (a client sending a request once the answer to the
// previous one has arrived, typically) is sent the same way by the
// goroutine that makes it (sendDirect): one non-blocking writev, and when
// the kernel takes it all, its done runs with nil before Write returns. A
// request thus leaves without waking the writer. What the kernel does not
// take, and a socket error, are left to the writer, so that done never
// gets an error inside Write. Later writes made with no delivery in
// between (a stream of requests) go to the writer, which coalesces them.
//
// One batch at a time is in flight. Whoever takes it (the writer, the
// reader after onData, or a direct Write) sets busy, and owns the fields
// marked "busy holder" until the batch's done callbacks have returned;
// writes made meanwhile queue for the next batch, which is how bytes and
// done callbacks keep Write order. The writer lives (doneRunning) until
// the connection is closed and no batch is in flight; after it, or when
// it was never started, a short-lived goroutine fails what is still
// queued. So done callbacks run in Write order, one at a time, and inside
// Write only for a direct write that the kernel took whole.
type tcpConn struct {
	c          net.Conn
	raw        syscall.RawConn // c's descriptor, for sendNow; nil when c has none
	local      string
	remote     string
	queueBound int // maximum queuedBytes before a Write fails

	closedFlag  atomic.Bool   // mirrors closed, read by the reader without the lock
	delivering  atomic.Bool   // the reader is inside onData; cleared under mu
	queuedBytes atomic.Int64  // bytes in pending plus the batch in flight; grown under mu
	wake        chan struct{} // capacity 1: "the queue or the state changed"

	// The batch in flight, owned by the busy holder.
	batch      []tcpWrite
	batchBytes int
	vec        net.Buffers        // the batch's buffers; its array is reused
	rest       net.Buffers        // the part of vec the kernel has not taken yet
	flat       []byte             // a small batch copied whole, for one-buffer sends; reused
	flatVec    [1][]byte          // flat as the buffer list of one writev
	sendFn     func(uintptr) bool // c.writevOnce, bound once so sendNow allocates no closure
	sent       int                // bytes the last writevOnce handed over
	offered    int                // bytes the last writevOnce offered
	sendErr    error              // error of the last writevOnce, EAGAIN included

	mu          sync.Mutex
	started     bool
	closed      bool
	reason      error      // why it closed: nil for Close or a clean EOF
	writeErr    error      // what queued writes fail with once closed
	pending     []tcpWrite // queued, not yet taken in a batch
	spare       []tcpWrite // the previous batch's array, reused
	doneRunning bool       // the writer, or a goroutine failing queued writes, lives
	busy        bool       // a batch is in flight
	handedOff   bool       // the reader left the rest of its batch to the writer
	// wroteSinceData: a Write was made since the last delivery ended (or
	// since Start). Only the first Write after a delivery is sent directly.
	wroteSinceData bool
}

// tcpWrite is one queued Write.
type tcpWrite struct {
	bufs  [][]byte
	done  func(error)
	bytes int
}

var _ Conn = (*tcpConn)(nil)

// newTCPConn wraps an established connection, turning Nagle's algorithm off
// so that a small reply leaves at once.
func newTCPConn(c net.Conn, queueBound int) *tcpConn {
	tc := &tcpConn{
		c:          c,
		local:      c.LocalAddr().String(),
		remote:     c.RemoteAddr().String(),
		queueBound: queueBound,
		wake:       make(chan struct{}, 1),
	}
	if sc, ok := c.(*net.TCPConn); ok {
		// Go already sets TCP_NODELAY on new sockets; this only fails on a
		// socket that is already broken, which the first read reports.
		_ = sc.SetNoDelay(true)
		if raw, err := sc.SyscallConn(); err == nil {
			tc.raw = raw
		}
	}
	tc.sendFn = tc.writevOnce
	return tc
}

// LocalAddr returns this end's address.
func (c *tcpConn) LocalAddr() string { return c.local }

// RemoteAddr returns the peer's address.
func (c *tcpConn) RemoteAddr() string { return c.remote }

// Start launches the reader and, unless the connection is already closed,
// the writer.
func (c *tcpConn) Start(onData func([]byte), onClose func(err error)) {
	if onData == nil || onClose == nil {
		panic("env: tcpConn.Start with a nil handler")
	}
	c.mu.Lock()
	if c.started {
		c.mu.Unlock()
		panic("env: Conn.Start called twice")
	}
	c.started = true
	startWriter := !c.closed
	if startWriter {
		c.doneRunning = true
	}
	c.mu.Unlock()
	go c.readLoop(onData, onClose)
	if startWriter {
		go c.writeLoop()
	}
}

// Write queues bufs for the next batch. Past the queue bound it closes the
// connection and the write fails with ErrWriteQueueFull. A write that
// sendsDirectLocked allows is taken as a batch at once and offered to the
// kernel from the caller's goroutine (sendDirect). Otherwise the writer is
// woken unless a batch is in flight (its holder looks at the queue when it
// is done) or the write is held for the end of onData.
func (c *tcpConn) Write(bufs [][]byte, done func(error)) {
	n := 0
	for _, b := range bufs {
		n += len(b)
	}
	c.mu.Lock()
	// Only Write grows queuedBytes, under mu; the batch holder shrinks it
	// without the lock, so the bound is never passed.
	queued := int(c.queuedBytes.Load())
	if !c.closed && queued+n > c.queueBound {
		c.closeLocked(fmt.Errorf("env: write of %d bytes to %s with %d queued (bound %d): %w",
			n, c.remote, queued, c.queueBound, ErrWriteQueueFull))
	}
	c.pending = append(c.pending, tcpWrite{bufs: bufs, done: done, bytes: n})
	if c.closed {
		c.spawnFailerLocked()
		c.mu.Unlock()
		return
	}
	queued = int(c.queuedBytes.Add(int64(n)))
	direct := c.sendsDirectLocked()
	c.wroteSinceData = true
	if direct {
		c.takeBatchLocked()
		c.mu.Unlock()
		c.sendDirect()
		return
	}
	wake := !c.busy && (!c.delivering.Load() || queued > heldMaxBytes)
	c.mu.Unlock()
	if wake {
		c.signal()
	}
}

// sendsDirectLocked reports whether the Write that just queued the only
// pending write may send it itself: delivery has started, nothing else is
// queued or in flight, the reader is not inside onData (where writes are
// held to go out together when it returns), and it is the first Write
// since the last delivery. That is a request sent when the answer to the
// previous one has arrived, or the first of a burst; the rest of a burst
// (a goroutine streaming requests without waiting for answers) goes to
// the writer, which coalesces it and sends it while the goroutine goes on
// producing, instead of paying one system call per write on the producer.
// The caller holds c.mu.
func (c *tcpConn) sendsDirectLocked() bool {
	return c.started && c.raw != nil && !c.busy && len(c.pending) == 1 &&
		!c.delivering.Load() && !c.wroteSinceData
}

// Close closes the socket; the loops notice and end.
func (c *tcpConn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closeLocked(nil)
	c.mu.Unlock()
	return nil
}

// signal wakes the writer without blocking.
func (c *tcpConn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// closeLocked marks the connection closed for reason, closes the socket
// and wakes the writer. The caller holds c.mu and has checked !c.closed.
func (c *tcpConn) closeLocked(reason error) {
	c.closed = true
	c.closedFlag.Store(true)
	c.reason = reason
	if reason == nil {
		c.writeErr = fmt.Errorf("env: write to %s: %w", c.remote, ErrConnClosed)
	} else {
		c.writeErr = fmt.Errorf("env: write to %s: %w: %w", c.remote, ErrConnClosed, reason)
	}
	// Closing a socket only fails when it is already closed, which cannot
	// happen here: this is the single place that closes it.
	_ = c.c.Close()
	c.spawnFailerLocked()
	c.signal()
}

// readLoop delivers what arrives until the socket ends, then reports the
// end once. After each onData it sends what the call held (flushHeld).
func (c *tcpConn) readLoop(onData func([]byte), onClose func(error)) {
	buf := make([]byte, readBufferBytes)
	var readErr error
	for readErr == nil {
		var n int
		n, readErr = c.c.Read(buf)
		if n > 0 && !c.closedFlag.Load() {
			c.delivering.Store(true)
			onData(buf[:n])
			c.flushHeld()
		}
	}
	c.mu.Lock()
	if !c.closed {
		var reason error // a clean EOF: the peer closed
		if !errors.Is(readErr, io.EOF) {
			reason = fmt.Errorf("env: read from %s: %w", c.remote, streamError(readErr))
		}
		c.closeLocked(reason)
	}
	reason := c.reason
	c.mu.Unlock()
	onClose(reason)
}

// streamError adds ErrConnReset to an error that means the peer reset the
// connection.
func streamError(err error) error {
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return fmt.Errorf("%w: %w", ErrConnReset, err)
	}
	return err
}
