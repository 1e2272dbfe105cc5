package mappedfile

import (
	"path/filepath"
)

// SegmentForWrite returns the segment the writer appends to: the newest one
// when it has room, otherwise a new segment after it. An empty queue starts
// a segment at the start of the segment that contains startOffset. Only the
// writer calls it.
func (q *Queue) SegmentForWrite(startOffset int64) (*Segment, error) {
	last := q.Last()
	if last != nil && !last.Full() {
		return last, nil
	}
	next := startOffset - startOffset%q.cfg.SegmentSizeBytes
	if last != nil {
		next = last.End()
	}
	s, err := q.create(next)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	q.segs = append(q.segs, s)
	q.mu.Unlock()
	if q.cfg.Preallocate {
		q.schedulePrealloc(s.End())
	}
	return s, nil
}

// create returns a fresh segment at start, taking the preallocated one when
// it matches.
func (q *Queue) create(start int64) (*Segment, error) {
	q.createMu.Lock()
	defer q.createMu.Unlock()
	if r := q.ready; r != nil {
		q.ready = nil
		if r.start == start {
			return r, nil
		}
		// A truncation moved the write position: the spare is stale.
		r.dead.Store(true)
		r.Release()
	}
	return q.mapSegment(filepath.Join(q.cfg.Dir, FileName(start)), start, true)
}

// PrepareNext creates the segment after the newest one now, unless it is
// already prepared, so that the writer's next roll-over cannot fail. A
// writer that must not stop halfway through a group of writes (a batch)
// calls it first. Only the writer calls it.
func (q *Queue) PrepareNext() error {
	last := q.Last()
	if last == nil {
		return nil
	}
	start := last.End()
	q.createMu.Lock()
	defer q.createMu.Unlock()
	if q.ready != nil {
		if q.ready.start == start {
			return nil
		}
		q.ready.dead.Store(true)
		q.ready.Release()
		q.ready = nil
	}
	s, err := q.mapSegment(filepath.Join(q.cfg.Dir, FileName(start)), start, true)
	if err != nil {
		return err
	}
	q.ready = s
	return nil
}

// schedulePrealloc creates the segment at start off the hot path.
func (q *Queue) schedulePrealloc(start int64) {
	q.createMu.Lock()
	if q.preallocBusy || (q.ready != nil && q.ready.start == start) {
		q.createMu.Unlock()
		return
	}
	q.preallocBusy = true
	q.createMu.Unlock()
	q.e.Clock.AfterFunc(0, func() {
		q.createMu.Lock()
		defer q.createMu.Unlock()
		q.preallocBusy = false
		if q.closed || q.ready != nil || q.Last() == nil || q.Last().End() != start {
			return // closed, already prepared, or the queue moved on
		}
		s, err := q.mapSegment(filepath.Join(q.cfg.Dir, FileName(start)), start, true)
		if err != nil {
			q.recordError(err)
			return
		}
		q.ready = s
	})
}
