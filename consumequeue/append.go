package consumequeue

import (
	"errors"
	"fmt"

	"github.com/apogeemq/apogee/mappedfile"
)

// Errors returned by Append.
var (
	// ErrBadUnit means Append was given a negative queue offset, a unit that
	// would end the data (physOffset < 0, sizeBytes <= 0, an overflowing
	// end) or a unit that looks like a filler.
	ErrBadUnit = errors.New("consumequeue: invalid unit")
	// ErrGap means the queue offset lies more than two files (maxGapFiles)
	// past the write position.
	ErrGap = errors.New("consumequeue: queue offset far beyond the end of the queue")
)

// Append writes the unit (physOffset, sizeBytes, tagCode) for the record
// whose QUEUEOFFSET is queueOffset, following RocketMQ's dispatch rules (see
// the package doc): a record ending at or below MaxPhysicOffset and a
// queueOffset below MaxOffset are repeats and are skipped without error; a
// queueOffset above MaxOffset is a gap, filled with filler units and logged
// as "[BUG]"; a brand-new queue starting above 0 is pre-blanked. Only the
// dispatcher calls Append. It does not allocate except when it creates a
// file or logs.
func (q *Queue) Append(queueOffset, physOffset int64, sizeBytes int32, tagCode int64) error {
	u := Unit{PhysOffset: physOffset, SizeBytes: sizeBytes, TagCode: tagCode}
	if queueOffset < 0 || queueOffset >= maxQueueOffset || !u.Valid() || u.IsFiller() {
		return fmt.Errorf("%w: queue offset %d, %v for %s/%d", ErrBadUnit, queueOffset, u, q.topic, q.queueID)
	}
	q.writeMu.Lock()
	defer q.writeMu.Unlock()
	if u.PhysEnd() <= q.maxPhysOffset.Load() {
		return nil // a repeated dispatch of a record already indexed
	}
	want := queueOffset * UnitSize
	last := q.files.Last()
	if last == nil {
		if err := q.e.FS.MkdirAll(q.dir); err != nil {
			return fmt.Errorf("consumequeue: creating %s: %w", q.dir, err)
		}
		if want > 0 {
			if err := q.preBlank(want); err != nil {
				return err
			}
		}
	} else if cur := last.WroteEnd(); want < cur {
		q.log.Warn("consume queue built repeatedly",
			"expectLogicOffset", want, "currentLogicOffset", cur, "diff", want-cur)
		return nil
	} else if want > cur {
		if want-cur > maxGapFiles*q.fileSizeBytes {
			return fmt.Errorf("%w: %s/%d queue offset %d, max offset %d", ErrGap, q.topic, q.queueID, queueOffset, cur/UnitSize)
		}
		q.log.Error("[BUG]logic queue order maybe wrong, filling the gap with filler units",
			"expectLogicOffset", want, "currentLogicOffset", cur, "diff", want-cur)
		logicallyEmpty := q.MinOffset() == cur/UnitSize
		if err := q.writeFillers(cur, want); err != nil {
			return err
		}
		if logicallyEmpty {
			q.minQueueOffset.Store(queueOffset) // never leave the minimum on a filler
		}
	}
	s, err := q.segmentAt(want)
	if err != nil {
		return err
	}
	rel := want - s.Start()
	EncodeUnit(s.Bytes()[rel:], u)
	s.Publish(rel + UnitSize)
	q.maxPhysOffset.Store(u.PhysEnd())
	return nil
}

// preBlank starts an empty queue at byte position want > 0: the file
// holding it is created and filled with filler units up to want, and the
// minimum offset moves there. The caller holds writeMu.
func (q *Queue) preBlank(want int64) error {
	start := want - want%q.fileSizeBytes
	if err := q.writeFillers(start, want); err != nil {
		return err
	}
	q.minQueueOffset.Store(want / UnitSize)
	q.log.Info("pre-blanked a new consume queue", "fileStart", start, "minLogicOffset", want)
	return nil
}

// writeFillers writes filler units over [from, to), byte positions from the
// current write end, publishing once per file. The caller holds writeMu.
func (q *Queue) writeFillers(from, to int64) error {
	for pos := from; pos < to; {
		s, err := q.segmentAt(pos)
		if err != nil {
			return err
		}
		b := s.Bytes()
		rel := pos - s.Start()
		end := min(to-s.Start(), s.Size())
		for r := rel; r < end; r += UnitSize {
			EncodeUnit(b[r:], fillerUnit)
		}
		s.Publish(end)
		pos = s.Start() + end
	}
	return nil
}

// segmentAt returns the file the writer writes byte position pos into,
// creating it when pos is at the end of a full file. pos must be the write
// end of the queue.
func (q *Queue) segmentAt(pos int64) (*mappedfile.Segment, error) {
	s, err := q.files.SegmentForWrite(pos)
	if err != nil {
		return nil, fmt.Errorf("consumequeue: creating a file of %s/%d at byte %d: %w", q.topic, q.queueID, pos, err)
	}
	if s.WroteEnd() != pos {
		panic(fmt.Sprintf("consumequeue: %s/%d writes at byte %d but the write end is %d", q.topic, q.queueID, pos, s.WroteEnd()))
	}
	return s, nil
}
