package commitlog

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/mappedfile"
)

// Errors of the log.
var (
	// ErrNotRecovered: Recover must run before appends and reads.
	ErrNotRecovered = errors.New("commitlog: log not recovered yet")
	// ErrClosed: the log has been closed.
	ErrClosed = errors.New("commitlog: log closed")
	// ErrOffsetExpired: the offset is below the oldest segment (deleted).
	ErrOffsetExpired = errors.New("commitlog: offset below the log's first segment")
	// ErrOffsetNotWritten: the offset is at or past the published write end.
	ErrOffsetNotWritten = errors.New("commitlog: offset beyond the published data")
	// ErrCrossesSegment: a slice would span two segments.
	ErrCrossesSegment = errors.New("commitlog: range crosses a segment boundary")
	// ErrPhysOffsetMismatch is a reason wrapped with ErrCorrupt: the
	// record's PHYSICALOFFSET is not where it was found.
	ErrPhysOffsetMismatch = errors.New("physical offset mismatch")
	// ErrFlushTimeout: the record was not flushed within SyncFlushTimeout.
	// It is stored; only the durability promise failed.
	ErrFlushTimeout = errors.New("commitlog: flush timed out")
	// ErrFlushWaitersFull: MaxPendingFlushWaiters waiters are pending. The
	// record is stored; the caller should answer that the broker is busy.
	ErrFlushWaitersFull = errors.New("commitlog: too many pending flush waiters")
)

// Life-cycle states of a Log.
const (
	stateOpened    int32 = iota // segments loaded, positions not trusted
	stateRecovered              // appends and reads allowed
	stateClosed
)

// queueKey names a consume queue: topic and queue id.
type queueKey struct {
	topic   string
	queueID int32
}

// Log is the CommitLog. See the package documentation for its invariants and
// concurrency rules.
type Log struct {
	e   env.Env
	cfg Config
	dir string
	q   *mappedfile.Queue

	// state is read lock-free by readers; changed under mu.
	state atomic.Int32

	// mu is the append lock: it serializes appends, truncation and the
	// queue offset table.
	mu sync.Mutex
	// queueOffsets holds a counter per queue; appends find it with one map
	// lookup and advance it in place.
	queueOffsets map[queueKey]*int64
	// lastKey and lastCounter remember the queue of the previous append.
	lastKey     queueKey
	lastCounter *int64
	// propScratch holds the properties with the property CRC placeholder
	// while a record is encoded (AppendPropCRC); guarded by mu.
	propScratch []byte
	// lastStoreMs keeps STORETIMESTAMP monotonic in log order.
	lastStoreMs int64
	// emptyStart is the log offset of the next byte when no segment exists
	// (a new log starts at 0; a log truncated to its first segment's start
	// restarts there).
	emptyStart atomic.Int64
	// rawPending counts the bytes of a replicated record not yet complete,
	// stored past the last segment's published end (see AppendRaw);
	// guarded by mu.
	rawPending int64

	fl flusher
}

// Open loads the segments in dir without recovering them: wrong-size
// segments are an error, a zero-length last file is deleted, and the
// positions are untrusted (every segment looks full) until Recover.
func Open(e env.Env, dir string, cfg Config) (*Log, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	q, err := mappedfile.Open(e, mappedfile.Config{
		Dir:              dir,
		SegmentSizeBytes: cfg.SegmentSizeBytes,
		Preallocate:      cfg.PreallocateNext,
		Warm:             cfg.WarmMappedFile,
	})
	if err != nil {
		return nil, fmt.Errorf("commitlog: opening %s: %w", dir, err)
	}
	l := &Log{e: e, cfg: cfg, dir: dir, q: q, queueOffsets: make(map[queueKey]*int64)}
	l.state.Store(stateOpened)
	return l, nil
}

// Dir returns the directory holding the segments.
func (l *Log) Dir() string { return l.dir }

// Config returns the configuration in effect (defaults filled in).
func (l *Log) Config() Config { return l.cfg }

// MinOffset returns the first offset still stored (the oldest segment's start).
func (l *Log) MinOffset() int64 {
	if first := l.q.First(); first != nil {
		return first.Start()
	}
	return l.emptyStart.Load()
}

// MaxOffset returns the published write end: every byte below it is a
// complete record (or blank record) visible to readers.
func (l *Log) MaxOffset() int64 {
	if last := l.q.Last(); last != nil {
		return last.WroteEnd()
	}
	return l.emptyStart.Load()
}

// FlushedOffset returns the offset below which everything is durable.
func (l *Log) FlushedOffset() int64 {
	if l.q.Last() == nil {
		return l.emptyStart.Load()
	}
	return l.q.FlushedWhere()
}

// SegmentCount returns the number of segments.
func (l *Log) SegmentCount() int { return l.q.Len() }

// NextSegmentStart returns the start of the segment after the one holding
// physOffset: where a reader continues after a blank record.
func (l *Log) NextSegmentStart(physOffset int64) int64 {
	size := l.cfg.SegmentSizeBytes
	return physOffset - physOffset%size + size
}

// SetQueueOffset sets the next queue offset of (topic, queueID), as the store
// does after recovery from the consume queues' max offsets.
func (l *Log) SetQueueOffset(topic string, queueID int32, next int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p, ok := l.queueOffsets[queueKey{topic, queueID}]; ok {
		*p = next
		return
	}
	l.queueOffsets[queueKey{strings.Clone(topic), queueID}] = &next
}

// QueueOffset returns the next queue offset of (topic, queueID): 0 for a
// queue that never had a record.
func (l *Log) QueueOffset(topic string, queueID int32) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p, ok := l.queueOffsets[queueKey{topic, queueID}]; ok {
		return *p
	}
	return 0
}

// RemoveQueueOffsets forgets every queue of topic (the topic was deleted)
// and returns the log's end at that moment: every record of the topic that
// is already in the log lies below it, and every later append of the
// topic, starting again at queue offset 0, lies at or above it.
func (l *Log) RemoveQueueOffsets(topic string) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k := range l.queueOffsets {
		if k.topic == topic {
			delete(l.queueOffsets, k)
		}
	}
	l.lastKey, l.lastCounter = queueKey{}, nil
	return l.MaxOffset()
}

// Close flushes everything (retrying a failing flush a few times), stops the
// timers, completes the pending Durable waiters (ErrClosed for those the
// final flush did not reach) and unmaps the segments. Segments still held by
// readers are unmapped when their Ref is released. Close is idempotent.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.state.Load() == stateClosed {
		l.mu.Unlock()
		return nil
	}
	l.state.Store(stateClosed)
	l.discardPendingLocked()
	l.mu.Unlock()

	waiters := l.closeFlusher()
	var flushErr error
	for range flushRetriesOnClose {
		if _, flushErr = l.q.Flush(0); flushErr == nil {
			break
		}
	}
	if flushErr != nil {
		l.fail(flushErr)
	}
	flushed := l.q.FlushedWhere()
	for _, w := range waiters {
		switch {
		case w.endOffset <= flushed:
			w.done(nil)
		case flushErr != nil:
			w.done(flushErr)
		default:
			w.done(ErrClosed)
		}
	}
	closeErr := l.q.Close()
	if flushErr != nil {
		return fmt.Errorf("commitlog: final flush of %s: %w", l.dir, flushErr)
	}
	if closeErr != nil {
		return fmt.Errorf("commitlog: closing %s: %w", l.dir, closeErr)
	}
	return nil
}

// LastStoreTimestampMs returns the STORETIMESTAMP floor of the next append:
// the newest store time of a record appended, replicated or recovered so
// far. An append stamps the clock's time, or this floor when the clock is
// behind it (a clock stepped back, or a promoted slave whose old master's
// clock ran ahead), so that store times never decrease in log order.
func (l *Log) LastStoreTimestampMs() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastStoreMs
}
