package store

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/consumequeue"
	"github.com/apogeemq/apogee/env"
)

// dispatcher follows the CommitLog. Whoever publishes data calls
// kickDispatch; one caller at a time dispatches, the others leave their work
// to it through more.
type dispatcher struct {
	mu        sync.Mutex
	more      atomic.Bool
	reputFrom int64 // guarded by mu: the next record to dispatch

	// lastTopic caches the string of the last topic seen, so dispatching a
	// run of records of one topic does not allocate per record.
	lastTopicBytes []byte
	lastTopic      string

	// deleted maps a deleted topic to the CommitLog end at its deletion:
	// its records below that are not dispatched. Entries go once dispatch
	// has passed them. Guarded by mu.
	deleted map[string]int64

	// Progress for the checkpoint: the store time and end offset of the
	// last dispatched record.
	lastStoreTimestampMs atomic.Int64
	lastEnd              atomic.Int64
}

// kickDispatch dispatches every record that became visible, or hands the
// work to the caller already dispatching.
func (s *Store) kickDispatch() {
	if s.closed.Load() {
		return // Close dispatches what is left itself
	}
	s.dispatch.more.Store(true)
	for s.dispatch.more.Load() {
		if !s.dispatch.mu.TryLock() {
			return // the holder re-checks more after unlocking
		}
		s.dispatch.more.Store(false)
		s.dispatchLocked()
		s.dispatch.mu.Unlock()
	}
}

// dispatchLimit is how far consumers may see: under sync flush only what is
// durable, so no consumer sees a message a crash could take back; with a
// replicator that confirms (a SYNC_MASTER) only what a slave holds too, so
// no consumer moves past a message a promotion could take back.
func (s *Store) dispatchLimit() int64 {
	limit := s.cl.MaxOffset()
	if s.cfg.CommitLog.FlushMode == commitlog.FlushSync {
		limit = s.cl.FlushedOffset()
	}
	if r := s.replicatorOrNil(); r != nil {
		limit = min(limit, r.ConfirmedOffset())
	}
	return limit
}

// dispatchLocked builds ConsumeQueue units and index entries for every
// record from reputFrom to the dispatch limit. The caller holds dispatch.mu.
func (s *Store) dispatchLocked() {
	d := &s.dispatch
	limit := s.dispatchLimit()
	for d.reputFrom < limit && !s.notWritable.Load() {
		rec, ref, err := s.cl.ReadRecord(d.reputFrom)
		switch {
		case errors.Is(err, commitlog.ErrBlank):
			// The blank tail of a segment: nothing to dispatch, but
			// dispatch has passed it.
			d.reputFrom = s.cl.NextSegmentStart(d.reputFrom)
			d.lastEnd.Store(min(d.reputFrom, limit))
			continue
		case errors.Is(err, commitlog.ErrOffsetExpired):
			// Retention removed the segment before it was dispatched.
			d.reputFrom = max(d.reputFrom+1, s.cl.MinOffset())
			continue
		case err != nil:
			s.failWrites(fmt.Errorf("reading CommitLog at %d for dispatch: %w", d.reputFrom, err))
			return
		}
		if rec.EndOffset() > limit {
			// A slave acknowledged part of it only.
			ref.Release()
			return
		}
		err = s.dispatchRecord(&rec)
		ref.Release()
		if errors.Is(err, env.ErrNoSpace) {
			// A full disk is not a broken store: refuse puts, leave the
			// record where it is, and let the cleaning tick dispatch it
			// again once space is back (dispatch is idempotent).
			if s.diskFull.CompareAndSwap(false, true) {
				s.logger.Error("store: disk full while dispatching; refusing puts until space is freed", "err", err)
			}
			return
		}
		if err != nil {
			s.failWrites(err)
			return
		}
		d.reputFrom = rec.EndOffset()
		d.lastStoreTimestampMs.Store(rec.StoreTimestampMs)
		d.lastEnd.Store(d.reputFrom)
	}
	for topic, watermark := range d.deleted {
		if d.reputFrom >= watermark {
			delete(d.deleted, topic)
		}
	}
}

// failWrites stops the store after a dispatch write it cannot complete: a
// ConsumeQueue that misses units would serve wrong data.
func (s *Store) failWrites(err error) {
	s.fail(fmt.Errorf("dispatching: %w", err))
}

func (s *Store) topicString(b []byte) string {
	d := &s.dispatch
	if !bytes.Equal(b, d.lastTopicBytes) {
		d.lastTopic = string(b)
		d.lastTopicBytes = append(d.lastTopicBytes[:0], b...)
	}
	return d.lastTopic
}

// dispatchRecord writes the record's ConsumeQueue unit and index entries.
func (s *Store) dispatchRecord(rec *commitlog.Record) error {
	topic := s.topicString(rec.Topic)
	if watermark, ok := s.dispatch.deleted[topic]; ok && rec.PhysOffset < watermark {
		return nil // a record of a topic deleted since it was stored
	}
	txType := rec.TransactionType()
	if txType == commitlog.SysFlagTransactionNone || txType == commitlog.SysFlagTransactionCommit {
		cq, err := s.cqs.GetOrCreate(topic, rec.QueueID)
		if errors.Is(err, consumequeue.ErrBadName) {
			// Not a queue RocketMQ could name; the record stays readable by
			// offset but no queue serves it.
			s.logger.Warn("store: record with an invalid topic or queue not dispatched", "offset", rec.PhysOffset, "err", err)
			return nil
		}
		if err != nil {
			return fmt.Errorf("dispatching %d: %w", rec.PhysOffset, err)
		}
		tag := s.tagCodeOf(rec, topic)
		if err := cq.Append(rec.QueueOffset, rec.PhysOffset, rec.TotalSize, tag); err != nil {
			return fmt.Errorf("dispatching %d to %s/%d: %w", rec.PhysOffset, topic, rec.QueueID, err)
		}
		if l := s.listener.Load(); l != nil {
			(*l)(topic, rec.QueueID, rec.QueueOffset, tag)
		}
	}
	if s.idx != nil && txType != commitlog.SysFlagTransactionRollback {
		keys, _ := commitlog.PropertyValue(rec.Properties, commitlog.PropertyKeys)
		uniq, _ := commitlog.PropertyValue(rec.Properties, commitlog.PropertyUniqKey)
		if len(keys) > 0 || len(uniq) > 0 {
			if err := s.idx.PutRecord(topic, string(keys), string(uniq), rec.PhysOffset, rec.StoreTimestampMs); err != nil {
				return fmt.Errorf("indexing %d: %w", rec.PhysOffset, err)
			}
		}
	}
	return nil
}

// tagCodeOf is the ConsumeQueue tag slot: the tag's hash, or for delayed
// messages parked in SCHEDULE_TOPIC_XXXX their delivery time (spec §5.1).
func (s *Store) tagCodeOf(rec *commitlog.Record, topic string) int64 {
	if topic == ScheduleTopic {
		if v, ok := commitlog.PropertyValue(rec.Properties, commitlog.PropertyDelayLevel); ok {
			if level, err := strconv.Atoi(string(v)); err == nil && level > 0 && len(s.cfg.DelayLevels) > 0 {
				level = min(level, len(s.cfg.DelayLevels))
				return rec.StoreTimestampMs + s.cfg.DelayLevels[level-1].Milliseconds()
			}
		}
		return rec.StoreTimestampMs
	}
	tags, ok := commitlog.PropertyValue(rec.Properties, commitlog.PropertyTags)
	if !ok {
		return 0
	}
	return TagCode(string(tags))
}

// TagCode is the ConsumeQueue tag code of a tag (spec §5.1).
func TagCode(tags string) int64 { return consumequeue.TagCode(tags) }

// DispatchedOffset returns the CommitLog offset up to which every record has
// its ConsumeQueue unit and index entries.
func (s *Store) DispatchedOffset() int64 { return s.dispatch.lastEnd.Load() }
