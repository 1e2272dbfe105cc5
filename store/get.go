package store

import (
	"errors"
	"sync"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/consumequeue"
)

// TagFilter decides by ConsumeQueue tag code whether a message is wanted.
// nil wants everything.
type TagFilter func(tagCode int64) bool

// GetResult is the answer to Get: record slices of the mapped CommitLog,
// valid until Release.
type GetResult struct {
	Status GetStatus
	// NextBeginOffset is where the consumer continues.
	NextBeginOffset int64
	// MinOffset and MaxOffset bound the queue at the time of the read.
	MinOffset, MaxOffset int64
	// Messages are whole records, in queue order; they alias the mapping.
	Messages [][]byte
	// QueueOffsets[i] is the queue offset of Messages[i].
	QueueOffsets []int64
	// TotalBytes is the sum of len(Messages[i]).
	TotalBytes int

	refs []commitlog.Ref
}

// Release lets the CommitLog segments behind Messages go. The messages must
// not be used afterwards.
func (r *GetResult) Release() {
	for _, ref := range r.refs {
		ref.Release()
	}
	r.refs = r.refs[:0]
	r.Messages = r.Messages[:0]
}

// unitBufLen is how many ConsumeQueue units Get decodes per step.
const unitBufLen = 64

var unitBufs = sync.Pool{New: func() any { return new([unitBufLen]consumequeue.Unit) }}

// Get reads up to maxMsgs messages (and about MaxTransferBytesOnMessage
// bytes) of a queue from queueOffset, keeping those whose tag code passes
// filter, with RocketMQ's statuses and next offsets.
func (s *Store) Get(topic string, queueID int32, queueOffset int64, maxMsgs int, filter TagFilter) *GetResult {
	r := &GetResult{}
	if s.closed.Load() {
		r.Status = GetNoMatchedLogicQueue
		return r
	}
	cq := s.cqs.Get(topic, queueID)
	if cq == nil {
		r.Status = GetNoMatchedLogicQueue
		return r
	}
	minOffset, maxOffset := cq.MinOffset(), cq.MaxOffset()
	r.MinOffset, r.MaxOffset = minOffset, maxOffset
	switch {
	case maxOffset == 0:
		r.Status, r.NextBeginOffset = GetNoMessageInQueue, 0
		return r
	case queueOffset < minOffset:
		r.Status, r.NextBeginOffset = GetOffsetTooSmall, minOffset
		return r
	case queueOffset == maxOffset:
		r.Status, r.NextBeginOffset = GetOffsetOverflowOne, queueOffset
		return r
	case queueOffset > maxOffset:
		r.Status, r.NextBeginOffset = GetOffsetOverflowBadly, maxOffset
		if minOffset == 0 {
			r.NextBeginOffset = minOffset
		}
		return r
	}
	maxMsgs = min(max(maxMsgs, 1), s.cfg.MaxTransferCountOnMessage)
	buf := unitBufs.Get().(*[unitBufLen]consumequeue.Unit)
	defer unitBufs.Put(buf)

	r.Status = GetNoMatchedMessage
	next, scanned := queueOffset, 0
scan:
	for scanned < maxFilterScanUnits {
		n := cq.Units(next, buf[:min(unitBufLen, maxFilterScanUnits-scanned)])
		if n == 0 {
			break
		}
		scanned += n
		for _, u := range buf[:n] {
			if s.batchFull(r, maxMsgs, int(u.SizeBytes)) {
				break scan
			}
			offset := next
			next++
			if u.IsFiller() {
				continue
			}
			if filter != nil && !filter(u.TagCode) {
				continue
			}
			raw, ref, err := s.cl.Slice(u.PhysOffset, int(u.SizeBytes))
			if err != nil {
				if len(r.Messages) == 0 && errors.Is(err, commitlog.ErrOffsetExpired) {
					r.Status = GetMessageWasRemoving
				}
				continue
			}
			r.Messages = append(r.Messages, raw)
			r.QueueOffsets = append(r.QueueOffsets, offset)
			r.refs = append(r.refs, ref)
			r.TotalBytes += len(raw)
			r.Status = GetFound
		}
	}
	if scanned == 0 {
		r.Status = GetOffsetFoundNull
	}
	r.NextBeginOffset = next
	return r
}

// batchFull is RocketMQ's isTheBatchFull: never before the first message.
func (s *Store) batchFull(r *GetResult, maxMsgs, nextSizeBytes int) bool {
	if len(r.Messages) == 0 {
		return false
	}
	return len(r.Messages) >= maxMsgs || r.TotalBytes+nextSizeBytes > s.cfg.MaxTransferBytesOnMessage
}

// MinOffsetInQueue returns the first readable queue offset (0 for an
// unknown queue).
func (s *Store) MinOffsetInQueue(topic string, queueID int32) int64 {
	if cq := s.cqs.Get(topic, queueID); cq != nil {
		return cq.MinOffset()
	}
	return 0
}

// MaxOffsetInQueue returns the queue offset the next message will take (0
// for an unknown queue).
func (s *Store) MaxOffsetInQueue(topic string, queueID int32) int64 {
	if cq := s.cqs.Get(topic, queueID); cq != nil {
		return cq.MaxOffset()
	}
	return 0
}

// OffsetInQueueByTime returns the first queue offset whose message was
// stored at or after timestampMs (the max offset when all are older).
func (s *Store) OffsetInQueueByTime(topic string, queueID int32, timestampMs int64) int64 {
	cq := s.cqs.Get(topic, queueID)
	if cq == nil {
		return 0
	}
	return cq.OffsetByTime(timestampMs, s.storeTimeOf)
}

// storeTimeOf reads a record's store time from the CommitLog.
func (s *Store) storeTimeOf(physOffset int64, sizeBytes int32) (int64, bool) {
	rec, ref, err := s.cl.ReadRecord(physOffset)
	if err != nil {
		return 0, false
	}
	defer ref.Release()
	if rec.TotalSize != sizeBytes {
		return 0, false
	}
	return rec.StoreTimestampMs, true
}

// unitAt returns the ConsumeQueue unit of a message at a queue offset.
func (s *Store) unitAt(topic string, queueID int32, queueOffset int64) (consumequeue.Unit, bool) {
	cq := s.cqs.Get(topic, queueID)
	if cq == nil {
		return consumequeue.Unit{}, false
	}
	u, ok := cq.Get(queueOffset)
	if !ok || u.IsFiller() {
		return consumequeue.Unit{}, false
	}
	return u, true
}

// MessageStoreTime returns the store time of the message at a queue offset.
func (s *Store) MessageStoreTime(topic string, queueID int32, queueOffset int64) (int64, bool) {
	u, ok := s.unitAt(topic, queueID, queueOffset)
	if !ok {
		return 0, false
	}
	return s.storeTimeOf(u.PhysOffset, u.SizeBytes)
}

// EarliestMessageTime returns the store time of the first readable message
// of a queue.
func (s *Store) EarliestMessageTime(topic string, queueID int32) (int64, bool) {
	return s.MessageStoreTime(topic, queueID, s.MinOffsetInQueue(topic, queueID))
}

// CommitLogOffsetInQueue returns the CommitLog offset of the message at a
// queue offset.
func (s *Store) CommitLogOffsetInQueue(topic string, queueID int32, queueOffset int64) (int64, bool) {
	u, ok := s.unitAt(topic, queueID, queueOffset)
	return u.PhysOffset, ok
}

// ReadRecord returns the record at a CommitLog offset (lookMessageByOffset),
// held by the Ref until released.
func (s *Store) ReadRecord(physOffset int64) (commitlog.Record, commitlog.Ref, error) {
	return s.cl.ReadRecord(physOffset)
}

// CommitLogMinOffset, CommitLogMaxOffset and CommitLogFlushedOffset expose
// the CommitLog's positions.
func (s *Store) CommitLogMinOffset() int64 { return s.cl.MinOffset() }

// CommitLogMaxOffset returns the end of the written CommitLog.
func (s *Store) CommitLogMaxOffset() int64 { return s.cl.MaxOffset() }

// LastStoreTimestampMs returns the floor under the store time of the next
// record (commitlog.Log.LastStoreTimestampMs).
func (s *Store) LastStoreTimestampMs() int64 { return s.cl.LastStoreTimestampMs() }

// CommitLogFlushedOffset returns the end of the durable CommitLog.
func (s *Store) CommitLogFlushedOffset() int64 { return s.cl.FlushedOffset() }

// DeleteTopic drops a topic's ConsumeQueues and its queue offsets. Its
// records stay in the CommitLog until retention removes them; records of the
// old topic not yet dispatched are never dispatched, so they cannot take
// queue offsets of the topic if it is created again.
func (s *Store) DeleteTopic(topic string) error {
	// No dispatch may run between resetting the offsets and dropping the
	// queues: it would put a new record into the old queue.
	s.dispatch.mu.Lock()
	defer s.dispatch.mu.Unlock()
	watermark := s.cl.RemoveQueueOffsets(topic)
	if err := s.cqs.DeleteTopic(topic); err != nil {
		return err
	}
	if watermark > s.dispatch.reputFrom {
		if s.dispatch.deleted == nil {
			s.dispatch.deleted = map[string]int64{}
		}
		s.dispatch.deleted[topic] = watermark
	}
	return nil
}
