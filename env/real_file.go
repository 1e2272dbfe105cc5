package env

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/edsrzf/mmap-go"
	"golang.org/x/sys/unix"
)

// osFile is a File over *os.File.
type osFile struct {
	f *os.File
}

// ReadAt reads len(p) bytes at off (io.ReaderAt).
func (f *osFile) ReadAt(p []byte, off int64) (int, error) { return f.f.ReadAt(p, off) }

// WriteAt writes p at off (io.WriterAt).
func (f *osFile) WriteAt(p []byte, off int64) (int, error) {
	n, err := f.f.WriteAt(p, off)
	return n, wrapNoSpace(err)
}

// Name returns the path the file was opened with.
func (f *osFile) Name() string { return f.f.Name() }

// Size returns the file's current length.
func (f *osFile) Size() (int64, error) {
	fi, err := f.f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// Truncate changes the file's length.
func (f *osFile) Truncate(size int64) error { return wrapNoSpace(f.f.Truncate(size)) }

// Sync fsyncs the file: content, length and every flushed or unflushed store
// through a mapping of it.
func (f *osFile) Sync() error { return wrapNoSpace(f.f.Sync()) }

// Map maps [0, size) of the file shared and read-write.
func (f *osFile) Map(size int) (Mapping, error) {
	if size <= 0 {
		return nil, fmt.Errorf("env: map %s: size %d must be positive", f.f.Name(), size)
	}
	length, err := f.Size()
	if err != nil {
		return nil, fmt.Errorf("env: map %s: %w", f.f.Name(), err)
	}
	if int64(size) > length {
		return nil, fmt.Errorf("env: map %s: %d bytes requested, file has %d", f.f.Name(), size, length)
	}
	m, err := mmap.MapRegion(f.f, size, mmap.RDWR, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("env: map %s (%d bytes): %w", f.f.Name(), size, err)
	}
	return &osMapping{name: f.f.Name(), m: m}, nil
}

// Allocate reserves [0, size) with fallocate, falling back to Truncate
// where the file system cannot allocate.
func (f *osFile) Allocate(size int64) error {
	cur, err := f.Size()
	if err != nil {
		return err
	}
	if size <= cur {
		return nil
	}
	err = unix.Fallocate(int(f.f.Fd()), 0, 0, size)
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS) {
		return f.Truncate(size)
	}
	if err != nil {
		return wrapNoSpace(&os.PathError{Op: "fallocate", Path: f.f.Name(), Err: err})
	}
	return nil
}

// Close closes the file; its mappings stay valid.
func (f *osFile) Close() error { return f.f.Close() }

// osMapping is a Mapping made by mmap. Unmap must not run concurrently with
// other calls on the same mapping (as with munmap itself).
type osMapping struct {
	name string
	m    mmap.MMap
}

// Bytes returns the mapped memory, nil after Unmap.
func (m *osMapping) Bytes() []byte { return m.m }

// Flush msyncs [off, off+n), widened down to a page boundary as msync needs.
func (m *osMapping) Flush(off, n int) error {
	if m.m == nil {
		return fmt.Errorf("env: flush %s: mapping is unmapped: %w", m.name, fs.ErrClosed)
	}
	if off < 0 || n < 0 || off > len(m.m)-n {
		return fmt.Errorf("env: flush %s: range [%d, %d+%d) outside the %d mapped bytes", m.name, off, off, n, len(m.m))
	}
	if n == 0 {
		return nil
	}
	start := off - off%unix.Getpagesize()
	if err := unix.Msync(m.m[start:off+n], unix.MS_SYNC); err != nil {
		return wrapNoSpace(&os.PathError{Op: "msync", Path: m.name, Err: err})
	}
	return nil
}

// madvPopulateWrite is MADV_POPULATE_WRITE (Linux 5.14).
const madvPopulateWrite = 23

// Prefault populates the page tables of [off, off+n) for writing. Kernels
// without MADV_POPULATE_WRITE answer EINVAL; then it does nothing.
func (m *osMapping) Prefault(off, n int) error {
	if m.m == nil {
		return fmt.Errorf("env: prefault %s: mapping is unmapped: %w", m.name, fs.ErrClosed)
	}
	if off < 0 || n < 0 || off > len(m.m)-n {
		return fmt.Errorf("env: prefault %s: range [%d, %d+%d) outside the %d mapped bytes", m.name, off, off, n, len(m.m))
	}
	if n == 0 {
		return nil
	}
	start := off - off%unix.Getpagesize()
	err := unix.Madvise(m.m[start:off+n], madvPopulateWrite)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
		return nil
	}
	if err != nil {
		return wrapNoSpace(&os.PathError{Op: "madvise", Path: m.name, Err: err})
	}
	return nil
}

// Unmap releases the mapping.
func (m *osMapping) Unmap() error {
	if m.m == nil {
		return fmt.Errorf("env: unmap %s: already unmapped: %w", m.name, fs.ErrClosed)
	}
	if err := m.m.Unmap(); err != nil {
		return &os.PathError{Op: "munmap", Path: m.name, Err: err}
	}
	m.m = nil
	return nil
}
