package consumequeue

import (
	"fmt"

	"github.com/apogeemq/apogee/mappedfile"
)

// recoverFiles is how many of the newest files Recover reads (§4.8: from the
// third-last). Older files were full and flushed before the newest ones were
// created.
const recoverFiles = 3

// Recover finds the end of the valid data (§4.8): starting at the third-last
// file (or the first) it reads units while they are valid, moving to the
// next file only when a file is valid to its end. Everything after the last
// valid unit is dropped: the rest of its file is zeroed and later files are
// deleted. Garbage ends the data where it starts; Recover never fails on file
// contents, only on I/O. It then recomputes MaxPhysicOffset and MinOffset.
// Call it once after Open, before reads and appends.
func (q *Queue) Recover() error {
	q.writeMu.Lock()
	defer q.writeMu.Unlock()
	segs := q.files.Segments()
	if len(segs) > 0 {
		segs = segs[max(0, len(segs)-recoverFiles):]
		end := segs[0].Start()
		for _, s := range segs {
			valid := validPrefixBytes(s)
			end = s.Start() + valid
			if valid < s.Size() {
				break
			}
		}
		if err := q.truncateAt(end); err != nil {
			return err
		}
	}
	q.refreshPositions(0)
	return nil
}

// validPrefixBytes returns the length of the run of valid units at the start
// of s's published bytes.
func validPrefixBytes(s *mappedfile.Segment) int64 {
	b := s.Bytes()
	wrote := s.Wrote()
	var rel int64
	for rel+UnitSize <= wrote && decodeUnit(b[rel:]).Valid() {
		rel += UnitSize
	}
	return rel
}

// TruncateByPhysOffset drops every unit whose record starts at or beyond
// physOffset (the CommitLog was cut there, §4.8), with everything after it.
// It scans back from the last file: a file whose first unit is already
// beyond is deleted. Fillers (CommitLog offset 0) go only when physOffset <=
// 0. Run it during recovery, not while serving reads.
func (q *Queue) TruncateByPhysOffset(physOffset int64) error {
	q.writeMu.Lock()
	defer q.writeMu.Unlock()
	for {
		last := q.files.Last()
		if last == nil {
			break
		}
		b := last.Bytes()
		wrote := last.Wrote()
		var rel int64
		for ; rel+UnitSize <= wrote; rel += UnitSize {
			if u := decodeUnit(b[rel:]); !u.Valid() || u.PhysOffset >= physOffset {
				break
			}
		}
		if rel == wrote && (wrote > 0 || q.files.Len() == 1) {
			break // every unit of the last file stays
		}
		if rel > 0 || q.files.Len() == 1 {
			if err := q.truncateAt(last.Start() + rel); err != nil {
				return err
			}
			break
		}
		// The whole last file is beyond (or empty): delete it and look at
		// the one before, whose units may still reach past physOffset.
		if err := q.files.TruncateTo(last.Start()); err != nil {
			return fmt.Errorf("consumequeue: truncating %s/%d: %w", q.topic, q.queueID, err)
		}
	}
	// With no real unit left, the records this queue indexed (all deleted
	// by retention or cut) ended at or below both bounds.
	q.refreshPositions(max(0, min(q.maxPhysOffset.Load(), physOffset)))
	return nil
}

// truncateAt cuts the byte space at pos (mappedfile.Queue.TruncateTo). When
// that leaves no file but pos > 0, an empty file is created at pos (a file
// start in that case) so that MaxOffset stays pos/20 instead of falling to
// 0. The caller holds writeMu.
func (q *Queue) truncateAt(pos int64) error {
	if pos >= q.files.MaxOffset() {
		return nil
	}
	if err := q.files.TruncateTo(pos); err != nil {
		return fmt.Errorf("consumequeue: truncating %s/%d at byte %d: %w", q.topic, q.queueID, pos, err)
	}
	if q.files.Len() == 0 && pos > 0 {
		if _, err := q.segmentAt(pos); err != nil {
			return err
		}
	}
	return nil
}

// DeleteBelowPhysOffset deletes, oldest first, the files whose last unit
// points below minPhysOffset, the CommitLog's minimum offset after its own
// files were deleted (§11). The newest file is never deleted, and the first
// file that still reaches minPhysOffset stops the round. The minimum offset
// is then corrected (CorrectMinOffset). It returns how many files went, and
// an error when releasing a deleted file failed.
func (q *Queue) DeleteBelowPhysOffset(minPhysOffset int64) (int, error) {
	q.writeMu.Lock()
	defer q.writeMu.Unlock()
	errBefore := q.files.Err()
	deleted := 0
	for q.files.Len() > 1 {
		if u, ok := lastRealIn(q.files.First()); ok && u.PhysOffset >= minPhysOffset {
			break
		}
		if _, ok := q.files.DeleteFirst(); !ok {
			break
		}
		deleted++
	}
	q.correctMin(minPhysOffset)
	if err := q.files.Err(); err != nil && errBefore == nil {
		return deleted, fmt.Errorf("consumequeue: deleting files of %s/%d: %w", q.topic, q.queueID, err)
	}
	return deleted, nil
}

// CorrectMinOffset raises MinOffset past the units whose records lie below
// minPhysOffset, the CommitLog's minimum offset (RocketMQ's
// correctMinOffset), and past fillers. When every unit is below, MinOffset
// becomes MaxOffset. It never lowers MinOffset.
func (q *Queue) CorrectMinOffset(minPhysOffset int64) {
	q.writeMu.Lock()
	defer q.writeMu.Unlock()
	q.correctMin(minPhysOffset)
}

// correctMin implements CorrectMinOffset; the caller holds writeMu. Whole
// files whose last real unit is below are skipped first, so the unit-by-unit
// scan covers at most one file.
func (q *Queue) correctMin(minPhysOffset int64) {
	from, to := q.MinOffset(), q.MaxOffset()
	for from < to {
		s := q.files.Find(from * UnitSize)
		if s == nil {
			break
		}
		if u, ok := lastRealIn(s); ok && u.PhysOffset >= minPhysOffset {
			break
		}
		from = s.WroteEnd() / UnitSize
	}
	m := q.scan(from, to, func(_ int64, u Unit) bool {
		return u.IsFiller() || u.PhysOffset < minPhysOffset
	})
	q.minQueueOffset.Store(max(m, q.minQueueOffset.Load()))
}

// lastRealIn returns the last non-filler unit published in s.
func lastRealIn(s *mappedfile.Segment) (Unit, bool) {
	if s == nil || !s.Acquire() {
		return Unit{}, false
	}
	defer s.Release()
	b := s.Bytes()
	for rel := s.Wrote() - UnitSize; rel >= 0; rel -= UnitSize {
		if u := decodeUnit(b[rel:]); !u.IsFiller() {
			return u, true
		}
	}
	return Unit{}, false
}
