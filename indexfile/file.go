package indexfile

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/apogeemq/apogee/env"
)

// tmpSuffix marks a file still being created; it gets its final name only
// once it is complete.
const tmpSuffix = ".tmp"

// ErrFull is returned by File.Put when indexCount has reached MaxEntries.
var ErrFull = errors.New("indexfile: index file is full")

// ErrClosed is returned by operations on a closed File or Set.
var ErrClosed = errors.New("indexfile: closed")

// File is one memory-mapped index file. It is safe for concurrent use: Put,
// Close and Destroy are exclusive, Query, Flush and the accessors run
// concurrently with each other.
type File struct {
	path string
	fs   env.FS
	geo  Geometry

	mu      sync.RWMutex // guards everything below and the mapped bytes
	file    env.File
	mapping env.Mapping
	buf     []byte // mapping.Bytes(), exactly geo.FileSizeBytes() long
	hdr     Header // cache of the header bytes, written through on change
	closed  bool

	// dirty is set by writes and cleared by a successful Flush. It is
	// atomic because Flush clears it while holding only the read lock.
	dirty atomic.Bool
}

// CreateFile creates the index file path with geometry g and maps it. When
// presetEndPhyOffset (presetEndTimestampMs) is > 0, both phy offset (both
// timestamp) header fields start with it, as for a file following a full
// one. An existing file at path is replaced.
//
// The file is built under path + ".tmp" (sized, header written, synced) and
// renamed into place, and the directory is synced, so a crash leaves either
// no file at path or a complete one.
func CreateFile(fsys env.FS, path string, g Geometry, presetEndPhyOffset, presetEndTimestampMs int64) (*File, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	hdr := Header{IndexCount: firstEntry}
	if presetEndPhyOffset > 0 {
		hdr.BeginPhyOffset, hdr.EndPhyOffset = presetEndPhyOffset, presetEndPhyOffset
	}
	if presetEndTimestampMs > 0 {
		hdr.BeginTimestampMs, hdr.EndTimestampMs = presetEndTimestampMs, presetEndTimestampMs
	}
	tmp := path + tmpSuffix
	if err := writeEmptyFile(fsys, tmp, g.FileSizeBytes(), hdr); err != nil {
		return nil, fmt.Errorf("indexfile: create %s: %w", path, err)
	}
	if err := fsys.Rename(tmp, path); err != nil {
		_ = fsys.Remove(tmp) // best effort; Open removes leftovers too
		return nil, fmt.Errorf("indexfile: create %s: rename: %w", path, err)
	}
	f, err := syncAndMap(fsys, path, g)
	if err != nil {
		// A file that failed half-way is not left behind with a valid name.
		_ = fsys.Remove(path)
		return nil, fmt.Errorf("indexfile: create %s: %w", path, err)
	}
	f.hdr = hdr
	return f, nil
}

// syncAndMap makes the new name durable and maps the file.
func syncAndMap(fsys env.FS, path string, g Geometry) (*File, error) {
	if err := fsys.SyncDir(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("sync dir: %w", err)
	}
	return mapFile(fsys, path, g)
}

// writeEmptyFile creates name at sizeBytes (sparse zeros) with hdr in front
// and syncs it.
func writeEmptyFile(fsys env.FS, name string, sizeBytes int64, hdr Header) (err error) {
	fl, err := fsys.Create(name)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := fl.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			_ = fsys.Remove(name) // best effort; Open removes leftovers too
		}
	}()
	if err := fl.Truncate(sizeBytes); err != nil {
		return fmt.Errorf("truncate to %d: %w", sizeBytes, err)
	}
	var b [HeaderSizeBytes]byte
	EncodeHeader(b[:], hdr)
	if _, err := fl.WriteAt(b[:], 0); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	if err := fl.Sync(); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	return nil
}

// OpenFile opens and maps the existing index file path, which must have been
// written with geometry g. A file of the wrong length or with an impossible
// header is reported with an error matching ErrCorrupt.
func OpenFile(fsys env.FS, path string, g Geometry) (*File, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	f, err := mapFile(fsys, path, g)
	if err != nil {
		return nil, fmt.Errorf("indexfile: open %s: %w", path, err)
	}
	hdr, err := DecodeHeader(f.buf)
	if err == nil {
		hdr, err = g.CheckHeader(hdr)
	}
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("indexfile: open %s: %w", path, err)
	}
	f.hdr = hdr
	return f, nil
}

// mapFile opens path, checks its length against g and maps it whole.
func mapFile(fsys env.FS, path string, g Geometry) (*File, error) {
	fl, err := fsys.OpenRW(path)
	if err != nil {
		return nil, err
	}
	want := g.FileSizeBytes()
	size, err := fl.Size()
	if err == nil && size != want {
		err = fmt.Errorf("%w: %d bytes, want %d for %d slots and %d entries",
			ErrCorrupt, size, want, g.HashSlots, g.MaxEntries)
	}
	var m env.Mapping
	if err == nil {
		m, err = fl.Map(int(want))
	}
	if err == nil && int64(len(m.Bytes())) != want {
		err = fmt.Errorf("mapping of %d bytes, want %d", len(m.Bytes()), want)
		_ = m.Unmap()
	}
	if err != nil {
		_ = fl.Close()
		return nil, err
	}
	return &File{path: path, fs: fsys, geo: g, file: fl, mapping: m, buf: m.Bytes()}, nil
}

// Name returns the path of the file.
func (f *File) Name() string { return f.path }

// Geometry returns the geometry the file was opened with.
func (f *File) Geometry() Geometry { return f.geo }

// Header returns a copy of the current header.
func (f *File) Header() Header {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.hdr
}

// Full reports whether the file has no room for another entry.
func (f *File) Full() bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.fullLocked()
}

func (f *File) fullLocked() bool { return int(f.hdr.IndexCount) >= f.geo.MaxEntries }

// Dirty reports whether the file was written since its last successful
// Flush.
func (f *File) Dirty() bool { return f.dirty.Load() }

// Flush makes the mapped bytes durable (Mapping.Flush). It runs concurrently
// with queries but not with Put.
func (f *File) Flush() error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.closed {
		return ErrClosed
	}
	if err := f.mapping.Flush(0, len(f.buf)); err != nil {
		return fmt.Errorf("indexfile: flush %s: %w", f.path, err)
	}
	f.dirty.Store(false)
	return nil
}

// Close unmaps and closes the file without flushing it (unflushed bytes stay
// in the page cache). Closing twice is a no-op.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closeLocked()
}

func (f *File) closeLocked() error {
	if f.closed {
		return nil
	}
	f.closed = true
	f.buf = nil
	err := f.mapping.Unmap()
	if cerr := f.file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("indexfile: close %s: %w", f.path, err)
	}
	return nil
}

// Destroy closes the file and removes it.
func (f *File) Destroy() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	err := f.closeLocked()
	if rerr := f.fs.Remove(f.path); rerr != nil {
		err = errors.Join(err, fmt.Errorf("indexfile: remove %s: %w", f.path, rerr))
	}
	return err
}
