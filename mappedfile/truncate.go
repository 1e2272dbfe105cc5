package mappedfile

import (
	"fmt"
)

// TruncateTo drops everything at or after offset: the segment holding it is
// cut there (its stale bytes zeroed and flushed), later segments are deleted.
// An offset at or before the first segment's start deletes every segment. The
// caller must not be writing concurrently.
func (q *Queue) TruncateTo(offset int64) error {
	q.createMu.Lock()
	if r := q.ready; r != nil {
		q.ready = nil
		r.dead.Store(true)
		r.Release()
	}
	q.createMu.Unlock()

	// A flush in progress must finish first: it would otherwise store a
	// flushed position past the cut, and bytes written there again would
	// count as durable without ever being flushed.
	q.flushMu.Lock()
	defer q.flushMu.Unlock()
	q.mu.Lock()
	keep := 0
	for keep < len(q.segs) && q.segs[keep].start < offset {
		keep++
	}
	var cut *Segment
	if keep > 0 && offset < q.segs[keep-1].End() {
		cut = q.segs[keep-1]
	}
	drop := append([]*Segment(nil), q.segs[keep:]...)
	q.segs = q.segs[:keep]
	q.mu.Unlock()

	var firstErr error
	if cut != nil {
		rel := offset - cut.start
		if err := cut.zeroRange(rel, cut.Wrote()); err != nil {
			firstErr = err
		}
		cut.wrote.Store(rel)
		cut.flushed.Store(min(cut.flushed.Load(), rel))
	}
	for _, s := range drop {
		s.dead.Store(true)
		s.Release()
	}
	if err := q.e.FS.SyncDir(q.cfg.Dir); err != nil && firstErr == nil {
		firstErr = fmt.Errorf("mappedfile: syncing %s after truncation: %w", q.cfg.Dir, err)
	}
	q.flushedWhere.Store(min(q.flushedWhere.Load(), offset))
	if q.Len() == 0 {
		q.flushedWhere.Store(0)
	}
	return firstErr
}

// DeleteFirst removes the oldest segment (retention). The file disappears
// when the last reader releases it. The newest segment is never deleted.
func (q *Queue) DeleteFirst() (*Segment, bool) {
	q.mu.Lock()
	if len(q.segs) < 2 {
		q.mu.Unlock()
		return nil, false
	}
	s := q.segs[0]
	q.segs = append(q.segs[:0:0], q.segs[1:]...)
	q.mu.Unlock()
	s.dead.Store(true)
	s.Release()
	return s, true
}

// Close unmaps every segment without deleting files. Segments still held by
// readers are unmapped when released.
func (q *Queue) Close() error {
	q.createMu.Lock()
	q.closed = true // a preallocation still scheduled must not map a file
	if r := q.ready; r != nil {
		q.ready = nil
		r.Release()
	}
	q.createMu.Unlock()
	q.closeAll()
	return q.Err()
}

// Destroy deletes every segment file.
func (q *Queue) Destroy() error {
	if err := q.TruncateTo(-1); err != nil {
		return err
	}
	return q.Err()
}

func (q *Queue) closeAll() {
	q.mu.Lock()
	segs := q.segs
	q.segs = nil
	q.mu.Unlock()
	for _, s := range segs {
		s.Release()
	}
}
