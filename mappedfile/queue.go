package mappedfile

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/apogeemq/apogee/env"
)

// Errors reported when loading a queue from disk.
var (
	// ErrSegmentSize means a segment file does not have the configured size;
	// RocketMQ refuses to start in that case and so do we.
	ErrSegmentSize = errors.New("mappedfile: segment has the wrong size")
	// ErrSegmentName means a file in the queue directory is not named by a
	// 20-digit offset aligned to the segment size.
	ErrSegmentName = errors.New("mappedfile: bad segment file name")
	// ErrNotContiguous means segment start offsets leave a gap.
	ErrNotContiguous = errors.New("mappedfile: segments are not contiguous")
)

// Config configures a Queue.
type Config struct {
	// Dir holds the segment files; it is created when missing.
	Dir string
	// SegmentSizeBytes is the length of every segment file.
	SegmentSizeBytes int64
	// Preallocate creates the segment after the newest one ahead of need,
	// through env.Clock.AfterFunc, so that rolling over does not pay for
	// file creation on the hot path.
	Preallocate bool
	// Warm maps every page of a new segment in for writing when it is
	// created (RocketMQ's warmMapedFileEnable), so appends take no page
	// faults. Off the hot path for preallocated segments.
	Warm bool
}

// Queue is an ordered run of mapped segment files. See the package doc for
// the positions, invariants and concurrency rules.
type Queue struct {
	e   env.Env
	cfg Config

	mu   sync.RWMutex
	segs []*Segment

	// createMu serializes creating segment files: the writer and the
	// preallocation callback never create the same file twice.
	createMu     sync.Mutex
	ready        *Segment // preallocated, not yet in segs
	preallocBusy bool

	// flushMu serializes flush rounds and truncation; flushedWhere is
	// written under it and read without it.
	flushMu      sync.Mutex
	flushedWhere atomic.Int64

	errMu   sync.Mutex
	lastErr error
}

// Open loads the segments in cfg.Dir (creating the directory if needed). A
// zero-length last file is deleted, as RocketMQ does; any other file of the
// wrong size is an error. Loaded segments are full (wrote = size) until the
// caller recovers and truncates, and not yet flushed (flushed = 0): bytes a
// crashed process left in the page cache become durable only through the
// next Flush.
func Open(e env.Env, cfg Config) (*Queue, error) {
	if cfg.SegmentSizeBytes <= 0 {
		return nil, fmt.Errorf("mappedfile: segment size %d must be positive", cfg.SegmentSizeBytes)
	}
	if err := e.FS.MkdirAll(cfg.Dir); err != nil {
		return nil, fmt.Errorf("mappedfile: creating %s: %w", cfg.Dir, err)
	}
	q := &Queue{e: e, cfg: cfg}
	names, err := e.FS.List(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("mappedfile: listing %s: %w", cfg.Dir, err)
	}
	type found struct {
		name  string
		start int64
		size  int64
	}
	var files []found
	for _, name := range names {
		path := filepath.Join(cfg.Dir, name)
		info, err := e.FS.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("mappedfile: stat %s: %w", path, err)
		}
		if info.IsDir {
			return nil, fmt.Errorf("%w: %s is a directory", ErrSegmentName, path)
		}
		start, perr := strconv.ParseInt(name, 10, 64)
		if len(name) != 20 || perr != nil || start < 0 || start%cfg.SegmentSizeBytes != 0 {
			return nil, fmt.Errorf("%w: %s (want 20 digits, a multiple of %d)", ErrSegmentName, path, cfg.SegmentSizeBytes)
		}
		files = append(files, found{name: name, start: start, size: info.Size})
	}
	// List returns sorted names; equal-width names sort by offset.
	if n := len(files); n > 0 && files[n-1].size == 0 {
		path := filepath.Join(cfg.Dir, files[n-1].name)
		if err := e.FS.Remove(path); err != nil {
			return nil, fmt.Errorf("mappedfile: removing empty last segment %s: %w", path, err)
		}
		files = files[:n-1]
	}
	for i, f := range files {
		path := filepath.Join(cfg.Dir, f.name)
		if f.size != cfg.SegmentSizeBytes {
			q.closeAll()
			return nil, fmt.Errorf("%w: %s has %d bytes, want %d", ErrSegmentSize, path, f.size, cfg.SegmentSizeBytes)
		}
		if i > 0 && f.start != files[i-1].start+cfg.SegmentSizeBytes {
			q.closeAll()
			return nil, fmt.Errorf("%w: %s follows %s", ErrNotContiguous, f.name, files[i-1].name)
		}
		s, err := q.mapSegment(path, f.start, false)
		if err != nil {
			q.closeAll()
			return nil, err
		}
		// Loaded bytes may sit only in the page cache (a process crash
		// keeps it): nothing counts as durable until flushed again.
		s.wrote.Store(s.size)
		q.segs = append(q.segs, s)
	}
	if len(q.segs) > 0 {
		q.flushedWhere.Store(q.segs[0].start)
	}
	return q, nil
}

// mapSegment opens (or creates and sizes) a segment file and maps it.
func (q *Queue) mapSegment(path string, start int64, create bool) (*Segment, error) {
	var (
		f   env.File
		err error
	)
	if create {
		// Allocate reserves the blocks: writes through the mapping can then
		// neither hit a full disk (which would be a SIGBUS, not an error)
		// nor pay for block allocation on the hot path.
		f, err = q.e.FS.Create(path)
		if err == nil {
			err = f.Allocate(q.cfg.SegmentSizeBytes)
			if err == nil {
				err = f.Sync()
			}
			if err == nil {
				err = q.e.FS.SyncDir(q.cfg.Dir)
			}
			if err != nil {
				f.Close()
				q.e.FS.Remove(path)
			}
		}
	} else {
		f, err = q.e.FS.OpenRW(path)
	}
	if err != nil {
		return nil, fmt.Errorf("mappedfile: opening segment %s: %w", path, err)
	}
	m, err := f.Map(int(q.cfg.SegmentSizeBytes))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("mappedfile: mapping segment %s: %w", path, err)
	}
	if create && q.cfg.Warm {
		if err := m.Prefault(0, int(q.cfg.SegmentSizeBytes)); err != nil {
			m.Unmap()
			f.Close()
			return nil, fmt.Errorf("mappedfile: warming segment %s: %w", path, err)
		}
	}
	s := &Segment{q: q, path: path, start: start, size: q.cfg.SegmentSizeBytes, file: f, mapping: m, buf: m.Bytes()}
	s.refs.Store(1)
	return s, nil
}

// SegmentSizeBytes returns the configured segment size.
func (q *Queue) SegmentSizeBytes() int64 { return q.cfg.SegmentSizeBytes }

// Dir returns the queue's directory.
func (q *Queue) Dir() string { return q.cfg.Dir }

// Segments returns a snapshot of the live segments, oldest first.
func (q *Queue) Segments() []*Segment {
	q.mu.RLock()
	defer q.mu.RUnlock()
	return append([]*Segment(nil), q.segs...)
}

// Len returns the number of live segments.
func (q *Queue) Len() int {
	q.mu.RLock()
	defer q.mu.RUnlock()
	return len(q.segs)
}

// First returns the oldest segment, or nil when the queue is empty.
func (q *Queue) First() *Segment {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if len(q.segs) == 0 {
		return nil
	}
	return q.segs[0]
}

// Last returns the newest segment, or nil when the queue is empty.
func (q *Queue) Last() *Segment {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if len(q.segs) == 0 {
		return nil
	}
	return q.segs[len(q.segs)-1]
}

// Find returns the segment holding absolute offset, or nil. The caller must
// Acquire it before reading its bytes unless it is the writer.
func (q *Queue) Find(offset int64) *Segment {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if len(q.segs) == 0 || offset < q.segs[0].start {
		return nil
	}
	i := int((offset - q.segs[0].start) / q.cfg.SegmentSizeBytes)
	if i >= len(q.segs) {
		return nil
	}
	return q.segs[i]
}

// MinOffset returns the start of the oldest segment, or 0 when empty.
func (q *Queue) MinOffset() int64 {
	if s := q.First(); s != nil {
		return s.start
	}
	return 0
}

// MaxOffset returns the absolute end of the published data, or 0 when empty.
func (q *Queue) MaxOffset() int64 {
	if s := q.Last(); s != nil {
		return s.WroteEnd()
	}
	return 0
}

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
		if q.ready != nil || q.Last() == nil || q.Last().End() != start {
			return // already prepared, or the queue moved on or was closed
		}
		s, err := q.mapSegment(filepath.Join(q.cfg.Dir, FileName(start)), start, true)
		if err != nil {
			q.recordError(err)
			return
		}
		q.ready = s
	})
}

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
	q.flushMu.Lock()
	q.flushedWhere.Store(min(q.flushedWhere.Load(), offset))
	if len(q.segs) == 0 {
		q.flushedWhere.Store(0)
	}
	q.flushMu.Unlock()
	return firstErr
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

// ModTime returns the last-modified time of a segment's file.
func (q *Queue) ModTime(s *Segment) (env.FileInfo, error) {
	return q.e.FS.Stat(s.path)
}

// Close unmaps every segment without deleting files. Segments still held by
// readers are unmapped when released.
func (q *Queue) Close() error {
	q.createMu.Lock()
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

func (q *Queue) recordError(err error) {
	q.errMu.Lock()
	if q.lastErr == nil {
		q.lastErr = err
	}
	q.errMu.Unlock()
}

// Err returns the first error from work done off the caller's path
// (preallocation, releasing deleted segments), if any.
func (q *Queue) Err() error {
	q.errMu.Lock()
	defer q.errMu.Unlock()
	return q.lastErr
}
