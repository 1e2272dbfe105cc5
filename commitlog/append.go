package commitlog

import (
	"fmt"
	"strings"
)

// AppendResult describes a stored record.
type AppendResult struct {
	// PhysOffset is the log offset of the record's first byte.
	PhysOffset int64
	// SizeBytes is the record's TOTALSIZE.
	SizeBytes int
	// QueueOffset is the index assigned in the record's consume queue (0 for
	// PREPARED and ROLLBACK records, which take none).
	QueueOffset int64
	// StoreTimestampMs is the STORETIMESTAMP written.
	StoreTimestampMs int64
	// EndOffset is PhysOffset + SizeBytes: pass it to Durable.
	EndOffset int64
}

// validate returns the record size of m or why it cannot be stored.
func (l *Log) validate(m *Message) (int, error) {
	if len(m.Body) > l.cfg.MaxBodySizeBytes {
		return 0, fmt.Errorf("%w: %d bytes, limit %d", ErrBodyTooLarge, len(m.Body), l.cfg.MaxBodySizeBytes)
	}
	size, err := EncodedSize(m)
	if err != nil {
		return 0, err
	}
	if l.cfg.AppendPropCRC {
		extra := propCRCExtraBytes(m.Properties)
		if len(m.Properties)+extra > MaxPropertiesBytes {
			return 0, fmt.Errorf("%w: %d bytes with the property crc, limit %d",
				ErrPropertiesTooLong, len(m.Properties)+extra, MaxPropertiesBytes)
		}
		size += extra
	}
	if int64(size)+BlankRecordSizeBytes > l.cfg.SegmentSizeBytes {
		return 0, fmt.Errorf("%w: a record of %d bytes does not fit a %d-byte segment",
			ErrBodyTooLarge, size, l.cfg.SegmentSizeBytes)
	}
	return size, nil
}

// checkWritable reports why the log cannot take appends now.
func (l *Log) checkWritable() error {
	switch l.state.Load() {
	case stateOpened:
		return ErrNotRecovered
	case stateClosed:
		return ErrClosed
	}
	return nil
}

// Append stores m as one record and returns where. The body CRC is computed
// before the append lock; under it the log takes STORETIMESTAMP from the
// clock (never below the previous record's), assigns the queue offset and
// the physical offset, and encodes straight into the mapped segment, rolling
// to the next segment behind a blank record when m does not fit. Readers see
// the record once Append returns. The record is not durable yet: see Durable.
func (l *Log) Append(m *Message) (AppendResult, error) {
	size, err := l.validate(m)
	if err != nil {
		return AppendResult{}, err
	}
	crc := BodyCRC(m.Body)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.checkWritable(); err != nil {
		return AppendResult{}, err
	}
	return l.appendLocked(m, size, crc)
}

// AppendBatch stores each message as its own record, in order, under one
// acquisition of the append lock; messages of one queue get consecutive
// queue offsets. It stores all or nothing: every message is validated
// before any is written, and when the batch will not fit in the current
// segment the next one is created first, so a full disk fails the batch
// before its first record. A batch must fit in one segment.
func (l *Log) AppendBatch(msgs []Message) ([]AppendResult, error) {
	results := make([]AppendResult, len(msgs))
	crcs := make([]uint32, len(msgs))
	var totalBytes int64
	for i := range msgs {
		size, err := l.validate(&msgs[i])
		if err != nil {
			return nil, fmt.Errorf("commitlog: batch message %d: %w", i, err)
		}
		results[i].SizeBytes = size
		crcs[i] = BodyCRC(msgs[i].Body)
		totalBytes += int64(size)
	}
	if totalBytes+BlankRecordSizeBytes > l.cfg.SegmentSizeBytes {
		return nil, fmt.Errorf("%w: batch of %d bytes does not fit in a %d-byte segment", ErrBodyTooLarge, totalBytes, l.cfg.SegmentSizeBytes)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.checkWritable(); err != nil {
		return nil, err
	}
	if last := l.q.Last(); last != nil && totalBytes+BlankRecordSizeBytes > last.Size()-last.Wrote() {
		if err := l.q.PrepareNext(); err != nil {
			return nil, fmt.Errorf("commitlog: creating the segment for a batch: %w", err)
		}
	}
	for i := range msgs {
		r, err := l.appendLocked(&msgs[i], results[i].SizeBytes, crcs[i])
		if err != nil {
			if i > 0 {
				panic(fmt.Sprintf("commitlog: batch failed after %d records despite a prepared segment: %v", i, err))
			}
			return nil, err
		}
		results[i] = r
	}
	return results, nil
}

// appendLocked writes one validated record. l.mu is held.
func (l *Log) appendLocked(m *Message, size int, crc uint32) (AppendResult, error) {
	if l.rawPending != 0 {
		return AppendResult{}, fmt.Errorf("%w: %d bytes at %d", ErrRawPending, l.rawPending, l.MaxOffset())
	}
	seg, err := l.q.SegmentForWrite(l.emptyStart.Load())
	if err != nil {
		return AppendResult{}, fmt.Errorf("commitlog: opening a segment for writing: %w", err)
	}
	wrote := seg.Wrote()
	if left := seg.Size() - wrote; int64(size)+BlankRecordSizeBytes > left {
		// Seal the segment behind a blank record. A tail shorter than the
		// blank head can only come from files another writer left; it is
		// zero (recovery zeroes past the last record) and readers treat it
		// as blank.
		if left >= BlankRecordSizeBytes {
			EncodeBlank(seg.Bytes()[wrote:], int32(left))
		}
		seg.Publish(seg.Size())
		if seg, err = l.q.SegmentForWrite(l.emptyStart.Load()); err != nil {
			return AppendResult{}, fmt.Errorf("commitlog: rolling to a new segment: %w", err)
		}
		wrote = seg.Wrote()
		if int64(size)+BlankRecordSizeBytes > seg.Size()-wrote {
			panic(fmt.Sprintf("commitlog: fresh segment at %d has %d bytes written", seg.Start(), wrote))
		}
	}

	storeMs := l.e.Clock.Now().UnixMilli()
	if storeMs < l.lastStoreMs {
		storeMs = l.lastStoreMs
	}
	l.lastStoreMs = storeMs

	var counter *int64
	var queueOffset int64
	if HasQueueOffset(m.SysFlag) {
		if l.lastCounter != nil && l.lastKey.queueID == m.QueueID && l.lastKey.topic == m.Topic {
			counter = l.lastCounter // a run of appends to one queue skips the map
		} else {
			counter = l.queueOffsets[queueKey{m.Topic, m.QueueID}]
		}
		if counter == nil {
			// The table outlives the message: keep no reference to its memory.
			counter = new(int64)
			l.queueOffsets[queueKey{strings.Clone(m.Topic), m.QueueID}] = counter
		}
		queueOffset = *counter
		if counter != l.lastCounter {
			l.lastKey, l.lastCounter = queueKey{strings.Clone(m.Topic), m.QueueID}, counter
		}
	}
	physOffset := seg.Start() + wrote
	if l.cfg.AppendPropCRC {
		withCRC := *m
		l.propScratch = appendPropCRCPlaceholder(l.propScratch[:0], m.Properties)
		withCRC.Properties = l.propScratch
		Encode(seg.Bytes()[wrote:], &withCRC, crc, queueOffset, physOffset, storeMs)
		putPropCRC(seg.Bytes()[wrote : wrote+int64(size)])
	} else {
		Encode(seg.Bytes()[wrote:], m, crc, queueOffset, physOffset, storeMs)
	}
	seg.Publish(wrote + int64(size))
	if counter != nil {
		*counter = queueOffset + 1
	}
	return AppendResult{
		PhysOffset:       physOffset,
		SizeBytes:        size,
		QueueOffset:      queueOffset,
		StoreTimestampMs: storeMs,
		EndOffset:        physOffset + int64(size),
	}, nil
}
