package env

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// maxIovecs is the most buffers one writev system call takes (Linux's
// UIO_MAXIOV); sendNow offers a longer batch in several calls.
const maxIovecs = 1024

// flatMaxBytes is the largest batch of several buffers that sendNow copies
// into one before the system call: a remoting frame is a head and a body,
// and for a small frame the copy costs less than the kernel's walk over
// more than one iovec.
const flatMaxBytes = 2048

// writeLoop sends batches until the connection closes, then fails what is
// still queued. It also finishes a batch the reader could not send whole.
func (c *tcpConn) writeLoop() {
	c.mu.Lock()
	for {
		switch {
		case c.handedOff:
			c.handedOff = false
			c.mu.Unlock()
			c.finishBatch(c.sendRest())
			c.mu.Lock()
		case c.busy:
			c.waitLocked() // the reader's batch: it signals when done
		case c.closed:
			c.mu.Unlock()
			c.failQueued()
			return
		case len(c.pending) > 0:
			c.takeBatchLocked()
			c.mu.Unlock()
			c.finishBatch(c.sendRest())
			c.mu.Lock()
		default:
			c.waitLocked()
		}
	}
}

// waitLocked releases c.mu until the writer is signalled. The caller holds
// c.mu and holds it again on return.
func (c *tcpConn) waitLocked() {
	c.mu.Unlock()
	<-c.wake
	c.mu.Lock()
}

// flushHeld runs on the reader after each onData. It ends the hold and, if
// writes are queued and no batch is in flight, takes them as a batch and
// offers it to the kernel without blocking; what the kernel does not take
// is handed to the writer.
func (c *tcpConn) flushHeld() {
	c.mu.Lock()
	c.delivering.Store(false)
	c.wroteSinceData = false
	if c.busy || c.closed || len(c.pending) == 0 {
		// A busy holder looks at the queue when it is done, and a closed
		// connection's queue is failed by the writer or a failer.
		c.mu.Unlock()
		return
	}
	if c.raw == nil {
		c.mu.Unlock()
		c.signal()
		return
	}
	c.takeBatchLocked()
	c.mu.Unlock()
	err := c.sendNow()
	if err == nil && len(c.rest) > 0 {
		c.mu.Lock()
		c.handedOff = true
		c.mu.Unlock()
		c.signal()
		return
	}
	if c.finishBatch(err) {
		c.signal()
	}
}

// sendDirect runs inside Write, on the caller's goroutine, which has just
// taken its own write as the batch in flight: it offers the batch to the
// kernel without blocking. If the kernel takes it all, the batch finishes
// here, its done called with nil before Write returns. Otherwise the
// writer finishes it: it sends the rest with blocking writes, or, when the
// socket broke, fails it once the connection is closed, so that an error
// never reaches done from inside Write.
func (c *tcpConn) sendDirect() {
	err := c.sendNow()
	if err == nil && len(c.rest) == 0 {
		if c.finishBatch(nil) {
			c.signal()
		}
		return
	}
	c.mu.Lock()
	if err != nil && !c.closed {
		c.closeLocked(fmt.Errorf("env: write to %s: %w", c.remote, streamError(err)))
	}
	c.handedOff = true
	c.mu.Unlock()
	c.signal()
}

// takeBatchLocked makes everything queued the batch in flight and its
// caller the busy holder. The caller holds c.mu.
func (c *tcpConn) takeBatchLocked() {
	if c.busy {
		panic("env: tcpConn took a batch while another was in flight")
	}
	c.busy = true
	c.batch = c.pending
	c.pending = c.spare[:0]
	c.spare = nil
	c.batchBytes = 0
	for _, w := range c.batch {
		for _, b := range w.bufs {
			if len(b) > 0 {
				c.vec = append(c.vec, b)
			}
		}
		c.batchBytes += w.bytes
	}
	c.rest = c.vec
}

// finishBatch ends the batch in flight: it accounts for its bytes, closes
// the connection if err broke it, calls the batch's done callbacks in
// order and gives up the busy role. It reports whether work waits for the
// writer (queued writes, or a close to fail them for).
func (c *tcpConn) finishBatch(err error) bool {
	clear(c.vec) // so the reused array pins no buffers
	c.vec, c.rest = c.vec[:0], nil
	batch := c.batch
	c.batch = nil
	c.queuedBytes.Add(-int64(c.batchBytes))
	if err != nil {
		c.mu.Lock()
		if !c.closed {
			c.closeLocked(fmt.Errorf("env: write to %s: %w", c.remote, streamError(err)))
		}
		err = c.writeErr // the error that names why the connection ended
		c.mu.Unlock()
	}
	completeWrites(batch, err)
	clear(batch)

	c.mu.Lock()
	c.spare = batch[:0]
	c.busy = false
	more := len(c.pending) > 0 || c.closed
	c.mu.Unlock()
	return more
}

// sendRest hands the rest of the batch to the kernel, blocking as long as
// the socket needs (WriteTo loops over writev).
func (c *tcpConn) sendRest() error {
	_, err := c.rest.WriteTo(c.c)
	return err
}

// sendNow hands as much of c.rest to the kernel as the socket buffer takes
// without waiting, and leaves the remainder in c.rest. It returns the error
// that broke the socket; a full socket buffer is not an error.
func (c *tcpConn) sendNow() error {
	for len(c.rest) > 0 {
		c.sent, c.offered, c.sendErr = 0, 0, nil
		if err := c.raw.Write(c.sendFn); err != nil {
			return err // the descriptor was closed
		}
		if c.sendErr != nil {
			if errors.Is(c.sendErr, unix.EAGAIN) {
				return nil // the socket buffer is full
			}
			return os.NewSyscallError("writev", c.sendErr)
		}
		c.consume(c.sent)
		if c.sent < c.offered {
			return nil // the socket buffer is full
		}
	}
	return nil
}

// writevOnce is sendNow's RawConn callback: one writev of up to maxIovecs
// buffers of c.rest on the non-blocking descriptor, retried only when a
// signal interrupted it. It returns true so that RawConn.Write never waits
// for the socket to drain.
func (c *tcpConn) writevOnce(fd uintptr) bool {
	bufs := c.rest[:min(len(c.rest), maxIovecs)]
	for _, b := range bufs {
		c.offered += len(b)
	}
	if len(bufs) > 1 && c.offered <= flatMaxBytes {
		flat := c.flat[:0]
		for _, b := range bufs {
			flat = append(flat, b...)
		}
		c.flat = flat
		c.flatVec[0] = flat
		bufs = c.flatVec[:]
	}
	for {
		n, err := unix.Writev(int(fd), bufs)
		if err != nil && errors.Is(err, unix.EINTR) {
			continue
		}
		c.sent, c.sendErr = max(n, 0), err
		return true
	}
}

// consume drops the first n bytes of c.rest.
func (c *tcpConn) consume(n int) {
	for n > 0 {
		if n < len(c.rest[0]) {
			c.rest[0] = c.rest[0][n:]
			return
		}
		n -= len(c.rest[0])
		c.rest = c.rest[1:]
	}
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
// order, until none is left, then gives up the done-calling role. It runs
// on a closed connection with no batch in flight (the writer leaves only
// then, and a failer starts only after it), so no other done callback of
// the connection runs meanwhile.
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
		clear(batch) // so the reused array pins no buffers
		c.mu.Lock()
		c.spare = batch[:0]
		c.mu.Unlock()
	}
}

// completeWrites calls the done callbacks of a batch in order.
func completeWrites(batch []tcpWrite, err error) {
	for _, w := range batch {
		if w.done != nil {
			w.done(err)
		}
	}
}
