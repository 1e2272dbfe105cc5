package mappedfile

// FlushedWhere returns the absolute offset below which all data is durable.
func (q *Queue) FlushedWhere() int64 { return q.flushedWhere.Load() }

// Flush makes published data durable, segment by segment from FlushedWhere.
// A segment is flushed when at least leastPages 4 KiB pages are dirty, when
// it is full, or (leastPages == 0) when anything is dirty; the first segment
// that does not qualify stops the round. It returns the new FlushedWhere.
func (q *Queue) Flush(leastPages int) (int64, error) {
	q.flushMu.Lock()
	defer q.flushMu.Unlock()
	for {
		where := q.flushedWhere.Load()
		if first := q.First(); first != nil && where < first.start {
			// Retention removed segments below the flush position: what
			// they held is gone and needs no flush.
			where = first.start
			q.flushedWhere.Store(where)
		}
		s := q.Find(where)
		if s == nil || !s.Acquire() {
			return where, nil
		}
		wrote := s.Wrote()
		flushed := s.Flushed()
		dirty := wrote > flushed
		qualifies := dirty && (leastPages <= 0 || wrote == s.size ||
			wrote/pageSizeBytes-flushed/pageSizeBytes >= int64(leastPages))
		if !qualifies {
			s.Release()
			return where, nil
		}
		err := s.flushTo(wrote)
		s.Release()
		if err != nil {
			return where, err
		}
		where = s.start + wrote
		q.flushedWhere.Store(where)
		if wrote != s.size {
			return where, nil
		}
	}
}

// DirtyBytes returns how many published bytes are not yet durable.
func (q *Queue) DirtyBytes() int64 {
	return q.MaxOffset() - q.FlushedWhere()
}

// SetFlushedWhere records the durable offset after recovery.
func (q *Queue) SetFlushedWhere(offset int64) {
	q.flushMu.Lock()
	q.flushedWhere.Store(offset)
	q.flushMu.Unlock()
}

// ResetEmptyAt prepares an empty queue whose first byte is at startOffset
// (a ConsumeQueue whose older data expired). The caller writes from there.
func (q *Queue) ResetEmptyAt(startOffset int64) {
	q.flushMu.Lock()
	q.flushedWhere.Store(startOffset)
	q.flushMu.Unlock()
}
