package env

import "time"

// Bytes in flight.
//
// Each end keeps the chunks its peer sent that have not landed yet: a
// queue of (landing time, size, end-of-stream) entries over one byte buffer
// holding their bytes back to back. A chunk is one Write's bytes (or the
// bytes held before Start, sent together), or the zero-length end of
// stream a close sends. It is queued at
//
//	land = max(now + delay(from, to), land of the chunk queued before it)
//
// so landing times never decrease along the queue, and the queue lands
// from its head only: one land callback per end is pending at a time, at
// the head's landing time, and only while the link from the peer's host to
// this one is open. A cut link (SetBlocked) therefore holds the chunks in
// flight and those written meanwhile; when it reopens, everything whose
// time has come lands at once, in order, and the rest at its own time.
//
// A chunk skips the queue and lands at once when it draws no delay, the
// queue is empty and the link is open: that is the whole path when no
// fault is configured, and it keeps Write as cheap as a copy.

// memChunk is one entry of a flight queue.
type memChunk struct {
	land      time.Time // when it lands, if the link is open then
	sizeBytes int       // its bytes, next in the queue's buffer
	fin       bool      // the end of stream (sizeBytes is 0)
}

// memFlight is the queue of chunks on their way to one end.
type memFlight struct {
	chunks []memChunk // from head
	head   int
	bytes  []byte // the chunks' bytes, from off
	off    int
}

// empty reports whether nothing is in flight.
func (f *memFlight) empty() bool { return f.head == len(f.chunks) }

// sizeBytes returns the bytes in flight.
func (f *memFlight) sizeBytes() int { return len(f.bytes) - f.off }

// push queues a chunk of bufs (sizeBytes in all) or an end of stream that
// would land at land, but not before the chunk ahead of it.
func (f *memFlight) push(land time.Time, bufs [][]byte, sizeBytes int, fin bool) {
	if !f.empty() {
		if tail := f.chunks[len(f.chunks)-1].land; tail.After(land) {
			land = tail
		}
	}
	f.compact()
	f.chunks = append(f.chunks, memChunk{land: land, sizeBytes: sizeBytes, fin: fin})
	for _, b := range bufs {
		f.bytes = append(f.bytes, b...)
	}
}

// compact moves the live part of the queue to the front of its arrays
// once the landed part is at least as long, so that a connection that is
// never idle does not grow them without end; each entry moves a bounded
// number of times per landing, which keeps pushes amortized O(1).
func (f *memFlight) compact() {
	if f.head > 0 && f.head >= len(f.chunks)-f.head {
		n := copy(f.chunks, f.chunks[f.head:])
		f.chunks, f.head = f.chunks[:n], 0
	}
	if f.off > 0 && f.off >= len(f.bytes)-f.off {
		n := copy(f.bytes, f.bytes[f.off:])
		f.bytes, f.off = f.bytes[:n], 0
	}
}

// rewind empties a queue whose chunks have all landed, keeping its arrays
// for reuse unless a burst grew the byte buffer past
// maxRetainedInboundBytes.
func (f *memFlight) rewind() {
	f.chunks, f.head = f.chunks[:0], 0
	f.bytes, f.off = f.bytes[:0], 0
	if cap(f.bytes) > maxRetainedInboundBytes {
		f.bytes = nil
	}
}

// drop forgets everything in flight and the arrays.
func (f *memFlight) drop() { *f = memFlight{} }

// delayLocked draws the one-way delay of a chunk from host from to host
// to: zero without a latency function, and a negative draw counts as
// zero.
func (n *MemNetwork) delayLocked(from, to string) time.Duration {
	if n.latency == nil {
		return 0
	}
	return max(n.latency(from, to), 0)
}

// sendLocked carries one Write's bytes (sizeBytes of them in bufs) to the
// peer. Bytes sent to a finished peer vanish, as bytes sent to a closed
// socket do.
func (c *memConn) sendLocked(bufs [][]byte, sizeBytes int) {
	p := c.peer
	if p.closed || sizeBytes == 0 {
		return
	}
	n := c.net
	delay := n.delayLocked(c.home.name, p.home.name)
	if delay == 0 && p.flight.empty() && !n.blockedLocked(c.home.name, p.home.name) {
		for _, b := range bufs {
			p.inbound = append(p.inbound, b...)
		}
		p.kickLocked()
		return
	}
	p.flight.push(n.clock.Now().Add(delay), bufs, sizeBytes, false)
	p.armLocked()
}

// sendFinLocked sends the peer the end of stream, behind the bytes sent
// before it.
func (c *memConn) sendFinLocked() {
	p := c.peer
	if p.closed || p.eof {
		return
	}
	n := c.net
	delay := n.delayLocked(c.home.name, p.home.name)
	if delay == 0 && p.flight.empty() && !n.blockedLocked(c.home.name, p.home.name) {
		p.eof = true
		p.kickLocked()
		return
	}
	p.flight.push(n.clock.Now().Add(delay), nil, 0, true)
	p.armLocked()
}

// armLocked schedules the land callback for the head of the flight queue
// unless one is pending, nothing is in flight, the end is finished or the
// link from the peer is cut (SetBlocked arms it again when it reopens).
func (c *memConn) armLocked() {
	n := c.net
	if c.landScheduled || c.closed || c.flight.empty() || n.blockedLocked(c.peer.home.name, c.home.name) {
		return
	}
	c.landScheduled = true
	n.clock.AfterFunc(c.flight.chunks[c.flight.head].land.Sub(n.clock.Now()), c.land)
}

// land moves every chunk whose time has come from the flight queue into
// inbound (or, for the end of stream, marks the peer's end), then waits
// for the next.
func (c *memConn) land() {
	n := c.net
	n.mu.Lock()
	defer n.mu.Unlock()
	c.landScheduled = false
	if c.closed || c.flight.empty() || n.blockedLocked(c.peer.home.name, c.home.name) {
		return
	}
	now := n.clock.Now()
	f := &c.flight
	for !f.empty() {
		ch := f.chunks[f.head]
		if ch.land.After(now) {
			break
		}
		f.head++
		if ch.fin {
			c.eof = true
			continue
		}
		c.inbound = append(c.inbound, f.bytes[f.off:f.off+ch.sizeBytes]...)
		f.off += ch.sizeBytes
	}
	if f.empty() {
		f.rewind()
	}
	c.kickLocked()
	c.armLocked()
}
