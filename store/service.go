package store

import (
	"fmt"
	"slices"
	"time"

	"github.com/apogeemq/apogee/commitlog"
)

// startTimers arms the periodic services: the ConsumeQueue flusher (which
// also persists the checkpoint), retention, and under sync flush a dispatch
// sweep for records that nobody waited for.
func (s *Store) startTimers() {
	s.lastThorough = s.e.Clock.Now()
	s.every("flushConsumeQueue", s.cfg.FlushConsumeQueueInterval, s.flushLogicTick)
	s.every("cleanResource", s.cfg.CleanResourceInterval, s.cleanTick)
	if s.cfg.CommitLog.FlushMode == commitlog.FlushSync {
		interval := s.cfg.CommitLog.FlushInterval
		if interval <= 0 {
			interval = commitlog.DefaultFlushInterval
		}
		s.every("dispatchSweep", interval, s.kickDispatch)
	}
}

// every runs fn every d until the store closes. Each run holds bgMu (read)
// so Close can wait for a run in progress.
func (s *Store) every(name string, d time.Duration, fn func()) {
	if d <= 0 {
		return
	}
	var tick func()
	tick = func() {
		s.bgMu.RLock()
		if s.closed.Load() {
			s.bgMu.RUnlock()
			return
		}
		fn()
		s.bgMu.RUnlock()
		s.timersMu.Lock()
		defer s.timersMu.Unlock()
		if !s.closed.Load() {
			s.timers[name] = s.e.Clock.AfterFunc(d, tick)
		}
	}
	s.timersMu.Lock()
	s.timers[name] = s.e.Clock.AfterFunc(d, tick)
	s.timersMu.Unlock()
}

func (s *Store) stopTimers() {
	s.timersMu.Lock()
	defer s.timersMu.Unlock()
	for name, t := range s.timers {
		t.Stop()
		delete(s.timers, name)
	}
}

func (s *Store) flushLogicTick() {
	now := s.e.Clock.Now()
	thorough := now.Sub(s.lastThorough) >= s.cfg.FlushConsumeQueueThoroughInterval
	if thorough {
		s.lastThorough = now
	}
	if s.notWritable.Load() {
		return // nothing more may claim durability (see fail)
	}
	if err := s.flushLogic(thorough); err != nil {
		s.fail(fmt.Errorf("flushing ConsumeQueues, index or checkpoint: %w", err))
	}
}

// flushLogic flushes the ConsumeQueues (all dirty pages when thorough) and
// advances the checkpoint. The progress is captured before flushing, so the
// checkpoint never claims more than is durable: logicsMsgTimestamp moves
// only after a thorough flush of every queue and the index.
func (s *Store) flushLogic(thorough bool) error {
	ts, end := s.dispatch.lastStoreTimestampMs.Load(), s.dispatch.lastEnd.Load()
	leastPages := s.cfg.FlushConsumeQueueLeastPages
	if thorough {
		leastPages = 0
	}
	indexSafe := int64(-1)
	err := s.cqs.FlushAll(leastPages)
	if thorough && err == nil && s.idx != nil {
		// Every record dispatched so far has its entries in the files the
		// flush covers.
		indexSafe = s.dispatch.lastEnd.Load()
		err = s.idx.Flush()
	}
	if err != nil {
		return err
	}
	s.cp.update(func(c *Checkpoint) {
		if indexSafe >= 0 {
			c.IndexSafePhyOffset = max(c.IndexSafePhyOffset, indexSafe)
		}
		if s.cl.FlushedOffset() >= end {
			c.PhysicMsgTimestampMs = max(c.PhysicMsgTimestampMs, ts)
		}
		if thorough {
			c.LogicsMsgTimestampMs = max(c.LogicsMsgTimestampMs, ts)
		}
	})
	return s.cp.flush()
}

// CleanExpiredFiles asks the next retention rounds to delete expired files
// regardless of the hour, as RocketMQ's admin command does (20 rounds).
func (s *Store) CleanExpiredFiles() {
	s.manualClean.Store(20)
}

// RunRetention runs one retention round now (the timer runs it every
// CleanResourceInterval). It returns how many CommitLog segments it deleted.
func (s *Store) RunRetention() (int, error) {
	s.bgMu.RLock()
	defer s.bgMu.RUnlock()
	if s.closed.Load() {
		return 0, ErrClosed
	}
	return s.retention()
}

func (s *Store) cleanTick() {
	if _, err := s.retention(); err != nil {
		s.logger.Error("store: retention", "err", err)
	}
	// Dispatch that stopped on a full disk resumes here.
	if s.dispatch.lastEnd.Load() < s.dispatchLimit() {
		s.kickDispatch()
	}
}

// retention applies spec §11: delete CommitLog segments older than
// FileReservedTime at a DeleteWhen hour, under disk pressure or on request;
// ignore age past DiskSpaceCleanForciblyRatio; mark the disk full past
// DiskSpaceWarningLevelRatio. Then drop ConsumeQueue and index files that
// point only below the new CommitLog minimum.
func (s *Store) retention() (int, error) {
	usage, err := s.e.FS.Usage(s.cfg.RootDir)
	if err != nil {
		return 0, fmt.Errorf("store: disk usage: %w", err)
	}
	ratio := usage.UsedRatio()
	switch {
	case ratio > s.cfg.DiskSpaceWarningLevelRatio:
		if s.diskFull.CompareAndSwap(false, true) {
			s.logger.Error("store: disk usage above the warning level; refusing puts", "usedRatio", ratio)
		}
	case ratio <= s.cfg.DiskSpaceCleanForciblyRatio:
		if s.diskFull.CompareAndSwap(true, false) {
			s.logger.Info("store: disk usage back to normal; accepting puts", "usedRatio", ratio)
		}
	}
	now := s.e.Clock.Now()
	timeUp := slices.Contains(s.cfg.DeleteWhen, now.Hour())
	spaceFull := ratio > s.cfg.DiskMaxUsedSpaceRatio
	manual := s.manualClean.Load() > 0
	if manual {
		s.manualClean.Add(-1)
	}
	if !timeUp && !spaceFull && !manual {
		return 0, nil
	}
	force := ratio > s.cfg.DiskSpaceCleanForciblyRatio
	deleted, err := s.cl.DeleteExpiredSegments(now.Add(-s.cfg.FileReservedTime), force, s.cfg.DeleteFileBatchMax)
	if deleted > 0 {
		s.logger.Info("store: deleted expired CommitLog segments", "count", deleted, "forced", force)
	}
	if err != nil {
		return deleted, fmt.Errorf("store: deleting CommitLog segments: %w", err)
	}
	minPhys := s.cl.MinOffset()
	if _, err := s.cqs.DeleteBelowPhysOffsetAll(minPhys); err != nil {
		return deleted, fmt.Errorf("store: deleting ConsumeQueue files: %w", err)
	}
	for _, q := range s.cqs.Queues() {
		q.CorrectMinOffset(minPhys)
	}
	if s.idx != nil {
		if _, err := s.idx.DeleteFilesBefore(minPhys); err != nil {
			return deleted, fmt.Errorf("store: deleting index files: %w", err)
		}
	}
	return deleted, nil
}

// DiskFull reports whether puts are refused for lack of disk space.
func (s *Store) DiskFull() bool { return s.diskFull.Load() }
