package env

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
)

// memFile is a File of a MemFS: a handle on a node. A handle from before a
// crash fails every call with errCrashed.
type memFile struct {
	fs       *MemFS
	node     *memNode
	name     string
	writable bool
	gen      uint64
	closed   bool
}

// checkLocked reports why the handle may not be used, if it may not.
func (f *memFile) checkLocked(op string) error {
	switch {
	case f.gen != f.fs.gen:
		return &fs.PathError{Op: op, Path: f.name, Err: errCrashed}
	case f.closed:
		return &fs.PathError{Op: op, Path: f.name, Err: fs.ErrClosed}
	}
	return nil
}

// checkWritableLocked is checkLocked plus the open mode.
func (f *memFile) checkWritableLocked(op string) error {
	if err := f.checkLocked(op); err != nil {
		return err
	}
	if !f.writable {
		return &fs.PathError{Op: op, Path: f.name, Err: errReadOnly}
	}
	return nil
}

// ReadAt reads from the page cache (io.ReaderAt).
func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	m := f.fs
	if err := m.inject(Op{Kind: OpRead, Path: f.name, Offset: off, Len: len(p)}); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := f.checkLocked("read"); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, &fs.PathError{Op: "read", Path: f.name, Err: errBadOffset}
	}
	data := f.node.data
	if off >= int64(len(data)) {
		return 0, io.EOF
	}
	n := copy(p, data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// WriteAt writes p at off into the page cache, growing the file if needed
// (io.WriterAt). It writes all of p or nothing.
func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	m := f.fs
	if err := m.inject(Op{Kind: OpWrite, Path: f.name, Offset: off, Len: len(p)}); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := f.checkWritableLocked("write"); err != nil {
		return 0, err
	}
	if err := m.writeLocked(f.node, p, off); err != nil {
		return 0, &fs.PathError{Op: "write", Path: f.name, Err: err}
	}
	return len(p), nil
}

// Name returns the path the file was opened with.
func (f *memFile) Name() string { return f.name }

// Size returns the length of the page cache.
func (f *memFile) Size() (int64, error) {
	m := f.fs
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := f.checkLocked("size"); err != nil {
		return 0, err
	}
	return int64(len(f.node.data)), nil
}

// Truncate sets the length of the page cache; growth fills with zeros.
func (f *memFile) Truncate(size int64) error {
	m := f.fs
	if err := m.inject(Op{Kind: OpTruncate, Path: f.name, Offset: size}); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := f.checkWritableLocked("truncate"); err != nil {
		return err
	}
	if err := m.resizeLocked(f.node, size); err != nil {
		return &fs.PathError{Op: "truncate", Path: f.name, Err: err}
	}
	f.node.modTime = m.clock.Now()
	return nil
}

// Allocate grows the page cache to size bytes (never shrinks it); the
// capacity check is the disk-space reservation.
func (f *memFile) Allocate(size int64) error {
	m := f.fs
	if err := m.inject(Op{Kind: OpTruncate, Path: f.name, Offset: size}); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := f.checkWritableLocked("allocate"); err != nil {
		return err
	}
	if size <= int64(len(f.node.data)) {
		return nil
	}
	if err := m.resizeLocked(f.node, size); err != nil {
		return &fs.PathError{Op: "allocate", Path: f.name, Err: err}
	}
	f.node.modTime = m.clock.Now()
	return nil
}

// Sync makes the whole page cache, bytes and length, durable.
func (f *memFile) Sync() error {
	m := f.fs
	if err := m.inject(Op{Kind: OpSync, Path: f.name}); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := f.checkLocked("sync"); err != nil {
		return err
	}
	n := f.node
	n.synced = append(n.synced[:0], n.data...)
	return nil
}

// Map returns a mapping whose Bytes alias the file's page cache [0, size).
func (f *memFile) Map(size int) (Mapping, error) {
	m := f.fs
	if err := m.inject(Op{Kind: OpMap, Path: f.name, Len: size}); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := f.checkWritableLocked("map"); err != nil {
		return nil, err
	}
	n := f.node
	if size <= 0 || size > len(n.data) {
		return nil, &fs.PathError{Op: "map", Path: f.name,
			Err: fmt.Errorf("%w: %d bytes requested, file has %d", errBadOffset, size, len(n.data))}
	}
	n.mapCount++
	m.mapped[n] = struct{}{}
	n.modTime = m.clock.Now()
	return &memMapping{fs: m, node: n, name: f.name, buf: n.data[:size:size], gen: m.gen}, nil
}

// Close closes the handle; mappings made through it stay valid.
func (f *memFile) Close() error {
	m := f.fs
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := f.checkLocked("close"); err != nil {
		return err
	}
	f.closed = true
	return nil
}

// memMapping is a Mapping of a MemFS file. Unmap must not run concurrently
// with Bytes on the same mapping, as with munmap.
type memMapping struct {
	fs       *MemFS
	node     *memNode
	name     string
	buf      []byte // aliases node.data[:size] while live
	gen      uint64
	unmapped bool
}

// Bytes returns the mapped page cache; nil after Unmap.
func (mp *memMapping) Bytes() []byte { return mp.buf }

// checkLocked reports why the mapping may not be used, if it may not.
func (mp *memMapping) checkLocked(op string) error {
	switch {
	case mp.unmapped:
		return &fs.PathError{Op: op, Path: mp.name, Err: fs.ErrClosed}
	case mp.gen != mp.fs.gen:
		return &fs.PathError{Op: op, Path: mp.name, Err: errCrashed}
	}
	return nil
}

// Flush makes [off, off+n) and the file's current length durable.
func (mp *memMapping) Flush(off, n int) error {
	m := mp.fs
	if err := m.inject(Op{Kind: OpMappingFlush, Path: mp.name, Offset: int64(off), Len: n}); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := mp.checkLocked("flush"); err != nil {
		return err
	}
	if off < 0 || n < 0 || off > len(mp.buf)-n {
		return &fs.PathError{Op: "flush", Path: mp.name,
			Err: fmt.Errorf("%w: range [%d, %d+%d) outside the %d mapped bytes", errBadOffset, off, off, n, len(mp.buf))}
	}
	node := mp.node
	node.synced = setLength(node.synced, len(node.data))
	copy(node.synced[off:off+n], node.data[off:off+n])
	node.modTime = m.clock.Now()
	return nil
}

// Prefault has nothing to do in memory; it checks the mapping is usable.
func (mp *memMapping) Prefault(off, n int) error {
	mp.fs.mu.Lock()
	defer mp.fs.mu.Unlock()
	if err := mp.checkLocked("prefault"); err != nil {
		return err
	}
	if off < 0 || n < 0 || off > len(mp.buf)-n {
		return &fs.PathError{Op: "prefault", Path: mp.name,
			Err: fmt.Errorf("%w: range [%d, %d+%d) outside the %d mapped bytes", errBadOffset, off, off, n, len(mp.buf))}
	}
	return nil
}

// Unmap releases the mapping. When it was the file's last one, the file's
// cache moves to a fresh array and the old one is poisoned.
func (mp *memMapping) Unmap() error {
	m := mp.fs
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := mp.checkLocked("unmap"); err != nil {
		mp.unmapped, mp.buf = true, nil
		return err
	}
	mp.unmapped, mp.buf = true, nil
	node := mp.node
	node.mapCount--
	if node.mapCount < 0 {
		panic("env: MemFS mapping count below zero")
	}
	if node.mapCount == 0 {
		delete(m.mapped, node)
		old := node.data
		node.data = bytes.Clone(old)
		for i := range old {
			old[i] = poisonByte
		}
	}
	return nil
}

// writeLocked copies p into n's cache at off, growing the file if needed.
func (m *MemFS) writeLocked(n *memNode, p []byte, off int64) error {
	if off < 0 {
		return errBadOffset
	}
	if off > maxMemFileBytes || int64(len(p)) > maxMemFileBytes-off {
		return errTooLarge
	}
	if end := off + int64(len(p)); end > int64(len(n.data)) {
		if err := m.resizeLocked(n, end); err != nil {
			return err
		}
	}
	copy(n.data[off:], p)
	n.modTime = m.clock.Now()
	return nil
}

// resizeLocked sets the length of n's cache, enforcing the mapping rule,
// the file size limit and the capacity, and keeps the used count.
func (m *MemFS) resizeLocked(n *memNode, newLen int64) error {
	if newLen < 0 {
		return errBadOffset
	}
	if newLen > maxMemFileBytes {
		return errTooLarge
	}
	oldLen := int64(len(n.data))
	if newLen == oldLen {
		return nil
	}
	if n.mapCount > 0 {
		return errMappedResize
	}
	growth := newLen - oldLen
	counted := n.nlink > 0
	if counted && growth > 0 && m.capacity > 0 && m.used+growth > m.capacity {
		return fmt.Errorf("%w: growing by %d bytes would exceed the capacity of %d (%d used)",
			ErrNoSpace, growth, m.capacity, m.used)
	}
	n.data = setLength(n.data, int(newLen))
	if counted {
		m.used += growth
	}
	return nil
}

// setLength returns b with length n, reusing its array when it is large
// enough; bytes beyond the old length read as zero.
func setLength(b []byte, n int) []byte {
	if n <= cap(b) {
		old := len(b)
		b = b[:n]
		if n > old {
			clear(b[old:])
		}
		return b
	}
	grown := make([]byte, n, min(max(n, 2*cap(b)), maxMemFileBytes))
	copy(grown, b)
	return grown
}
