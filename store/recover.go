package store

import (
	"fmt"

	"github.com/apogeemq/apogee/commitlog"
)

// recover brings the CommitLog, the ConsumeQueues and the index into
// agreement (see the package doc), then dispatches what they miss.
func (s *Store) recover(cp Checkpoint) error {
	indexRebuildFrom := int64(-1)
	if s.report.Abnormal && s.idx != nil && s.cfg.MessageIndexSafe {
		// Index files written since the index was last known durable may
		// hold torn entries or slots; drop them and rebuild them from the
		// CommitLog.
		n, from, err := s.idx.RemoveUnsafe(cp.IndexSafePhyOffset)
		if err != nil {
			return fmt.Errorf("store: dropping index files written since the checkpoint: %w", err)
		}
		if n > 0 {
			indexRebuildFrom = from
			s.logger.Info("store: dropped index files to rebuild", "files", n, "from", from)
		}
	}
	if err := s.cqs.RecoverAll(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	dispatchedTo := s.cqs.MaxPhysicOffset()

	opts := commitlog.RecoverOptions{Abnormal: s.report.Abnormal}
	if s.report.Abnormal {
		opts.MinTimestampMs = cp.MinTimestampMs()
	} else {
		opts.DispatchFromOffset = dispatchedTo
		opts.RedispatchFrom = dispatchedTo
	}
	res, err := s.cl.Recover(opts, nil)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	s.report.CommitLog = res
	if !res.CleanEnd() {
		s.logger.Warn("store: CommitLog ends at a corrupt record; the rest was cut",
			"offset", res.EndOffset, "reason", res.StopReason, "segmentsRemoved", res.SegmentsRemoved)
	}
	// Units pointing at or past the end of the valid log name records that
	// no longer exist. After a crash, units written since the checkpoint may
	// also be torn: drop everything from the scan start and rebuild it.
	cut := res.EndOffset
	if s.report.Abnormal {
		cut = res.ScanStart
	}
	if err := s.cqs.TruncateByPhysOffsetAll(cut); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	// Records recovered from the page cache are not necessarily on disk:
	// make them durable before anyone is told about them.
	if err := s.cl.Flush(); err != nil {
		return fmt.Errorf("store: flushing recovered CommitLog: %w", err)
	}

	from := res.ScanStart
	if !s.report.Abnormal {
		from = max(min(s.cqs.MaxPhysicOffset(), res.EndOffset), res.ScanStart)
	}
	if indexRebuildFrom >= 0 {
		// Records before the scan start are trusted; dispatching them again
		// only rebuilds the dropped index files (their ConsumeQueue units are
		// there and are skipped).
		from = min(from, indexRebuildFrom)
	}
	from = max(from, s.cl.MinOffset())
	s.report.RedispatchFrom = from
	s.dispatch.mu.Lock()
	s.dispatch.reputFrom = from
	s.dispatchLocked()
	// Every record below reputFrom has its unit, whether this run or an
	// earlier one dispatched it: DispatchedOffset must not read 0 after a
	// recovery that had nothing to re-dispatch.
	s.dispatch.lastEnd.Store(max(s.dispatch.lastEnd.Load(), s.dispatch.reputFrom))
	stoppedAt, limit := s.dispatch.reputFrom, s.dispatchLimit()
	s.dispatch.mu.Unlock()
	if s.notWritable.Load() {
		return fmt.Errorf("store: re-dispatch after recovery failed: %w", ErrNotWritable)
	}
	if stoppedAt < limit {
		// A full disk stopped re-dispatch: the queue offsets below would
		// come from ConsumeQueues that miss records, and hand out offsets
		// that records already hold. Refuse to open instead.
		return fmt.Errorf("store: re-dispatch after recovery stopped at CommitLog offset %d of %d: %w", stoppedAt, limit, ErrDiskFull)
	}

	minPhys := s.cl.MinOffset()
	for _, q := range s.cqs.Queues() {
		q.CorrectMinOffset(minPhys)
		next := q.MaxOffset()
		if s.cfg.PlantedBug == BugReuseQueueOffset && next > 0 {
			next--
		}
		s.cl.SetQueueOffset(q.Topic(), q.QueueID(), next)
	}
	// The rebuilt state is the new baseline for the next crash.
	return s.flushLogic(true)
}
