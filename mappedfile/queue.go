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
	closed       bool // guarded by createMu: Close ran

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

// ModTime returns the last-modified time of a segment's file.
func (q *Queue) ModTime(s *Segment) (env.FileInfo, error) {
	return q.e.FS.Stat(s.path)
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
