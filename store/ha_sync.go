package store

import (
	"errors"
	"sync/atomic"

	"github.com/apogeemq/apogee/commitlog"
)

// Errors explaining the replication statuses of a put (the message is
// stored in both cases; only the promise that a slave holds it failed).
var (
	// ErrFlushSlaveTimeout: no slave acknowledged the record within the
	// replicator's slave timeout (FLUSH_SLAVE_TIMEOUT).
	ErrFlushSlaveTimeout = errors.New("store: no slave acknowledged the message in time")
	// ErrSlaveNotAvailable: no slave was connected, or the best one was too
	// far behind to be waited for (SLAVE_NOT_AVAILABLE).
	ErrSlaveNotAvailable = errors.New("store: no slave available")
)

// Replicator is a master's replication as the store sees it; package ha's
// Server implements it. Both methods are called on the putting goroutine,
// with no lock of the store held, and must not block.
type Replicator interface {
	// Appended says that the CommitLog now ends at endOffset, after every
	// put (waiting or not), so that idle streams to slaves move on.
	Appended(endOffset int64)
	// WaitReplicated calls done once: PutOK when a slave acknowledged
	// endOffset, PutFlushSlaveTimeout when none did in time, or
	// PutSlaveNotAvailable at once when no slave can be waited for. An
	// asynchronous master answers PutOK at once. done may run before
	// WaitReplicated returns, and on another goroutine.
	WaitReplicated(endOffset int64, done func(PutStatus))
	// ConfirmedOffset bounds what consumers see: dispatch stops there
	// (a SYNC_MASTER's highest offset a slave acknowledged, -1 before any;
	// math.MaxInt64 for no bound). It must be cheap: every dispatch reads
	// it. When it moves, the replicator calls Store.ReplicaConfirmed.
	ConfirmedOffset() int64
}

// ReplicaConfirmed dispatches what the replicator's ConfirmedOffset now lets
// consumers see (package ha's Server calls it).
func (s *Store) ReplicaConfirmed() { s.kickDispatch() }

// SetReplicator installs the master's replicator; nil removes it (a slave,
// or a master without replication). Once set, every put tells it the new
// end of the log, and puts that wait (WAIT not "false") complete only when
// it has answered: a SYNC_MASTER's reply waits for a slave.
//
// Under SYNC_FLUSH the flush and the replication are waited for in
// parallel, and the put completes when both have answered: the latency is
// the longer of the two rather than their sum, and neither promise is
// weakened, since the answer still needs both. A failed flush makes the
// status FLUSH_DISK_TIMEOUT (or OS_PAGE_CACHE_BUSY), a failed replication
// FLUSH_SLAVE_TIMEOUT or SLAVE_NOT_AVAILABLE, and when both fail the
// replication's status wins, as in RocketMQ.
func (s *Store) SetReplicator(r Replicator) {
	if r == nil {
		s.replicator.Store(nil)
		return
	}
	s.replicator.Store(&r)
}

// settleReplicated completes a waiting put on a master with a replicator.
func (s *Store) settleReplicated(r Replicator, res PutResult, endOffset int64, done func(PutResult)) {
	syncFlush := s.cfg.CommitLog.FlushMode == commitlog.FlushSync
	if !syncFlush || s.cfg.PlantedBug == BugAckBeforeFlush {
		if !syncFlush {
			s.kickDispatch()
		}
		r.WaitReplicated(endOffset, func(st PutStatus) {
			applyReplicaStatus(&res, st)
			done(res)
		})
		return
	}
	j := &joinedPut{s: s, res: res, done: done}
	j.pending.Store(2)
	s.cl.Durable(endOffset, j.flushed)
	r.WaitReplicated(endOffset, j.replicated)
}

// joinedPut waits for a put's flush and its replication at once.
type joinedPut struct {
	s        *Store
	res      PutResult
	done     func(PutResult)
	flushErr error
	replica  PutStatus
	// pending counts the answers still missing; the one that brings it to
	// zero completes the put (the atomic orders the two writes before it).
	pending atomic.Int32
}

func (j *joinedPut) flushed(err error) {
	j.s.kickDispatch()
	j.flushErr = err
	j.finish()
}

func (j *joinedPut) replicated(st PutStatus) {
	j.replica = st
	j.finish()
}

func (j *joinedPut) finish() {
	if j.pending.Add(-1) != 0 {
		return
	}
	if j.flushErr != nil {
		j.res.Err = j.flushErr
		j.res.Status = PutFlushDiskTimeout
		if errors.Is(j.flushErr, commitlog.ErrFlushWaitersFull) {
			j.res.Status = PutOSPageCacheBusy
		}
	}
	applyReplicaStatus(&j.res, j.replica)
	j.done(j.res)
}

// applyReplicaStatus records a replication answer other than PutOK.
func applyReplicaStatus(res *PutResult, st PutStatus) {
	switch st {
	case PutOK:
		return
	case PutFlushSlaveTimeout:
		res.Err = errors.Join(res.Err, ErrFlushSlaveTimeout)
	case PutSlaveNotAvailable:
		res.Err = errors.Join(res.Err, ErrSlaveNotAvailable)
	}
	res.Status = st
}

// replicatorOrNil returns the installed replicator.
func (s *Store) replicatorOrNil() Replicator {
	if p := s.replicator.Load(); p != nil {
		return *p
	}
	return nil
}
