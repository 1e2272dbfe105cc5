package env

import (
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
)

// Create creates name, or truncates the existing file, and opens it
// read-write. The new entry is durable after SyncDir of its directory.
func (m *MemFS) Create(name string) (File, error) {
	if err := m.inject(Op{Kind: OpCreate, Path: name}); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	dir, base, err := m.parentLocked("create", name)
	if err != nil {
		return nil, err
	}
	now := m.clock.Now()
	n := dir.children[base]
	switch {
	case n == nil:
		n = &memNode{modTime: now}
		m.linkLocked(dir, base, n)
	case n.isDir:
		return nil, &fs.PathError{Op: "create", Path: name, Err: errIsDir}
	default:
		if err := m.resizeLocked(n, 0); err != nil {
			return nil, &fs.PathError{Op: "create", Path: name, Err: err}
		}
		n.modTime = now
	}
	return &memFile{fs: m, node: n, name: name, writable: true, gen: m.gen}, nil
}

// OpenRW opens the existing file name read-write.
func (m *MemFS) OpenRW(name string) (File, error) { return m.open(name, true) }

// Open opens the existing file name read-only.
func (m *MemFS) Open(name string) (File, error) { return m.open(name, false) }

func (m *MemFS) open(name string, writable bool) (File, error) {
	if err := m.inject(Op{Kind: OpOpen, Path: name}); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.nodeLocked("open", name)
	if err != nil {
		return nil, err
	}
	if n.isDir {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errIsDir}
	}
	return &memFile{fs: m, node: n, name: name, writable: writable, gen: m.gen}, nil
}

// Remove removes a file or an empty directory. Open handles of a removed
// file keep working.
func (m *MemFS) Remove(name string) error {
	if err := m.inject(Op{Kind: OpRemove, Path: name}); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	dir, base, err := m.parentLocked("remove", name)
	if err != nil {
		return err
	}
	n := dir.children[base]
	switch {
	case n == nil:
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	case n.isDir && len(n.children) > 0:
		return &fs.PathError{Op: "remove", Path: name, Err: errDirNotEmpty}
	}
	m.unlinkLocked(dir, base)
	return nil
}

// RemoveAll removes p and everything below it; a missing p is not an error.
// Removing the root empties it.
func (m *MemFS) RemoveAll(p string) error {
	if err := m.inject(Op{Kind: OpRemove, Path: p}); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	parts := splitPath(p)
	if len(parts) == 0 {
		m.unlinkTreeLocked(m.root)
		return nil
	}
	dir, err := m.lookupLocked(parts[:len(parts)-1])
	if err != nil || dir == nil || !dir.isDir {
		return nil
	}
	base := parts[len(parts)-1]
	n := dir.children[base]
	if n == nil {
		return nil
	}
	if n.isDir {
		m.unlinkTreeLocked(n)
	}
	m.unlinkLocked(dir, base)
	return nil
}

// Rename moves oldpath to newpath, replacing a file (or an empty directory
// when oldpath is a directory) at newpath.
func (m *MemFS) Rename(oldpath, newpath string) error {
	if err := m.inject(Op{Kind: OpRename, Path: oldpath, NewPath: newpath}); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	fail := func(err error) error { return fmt.Errorf("env: rename %s %s: %w", oldpath, newpath, err) }
	oldDir, oldBase, err := m.parentLocked("rename", oldpath)
	if err != nil {
		return err
	}
	n := oldDir.children[oldBase]
	if n == nil {
		return fail(fs.ErrNotExist)
	}
	newDir, newBase, err := m.parentLocked("rename", newpath)
	if err != nil {
		return err
	}
	oldKey, newKey := cleanKey(oldpath), cleanKey(newpath)
	if oldKey == newKey {
		return nil
	}
	if n.isDir && strings.HasPrefix(newKey, oldKey+"/") {
		return fail(errRenameIntoSelf)
	}
	if existing := newDir.children[newBase]; existing != nil {
		switch {
		case existing == n:
			return nil
		case existing.isDir && !n.isDir:
			return fail(errIsDir)
		case !existing.isDir && n.isDir:
			return fail(errNotDir)
		case existing.isDir && len(existing.children) > 0:
			return fail(errDirNotEmpty)
		}
		m.unlinkLocked(newDir, newBase)
	}
	m.unlinkLocked(oldDir, oldBase)
	m.linkLocked(newDir, newBase, n)
	return nil
}

// MkdirAll creates dir and its missing parents. Each directory it creates is
// durable at once (see the package doc).
func (m *MemFS) MkdirAll(dir string) error {
	if err := m.inject(Op{Kind: OpMkdirAll, Path: dir}); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.root
	for _, part := range splitPath(dir) {
		child := n.children[part]
		if child == nil {
			child = newDirNode(m.clock.Now())
			m.linkLocked(n, part, child)
			n.durable[part] = child
		} else if !child.isDir {
			return &fs.PathError{Op: "mkdir", Path: dir, Err: errNotDir}
		}
		n = child
	}
	return nil
}

// List returns the sorted names of dir's live entries.
func (m *MemFS) List(dir string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.nodeLocked("readdir", dir)
	if err != nil {
		return nil, err
	}
	if !n.isDir {
		return nil, &fs.PathError{Op: "readdir", Path: dir, Err: errNotDir}
	}
	return slices.Sorted(maps.Keys(n.children)), nil
}

// Stat describes name.
func (m *MemFS) Stat(name string) (FileInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.nodeLocked("stat", name)
	if err != nil {
		return FileInfo{}, err
	}
	return FileInfo{Name: path.Base(cleanKey(name)), Size: int64(len(n.data)), ModTime: n.modTime, IsDir: n.isDir}, nil
}

// SyncDir makes dir's live entries its durable entries.
func (m *MemFS) SyncDir(dir string) error {
	if err := m.inject(Op{Kind: OpSyncDir, Path: dir}); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.nodeLocked("syncdir", dir)
	if err != nil {
		return err
	}
	if !n.isDir {
		return &fs.PathError{Op: "syncdir", Path: dir, Err: errNotDir}
	}
	n.durable = maps.Clone(n.children)
	return nil
}
