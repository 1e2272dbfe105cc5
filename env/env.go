package env

import (
	"errors"
	"io"
	"time"
)

// Env bundles the seams a component needs. Components take an Env by value and
// keep it; the zero Env is not usable.
type Env struct {
	Clock Clock
	FS    FS
	Rand  Rand
	Net   Network
}

// Clock reads the time and schedules callbacks.
type Clock interface {
	// Now returns the current time. Apogee stores it in milliseconds since the
	// Unix epoch (time.Time.UnixMilli).
	Now() time.Time
	// AfterFunc calls f once, after at least d has elapsed, and returns a Timer
	// that can cancel the call. d <= 0 means "as soon as possible". The real
	// clock calls f on its own goroutine; the manual clock calls it from
	// Advance. This is the only way a component defers work: it never sleeps
	// and never starts a goroutine.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a scheduled callback.
type Timer interface {
	// Stop cancels the callback. It reports whether the call was prevented
	// (false when it already ran or was already stopped).
	Stop() bool
}

// Rand is a source of pseudo-random numbers. Implementations are safe for
// concurrent use.
type Rand interface {
	// Int63 returns a non-negative pseudo-random int64.
	Int63() int64
	// Intn returns a pseudo-random int in [0, n). It panics if n <= 0.
	Intn(n int) int
	// Float64 returns a pseudo-random float64 in [0.0, 1.0).
	Float64() float64
}

// ErrNoSpace is returned (wrapped) by an FS when the device is full. The real
// FS maps ENOSPC to it, the MemFS returns it when its capacity is exceeded.
var ErrNoSpace = errors.New("env: no space left on device")

// ErrLocked is returned (wrapped) by FS.Lock when another holder has the
// lock.
var ErrLocked = errors.New("env: lock held by another owner")

// ErrInjected is returned (wrapped) by a MemFS operation that failed because a
// fault rule said so.
var ErrInjected = errors.New("env: injected fault")

// FS is a file system. Paths use forward slashes and are joined with
// path/filepath; a missing file is reported with an error that matches
// io/fs.ErrNotExist under errors.Is.
type FS interface {
	// Create creates name (or truncates it to zero length) and opens it for
	// reading and writing. The parent directory must exist.
	Create(name string) (File, error)
	// OpenRW opens an existing file for reading and writing.
	OpenRW(name string) (File, error)
	// Open opens an existing file for reading only.
	Open(name string) (File, error)
	// Remove removes a file or an empty directory.
	Remove(name string) error
	// RemoveAll removes path and everything below it. A missing path is not an
	// error.
	RemoveAll(path string) error
	// Rename atomically renames oldpath to newpath, replacing newpath.
	Rename(oldpath, newpath string) error
	// MkdirAll creates dir and any missing parents.
	MkdirAll(dir string) error
	// List returns the names (not paths) of the entries of dir, sorted.
	List(dir string) ([]string, error)
	// Stat describes name.
	Stat(name string) (FileInfo, error)
	// SyncDir makes the creations, renames and removals of entries of dir
	// durable.
	SyncDir(dir string) error
	// Usage reports the capacity and free space of the device holding path.
	Usage(path string) (DiskUsage, error)
	// Lock takes an exclusive lock on the file name (created if missing) for
	// the life of this process; closing the returned value releases it. A lock
	// held by someone else is an error.
	Lock(name string) (io.Closer, error)
}

// FileInfo describes a file.
type FileInfo struct {
	Name    string
	Size    int64
	ModTime time.Time
	IsDir   bool
}

// DiskUsage is the capacity of a device and its free space, in bytes.
type DiskUsage struct {
	TotalBytes uint64
	FreeBytes  uint64
}

// UsedRatio returns the fraction of the device in use, in [0, 1].
func (u DiskUsage) UsedRatio() float64 {
	if u.TotalBytes == 0 {
		return 0
	}
	used := u.TotalBytes - min(u.FreeBytes, u.TotalBytes)
	return float64(used) / float64(u.TotalBytes)
}

// File is an open file. Writes land in the page cache; they become durable on
// Sync (or, for mapped bytes, on Mapping.Flush).
type File interface {
	io.ReaderAt
	io.WriterAt
	// Name returns the path the file was opened with.
	Name() string
	// Size returns the current length of the file.
	Size() (int64, error)
	// Truncate changes the length of the file; growing it fills with zeros.
	Truncate(size int64) error
	// Allocate grows the file to at least size bytes of zeros and reserves
	// the disk space for them (fallocate), so that later writes through a
	// mapping neither fail for lack of space (SIGBUS) nor pay for block
	// allocation. A full device fails here with ErrNoSpace.
	Allocate(size int64) error
	// Sync makes the file's content and length durable, including bytes
	// written through a Mapping of it.
	Sync() error
	// Map maps bytes [0, size) of the file shared and read-write. The file
	// must be at least size bytes long and keep that length while mapped.
	Map(size int) (Mapping, error)
	// Close closes the file. Mappings stay valid until unmapped.
	Close() error
}

// Mapping is a shared read-write memory mapping of a file.
type Mapping interface {
	// Bytes returns the mapped memory. Writes to it go to the page cache of
	// the file; reads see every write made through any mapping or WriteAt.
	// The slice is invalid after Unmap.
	Bytes() []byte
	// Flush makes bytes [off, off+n) durable (msync).
	Flush(off, n int) error
	// Prefault maps the pages of [off, off+n) in for writing without
	// changing their content (MADV_POPULATE_WRITE), so the first writes
	// there take no page faults. It is an optimization: where the system
	// cannot do it, it does nothing and returns nil.
	Prefault(off, n int) error
	// Unmap releases the mapping. Unflushed writes stay in the page cache.
	Unmap() error
}
