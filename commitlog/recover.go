package commitlog

import (
	"errors"
	"fmt"

	"github.com/apogeemq/apogee/mappedfile"
)

// ErrTruncated completes a Durable waiter whose record a truncation removed.
var ErrTruncated = errors.New("commitlog: record removed by truncation")

// RecoverOptions chooses where recovery starts and what it re-dispatches
// (spec §4.8).
type RecoverOptions struct {
	// Abnormal is set when the previous run did not shut down cleanly (the
	// abort file exists).
	Abnormal bool
	// LastSegments, for a normal recovery, starts the scan that many
	// segments before the end (RocketMQ 4.x uses 3). Zero selects the
	// start by DispatchFromOffset.
	LastSegments int
	// DispatchFromOffset, for a normal recovery with LastSegments 0: the
	// scan starts at the newest segment whose first record is valid and
	// starts at or before this offset (RocketMQ 5.x), else the oldest.
	DispatchFromOffset int64
	// MinTimestampMs, for an abnormal recovery: the scan starts at the
	// newest segment whose first record is valid with a STORETIMESTAMP in
	// (0, MinTimestampMs], else the oldest.
	MinTimestampMs int64
	// RedispatchFrom: visit is called for every valid record whose offset
	// is at or beyond it (0 re-dispatches everything scanned, as an
	// abnormal recovery does).
	RedispatchFrom int64
	// SkipCRC disables body CRC checks (RocketMQ checkCRCOnRecover=false).
	SkipCRC bool
}

// RecoverResult says what recovery found, for the store to log and act on.
type RecoverResult struct {
	// ScanStart is the offset the scan began at (a segment start).
	ScanStart int64
	// EndOffset is the end of the last valid record: the new write end.
	EndOffset int64
	// StopReason is why the scan ended at EndOffset: nil when it ran to the
	// end of the last segment, else the error of the bytes found there. An
	// error matching ErrZeroRegion is never-written space, the normal end.
	StopReason error
	// Records counts the valid records scanned; Visited those passed to visit.
	Records, Visited int
	// LastStoreTimestampMs is the STORETIMESTAMP of the last valid record
	// (0 when none was scanned).
	LastStoreTimestampMs int64
	// SegmentsRemoved counts the segments after EndOffset that were deleted.
	SegmentsRemoved int
}

// CleanEnd reports whether the scan stopped where the data ends, rather than
// at bytes that are not a record.
func (r RecoverResult) CleanEnd() bool {
	return r.StopReason == nil || errors.Is(r.StopReason, ErrZeroRegion)
}

// Recover scans the log from the segment chosen by opts, checking every
// record (CRC included unless opts.SkipCRC) and calling visit (may be nil)
// for valid records at or beyond opts.RedispatchFrom; the Record is valid
// only during the call. A blank record moves the scan to the next segment;
// the first invalid record ends it. Everything after the last valid record
// is dropped: the rest of its segment is zeroed, later segments are
// deleted, the write position is set there, and everything kept is flushed
// (a crashed process may have left it only in the page cache). Valid records
// before the stop are never dropped. An error from visit aborts recovery
// (nothing is truncated and the log stays unrecovered). Recover runs once,
// after Open and before any append or read; it also starts the flush
// service.
func (l *Log) Recover(opts RecoverOptions, visit func(Record) error) (RecoverResult, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch l.state.Load() {
	case stateClosed:
		return RecoverResult{}, ErrClosed
	case stateRecovered:
		return RecoverResult{}, errors.New("commitlog: Recover called twice")
	}
	res := RecoverResult{ScanStart: l.emptyStart.Load(), EndOffset: l.emptyStart.Load()}
	if segs := l.q.Segments(); len(segs) > 0 {
		if err := l.scan(segs, opts, visit, &res); err != nil {
			return res, err
		}
		before := l.q.Len()
		if err := l.q.TruncateTo(res.EndOffset); err != nil {
			return res, fmt.Errorf("commitlog: truncating %s to %d after recovery: %w", l.dir, res.EndOffset, err)
		}
		res.SegmentsRemoved = before - l.q.Len()
		l.afterTruncate(res.EndOffset)
		// A crashed process leaves its writes in the page cache: the kept
		// records count as durable only once flushed again.
		if _, err := l.q.Flush(0); err != nil {
			return res, fmt.Errorf("commitlog: flushing %s after recovery: %w", l.dir, err)
		}
	}
	l.lastStoreMs = max(l.lastStoreMs, res.LastStoreTimestampMs)
	l.state.Store(stateRecovered)
	l.startFlushService()
	return res, nil
}

// scan walks the records from the chosen segment and fills res.
func (l *Log) scan(segs []*mappedfile.Segment, opts RecoverOptions, visit func(Record) error, res *RecoverResult) error {
	checkCRC := !opts.SkipCRC
	i := scanStart(segs, opts, checkCRC)
	seg, rel := segs[i], int64(0)
	res.ScanStart = seg.Start()
	for {
		// Loaded segments count as fully written: all their bytes are examined.
		rec, err := decodeInSegment(seg.Bytes(), rel, seg.Size(), checkCRC)
		if err == nil && checkCRC && l.cfg.VerifyPropCRC {
			err = VerifyPropCRC(rec.Raw)
		}
		pos := seg.Start() + rel
		if err == nil && rec.PhysOffset != pos {
			err = corrupt(ErrPhysOffsetMismatch, "record at %d says %d", pos, rec.PhysOffset)
		}
		switch {
		case err == nil:
			res.Records++
			res.LastStoreTimestampMs = rec.StoreTimestampMs
			if visit != nil && pos >= opts.RedispatchFrom {
				res.Visited++
				if verr := visit(rec); verr != nil {
					return fmt.Errorf("commitlog: recovery visit of the record at %d: %w", pos, verr)
				}
			}
			rel += int64(rec.TotalSize)
		case errors.Is(err, ErrBlank):
			// The blank declares the rest of the segment written. In the
			// last segment it stays (RocketMQ drops it and writes it again
			// on the next append; the bytes readers see are the same).
			if i+1 == len(segs) {
				res.EndOffset = seg.End()
				return nil
			}
			i++
			seg, rel = segs[i], 0
		default:
			res.EndOffset = pos
			res.StopReason = err
			return nil
		}
	}
}

// scanStart picks the index of the segment recovery starts from.
func scanStart(segs []*mappedfile.Segment, opts RecoverOptions, checkCRC bool) int {
	if !opts.Abnormal && opts.LastSegments > 0 {
		return max(0, len(segs)-opts.LastSegments)
	}
	for i := len(segs) - 1; i > 0; i-- {
		s := segs[i]
		rec, err := decodeInSegment(s.Bytes(), 0, s.Size(), checkCRC)
		if err != nil || rec.PhysOffset != s.Start() {
			continue
		}
		if opts.Abnormal {
			if rec.StoreTimestampMs != 0 && rec.StoreTimestampMs <= opts.MinTimestampMs {
				return i
			}
		} else if rec.PhysOffset <= opts.DispatchFromOffset {
			return i
		}
	}
	return 0
}

// TruncateTo drops every byte at or after physOffset, which must be a
// record boundary in [MinOffset, MaxOffset] (a slave cutting back to its
// master). The rest of the segment is zeroed so stale bytes can never pass
// for records, later segments are deleted, and Durable waiters past the cut
// complete with ErrTruncated. The queue offset table is left alone: the
// caller resets it (SetQueueOffset). Readers must not be reading the dropped
// range.
func (l *Log) TruncateTo(physOffset int64) error {
	dropped, err := l.truncateTo(physOffset)
	for _, w := range dropped {
		w.done(ErrTruncated)
	}
	return err
}

// truncateTo does TruncateTo's work under the append lock and returns the
// waiters to complete once it is released.
func (l *Log) truncateTo(physOffset int64) ([]flushWaiter, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.checkWritable(); err != nil {
		return nil, err
	}
	l.discardPendingLocked()
	minOffset, maxOffset := l.MinOffset(), l.MaxOffset()
	switch {
	case physOffset < minOffset:
		return nil, fmt.Errorf("%w: truncation to %d < %d", ErrOffsetExpired, physOffset, minOffset)
	case physOffset > maxOffset:
		return nil, fmt.Errorf("%w: truncation to %d > %d", ErrOffsetNotWritten, physOffset, maxOffset)
	case physOffset == maxOffset:
		return nil, nil
	}
	if err := l.q.TruncateTo(physOffset); err != nil {
		return nil, fmt.Errorf("commitlog: truncating %s to %d: %w", l.dir, physOffset, err)
	}
	l.afterTruncate(physOffset)
	return l.takeWaitersBeyond(physOffset), nil
}

// afterTruncate records where an emptied log restarts.
func (l *Log) afterTruncate(physOffset int64) {
	if l.q.Len() == 0 {
		l.emptyStart.Store(physOffset)
		l.q.ResetEmptyAt(physOffset)
	}
}

// takeWaitersBeyond removes the waiters whose records were truncated away.
func (l *Log) takeWaitersBeyond(physOffset int64) []flushWaiter {
	f := &l.fl
	f.mu.Lock()
	defer f.mu.Unlock()
	var dropped []flushWaiter
	keep := f.waiters[:0]
	for _, w := range f.waiters {
		if w.endOffset > physOffset {
			dropped = append(dropped, w)
		} else {
			keep = append(keep, w)
		}
	}
	clear(f.waiters[len(keep):])
	f.waiters = keep
	return dropped
}
