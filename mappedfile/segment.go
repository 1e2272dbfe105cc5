package mappedfile

import (
	"fmt"
	"sync/atomic"

	"github.com/apogeemq/apogee/env"
)

// pageSizeBytes is the page used for "least pages" flush arithmetic and for
// zeroing stale tails (spec §4.4).
const pageSizeBytes = 4096

// Segment is one mapped file of a Queue.
type Segment struct {
	q       *Queue
	path    string
	start   int64
	size    int64
	file    env.File
	mapping env.Mapping
	buf     []byte

	wrote   atomic.Int64 // relative; published after the bytes are written
	flushed atomic.Int64 // relative
	// refs counts the queue's own reference (1 while the segment is live)
	// plus one per reader holding it. The mapping is released at zero.
	refs atomic.Int64
	dead atomic.Bool
}

// FileName returns the 20-digit file name of a segment starting at startOffset.
func FileName(startOffset int64) string {
	return fmt.Sprintf("%020d", startOffset)
}

// Start returns the absolute offset of the segment's first byte.
func (s *Segment) Start() int64 { return s.start }

// Size returns the segment's length in bytes.
func (s *Segment) Size() int64 { return s.size }

// End returns the absolute offset just past the segment.
func (s *Segment) End() int64 { return s.start + s.size }

// Path returns the segment's file path.
func (s *Segment) Path() string { return s.path }

// Bytes returns the whole mapping. Only [0, Wrote()) holds published data.
// The slice may be used only while a reference is held (or by the writer).
func (s *Segment) Bytes() []byte { return s.buf }

// Wrote returns the published write position, relative to Start.
func (s *Segment) Wrote() int64 { return s.wrote.Load() }

// WroteEnd returns the absolute offset just past the published data.
func (s *Segment) WroteEnd() int64 { return s.start + s.wrote.Load() }

// Flushed returns the durable position, relative to Start.
func (s *Segment) Flushed() int64 { return s.flushed.Load() }

// Full reports whether the segment has been written to its end.
func (s *Segment) Full() bool { return s.wrote.Load() == s.size }

// Publish makes bytes [0, pos) visible to readers. Only the writer calls it,
// after storing the bytes; positions never move backwards except through
// Queue.TruncateTo.
func (s *Segment) Publish(pos int64) {
	if pos < s.wrote.Load() || pos > s.size {
		panic(fmt.Sprintf("mappedfile: publish %d outside [%d, %d] of %s", pos, s.wrote.Load(), s.size, s.path))
	}
	s.wrote.Store(pos)
}

// Acquire takes a reference that keeps the mapping valid. It returns false
// when the segment has been deleted; the caller must then not touch Bytes.
func (s *Segment) Acquire() bool {
	for {
		n := s.refs.Load()
		if n <= 0 || s.dead.Load() {
			return false
		}
		if s.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// Release drops a reference taken by Acquire.
func (s *Segment) Release() {
	if n := s.refs.Add(-1); n == 0 {
		s.release()
	} else if n < 0 {
		panic("mappedfile: segment released more often than acquired: " + s.path)
	}
}

// release unmaps and closes the file, and removes it when the segment was
// deleted. Errors are recorded on the queue: nobody waits for them.
func (s *Segment) release() {
	err := s.mapping.Unmap()
	if cerr := s.file.Close(); err == nil {
		err = cerr
	}
	if s.dead.Load() {
		if rerr := s.q.e.FS.Remove(s.path); err == nil {
			err = rerr
		}
	}
	if err != nil {
		s.q.recordError(fmt.Errorf("mappedfile: releasing %s: %w", s.path, err))
	}
}

// flushTo makes [flushed, pos) durable.
func (s *Segment) flushTo(pos int64) error {
	from := s.flushed.Load()
	if pos <= from {
		return nil
	}
	if err := s.mapping.Flush(int(from), int(pos-from)); err != nil {
		return fmt.Errorf("mappedfile: flushing %s [%d, %d): %w", s.path, from, pos, err)
	}
	s.flushed.Store(pos)
	return nil
}

// zeroRange clears every non-zero page-aligned chunk of [from, to) and
// flushes what it cleared. Pages that are already zero are left untouched so
// that sparse tails are not allocated.
func (s *Segment) zeroRange(from, to int64) error {
	dirtyFrom, dirtyTo := int64(-1), int64(-1)
	for off := from; off < to; {
		end := min((off/pageSizeBytes+1)*pageSizeBytes, to)
		chunk := s.buf[off:end]
		if !allZero(chunk) {
			clear(chunk)
			if dirtyFrom < 0 {
				dirtyFrom = off
			}
			dirtyTo = end
		}
		off = end
	}
	if dirtyFrom < 0 {
		return nil
	}
	if err := s.mapping.Flush(int(dirtyFrom), int(dirtyTo-dirtyFrom)); err != nil {
		return fmt.Errorf("mappedfile: flushing zeroed tail of %s: %w", s.path, err)
	}
	return nil
}

func allZero(b []byte) bool {
	for len(b) >= 8 {
		if b[0]|b[1]|b[2]|b[3]|b[4]|b[5]|b[6]|b[7] != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
