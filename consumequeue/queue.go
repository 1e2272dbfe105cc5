package consumequeue

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/mappedfile"
)

// Queue is the ConsumeQueue of one (topic, queueId). See the package doc for
// the layout, the positions, the invariants and the concurrency rules.
type Queue struct {
	e             env.Env
	topic         string
	queueID       int32
	dir           string
	fileSizeBytes int64
	log           *slog.Logger
	files         *mappedfile.Queue

	// writeMu serializes the writer with everything that moves positions or
	// removes files.
	writeMu sync.Mutex
	// maxPhysOffset is MaxPhysicOffset; written under writeMu.
	maxPhysOffset atomic.Int64
	// minQueueOffset is the logical minimum before clamping to the files;
	// written under writeMu, only ever raised except by Destroy.
	minQueueOffset atomic.Int64
}

// Open opens the queue of (topic, queueID) under rootDir (the store root; the
// files live in QueueDir(rootDir, topic, queueID), created when missing) and
// loads its files. A file of the wrong size, a badly named file or a gap
// between files is an error (mappedfile.ErrSegmentSize, ErrSegmentName,
// ErrNotContiguous), as in RocketMQ, which refuses to start. Loaded files
// count as full until Recover finds the end of the valid data: call Recover
// before serving reads or appending.
func Open(e env.Env, rootDir, topic string, queueID int32, cfg Config) (*Queue, error) {
	if err := checkName(topic, queueID); err != nil {
		return nil, err
	}
	cfg, err := cfg.normalized()
	if err != nil {
		return nil, err
	}
	dir := QueueDir(rootDir, topic, queueID)
	files, err := mappedfile.Open(e, mappedfile.Config{Dir: dir, SegmentSizeBytes: cfg.FileSizeBytes})
	if err != nil {
		return nil, fmt.Errorf("consumequeue: opening %s/%d: %w", topic, queueID, err)
	}
	return &Queue{
		e:             e,
		topic:         topic,
		queueID:       queueID,
		dir:           dir,
		fileSizeBytes: cfg.FileSizeBytes,
		log:           cfg.Logger.With("topic", topic, "queueId", queueID),
		files:         files,
	}, nil
}

// Topic returns the queue's topic.
func (q *Queue) Topic() string { return q.topic }

// QueueID returns the queue's id within its topic.
func (q *Queue) QueueID() int32 { return q.queueID }

// Dir returns the directory holding the queue's files.
func (q *Queue) Dir() string { return q.dir }

// FileSizeBytes returns the length of each file.
func (q *Queue) FileSizeBytes() int64 { return q.fileSizeBytes }

// FileCount returns the number of files.
func (q *Queue) FileCount() int { return q.files.Len() }

// MaxOffset returns the logical offset the next unit will take: the write
// end of the byte space / 20.
func (q *Queue) MaxOffset() int64 { return q.files.MaxOffset() / UnitSize }

// MinOffset returns the smallest logical offset a reader may ask for (see
// the package doc); it equals MaxOffset when the queue holds no message.
func (q *Queue) MinOffset() int64 {
	maxOffset := q.MaxOffset()
	m := q.minQueueOffset.Load()
	if f := q.files.First(); f != nil {
		m = max(m, f.Start()/UnitSize)
	}
	return min(m, maxOffset)
}

// MaxPhysicOffset returns the CommitLog offset just past the record of the
// last non-filler unit written (see the package doc for when no real unit
// is left).
func (q *Queue) MaxPhysicOffset() int64 { return q.maxPhysOffset.Load() }

// Flush makes written units durable (see mappedfile.Queue.Flush for
// leastPages).
func (q *Queue) Flush(leastPages int) error {
	if _, err := q.files.Flush(leastPages); err != nil {
		return fmt.Errorf("consumequeue: flushing %s/%d: %w", q.topic, q.queueID, err)
	}
	return nil
}

// FlushedOffset returns the logical offset below which units are durable.
func (q *Queue) FlushedOffset() int64 { return q.files.FlushedWhere() / UnitSize }

// Close unmaps the files without deleting them. The Queue must not be used
// afterwards.
func (q *Queue) Close() error {
	if err := q.files.Close(); err != nil {
		return fmt.Errorf("consumequeue: closing %s/%d: %w", q.topic, q.queueID, err)
	}
	return nil
}

// Destroy deletes every file and the queue's directory and resets the queue
// to empty at offset 0 (RocketMQ's ConsumeQueue.destroy). The Queue stays
// usable: the next Append recreates the directory. A reader still holding a
// file keeps its mapping until it releases it.
func (q *Queue) Destroy() error {
	q.writeMu.Lock()
	defer q.writeMu.Unlock()
	q.maxPhysOffset.Store(0)
	q.minQueueOffset.Store(0)
	if q.files.Len() > 0 {
		if err := q.files.Destroy(); err != nil {
			return fmt.Errorf("consumequeue: destroying %s/%d: %w", q.topic, q.queueID, err)
		}
	}
	if err := q.e.FS.RemoveAll(q.dir); err != nil {
		return fmt.Errorf("consumequeue: removing %s: %w", q.dir, err)
	}
	return nil
}

// unitAt reads the unit at logical offset off if it lies in the published
// data of a live file.
func (q *Queue) unitAt(off int64) (Unit, bool) {
	pos := off * UnitSize
	s := q.files.Find(pos)
	if s == nil || !s.Acquire() {
		return Unit{}, false
	}
	defer s.Release()
	rel := pos - s.Start()
	if rel+UnitSize > s.Wrote() {
		return Unit{}, false
	}
	return decodeUnit(s.Bytes()[rel:]), true
}

// scan calls fn for the units at logical offsets [from, to) in order,
// holding one reference per file, until fn returns false. It returns the
// offset of the unit fn refused, or where the published data or to ended.
func (q *Queue) scan(from, to int64, fn func(off int64, u Unit) bool) int64 {
	off := from
	for off < to {
		pos := off * UnitSize
		s := q.files.Find(pos)
		if s == nil || !s.Acquire() {
			return off
		}
		b := s.Bytes()
		end := min(s.Wrote(), to*UnitSize-s.Start())
		rel := pos - s.Start()
		for ; rel+UnitSize <= end; rel += UnitSize {
			if !fn(off, decodeUnit(b[rel:])) {
				s.Release()
				return off
			}
			off++
		}
		s.Release()
		if rel < s.Size() {
			return off // the published data ends inside this file
		}
	}
	return off
}

// nextReal returns the logical offset of the first non-filler unit in
// [from, to), or where the data or to ends.
func (q *Queue) nextReal(from, to int64) int64 {
	return q.scan(from, to, func(_ int64, u Unit) bool { return u.IsFiller() })
}

// lastReal returns the last non-filler unit of the queue, scanning back from
// the end over fillers.
func (q *Queue) lastReal() (Unit, bool) {
	segs := q.files.Segments()
	for i := len(segs) - 1; i >= 0; i-- {
		if u, ok := lastRealIn(segs[i]); ok {
			return u, true
		}
	}
	return Unit{}, false
}

// refreshPositions recomputes MaxPhysicOffset from the data, or sets it to
// fallback when no real unit is left, and moves the minimum past leading
// fillers, after recovery or a truncation. The caller holds writeMu.
func (q *Queue) refreshPositions(fallbackMaxPhys int64) {
	if u, ok := q.lastReal(); ok {
		q.maxPhysOffset.Store(u.PhysEnd())
	} else {
		q.maxPhysOffset.Store(fallbackMaxPhys)
	}
	maxOffset := q.MaxOffset()
	m := q.MinOffset()
	q.minQueueOffset.Store(q.nextReal(m, maxOffset))
}
