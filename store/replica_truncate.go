package store

import (
	"errors"
	"fmt"

	"github.com/apogeemq/apogee/commitlog"
)

// TruncateTo cuts the store back to the start of the record that holds
// physOffset (physOffset itself when a record starts there) and returns that
// offset: a slave whose log parted from its master's, a slave about to be
// promoted that drops what its master never confirmed, an old master
// rejoining as a slave. Offsets at or past the end cut nothing but a
// replicated record still arriving.
//
// Everything from the cut is dropped: the CommitLog's tail (zeroed),
// ConsumeQueue units pointing there, and the index files that may hold
// entries for it, which are rebuilt by dispatching the kept records again
// from the end of the last index file kept (so a cut can re-read up to one
// index file's worth of records). The CommitLog is then flushed and
// dispatched to the cut, each queue's next offset is set to its ConsumeQueue's
// end, so no queue offset is handed out twice, and the checkpoint claims no
// progress past the cut. Sync-flush waiters past the cut complete with
// commitlog.ErrTruncated.
//
// No put, AppendReplica or read (Get, QueryByKey) may run concurrently: the
// caller fences them (a slave's replication is paused and its pulls held
// around a cut). Timers and Close wait for it.
func (s *Store) TruncateTo(physOffset int64) (int64, error) {
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	if s.closed.Load() {
		return 0, ErrClosed
	}
	if err := s.Err(); err != nil {
		return 0, err
	}
	d := &s.dispatch
	d.mu.Lock()
	defer d.mu.Unlock()
	cut, err := s.cl.RecordStartAtOrBelow(physOffset)
	if err != nil {
		return 0, fmt.Errorf("store: truncating to %d: %w", physOffset, err)
	}
	cutsRecords := cut < s.cl.MaxOffset()
	if err := s.cl.TruncateTo(cut); err != nil {
		return 0, fmt.Errorf("store: truncating the CommitLog to %d: %w", cut, err)
	}
	if !cutsRecords {
		return cut, nil
	}
	if err := s.cqs.TruncateByPhysOffsetAll(cut); err != nil {
		s.fail(fmt.Errorf("truncating ConsumeQueues to %d: %w", cut, err))
		return 0, s.Err()
	}
	rebuildFrom := cut
	keptIndexEndMs := int64(-1)
	if s.idx != nil && s.idx.MaxPhyOffset() >= cut {
		n, from, err := s.idx.RemoveUnsafe(cut)
		if err != nil {
			s.fail(fmt.Errorf("dropping index files past %d: %w", cut, err))
			return 0, s.Err()
		}
		if n > 0 {
			rebuildFrom = min(rebuildFrom, from)
		}
		keptIndexEndMs, _ = s.idx.LastUpdate()
	}
	for topic, watermark := range d.deleted {
		d.deleted[topic] = min(watermark, cut)
	}
	// Progress claims past the cut are void; the re-dispatch below makes
	// new ones for the records it passes, at least the last one kept.
	if last, ok := s.lastRecordBefore(cut); ok {
		rebuildFrom = min(rebuildFrom, last)
	}
	d.reputFrom = max(min(d.reputFrom, rebuildFrom), s.cl.MinOffset())
	d.lastStoreTimestampMs.Store(0)
	d.lastEnd.Store(d.reputFrom)
	if err := s.cl.Flush(); err != nil {
		return 0, fmt.Errorf("store: flushing the CommitLog after truncating to %d: %w", cut, err)
	}
	s.dispatchLocked()
	d.lastEnd.Store(d.reputFrom)
	if d.reputFrom < cut {
		// Dispatch stopped (a full disk): the ConsumeQueues miss records, so
		// their ends are too low to restart the queues from. The CommitLog's
		// counters, at least as high, stay.
		return cut, fmt.Errorf("store: dispatch after truncating to %d stopped at %d: %w", cut, d.reputFrom, errors.Join(ErrDiskFull, s.Err()))
	}
	for _, q := range s.cqs.Queues() {
		s.cl.SetQueueOffset(q.Topic(), q.QueueID(), q.MaxOffset())
	}
	lastMs := d.lastStoreTimestampMs.Load()
	s.cp.update(func(c *Checkpoint) {
		c.PhysicMsgTimestampMs = min(c.PhysicMsgTimestampMs, lastMs)
		c.LogicsMsgTimestampMs = min(c.LogicsMsgTimestampMs, lastMs)
		c.IndexSafePhyOffset = min(c.IndexSafePhyOffset, rebuildFrom)
		if keptIndexEndMs >= 0 {
			c.IndexMsgTimestampMs = min(c.IndexMsgTimestampMs, keptIndexEndMs)
		}
	})
	if err := s.flushLogic(true); err != nil {
		s.fail(fmt.Errorf("flushing after truncating to %d: %w", cut, err))
		return 0, s.Err()
	}
	return cut, nil
}

// lastRecordBefore returns the start of the last record (not blank) that
// ends at or before end, if the log holds one.
func (s *Store) lastRecordBefore(end int64) (int64, bool) {
	for end > s.cl.MinOffset() {
		start, err := s.cl.RecordStartAtOrBelow(end - 1)
		if err != nil {
			return 0, false
		}
		_, ref, err := s.cl.ReadRecord(start)
		if errors.Is(err, commitlog.ErrBlank) {
			end = start
			continue
		}
		if err != nil {
			return 0, false
		}
		ref.Release()
		return start, true
	}
	return 0, false
}
