package env

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Limits of the MemFS.
const (
	// maxMemFileBytes caps one file's length: MemFS holds every byte in
	// memory, so a longer file is a mistake in a test's configuration (use
	// small segment sizes under the simulator), not a scenario. 2 GiB - 1
	// fits an int on every platform and still admits RocketMQ's 1 GiB
	// CommitLog segment.
	maxMemFileBytes = math.MaxInt32
	// defaultCapacityBytes is the device size Usage reports when no capacity
	// is set: 1 TiB, large enough that no disk-full threshold trips.
	defaultCapacityBytes = 1 << 40
	// poisonByte fills a file's old cache array when its last mapping is
	// unmapped, so that reads through a stale slice return garbage.
	poisonByte = 0xDB
)

// Errors of MemFS operations, wrapped in *fs.PathError with the operation and
// path.
var (
	errIsDir          = errors.New("is a directory")
	errNotDir         = errors.New("not a directory")
	errDirNotEmpty    = errors.New("directory not empty")
	errReadOnly       = errors.New("file is open read-only")
	errMappedResize   = errors.New("cannot change the length of a mapped file")
	errBadOffset      = errors.New("offset or length out of range")
	errTooLarge       = fmt.Errorf("file longer than the MemFS limit of %d bytes", maxMemFileBytes)
	errRenameIntoSelf = errors.New("cannot move a directory into itself")
	errCrashed        = fmt.Errorf("handle invalidated by a simulated crash: %w", fs.ErrClosed)
)

// MemFS is an in-memory FS whose files and directories have a live version
// (what reads see) and a durable version (what survives CrashMachine), with
// fault injection and a capacity. The package doc describes the model. It is
// safe for concurrent use.
type MemFS struct {
	clock Clock
	rule  atomic.Pointer[func(Op) error]

	mu       sync.Mutex
	root     *memNode
	gen      uint64                // crash generation; handles from an older one are invalid
	mapped   map[*memNode]struct{} // files with live mappings
	locks    map[string]*memLock   // held locks by cleaned path
	capacity int64                 // 0: unlimited
	used     int64                 // sum of cache lengths of files with a live name
}

var _ FS = (*MemFS)(nil)

// memNode is an inode: a directory or a file.
type memNode struct {
	isDir   bool
	modTime time.Time
	nlink   int // live directory entries naming this node

	// Directory state.
	children map[string]*memNode // live entries
	durable  map[string]*memNode // entries as of the last SyncDir

	// File state.
	data     []byte // page cache; len is the file length
	synced   []byte // durable bytes; len is the durable length
	mapCount int    // live mappings aliasing data
}

// NewMemFS returns an empty MemFS (just the root directory) whose ModTimes
// come from clock. It panics if clock is nil.
func NewMemFS(clock Clock) *MemFS {
	if clock == nil {
		panic("env: NewMemFS needs a Clock")
	}
	return &MemFS{
		clock:  clock,
		root:   newDirNode(clock.Now()),
		mapped: make(map[*memNode]struct{}),
		locks:  make(map[string]*memLock),
	}
}

func newDirNode(now time.Time) *memNode {
	return &memNode{
		isDir:    true,
		modTime:  now,
		children: make(map[string]*memNode),
		durable:  make(map[string]*memNode),
	}
}

// splitPath cleans name into its components; the root has none.
func splitPath(name string) []string {
	p := path.Clean("/" + name)
	if p == "/" {
		return nil
	}
	return strings.Split(p[1:], "/")
}

// cleanKey is the canonical form of name, used to key locks.
func cleanKey(name string) string { return path.Clean("/" + name) }

// lookupLocked returns the node at parts, nil if it does not exist, or an
// error when a component on the way is a file.
func (m *MemFS) lookupLocked(parts []string) (*memNode, error) {
	n := m.root
	for _, part := range parts {
		if !n.isDir {
			return nil, errNotDir
		}
		n = n.children[part]
		if n == nil {
			return nil, nil
		}
	}
	return n, nil
}

// parentLocked returns the directory that holds the last component of name
// and that component. It fails for the root and for a missing parent.
func (m *MemFS) parentLocked(op, name string) (*memNode, string, error) {
	parts := splitPath(name)
	if len(parts) == 0 {
		return nil, "", &fs.PathError{Op: op, Path: name, Err: errIsDir}
	}
	dir, err := m.lookupLocked(parts[:len(parts)-1])
	switch {
	case err != nil:
		return nil, "", &fs.PathError{Op: op, Path: name, Err: err}
	case dir == nil:
		return nil, "", &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	case !dir.isDir:
		return nil, "", &fs.PathError{Op: op, Path: name, Err: errNotDir}
	}
	return dir, parts[len(parts)-1], nil
}

// nodeLocked returns the existing node name.
func (m *MemFS) nodeLocked(op, name string) (*memNode, error) {
	n, err := m.lookupLocked(splitPath(name))
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	if n == nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return n, nil
}

// linkLocked enters n in dir's live entries as name.
func (m *MemFS) linkLocked(dir *memNode, name string, n *memNode) {
	dir.children[name] = n
	n.nlink++
	if !n.isDir && n.nlink == 1 {
		m.used += int64(len(n.data))
	}
}

// unlinkLocked removes name from dir's live entries.
func (m *MemFS) unlinkLocked(dir *memNode, name string) {
	n := dir.children[name]
	delete(dir.children, name)
	n.nlink--
	if n.nlink < 0 {
		panic("env: MemFS link count below zero")
	}
	if !n.isDir && n.nlink == 0 {
		m.used -= int64(len(n.data))
	}
}

// unlinkTreeLocked removes every live entry below dir, depth first.
func (m *MemFS) unlinkTreeLocked(dir *memNode) {
	for _, name := range slices.Sorted(maps.Keys(dir.children)) {
		if child := dir.children[name]; child.isDir {
			m.unlinkTreeLocked(child)
		}
		m.unlinkLocked(dir, name)
	}
}

// Usage reports the capacity (defaultCapacityBytes when unlimited) and the
// bytes not used by named files. path must exist.
func (m *MemFS) Usage(p string) (DiskUsage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.nodeLocked("statfs", p); err != nil {
		return DiskUsage{}, err
	}
	total := int64(defaultCapacityBytes)
	if m.capacity > 0 {
		total = m.capacity
	}
	return DiskUsage{TotalBytes: uint64(total), FreeBytes: uint64(max(total-m.used, 0))}, nil
}

// SetCapacity caps the total length of the named files at capacityBytes; 0
// removes the cap. A cap below the current use only stops growth. It panics
// if capacityBytes < 0.
func (m *MemFS) SetCapacity(capacityBytes int64) {
	if capacityBytes < 0 {
		panic(fmt.Sprintf("env: MemFS.SetCapacity(%d): capacity must not be negative", capacityBytes))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.capacity = capacityBytes
}

// SetModTime sets the modification time of name, as retention tests need.
func (m *MemFS) SetModTime(name string, t time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.nodeLocked("chtimes", name)
	if err != nil {
		return err
	}
	n.modTime = t
	return nil
}

// Lock takes the lock on name, creating the file if missing and writing
// "lock" into it. A lock held and not closed makes it fail with ErrLocked.
// Locks are released by CrashProcess and CrashMachine.
func (m *MemFS) Lock(name string) (io.Closer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := cleanKey(name)
	if m.locks[key] != nil {
		return nil, fmt.Errorf("env: lock %s: %w", name, ErrLocked)
	}
	dir, base, err := m.parentLocked("lock", name)
	if err != nil {
		return nil, err
	}
	n := dir.children[base]
	if n == nil {
		n = &memNode{modTime: m.clock.Now()}
		m.linkLocked(dir, base, n)
	} else if n.isDir {
		return nil, &fs.PathError{Op: "lock", Path: name, Err: errIsDir}
	}
	if err := m.writeLocked(n, []byte(lockContent), 0); err != nil {
		return nil, &fs.PathError{Op: "lock", Path: name, Err: err}
	}
	l := &memLock{fs: m, key: key, name: name, gen: m.gen}
	m.locks[key] = l
	return l, nil
}

// memLock is a lock taken with MemFS.Lock.
type memLock struct {
	fs       *MemFS
	key      string
	name     string
	gen      uint64
	released bool
}

// Close releases the lock.
func (l *memLock) Close() error {
	m := l.fs
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case l.gen != m.gen:
		return &fs.PathError{Op: "unlock", Path: l.name, Err: errCrashed}
	case l.released:
		return &fs.PathError{Op: "unlock", Path: l.name, Err: fs.ErrClosed}
	}
	l.released = true
	delete(m.locks, l.key)
	return nil
}
