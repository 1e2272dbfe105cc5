package env

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestMemFS(t *testing.T) (*MemFS, *ManualClock) {
	t.Helper()
	clock := NewManualClock(clockStart)
	return NewMemFS(clock), clock
}

// mustCreate creates name with content and closes it.
func mustCreate(t *testing.T, m *MemFS, name, content string) {
	t.Helper()
	f, err := m.Create(name)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte(content), 0)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// readAll returns the content of name as reads see it.
func readAll(t *testing.T, m *MemFS, name string) string {
	t.Helper()
	f, err := m.Open(name)
	require.NoError(t, err)
	defer func() { require.NoError(t, f.Close()) }()
	size, err := f.Size()
	require.NoError(t, err)
	buf := make([]byte, size)
	if size > 0 {
		_, err = f.ReadAt(buf, 0)
		require.NoError(t, err)
	}
	return string(buf)
}

func TestNewMemFSNeedsAClock(t *testing.T) {
	assert.Panics(t, func() { NewMemFS(nil) })
}

func TestMemFSReadWrite(t *testing.T) {
	m, _ := newTestMemFS(t)
	f, err := m.Create("/data/x")
	assert.ErrorIs(t, err, fs.ErrNotExist, "parent missing")
	assert.Nil(t, f)

	require.NoError(t, m.MkdirAll("/data"))
	f, err = m.Create("/data/x")
	require.NoError(t, err)
	assert.Equal(t, "/data/x", f.Name())

	n, err := f.WriteAt([]byte("world"), 6)
	require.NoError(t, err)
	assert.Equal(t, 5, n)
	_, err = f.WriteAt([]byte("hello"), 0)
	require.NoError(t, err)
	assert.Equal(t, "hello\x00world", readAll(t, m, "data/x"), "the gap reads as zeros; paths are cleaned")

	buf := make([]byte, 8)
	n, err = f.ReadAt(buf, 6)
	assert.Equal(t, 5, n)
	assert.ErrorIs(t, err, io.EOF)
	n, err = f.ReadAt(buf, 11)
	assert.Zero(t, n)
	assert.ErrorIs(t, err, io.EOF)
	_, err = f.ReadAt(buf, -1)
	assert.Error(t, err)
	_, err = f.WriteAt(buf, -1)
	assert.Error(t, err)

	require.NoError(t, f.Truncate(3))
	require.NoError(t, f.Truncate(6))
	assert.Equal(t, "hel\x00\x00\x00", readAll(t, m, "/data/x"), "regrowth after a shrink reads zeros")
	assert.Error(t, f.Truncate(-1))
	assert.Error(t, f.Truncate(maxMemFileBytes+1))

	require.NoError(t, f.Close())
	assert.ErrorIs(t, f.Close(), fs.ErrClosed)
	_, err = f.WriteAt([]byte("x"), 0)
	assert.ErrorIs(t, err, fs.ErrClosed)
	_, err = f.Size()
	assert.ErrorIs(t, err, fs.ErrClosed)

	ro, err := m.Open("/data/x")
	require.NoError(t, err)
	_, err = ro.WriteAt([]byte("x"), 0)
	assert.ErrorIs(t, err, errReadOnly)
	assert.ErrorIs(t, ro.Truncate(0), errReadOnly)
	_, err = ro.Map(1)
	assert.ErrorIs(t, err, errReadOnly)
	require.NoError(t, ro.Sync())

	f, err = m.Create("/data/x")
	require.NoError(t, err)
	size, err := f.Size()
	require.NoError(t, err)
	assert.Zero(t, size, "Create truncates")
}

func TestMemFSNamespace(t *testing.T) {
	m, _ := newTestMemFS(t)
	require.NoError(t, m.MkdirAll("/a/b"))
	require.NoError(t, m.MkdirAll("/a/b"), "existing directories are fine")
	for _, name := range []string{"c", "a", "b"} {
		mustCreate(t, m, "/a/b/"+name, name)
	}
	names, err := m.List("/a/b")
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c"}, names)
	names, err = m.List("/")
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, names)

	_, err = m.List("/a/b/a")
	assert.ErrorIs(t, err, errNotDir)
	_, err = m.List("/nope")
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.ErrorIs(t, m.MkdirAll("/a/b/a/d"), errNotDir)
	_, err = m.Create("/a/b")
	assert.ErrorIs(t, err, errIsDir)
	_, err = m.Open("/a")
	assert.ErrorIs(t, err, errIsDir)
	_, err = m.OpenRW("/a/b/zzz")
	assert.ErrorIs(t, err, fs.ErrNotExist)

	info, err := m.Stat("/a/b/c")
	require.NoError(t, err)
	assert.Equal(t, FileInfo{Name: "c", Size: 1, ModTime: clockStart}, info)
	info, err = m.Stat("/a")
	require.NoError(t, err)
	assert.True(t, info.IsDir)
	info, err = m.Stat("/")
	require.NoError(t, err)
	assert.True(t, info.IsDir)

	require.NoError(t, m.Rename("/a/b/a", "/a/b/c"), "replaces c")
	assert.Equal(t, "a", readAll(t, m, "/a/b/c"))
	_, err = m.Stat("/a/b/a")
	assert.ErrorIs(t, err, fs.ErrNotExist)
	require.NoError(t, m.Rename("/a/b/c", "/a/b/c"), "same name")
	assert.ErrorIs(t, m.Rename("/a/b/zzz", "/a/b/c"), fs.ErrNotExist)
	assert.ErrorIs(t, m.Rename("/a/b/c", "/nope/c"), fs.ErrNotExist)
	assert.ErrorIs(t, m.Rename("/a", "/a/b/inside"), errRenameIntoSelf)
	assert.ErrorIs(t, m.Rename("/a/b/c", "/a"), errIsDir)
	require.NoError(t, m.MkdirAll("/e"))
	assert.ErrorIs(t, m.Rename("/e", "/a/b/c"), errNotDir)
	assert.ErrorIs(t, m.Rename("/e", "/a"), errDirNotEmpty)
	require.NoError(t, m.Rename("/a", "/e"), "a directory replaces an empty one")
	assert.Equal(t, "a", readAll(t, m, "/e/b/c"))

	assert.ErrorIs(t, m.Remove("/e/b"), errDirNotEmpty)
	assert.ErrorIs(t, m.Remove("/e/b/zzz"), fs.ErrNotExist)
	require.NoError(t, m.Remove("/e/b/c"))
	require.NoError(t, m.RemoveAll("/e"))
	require.NoError(t, m.RemoveAll("/e"), "missing is fine")
	require.NoError(t, m.RemoveAll("/e/f/g"), "missing parent is fine")
	names, err = m.List("/")
	require.NoError(t, err)
	assert.Empty(t, names)
}

func TestMemFSOpenHandleSurvivesRemove(t *testing.T) {
	m, _ := newTestMemFS(t)
	f, err := m.Create("/x")
	require.NoError(t, err)
	require.NoError(t, m.Remove("/x"))
	_, err = f.WriteAt([]byte("still here"), 0)
	require.NoError(t, err)
	buf := make([]byte, 10)
	_, err = f.ReadAt(buf, 0)
	require.NoError(t, err)
	assert.Equal(t, "still here", string(buf))
	u, err := m.Usage("/")
	require.NoError(t, err)
	assert.EqualValues(t, defaultCapacityBytes, u.FreeBytes, "an unnamed file uses no space")
}

func TestMemFSMappingAliasesTheCache(t *testing.T) {
	m, _ := newTestMemFS(t)
	f, err := m.Create("/seg")
	require.NoError(t, err)
	require.NoError(t, f.Truncate(8192))

	m1, err := f.Map(8192)
	require.NoError(t, err)
	m2, err := f.Map(4096)
	require.NoError(t, err)
	require.Len(t, m1.Bytes(), 8192)
	require.Len(t, m2.Bytes(), 4096)

	copy(m1.Bytes()[10:], "mapped")
	assert.Equal(t, "mapped", string(m2.Bytes()[10:16]), "one mapping sees the other")
	buf := make([]byte, 6)
	_, err = f.ReadAt(buf, 10)
	require.NoError(t, err)
	assert.Equal(t, "mapped", string(buf), "ReadAt sees stores")

	_, err = f.WriteAt([]byte("written"), 5000)
	require.NoError(t, err)
	assert.Equal(t, "written", string(m1.Bytes()[5000:5007]), "mappings see WriteAt")

	assert.ErrorIs(t, f.Truncate(100), errMappedResize)
	_, err = f.WriteAt([]byte("x"), 8192)
	assert.ErrorIs(t, err, errMappedResize)
	_, err = m.Create("/seg")
	assert.ErrorIs(t, err, errMappedResize)
	require.NoError(t, f.Truncate(8192), "same length is no change")
	_, err = f.Map(8193)
	assert.ErrorIs(t, err, errBadOffset)
	_, err = f.Map(0)
	assert.ErrorIs(t, err, errBadOffset)

	assert.ErrorIs(t, m1.Flush(8000, 200), errBadOffset)
	assert.ErrorIs(t, m1.Flush(-1, 2), errBadOffset)
	require.NoError(t, m1.Flush(0, 0))

	require.NoError(t, f.Close())
	copy(m1.Bytes(), "after close")
	assert.Equal(t, "after close", readAll(t, m, "/seg")[:11], "mappings outlive the handle")

	stale := m2.Bytes()
	require.NoError(t, m2.Unmap())
	assert.Nil(t, m2.Bytes())
	assert.ErrorIs(t, m2.Unmap(), fs.ErrClosed)
	assert.ErrorIs(t, m2.Flush(0, 1), fs.ErrClosed)
	assert.Equal(t, "after close", string(stale[:11]), "still aliased while m1 is live")

	last := m1.Bytes()
	require.NoError(t, m1.Unmap())
	assert.Equal(t, bytes.Repeat([]byte{poisonByte}, 8192), last, "the last unmap poisons old slices")
	content := readAll(t, m, "/seg")
	assert.Equal(t, "after close", content[:11], "the file keeps its bytes")
	assert.Equal(t, "written", content[5000:5007])

	g, err := m.OpenRW("/seg")
	require.NoError(t, err)
	require.NoError(t, g.Truncate(10), "length changes are allowed again")
}

func TestMemFSModTime(t *testing.T) {
	m, clock := newTestMemFS(t)
	f, err := m.Create("/x")
	require.NoError(t, err)
	modTime := func() time.Time {
		info, err := m.Stat("/x")
		require.NoError(t, err)
		return info.ModTime
	}
	assert.Equal(t, clockStart, modTime())

	clock.Advance(time.Second)
	_, err = f.WriteAt([]byte("abc"), 0)
	require.NoError(t, err)
	assert.Equal(t, clockStart.Add(time.Second), modTime())

	clock.Advance(time.Second)
	require.NoError(t, f.Truncate(1))
	assert.Equal(t, clockStart.Add(2*time.Second), modTime())

	clock.Advance(time.Second)
	mp, err := f.Map(1)
	require.NoError(t, err)
	assert.Equal(t, clockStart.Add(3*time.Second), modTime())
	clock.Advance(time.Second)
	require.NoError(t, mp.Flush(0, 1))
	assert.Equal(t, clockStart.Add(4*time.Second), modTime())

	old := clockStart.Add(-72 * time.Hour)
	require.NoError(t, m.SetModTime("/x", old))
	assert.Equal(t, old, modTime())
	assert.ErrorIs(t, m.SetModTime("/nope", old), fs.ErrNotExist)
}

func TestMemFSLock(t *testing.T) {
	m, _ := newTestMemFS(t)
	l, err := m.Lock("/lock")
	require.NoError(t, err)
	assert.Equal(t, "lock", readAll(t, m, "/lock"))

	_, err = m.Lock("lock")
	assert.ErrorIs(t, err, ErrLocked, "same file under another spelling")

	require.NoError(t, l.Close())
	assert.ErrorIs(t, l.Close(), fs.ErrClosed)
	l2, err := m.Lock("/lock")
	require.NoError(t, err)

	m.CrashProcess()
	assert.ErrorIs(t, l2.Close(), errCrashed)
	l3, err := m.Lock("/lock")
	require.NoError(t, err, "a crash releases locks")
	require.NoError(t, l3.Close())

	_, err = m.Lock("/nodir/lock")
	assert.ErrorIs(t, err, fs.ErrNotExist)
	require.NoError(t, m.MkdirAll("/d"))
	_, err = m.Lock("/d")
	assert.ErrorIs(t, err, errIsDir)
}

func TestMemFSUsageAndCapacity(t *testing.T) {
	m, _ := newTestMemFS(t)
	mustCreate(t, m, "/a", "0123456789")
	u, err := m.Usage("/")
	require.NoError(t, err)
	assert.Equal(t, DiskUsage{TotalBytes: defaultCapacityBytes, FreeBytes: defaultCapacityBytes - 10}, u)
	_, err = m.Usage("/missing")
	assert.ErrorIs(t, err, fs.ErrNotExist)

	m.SetCapacity(100)
	f, err := m.OpenRW("/a")
	require.NoError(t, err)
	_, err = f.WriteAt(make([]byte, 90), 10)
	require.NoError(t, err, "exactly full")
	u, err = m.Usage("/a")
	require.NoError(t, err)
	assert.Equal(t, DiskUsage{TotalBytes: 100, FreeBytes: 0}, u)
	assert.InDelta(t, 1.0, u.UsedRatio(), 1e-9)

	_, err = f.WriteAt([]byte("x"), 100)
	assert.ErrorIs(t, err, ErrNoSpace)
	assert.ErrorIs(t, f.Truncate(101), ErrNoSpace)
	g, err := m.Create("/b")
	require.NoError(t, err, "an empty file takes no space")
	_, err = g.WriteAt([]byte("x"), 0)
	assert.ErrorIs(t, err, ErrNoSpace)
	_, err = m.Lock("/lock")
	assert.ErrorIs(t, err, ErrNoSpace)
	size, err := f.Size()
	require.NoError(t, err)
	assert.EqualValues(t, 100, size, "a failed growth has no effect")

	_, err = f.WriteAt([]byte("overwrite"), 0)
	require.NoError(t, err, "writes inside the file need no space")
	require.NoError(t, f.Truncate(50))
	_, err = g.WriteAt(make([]byte, 50), 0)
	require.NoError(t, err, "a shrink frees space")
	require.NoError(t, m.Remove("/b"))
	u, err = m.Usage("/")
	require.NoError(t, err)
	assert.EqualValues(t, 50, u.FreeBytes, "a remove frees space")

	require.NoError(t, m.Rename("/a", "/c"))
	u, err = m.Usage("/")
	require.NoError(t, err)
	assert.EqualValues(t, 50, u.FreeBytes, "a rename does not")

	m.SetCapacity(0)
	u, err = m.Usage("/")
	require.NoError(t, err)
	assert.EqualValues(t, defaultCapacityBytes, u.TotalBytes)
	assert.Panics(t, func() { m.SetCapacity(-1) })
}

// checkUsedInvariant recomputes the used byte count from the live tree.
func checkUsedInvariant(t *testing.T, m *MemFS) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := map[*memNode]bool{}
	var sum int64
	var walk func(n *memNode)
	walk = func(n *memNode) {
		for _, child := range n.children {
			if seen[child] {
				continue
			}
			seen[child] = true
			if child.isDir {
				walk(child)
			} else {
				sum += int64(len(child.data))
			}
		}
	}
	walk(m.root)
	assert.Equal(t, sum, m.used, "used bytes = sum of named file lengths")
}

func TestMemFSConcurrentUse(t *testing.T) {
	m, _ := newTestMemFS(t)
	require.NoError(t, m.MkdirAll("/d"))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				name := fmt.Sprintf("/d/f%d-%d", g, i%5)
				f, err := m.Create(name)
				if !assert.NoError(t, err) {
					return
				}
				_, err = f.WriteAt([]byte(name), int64(i))
				assert.NoError(t, err)
				assert.NoError(t, f.Sync())
				assert.NoError(t, f.Close())
				assert.NoError(t, m.SyncDir("/d"))
				_, err = m.List("/d")
				assert.NoError(t, err)
				if i%7 == 0 {
					assert.NoError(t, m.Remove(name))
				}
			}
		}()
	}
	wg.Wait()
	checkUsedInvariant(t, m)
}
