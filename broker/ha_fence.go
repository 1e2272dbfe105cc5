package broker

import (
	"sync"
	"sync/atomic"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/remoting"
)

// readFence keeps the store's readers and its cuts apart: Store.TruncateTo
// must not run while a read is in flight, and a read must not see a log
// being cut. A reader enters before it reads and leaves once nothing it
// read is referenced any more (a pull's records are written to the
// connection first); while the fence is shut, readers are turned away. A
// cut shuts the fence and runs, on the clock, once the last reader has
// left; nothing ever waits.
//
// The fence is open but while replication cuts the log: when a slave's log
// parts from its master's history (ha_slave.go) and when a promotion drops
// the record still arriving (ha_promote.go); and a slave starts with it
// shut, until its log is found to agree with its master's (a slave that
// restarted may hold a tail its next master never had).
type readFence struct {
	clock env.Clock
	// readers counts the reads in flight; a reader counts itself before it
	// looks at open, so that a cut that shuts the fence either sees it or
	// is seen by it.
	readers atomic.Int64
	open    atomic.Bool

	mu sync.Mutex
	// pending is the cut waiting for the readers to leave.
	pending func()
}

func newReadFence(clock env.Clock, open bool) *readFence {
	f := &readFence{clock: clock}
	f.open.Store(open)
	return f
}

// enter admits a reader, or reports false when the fence is shut.
func (f *readFence) enter() bool {
	f.readers.Add(1)
	if f.open.Load() {
		return true
	}
	f.leave()
	return false
}

// leave ends a read; the last reader out starts a pending cut.
func (f *readFence) leave() {
	if f.readers.Add(-1) == 0 && !f.open.Load() {
		f.startPending()
	}
}

// shutThen shuts the fence and runs cut on the clock once no reader is in;
// the fence stays shut until reopen. A cut already pending is replaced:
// only the newest runs.
func (f *readFence) shutThen(cut func()) {
	f.mu.Lock()
	f.pending = cut
	f.mu.Unlock()
	f.open.Store(false)
	if f.readers.Load() == 0 {
		f.startPending()
	}
}

// startPending hands the pending cut, if any, to the clock: never on the
// goroutine of the last reader, which may be inside a store callback.
func (f *readFence) startPending() {
	f.mu.Lock()
	cut := f.pending
	f.pending = nil
	f.mu.Unlock()
	if cut != nil {
		f.clock.AfterFunc(0, cut)
	}
}

// reopen lets readers in again.
func (f *readFence) reopen() { f.open.Store(true) }

// isOpen reports whether readers are let in.
func (f *readFence) isOpen() bool { return f.open.Load() }

// fencedRead wraps a handler that reads the store: it runs inside the
// fence, which it leaves when the answer no longer references store
// memory, and a shut fence answers SYSTEM_BUSY at once.
func (b *Broker) fencedRead(h remoting.Handler) remoting.Handler {
	return func(p remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
		if !b.fence.enter() {
			reply(remoting.NewResponse(req, remoting.ResSystemBusy, errLogBeingCut))
			return
		}
		fp := &fencedPeer{Peer: p, fence: b.fence}
		h(fp, req, reply)
		fp.handlerReturned()
	}
}

// errLogBeingCut is the remark of a read a shut fence turns away.
const errLogBeingCut = "the broker is cutting its CommitLog back for replication; try again shortly"

// fencedPeer is the Peer a fenced handler sees: a ReplyParts keeps the
// read open until its parts are released.
type fencedPeer struct {
	remoting.Peer
	fence *readFence

	mu       sync.Mutex
	parts    int  // ReplyParts calls not yet released
	returned bool // the handler returned
	left     bool
}

// ReplyParts passes the parts on and leaves the fence when they are
// released (and the handler returned).
func (fp *fencedPeer) ReplyParts(req *remoting.Command, resp *remoting.Command, parts [][]byte, release func(error)) {
	fp.mu.Lock()
	fp.parts++
	fp.mu.Unlock()
	fp.Peer.ReplyParts(req, resp, parts, func(err error) {
		if release != nil {
			release(err)
		}
		fp.mu.Lock()
		fp.parts--
		fp.mu.Unlock()
		fp.maybeLeave()
	})
}

func (fp *fencedPeer) handlerReturned() {
	fp.mu.Lock()
	fp.returned = true
	fp.mu.Unlock()
	fp.maybeLeave()
}

// maybeLeave leaves the fence once, when the handler returned and every
// part it handed out was released. A handler that answers later (after
// asking a client) holds no store memory by then.
func (fp *fencedPeer) maybeLeave() {
	fp.mu.Lock()
	done := fp.returned && fp.parts == 0 && !fp.left
	if done {
		fp.left = true
	}
	fp.mu.Unlock()
	if done {
		fp.fence.leave()
	}
}
