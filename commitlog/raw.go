package commitlog

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/apogeemq/apogee/mappedfile"
)

// Raw appends: how a slave stores the bytes its master streams (spec
// §12). The stream is the master's CommitLog cut anywhere, so a call may
// end inside a record. AppendRaw copies the bytes verbatim into the mapped
// segment at the log's end and publishes only whole records: MaxOffset
// stays a record boundary, readers and the dispatcher never see half a
// record, and the bytes of the record still arriving wait beyond it (the
// pending bytes). RawEnd = MaxOffset + pending is where the next bytes must
// start and what a slave reports to its master.
//
// Each completed record is checked as recovery checks it, except for the
// body CRC (the master's bytes are copied, not re-encoded, and a slave that
// refused a record its master holds could never catch up): its TOTALSIZE
// must leave room for a blank record in the segment, it must decode, and its
// PHYSICALOFFSET must be its own offset. A blank record must declare exactly
// the rest of its segment and is published once the whole remainder has
// arrived (the master streams it too), so segments roll exactly where the
// master's do. Bytes that fail the checks are dropped, zeroed, and the call
// fails with an error wrapping ErrCorrupt; the whole records before them
// stay.
//
// Every published record advances the queue offset table past its
// QUEUEOFFSET and STORETIMESTAMP's floor, so that a slave promoted to master
// continues its queues without handing out an offset twice.

var (
	// ErrRawOffset says replicated bytes do not start where the log's
	// received data ends (RawEnd), or would start an empty log somewhere
	// other than a segment boundary.
	ErrRawOffset = errors.New("commitlog: replicated bytes do not continue the log")
	// ErrRawPending refuses an Append while a replicated record is still
	// incomplete: the append would overwrite its bytes. Truncate first
	// (TruncateTo drops the pending bytes).
	ErrRawPending = errors.New("commitlog: a replicated record is still incomplete")
)

// RawEnd returns the end of the bytes the log holds: MaxOffset plus the
// bytes of a replicated record that has not arrived whole yet. The next
// AppendRaw must start there.
func (l *Log) RawEnd() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.MaxOffset() + l.rawPending
}

// AppendRaw appends replicated CommitLog bytes at physOffset, which must be
// RawEnd; into a log without segments (a fresh slave) at the log's start or,
// when nothing was ever stored, at any segment boundary, where the first
// segment is created. data must not cross a segment boundary (a master
// never sends bytes of two segments in one frame); it is copied, so the
// caller may reuse it at once. The whole records it completes are
// published, the rest waits for the next call; see the notes above for the
// checks. The errors wrap ErrRawOffset, ErrCrossesSegment or ErrCorrupt for
// bytes that cannot be appended, or are those of the log (ErrNotRecovered,
// ErrClosed, a segment that could not be created).
func (l *Log) AppendRaw(physOffset int64, data []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.checkWritable(); err != nil {
		return err
	}
	if len(data) == 0 {
		return nil
	}
	seg, err := l.rawSegmentLocked(physOffset)
	if err != nil {
		return err
	}
	wrote := seg.Wrote()
	from := wrote + l.rawPending
	if seg.Start()+from != physOffset {
		panic(fmt.Sprintf("commitlog: raw append at %d lands at %d", physOffset, seg.Start()+from))
	}
	end := from + int64(len(data))
	if end > seg.Size() {
		return fmt.Errorf("%w: %d replicated bytes at %d pass the segment end %d",
			ErrCrossesSegment, len(data), physOffset, seg.End())
	}
	copy(seg.Bytes()[from:end], data)
	published, scanErr := l.scanRawLocked(seg, wrote, end)
	if published > wrote {
		seg.Publish(published)
	}
	l.rawPending = end - published
	if scanErr != nil {
		// Nothing after a bad record can be placed: drop it all, so the
		// master resumes from the last whole record.
		l.discardPendingLocked()
		return scanErr
	}
	return nil
}

// rawSegmentLocked returns the segment the replicated bytes at physOffset go
// into, creating it when the last one is full. l.mu is held.
func (l *Log) rawSegmentLocked(physOffset int64) (*mappedfile.Segment, error) {
	if l.q.Len() == 0 {
		start := l.emptyStart.Load()
		fresh := start == 0 && physOffset >= 0 && physOffset%l.cfg.SegmentSizeBytes == 0
		if physOffset != start && !fresh {
			return nil, fmt.Errorf("%w: an empty log starting at %d cannot take bytes at %d (not a segment boundary, or not where it starts)",
				ErrRawOffset, start, physOffset)
		}
		l.emptyStart.Store(physOffset)
		l.q.ResetEmptyAt(physOffset)
	} else if rawEnd := l.MaxOffset() + l.rawPending; physOffset != rawEnd {
		return nil, fmt.Errorf("%w: bytes at %d, the log's received data ends at %d", ErrRawOffset, physOffset, rawEnd)
	}
	if l.rawPending > 0 {
		return l.q.Last(), nil
	}
	seg, err := l.q.SegmentForWrite(l.emptyStart.Load())
	if err != nil {
		return nil, fmt.Errorf("commitlog: opening a segment for replicated bytes: %w", err)
	}
	return seg, nil
}

// scanRawLocked walks the records of seg from the published position wrote
// to end, all relative, and returns the end of the last whole record that
// passed the checks, with the reason the scan stopped at a bad one. l.mu is
// held.
func (l *Log) scanRawLocked(seg *mappedfile.Segment, wrote, end int64) (int64, error) {
	b, size := seg.Bytes(), seg.Size()
	rel := wrote
	for rel < end {
		left := size - rel
		if left < BlankRecordSizeBytes {
			// A tail too short for a blank head (only a foreign writer
			// leaves one) reads as blank; it ends the segment.
			if end == size {
				rel = size
			}
			return rel, nil
		}
		if end-rel < BlankRecordSizeBytes {
			return rel, nil // the head has not arrived whole
		}
		pos := seg.Start() + rel
		total := int64(int32(binary.BigEndian.Uint32(b[rel:])))
		switch magic := binary.BigEndian.Uint32(b[rel+4:]); magic {
		case MagicBlank:
			if total != left {
				return rel, corrupt(ErrSizeMismatch, "replicated blank record at %d declares %d bytes, %d left in the segment", pos, total, left)
			}
			if end == size {
				rel = size
			}
			return rel, nil
		case MagicV1, MagicV2:
		default:
			if total == 0 && magic == 0 {
				return rel, corrupt(ErrZeroRegion, "replicated bytes at %d are zero", pos)
			}
			return rel, corrupt(ErrBadMagic, "replicated record at %d has magic %#x", pos, magic)
		}
		if total < MinRecordSizeBytes || total+BlankRecordSizeBytes > left {
			return rel, corrupt(ErrSizeMismatch, "replicated record at %d declares %d bytes, %d left in the segment", pos, total, left)
		}
		if rel+total > end {
			return rel, nil // the record has not arrived whole
		}
		rec, err := Decode(b[rel:rel+total], false)
		if err != nil {
			return rel, fmt.Errorf("commitlog: replicated record at %d: %w", pos, err)
		}
		if rec.PhysOffset != pos {
			return rel, corrupt(ErrPhysOffsetMismatch, "replicated record at %d says %d", pos, rec.PhysOffset)
		}
		l.noteReplicatedLocked(&rec)
		rel += total
	}
	return rel, nil
}

// noteReplicatedLocked advances the queue offset table and the store-time
// floor past a replicated record. l.mu is held.
func (l *Log) noteReplicatedLocked(rec *Record) {
	l.lastStoreMs = max(l.lastStoreMs, rec.StoreTimestampMs)
	if !HasQueueOffset(rec.SysFlag) {
		return
	}
	next := rec.QueueOffset + 1
	if p := l.queueOffsets[queueKey{string(rec.Topic), rec.QueueID}]; p != nil {
		*p = max(*p, next)
		return
	}
	// The conversion copies the topic out of the mapping.
	l.queueOffsets[queueKey{string(rec.Topic), rec.QueueID}] = &next
}

// discardPendingLocked zeroes the bytes of an incomplete replicated record
// and forgets them. l.mu is held.
func (l *Log) discardPendingLocked() {
	if l.rawPending == 0 {
		return
	}
	seg := l.q.Last()
	wrote := seg.Wrote()
	clear(seg.Bytes()[wrote : wrote+l.rawPending])
	l.rawPending = 0
}
