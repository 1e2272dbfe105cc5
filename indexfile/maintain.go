package indexfile

import (
	"errors"
	"slices"
)

// flushFull flushes a file the writer has moved past and reports the new
// indexMsgTimestamp. It runs from env.Clock.AfterFunc, off the writer's path.
func (s *Set) flushFull(f *File) error {
	if err := f.Flush(); err != nil {
		// The file stays dirty; the next Flush of the set retries it.
		return errClosedIgnored(err)
	}
	s.report()
	return nil
}

// report passes the end timestamp of the newest full file that is durable
// together with every older file to OnFullFileFlushed, when it grew.
func (s *Set) report() {
	if s.cfg.OnFullFileFlushed == nil {
		return
	}
	s.reportMu.Lock()
	defer s.reportMu.Unlock()
	endMs, ok := s.durableFullEnd()
	if !ok || endMs <= s.reportedMs {
		return
	}
	s.reportedMs = endMs
	s.cfg.OnFullFileFlushed(endMs)
}

// durableFullEnd returns the end timestamp of the last file of the longest
// prefix of full, flushed files.
func (s *Set) durableFullEnd() (int64, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, false
	}
	var endMs int64
	found := false
	for _, f := range s.files {
		if !f.Full() || f.Dirty() {
			break
		}
		endMs, found = f.Header().EndTimestampMs, true
	}
	return endMs, found
}

// Flush makes every file written since its last flush durable, then reports
// a grown indexMsgTimestamp through OnFullFileFlushed. Flushing the newest
// file holds off Put for the duration of its msync.
func (s *Set) Flush() error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	files := slices.Clone(s.files)
	s.mu.RUnlock()

	var errs []error
	for _, f := range files {
		if f.Dirty() {
			errs = append(errs, errClosedIgnored(f.Flush()))
		}
	}
	s.report()
	return errors.Join(errs...)
}

// Close flushes the written files and closes them all. Closing twice is a
// no-op. A deferred flush that fires after Close does nothing.
func (s *Set) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	for _, f := range s.files {
		if f.Dirty() {
			errs = append(errs, f.Flush())
		}
		errs = append(errs, f.Close())
	}
	s.files = nil
	return errors.Join(errs...)
}

// DeleteFilesBefore removes the oldest files whose endPhyOffset is below
// minPhyOffset (the CommitLog's new minimum offset after cleaning), stopping
// at the first file that is not and never removing the newest file. It
// returns how many files it removed. A file whose removal fails is dropped
// from the set all the same (it is closed), and the error is returned.
func (s *Set) DeleteFilesBefore(minPhyOffset int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, ErrClosed
	}
	removed := 0
	for len(s.files) > 1 && s.files[0].Header().EndPhyOffset < minPhyOffset {
		err := s.files[0].Destroy()
		s.files = slices.Delete(s.files, 0, 1)
		removed++
		if err != nil {
			return removed, err
		}
	}
	return removed, nil
}

// RemoveNewerThan removes every file whose header endTimestamp is after
// indexMsgTimestampMs. Recovery after an abnormal exit calls it right after
// Open: those files were not known durable, and re-dispatch rebuilds their
// entries. It returns how many files it removed; a file whose removal fails
// is dropped from the set all the same.
func (s *Set) RemoveNewerThan(indexMsgTimestampMs int64) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, ErrClosed
	}
	var errs []error
	kept := s.files[:0]
	for _, f := range s.files {
		if f.Header().EndTimestampMs > indexMsgTimestampMs {
			errs = append(errs, f.Destroy())
			continue
		}
		kept = append(kept, f)
	}
	removed := len(s.files) - len(kept)
	clear(s.files[len(kept):])
	s.files = kept
	return removed, errors.Join(errs...)
}

// RemoveUnsafe removes, after a crash, every file that may hold entries not
// known to be durable: the first file that is not full or whose endPhyOffset
// is at or past durablePhyOffset (every record below durablePhyOffset had
// its entries flushed), and all files after it. Full files below it were
// never written again and are kept. It returns how many files it removed
// and the CommitLog offset from which re-dispatch must rebuild their
// entries: the end offset of the last kept file, or 0 when none is kept. A
// removed file's own header is not trusted, since the crash may have torn
// it.
func (s *Set) RemoveUnsafe(durablePhyOffset int64) (removed int, rebuildFrom int64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, 0, ErrClosed
	}
	keep := 0
	for keep < len(s.files) {
		h := s.files[keep].Header()
		if !s.files[keep].Full() || h.EndPhyOffset >= durablePhyOffset {
			break
		}
		rebuildFrom = h.EndPhyOffset
		keep++
	}
	var errs []error
	for _, f := range s.files[keep:] {
		errs = append(errs, f.Destroy())
	}
	removed = len(s.files) - keep
	clear(s.files[keep:])
	s.files = s.files[:keep]
	return removed, rebuildFrom, errors.Join(errs...)
}
