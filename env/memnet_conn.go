package env

import "fmt"

// maxRetainedInboundBytes bounds the delivery buffer a memConn keeps for
// reuse after an onData call. Buffers grown past it by a large burst (an
// 8 MiB write) are dropped so that an idle connection does not pin them.
const maxRetainedInboundBytes = 1 << 20

// memConn is one end of an in-memory connection. Its state is guarded by
// the network's mutex; handlers run without it.
//
// Bytes written on one end go to the other end: straight into its inbound
// buffer (the in-memory stand-in for the kernel's buffers) when they take
// no time and the link is open, else into its flight queue until they land
// (memnet_flight.go); done(nil) is queued at once either way. Each end runs
// at most one deliver callback at a time (deliverScheduled), which hands
// the whole inbound buffer to onData, or once the end is finished calls
// onClose; each end likewise runs at most one runDones callback, which
// calls the queued done callbacks in order. Both are scheduled with
// clock.AfterFunc(0).
//
// An end whose host crashed is gone (its home's incarnation moved on): no
// callback of it runs again, whatever was already scheduled.
type memConn struct {
	net         *MemNetwork
	peer        *memConn
	id          uint64   // the connection's id, shared by both ends
	home        *memHost // the host this end lives on
	incarnation uint64   // home's incarnation when the end was created
	local       string
	remote      string
	clientPort  int // the ephemeral port this end holds on home, 0 for a server end

	started bool
	onData  func([]byte)
	onClose func(error)

	held      []byte        // bytes written before Start
	heldDones []func(error) // their done callbacks, in order

	inbound          []byte // bytes from the peer that landed and are not delivered yet
	spareInbound     []byte // the previous delivery's buffer, reused
	deliverScheduled bool

	flight        memFlight // the peer's chunks on their way here
	landScheduled bool      // a land callback is pending for the flight's head

	eof bool // the peer's end of stream landed: finish once inbound is delivered

	closed   bool  // this end is finished
	reason   error // what onClose reports
	writeErr error // what writes fail with once closed
	notified bool  // onClose was called

	dones         []memDone
	spareDones    []memDone
	doneScheduled bool
}

// memDone is a done callback waiting to run with its result.
type memDone struct {
	done func(error)
	err  error
}

var _ Conn = (*memConn)(nil)

// LocalAddr returns this end's address.
func (c *memConn) LocalAddr() string { return c.local }

// RemoteAddr returns the peer's address.
func (c *memConn) RemoteAddr() string { return c.remote }

// gone reports whether this end's host has crashed since it was created.
func (c *memConn) gone() bool { return c.home.incarnation.Load() != c.incarnation }

// Start installs the handlers, sends what was written before, and delivers
// what has arrived.
func (c *memConn) Start(onData func([]byte), onClose func(err error)) {
	if onData == nil || onClose == nil {
		panic("env: memConn.Start with a nil handler")
	}
	c.net.mu.Lock()
	defer c.net.mu.Unlock()
	if c.started {
		panic("env: Conn.Start called twice")
	}
	c.started, c.onData, c.onClose = true, onData, onClose
	if !c.closed {
		if len(c.held) > 0 {
			c.sendLocked([][]byte{c.held}, len(c.held))
		}
		for _, d := range c.heldDones {
			c.completeLocked(d, nil)
		}
		c.held, c.heldDones = nil, nil
	}
	c.kickLocked()
}

// Write hands bufs to the peer (or holds them before Start) and queues
// done.
func (c *memConn) Write(bufs [][]byte, done func(error)) {
	size := 0
	for _, b := range bufs {
		size += len(b)
	}
	c.net.mu.Lock()
	defer c.net.mu.Unlock()
	if !c.closed {
		if unsent := c.unsentLocked(); unsent+size > c.net.queueBound {
			c.closeLocked(fmt.Errorf("env: write of %d bytes to %s with %d unsent (bound %d): %w",
				size, c.remote, unsent, c.net.queueBound, ErrWriteQueueFull))
		}
	}
	switch {
	case c.closed:
		c.completeLocked(done, c.writeErr)
	case !c.started:
		for _, b := range bufs {
			c.held = append(c.held, b...)
		}
		c.heldDones = append(c.heldDones, done)
	default:
		c.sendLocked(bufs, size)
		c.completeLocked(done, nil)
	}
}

// Close finishes this end: onClose(nil) here, and the peer gets what was
// sent, then onClose(nil).
func (c *memConn) Close() error {
	c.net.mu.Lock()
	defer c.net.mu.Unlock()
	if !c.closed {
		c.closeLocked(nil)
	}
	return nil
}

// unsentLocked returns the bytes this end wrote that the peer has not
// taken yet: held before Start, in flight, and landed but not delivered.
func (c *memConn) unsentLocked() int {
	n := len(c.held)
	if p := c.peer; !p.closed {
		n += len(p.inbound) + p.flight.sizeBytes()
	}
	return n
}

// closeLocked finishes this end with reason and sends the peer the end of
// stream. The caller has checked !c.closed.
func (c *memConn) closeLocked(reason error) {
	c.finishLocked(reason)
	c.sendFinLocked()
	c.kickLocked()
}

// finishLocked marks this end finished with reason (what onClose will
// report): its inbound and in-flight bytes are dropped, the writes it
// holds fail, its port is released, and the connection leaves the
// network's registry once both ends are finished. It tells the peer
// nothing and schedules nothing itself but the failed writes' done
// callbacks. The caller has checked !c.closed.
func (c *memConn) finishLocked(reason error) {
	c.closed = true
	c.reason = reason
	if reason == nil {
		c.writeErr = fmt.Errorf("env: write to %s: %w", c.remote, ErrConnClosed)
	} else {
		c.writeErr = fmt.Errorf("env: write to %s: %w: %w", c.remote, ErrConnClosed, reason)
	}
	c.inbound, c.spareInbound = nil, nil
	c.flight.drop()
	for _, d := range c.heldDones {
		c.completeLocked(d, c.writeErr)
	}
	c.held, c.heldDones = nil, nil
	if c.clientPort != 0 {
		delete(c.home.clientPorts, c.clientPort)
	}
	if c.peer.closed {
		delete(c.net.conns, c.id)
	}
}

// kickLocked schedules a deliver callback when a started end has
// something to report and none is scheduled.
func (c *memConn) kickLocked() {
	if c.deliverScheduled || !c.started || c.notified || c.gone() {
		return
	}
	if c.closed || c.eof || len(c.inbound) > 0 {
		c.deliverScheduled = true
		c.net.clock.AfterFunc(0, c.deliver)
	}
}

// deliver hands everything inbound to onData, or, when nothing is left
// and the end is finished (or the peer ended), calls onClose.
func (c *memConn) deliver() {
	n := c.net
	n.mu.Lock()
	switch {
	case c.gone():
		c.deliverScheduled = false
		n.mu.Unlock()
		return
	case !c.closed && len(c.inbound) > 0:
		data := c.inbound
		c.inbound, c.spareInbound = c.spareInbound[:0], nil
		onData := c.onData
		n.mu.Unlock()
		onData(data)
		n.mu.Lock()
		if !c.closed && cap(data) <= maxRetainedInboundBytes {
			c.spareInbound = data[:0]
		}
		c.deliverScheduled = false
		c.kickLocked()
		n.mu.Unlock()
		return
	case !c.closed && c.eof:
		c.closeLocked(nil)
	case !c.closed:
		c.deliverScheduled = false
		n.mu.Unlock()
		return
	}
	c.deliverScheduled = false
	if c.notified {
		n.mu.Unlock()
		return
	}
	c.notified = true
	reason, onClose := c.reason, c.onClose
	n.mu.Unlock()
	onClose(reason)
}

// completeLocked queues done to be called with err, after the done
// callbacks queued before it. The done callbacks of a gone end are
// dropped: the process that passed them no longer exists.
func (c *memConn) completeLocked(done func(error), err error) {
	if done == nil || c.gone() {
		return
	}
	c.dones = append(c.dones, memDone{done: done, err: err})
	if !c.doneScheduled {
		c.doneScheduled = true
		c.net.clock.AfterFunc(0, c.runDones)
	}
}

// runDones calls the queued done callbacks in order, stopping if the
// end's host crashes meanwhile.
func (c *memConn) runDones() {
	n := c.net
	n.mu.Lock()
	batch := c.dones
	c.dones, c.spareDones = c.spareDones[:0], nil
	n.mu.Unlock()
	for _, d := range batch {
		if c.gone() {
			break
		}
		d.done(d.err)
	}
	clear(batch)
	n.mu.Lock()
	c.spareDones = batch[:0]
	switch {
	case c.gone():
		clear(c.dones)
		c.dones = c.dones[:0]
		c.doneScheduled = false
	case len(c.dones) > 0:
		n.clock.AfterFunc(0, c.runDones)
	default:
		c.doneScheduled = false
	}
	n.mu.Unlock()
}
