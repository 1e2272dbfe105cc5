package env

import (
	"fmt"
	"slices"
	"time"
)

// memLink is one direction between two hosts.
type memLink struct{ from, to string }

// SetLatency installs f to draw the one-way delay of every chunk sent
// from host from to host to: each Write's bytes, the bytes held before
// Start (sent together), a close's end of stream, and each way of a Dial's
// handshake. nil restores zero delay; a negative delay counts as zero.
// Chunks already in flight keep the landing times they drew.
//
// Whatever the delays, one direction of one connection never reorders: a
// chunk lands at max(its write time + its delay, the landing time of the
// chunk before it). A Write's done still reports when its bytes left the
// sender, at once, not when they land.
//
// f is called from inside the network with its mutex held, in the order
// of the calls that send: it must not call back into the network (that
// deadlocks). Drawing from a seeded Rand is how a simulator makes delays
// random yet reproducible.
func (n *MemNetwork) SetLatency(f func(from, to string) time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.latency = f
}

// SetBlocked cuts (blocked true) or restores (false) the link from host
// from to host to, one direction only; a symmetric partition is two calls.
//
// While a link is cut, the bytes sent over it (those in flight when it was
// cut and those written meanwhile) are held in order, and the writers'
// done callbacks still report success, as TCP's do before it retransmits.
// When the link is restored, every held chunk whose landing time has
// passed lands at once, in order, and the rest at its own time; a
// connection reset meanwhile drops them instead. The unsent-byte bound of
// each connection still applies, so a writer that keeps writing into a
// cut link fails with ErrWriteQueueFull. A Dial between two hosts while
// either direction is cut fails with ErrDialTimeout (see Dial).
func (n *MemNetwork) SetBlocked(from, to string, blocked bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	link := memLink{from: from, to: to}
	if blocked {
		if n.blocked == nil {
			n.blocked = map[memLink]bool{}
		}
		n.blocked[link] = true
		return
	}
	if !n.blocked[link] {
		return
	}
	delete(n.blocked, link)
	for _, id := range n.connIDsLocked() {
		c := n.conns[id]
		for _, e := range [2]*memConn{c, c.peer} {
			if e.peer.home.name == from && e.home.name == to {
				e.armLocked()
			}
		}
	}
}

// blockedLocked reports whether the link from host from to host to is cut.
func (n *MemNetwork) blockedLocked(from, to string) bool {
	if len(n.blocked) == 0 {
		return false // the common case costs no hashing on every Write
	}
	return n.blocked[memLink{from: from, to: to}]
}

// cutLocked reports whether either direction between hosts a and b is cut.
func (n *MemNetwork) cutLocked(a, b string) bool {
	return n.blockedLocked(a, b) || n.blockedLocked(b, a)
}

// ResetBetween resets every connection with one end on host a and the
// other on host b (either way round, a and b may be the same host) that
// still has an unfinished end, and returns how many it reset. Each
// unfinished end finishes at once: its onClose gets an error matching
// ErrConnReset, the bytes it had not yet delivered and those in flight to
// it (including those held by a cut link) are dropped, the writes it held
// before Start fail, and later writes fail, all with an error matching
// both ErrConnClosed and ErrConnReset. Writes whose done was already
// queued with success keep it: those bytes had left the sender. Dials in
// progress between the two hosts are not affected.
func (n *MemNetwork) ResetBetween(a, b string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	count := 0
	for _, id := range n.connIDsLocked() {
		c := n.conns[id]
		ch, sh := c.home.name, c.peer.home.name
		if (ch != a || sh != b) && (ch != b || sh != a) {
			continue
		}
		count++
		c.resetLocked()
		c.peer.resetLocked()
	}
	return count
}

// CrashHost simulates the death of the process on host and returns how
// many connections it broke: those with an unfinished end on host.
//
// The process is gone, and the simulator has dropped its objects, so no
// callback it passed runs again: not onData or onClose of its ends, not
// the done of its Writes (even those already queued) or of its Dials in
// progress, not the accept of its listeners. Its listeners close, so
// Listen on the host works again for the restarted process, and its ends'
// ephemeral ports are released. The peer of each of its unfinished ends
// is reset as by ResetBetween: its onClose gets an error matching
// ErrConnReset. A connection the process had already closed is left to
// finish as it was: its end of stream is on its way. Dials to the host
// that arrive later find no listener and are refused. Wildcard listeners
// bound through the network's own Listen belong to no host and stay.
func (n *MemNetwork) CrashHost(host string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.hostLocked(host).incarnation.Add(1)
	for _, port := range n.listenerPortsLocked() {
		for _, l := range slices.Clone(n.listeners[port]) {
			if l.host == host {
				l.closeLocked()
			}
		}
	}
	count := 0
	for _, id := range n.connIDsLocked() {
		c := n.conns[id]
		ends := [2]*memConn{c, c.peer}
		live := false
		for _, e := range ends {
			if e.home.name == host && !e.closed {
				live = true
				e.finishLocked(fmt.Errorf("env: connection %s to %s: host %s crashed: %w", e.local, e.remote, host, ErrConnReset))
			}
		}
		if !live {
			continue
		}
		count++
		for _, e := range ends {
			if e.home.name != host {
				e.resetLocked()
			}
		}
	}
	return count
}

// resetLocked finishes an unfinished end with an error matching
// ErrConnReset and schedules its onClose.
func (c *memConn) resetLocked() {
	if c.closed {
		return
	}
	c.finishLocked(fmt.Errorf("env: connection %s to %s reset: %w", c.local, c.remote, ErrConnReset))
	c.kickLocked()
}

// connIDsLocked returns the ids of the registered connections in creation
// order, so that walking them never depends on map order.
func (n *MemNetwork) connIDsLocked() []uint64 {
	ids := make([]uint64, 0, len(n.conns))
	for id := range n.conns {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
