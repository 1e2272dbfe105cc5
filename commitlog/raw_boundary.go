package commitlog

import (
	"errors"
	"fmt"
)

// RecordStartAtOrBelow returns the start of the record (or blank record)
// that holds physOffset, which is physOffset itself when a record starts
// there: the offset TruncateTo can cut at to drop everything from
// physOffset on. Offsets at or past MaxOffset answer MaxOffset. Every segment
// starts with a record, so the walk begins at the start of physOffset's
// segment and reads at most one segment of record heads. An offset below
// MinOffset fails with ErrOffsetExpired; a record that does not decode fails
// with its error (wrapping ErrCorrupt). Appends must not run meanwhile.
func (l *Log) RecordStartAtOrBelow(physOffset int64) (int64, error) {
	if err := l.checkWritable(); err != nil {
		return 0, err
	}
	minOffset, maxOffset := l.MinOffset(), l.MaxOffset()
	switch {
	case physOffset >= maxOffset:
		return maxOffset, nil
	case physOffset < minOffset:
		return 0, fmt.Errorf("%w: %d < %d", ErrOffsetExpired, physOffset, minOffset)
	}
	off := physOffset - physOffset%l.cfg.SegmentSizeBytes
	for {
		rec, ref, err := l.ReadRecord(off)
		if errors.Is(err, ErrBlank) {
			return off, nil // the blank runs to the segment's end, past physOffset
		}
		if err != nil {
			return 0, fmt.Errorf("commitlog: looking for the record holding %d: %w", physOffset, err)
		}
		end := rec.EndOffset()
		ref.Release()
		if end > physOffset {
			return off, nil
		}
		off = end
	}
}
