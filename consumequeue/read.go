package consumequeue

// Get returns the unit at logical offset queueOffset, and false when the
// offset lies outside [MinOffset, MaxOffset) or its file was just deleted.
// The unit may be a filler (see Unit.IsFiller), which readers skip.
func (q *Queue) Get(queueOffset int64) (Unit, bool) {
	if queueOffset < q.MinOffset() || queueOffset >= q.MaxOffset() {
		return Unit{}, false
	}
	u, ok := q.unitAt(queueOffset)
	if !ok || !u.Valid() {
		// Published data is always valid; an invalid unit can only come
		// from a file loaded but not yet recovered, and is never handed out.
		return Unit{}, false
	}
	return u, true
}

// Units decodes consecutive units starting at logical offset queueOffset
// into dst and returns how many it decoded: dst[i] is the unit at
// queueOffset+i. It stops at len(dst), at MaxOffset and at the end of the
// published data; it returns 0 when queueOffset is outside [MinOffset,
// MaxOffset) or its file was just deleted. Fillers are returned like any
// unit for the caller to skip, so that offsets stay consecutive. Units holds
// a reference to each file while it reads it and allocates nothing: this is
// the pull path.
func (q *Queue) Units(queueOffset int64, dst []Unit) int {
	if queueOffset < q.MinOffset() {
		return 0
	}
	n := 0
	for n < len(dst) {
		pos := (queueOffset + int64(n)) * UnitSize
		s := q.files.Find(pos)
		if s == nil || !s.Acquire() {
			break
		}
		b := s.Bytes()
		wrote := s.Wrote()
		rel := pos - s.Start()
		for ; n < len(dst) && rel+UnitSize <= wrote; rel += UnitSize {
			u := decodeUnit(b[rel:])
			if !u.Valid() {
				// Published data is always valid; this can only be a file
				// loaded but not yet recovered. Never hand out garbage.
				s.Release()
				return n
			}
			dst[n] = u
			n++
		}
		s.Release()
		if rel < s.Size() {
			break // the published data ends inside this file
		}
	}
	return n
}

// OffsetByTime returns the logical offset of the first unit whose record was
// stored at or after timestampMs, searching [MinOffset, MaxOffset) by
// bisection; MaxOffset when every record is older (RocketMQ's
// getOffsetInQueueByTime with the lower boundary). storeTimeOf reads a
// record's STORETIMESTAMP from the CommitLog; it reports false for a record
// that is no longer there, which counts as older. A filler is judged by the
// first real unit after it.
func (q *Queue) OffsetByTime(timestampMs int64, storeTimeOf func(physOffset int64, sizeBytes int32) (int64, bool)) int64 {
	lo, hi := q.MinOffset(), q.MaxOffset()
	for lo < hi {
		mid := lo + (hi-lo)/2
		if q.storedAtOrAfter(mid, hi, timestampMs, storeTimeOf) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	// lo may be a filler judged by the unit after it: answer that unit.
	return q.nextReal(lo, q.MaxOffset())
}

// storedAtOrAfter reports whether the first real unit in [from, to) was
// stored at or after timestampMs; true when [from, to) holds only fillers.
func (q *Queue) storedAtOrAfter(from, to, timestampMs int64, storeTimeOf func(int64, int32) (int64, bool)) bool {
	var (
		first Unit
		found bool
	)
	stop := q.scan(from, to, func(_ int64, u Unit) bool {
		if u.IsFiller() {
			return true
		}
		first, found = u, true
		return false
	})
	if !found {
		// Only fillers up to the end (the answer lies after them), or the
		// file was deleted under us (those records are older).
		return stop == to
	}
	storeTimeMs, ok := storeTimeOf(first.PhysOffset, first.SizeBytes)
	return ok && storeTimeMs >= timestampMs
}
