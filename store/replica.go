package store

import (
	"errors"
	"fmt"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
)

// Replication hooks (spec/store.md §12). A master's replication reads its
// CommitLog raw (ReadCommitLog); a slave appends what its master streams
// (AppendReplica), dispatches it for itself and reports ReplicaEnd; either
// cuts its log back with TruncateTo when the histories part. Package ha
// drives them.

// ReadCommitLog returns up to maxBytes written CommitLog bytes from
// physOffset, never past the end of its segment, as a view into the mapping
// held by the Ref until released: what a master streams to its slaves
// without copying. The errors are the CommitLog's: ErrOffsetNotWritten at or
// past the end, ErrOffsetExpired below the oldest segment.
//
// It reads nothing at or past ReplicableEnd: under sync flush a slave is
// streamed only what its master has made durable.
func (s *Store) ReadCommitLog(physOffset int64, maxBytes int) ([]byte, commitlog.Ref, error) {
	if avail := s.ReplicableEnd() - physOffset; avail < int64(maxBytes) && physOffset >= s.cl.MinOffset() {
		if avail <= 0 {
			return nil, commitlog.Ref{}, commitlog.ErrOffsetNotWritten
		}
		maxBytes = int(avail)
	}
	return s.cl.ReadAvailable(physOffset, maxBytes)
}

// ReplicableEnd returns the end of what a master streams to its slaves: the
// published end of the CommitLog under async flush, its durable end under
// sync flush. Under sync flush a slave thus never holds a record its master
// could lose to a machine crash: were it to serve one to consumers while the
// master is down, the recovered master would hand that record's queue
// offsets out again to other messages, and consumers that had moved past
// them would skip acknowledged messages. The master's own consumers see
// only flushed records too (dispatch waits for the flush), and the
// replication of a record still overlaps the flush of the records after
// it. Under async flush the published end is streamed, as RocketMQ does: a
// master that loses its unflushed tail loses data anyway, and its slave is
// cut back to the master's history when it reconnects (package broker).
func (s *Store) ReplicableEnd() int64 {
	if s.cfg.CommitLog.FlushMode == commitlog.FlushSync {
		return min(s.cl.FlushedOffset(), s.cl.MaxOffset())
	}
	return s.cl.MaxOffset()
}

// CommitLogSegmentSizeBytes returns the size of a CommitLog segment: an
// empty slave starts at its master's newest segment.
func (s *Store) CommitLogSegmentSizeBytes() int64 { return s.cl.Config().SegmentSizeBytes }

// ReplicaEnd returns where the next replicated bytes must start: the end of
// the CommitLog, including a replicated record still arriving. A slave
// reports it to its master.
func (s *Store) ReplicaEnd() int64 { return s.cl.RawEnd() }

// AppendReplica appends bytes of the master's CommitLog at physOffset
// (ReplicaEnd, or a segment boundary for an empty store) verbatim, then
// dispatches the records they complete for this store's own ConsumeQueues
// and index, following its own flush mode: at once under async flush, once
// flushed under sync flush. Queue offsets follow the replicated records.
// data must not cross a segment boundary and is copied. Errors wrap the
// CommitLog's (commitlog.ErrRawOffset, ErrCrossesSegment, ErrCorrupt) or the
// store's state (ErrClosed, ErrDiskFull, ErrNotWritable); a full disk marks
// the store full as a put does. Callers serialize AppendReplica and
// TruncateTo, and never mix them with puts.
func (s *Store) AppendReplica(physOffset int64, data []byte) error {
	if _, err := s.checkWritable(); err != nil {
		return fmt.Errorf("store: appending replicated bytes at %d: %w", physOffset, err)
	}
	if err := s.cl.AppendRaw(physOffset, data); err != nil {
		if errors.Is(err, env.ErrNoSpace) {
			err = s.appendFailure(err).Err
		}
		return fmt.Errorf("store: appending replicated bytes at %d: %w", physOffset, err)
	}
	if s.cfg.CommitLog.FlushMode == commitlog.FlushSync {
		// Consumers see only flushed records; the group commit (or the
		// periodic flush, when the waiters are full) dispatches them.
		s.cl.Durable(s.cl.MaxOffset(), s.dispatchAfterFlush)
		return nil
	}
	s.kickDispatch()
	return nil
}

// dispatchAfterFlush is the Durable callback of replicated bytes.
func (s *Store) dispatchAfterFlush(error) { s.kickDispatch() }
