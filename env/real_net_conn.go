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

// tcpConn is a Conn over a TCP socket.
//
// Start launches two goroutines. The reader reads into one reused buffer
// and calls onData, then onClose once the socket ends. The writer takes
// everything queued by Write in one batch, hands it to the kernel with one
// net.Buffers.WriteTo (writev), then calls the batch's done callbacks in
// order. Close marks the connection closed and closes the socket, which
// ends both loops; it never waits for them, so handlers may call it.
//
// Exactly one goroutine at a time calls done callbacks: the writer while it
// lives (doneRunning is set when it starts), and after it, or when it was
// never started, a short-lived goroutine spawned to fail what was queued
// once the connection closed. So done callbacks run in Write order and
// never overlap.
type tcpConn struct {
	c          net.Conn
	local      string
	remote     string
	queueBound int // maximum queuedBytes before a Write fails

	closedFlag atomic.Bool   // mirrors closed, read by the reader without the lock
	wake       chan struct{} // capacity 1: "the queue or the state changed"
	vec        net.Buffers   // the iovec list, reused; only the writer goroutine touches it

	mu          sync.Mutex
	started     bool
	closed      bool
	reason      error      // why it closed: nil for Close or a clean EOF
	writeErr    error      // what queued writes fail with once closed
	pending     []tcpWrite // queued, not yet taken by the writer
	spare       []tcpWrite // the previous batch's array, reused
	queuedBytes int        // bytes in pending plus the batch being written
	doneRunning bool       // a goroutine is (or will be) calling done callbacks
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
	if tc, ok := c.(*net.TCPConn); ok {
		// Go already sets TCP_NODELAY on new sockets; this only fails on a
		// socket that is already broken, which the first read reports.
		_ = tc.SetNoDelay(true)
	}
	return &tcpConn{
		c:          c,
		local:      c.LocalAddr().String(),
		remote:     c.RemoteAddr().String(),
		queueBound: queueBound,
		wake:       make(chan struct{}, 1),
	}
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

// Write queues bufs for the writer. Past the queue bound it closes the
// connection and the write fails with ErrWriteQueueFull.
func (c *tcpConn) Write(bufs [][]byte, done func(error)) {
	n := 0
	for _, b := range bufs {
		n += len(b)
	}
	c.mu.Lock()
	if !c.closed && c.queuedBytes+n > c.queueBound {
		c.closeLocked(fmt.Errorf("env: write of %d bytes to %s with %d queued (bound %d): %w",
			n, c.remote, c.queuedBytes, c.queueBound, ErrWriteQueueFull))
	}
	c.pending = append(c.pending, tcpWrite{bufs: bufs, done: done, bytes: n})
	if c.closed {
		c.spawnFailerLocked()
		c.mu.Unlock()
		return
	}
	c.queuedBytes += n
	c.mu.Unlock()
	c.signal()
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

// spawnFailerLocked starts a goroutine to fail the queued writes of a closed
// connection unless one goroutine already calls done callbacks (the writer,
// which fails them itself on its way out). The caller holds c.mu.
func (c *tcpConn) spawnFailerLocked() {
	if c.doneRunning || len(c.pending) == 0 {
		return
	}
	c.doneRunning = true
	go c.failQueued()
}

// failQueued calls done with the close error for every queued write, in
// order, until none is left, then gives up the done-calling role.
func (c *tcpConn) failQueued() {
	for {
		c.mu.Lock()
		batch := c.pending
		if len(batch) == 0 {
			c.doneRunning = false
			c.mu.Unlock()
			return
		}
		c.pending = c.spare[:0]
		c.spare = nil
		err := c.writeErr
		c.mu.Unlock()
		completeWrites(batch, err)
		c.recycle(batch)
	}
}

// recycle clears a finished batch (so it pins no buffers) and keeps its
// array for the next one.
func (c *tcpConn) recycle(batch []tcpWrite) {
	clear(batch)
	c.mu.Lock()
	c.spare = batch[:0]
	c.mu.Unlock()
}

// completeWrites calls the done callbacks of a batch in order.
func completeWrites(batch []tcpWrite, err error) {
	for _, w := range batch {
		if w.done != nil {
			w.done(err)
		}
	}
}

// writeLoop sends batches until the connection closes, then fails what is
// still queued.
func (c *tcpConn) writeLoop() {
	for {
		c.mu.Lock()
		for len(c.pending) == 0 && !c.closed {
			c.mu.Unlock()
			<-c.wake
			c.mu.Lock()
		}
		if c.closed {
			c.mu.Unlock()
			c.failQueued()
			return
		}
		batch := c.pending
		c.pending = c.spare[:0]
		c.spare = nil
		c.mu.Unlock()

		batchBytes := 0
		for _, w := range batch {
			c.vec = append(c.vec, w.bufs...)
			batchBytes += w.bytes
		}
		vec := c.vec // WriteTo consumes its receiver; c.vec keeps the full list
		_, err := vec.WriteTo(c.c)
		clear(c.vec)
		c.vec = c.vec[:0]

		c.mu.Lock()
		c.queuedBytes -= batchBytes
		if err != nil && !c.closed {
			c.closeLocked(fmt.Errorf("env: write to %s: %w", c.remote, streamError(err)))
		}
		if err != nil {
			err = c.writeErr // the error that names why the connection ended
		}
		c.mu.Unlock()
		completeWrites(batch, err)
		c.recycle(batch)
	}
}

// readLoop delivers what arrives until the socket ends, then reports the
// end once.
func (c *tcpConn) readLoop(onData func([]byte), onClose func(error)) {
	buf := make([]byte, readBufferBytes)
	var readErr error
	for readErr == nil {
		var n int
		n, readErr = c.c.Read(buf)
		if n > 0 && !c.closedFlag.Load() {
			onData(buf[:n])
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
