package ha

import (
	"time"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/store"
)

// waiter is a SYNC_MASTER put waiting for an acknowledgement.
type waiter struct {
	endOffset int64
	deadline  time.Time
	done      func(store.PutStatus)
}

// waiters holds the waiting puts in arrival order, which is deadline order
// (every put waits the same SlaveTimeout). Guarded by Server.mu.
type waiters struct {
	list []waiter
	// minEnd is the lowest endOffset in list: an acknowledgement below it
	// completes nothing and skips the scan.
	minEnd   int64
	sweep    env.Timer
	sweepGen uint64 // tells a stale sweep from the armed one
	// spare is a buffer for the puts an acknowledgement completes, lent to
	// one ackChanged at a time (another one allocates its own).
	spare []waiter
}

// WaitReplicated calls done once a slave acknowledged endOffset
// (store.Replicator): PutOK then, PutFlushSlaveTimeout after SlaveTimeout or
// when MaxPendingWaiters already wait, PutSlaveNotAvailable at once when no
// slave has acknowledged anything or the best is SlaveFallBehindMaxBytes or
// more behind. An ASYNC_MASTER (SyncMaster false) answers PutOK at once.
// done runs with no lock of the server held, maybe before WaitReplicated
// returns.
func (s *Server) WaitReplicated(endOffset int64, done func(store.PutStatus)) {
	if !s.cfg.SyncMaster {
		done(store.PutOK)
		return
	}
	s.mu.Lock()
	var answer store.PutStatus
	switch {
	case s.closed, s.best < 0, endOffset-s.best >= s.cfg.SlaveFallBehindMaxBytes:
		answer = store.PutSlaveNotAvailable
	case s.best >= endOffset:
		answer = store.PutOK
	case len(s.w.list) >= s.cfg.MaxPendingWaiters:
		answer = store.PutFlushSlaveTimeout
	default:
		if len(s.w.list) == 0 || endOffset < s.w.minEnd {
			s.w.minEnd = endOffset
		}
		s.w.list = append(s.w.list, waiter{endOffset: endOffset, deadline: s.now().Add(s.cfg.SlaveTimeout), done: done})
		if s.w.sweep == nil {
			s.armSweepLocked(s.cfg.SlaveTimeout)
		}
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	done(answer)
}

// ackChanged recomputes the best acknowledgement and completes the puts it
// reached.
func (s *Server) ackChanged() {
	s.mu.Lock()
	best := int64(-1)
	for _, c := range s.conns {
		best = max(best, c.ack.Load())
	}
	s.best = best
	var ready []waiter
	if len(s.w.list) > 0 && best >= s.w.minEnd {
		ready, s.w.spare = s.w.spare, nil
		keep := s.w.list[:0]
		minEnd := int64(-1)
		for _, w := range s.w.list {
			if w.endOffset <= best {
				ready = append(ready, w)
				continue
			}
			if minEnd < 0 || w.endOffset < minEnd {
				minEnd = w.endOffset
			}
			keep = append(keep, w)
		}
		clear(s.w.list[len(keep):])
		s.w.list, s.w.minEnd = keep, minEnd
		if len(keep) == 0 {
			s.stopSweepLocked()
		}
	}
	confirmed := s.cfg.SyncMaster && best > s.confirmed.Load()
	if confirmed {
		s.confirmed.Store(best)
	}
	s.mu.Unlock()
	if confirmed {
		s.src.ReplicaConfirmed()
	}
	if ready == nil {
		return
	}
	for i := range ready {
		ready[i].done(store.PutOK)
		ready[i] = waiter{}
	}
	s.mu.Lock()
	s.w.spare = ready[:0]
	s.mu.Unlock()
}

// armSweepLocked schedules the timeout sweep after d. s.mu is held.
func (s *Server) armSweepLocked(d time.Duration) {
	s.w.sweepGen++
	gen := s.w.sweepGen
	s.w.sweep = s.e.Clock.AfterFunc(d, func() { s.sweepExpired(gen) })
}

// stopSweepLocked cancels the sweep. s.mu is held.
func (s *Server) stopSweepLocked() {
	if s.w.sweep != nil {
		s.w.sweep.Stop()
		s.w.sweep = nil
		s.w.sweepGen++
	}
}

// sweepExpired completes the puts whose deadline passed with
// PutFlushSlaveTimeout and re-arms for the next deadline.
func (s *Server) sweepExpired(gen uint64) {
	s.mu.Lock()
	if gen != s.w.sweepGen {
		s.mu.Unlock()
		return
	}
	s.w.sweep = nil
	now := s.now()
	n := 0
	for n < len(s.w.list) && !s.w.list[n].deadline.After(now) {
		n++
	}
	expired := append([]waiter(nil), s.w.list[:n]...)
	rest := copy(s.w.list, s.w.list[n:])
	clear(s.w.list[rest:])
	s.w.list = s.w.list[:rest]
	minEnd := int64(-1)
	for _, w := range s.w.list {
		if minEnd < 0 || w.endOffset < minEnd {
			minEnd = w.endOffset
		}
	}
	s.w.minEnd = minEnd
	if len(s.w.list) > 0 {
		s.armSweepLocked(s.w.list[0].deadline.Sub(now))
	}
	s.mu.Unlock()
	for _, w := range expired {
		w.done(store.PutFlushSlaveTimeout)
	}
}

// failAllWaiters completes every waiting put with PutFlushSlaveTimeout (the
// server closed).
func (s *Server) failAllWaiters() {
	s.mu.Lock()
	list := s.w.list
	s.w.list = nil
	s.stopSweepLocked()
	s.mu.Unlock()
	for _, w := range list {
		w.done(store.PutFlushSlaveTimeout)
	}
}

// The Server is the store's replication hook.
var _ store.Replicator = (*Server)(nil)
