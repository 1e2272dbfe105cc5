package commitlog

import (
	"errors"
	"fmt"

	"github.com/apogeemq/apogee/mappedfile"
)

// Ref keeps a segment mapped while a reader uses bytes returned with it.
// Release it exactly once; the zero Ref releases nothing.
type Ref struct {
	seg *mappedfile.Segment
}

// Release lets the segment be unmapped (and, if retention deleted it,
// removed). The bytes returned with the Ref must not be used afterwards.
func (r Ref) Release() {
	if r.seg != nil {
		r.seg.Release()
	}
}

// acquire finds and references the segment holding physOffset and returns
// it with the offset's position in it and the published write position.
func (l *Log) acquire(physOffset int64) (*mappedfile.Segment, int64, int64, error) {
	switch l.state.Load() {
	case stateOpened:
		return nil, 0, 0, ErrNotRecovered
	case stateClosed:
		return nil, 0, 0, ErrClosed
	}
	seg := l.q.Find(physOffset)
	if seg == nil {
		if minOffset := l.MinOffset(); physOffset < minOffset {
			return nil, 0, 0, fmt.Errorf("%w: %d < %d", ErrOffsetExpired, physOffset, minOffset)
		}
		return nil, 0, 0, fmt.Errorf("%w: %d >= %d", ErrOffsetNotWritten, physOffset, l.MaxOffset())
	}
	if !seg.Acquire() {
		return nil, 0, 0, fmt.Errorf("%w: segment %d deleted", ErrOffsetExpired, seg.Start())
	}
	rel, wrote := physOffset-seg.Start(), seg.Wrote()
	if rel >= wrote {
		seg.Release()
		return nil, 0, 0, fmt.Errorf("%w: %d >= %d", ErrOffsetNotWritten, physOffset, seg.Start()+wrote)
	}
	return seg, rel, wrote, nil
}

// ReadRecord returns the record at physOffset as a view into the mapping,
// held by the Ref. The body CRC is not checked (recovery checks it). At a
// blank record it returns ErrBlank with the blank's TotalSize, Magic and
// PhysOffset and a zero Ref: continue at NextSegmentStart(physOffset). An
// offset that is not the start of a record yields an error wrapping
// ErrCorrupt.
func (l *Log) ReadRecord(physOffset int64) (Record, Ref, error) {
	seg, rel, wrote, err := l.acquire(physOffset)
	if err != nil {
		return Record{}, Ref{}, err
	}
	rec, err := decodeInSegment(seg.Bytes()[:wrote], rel, seg.Size(), false)
	switch {
	case err == nil && rec.PhysOffset != physOffset:
		err = corrupt(ErrPhysOffsetMismatch, "record at %d says %d", physOffset, rec.PhysOffset)
	case err == nil:
		return rec, Ref{seg}, nil
	}
	seg.Release()
	if errors.Is(err, ErrBlank) {
		return Record{TotalSize: rec.TotalSize, Magic: MagicBlank, PhysOffset: physOffset}, Ref{}, ErrBlank
	}
	return Record{}, Ref{}, fmt.Errorf("commitlog: reading %s at %d: %w", l.dir, physOffset, err)
}

// decodeInSegment decodes the record at rel in the published bytes b of a
// segment of segSize bytes. A blank record must fill the segment to its
// end. A tail shorter than a blank head at the end of a full segment reads as
// a blank record (only a foreign writer leaves one).
func decodeInSegment(b []byte, rel, segSize int64, checkCRC bool) (Record, error) {
	left := segSize - rel
	if left < BlankRecordSizeBytes && int64(len(b)) == segSize {
		return Record{TotalSize: int32(left), Magic: MagicBlank}, ErrBlank
	}
	rec, err := Decode(b[rel:], checkCRC)
	if errors.Is(err, ErrBlank) && int64(rec.TotalSize) != left {
		return Record{}, corrupt(ErrSizeMismatch, "blank record of %d bytes with %d left in the segment", rec.TotalSize, left)
	}
	return rec, err
}

// Slice returns bytes [physOffset, physOffset+size) as a view into the
// mapping, held by the Ref. The range must be published and within one
// segment.
func (l *Log) Slice(physOffset int64, size int) ([]byte, Ref, error) {
	if size <= 0 {
		return nil, Ref{}, fmt.Errorf("commitlog: slice of %d bytes at %d", size, physOffset)
	}
	seg, rel, wrote, err := l.acquire(physOffset)
	if err != nil {
		return nil, Ref{}, err
	}
	end := rel + int64(size)
	if end > wrote {
		seg.Release()
		if end > seg.Size() {
			return nil, Ref{}, fmt.Errorf("%w: [%d, %d) past %d", ErrCrossesSegment, physOffset, physOffset+int64(size), seg.End())
		}
		return nil, Ref{}, fmt.Errorf("%w: [%d, %d) past %d", ErrOffsetNotWritten, physOffset, physOffset+int64(size), seg.Start()+wrote)
	}
	return seg.Bytes()[rel:end:end], Ref{seg}, nil
}

// ReadAvailable returns up to maxBytes published bytes from physOffset, not
// past the end of its segment (what replication streams), held by the Ref.
func (l *Log) ReadAvailable(physOffset int64, maxBytes int) ([]byte, Ref, error) {
	if maxBytes <= 0 {
		return nil, Ref{}, fmt.Errorf("commitlog: read of %d bytes at %d", maxBytes, physOffset)
	}
	seg, rel, wrote, err := l.acquire(physOffset)
	if err != nil {
		return nil, Ref{}, err
	}
	end := min(wrote, rel+int64(maxBytes))
	return seg.Bytes()[rel:end:end], Ref{seg}, nil
}
