package env

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRealFSFileAndMapping(t *testing.T) {
	fsys := Real().FS
	name := filepath.Join(t.TempDir(), "seg")
	const size = 3 * 4096

	f, err := fsys.Create(name)
	require.NoError(t, err)
	defer func() { require.NoError(t, f.Close()) }()
	assert.Equal(t, name, f.Name())
	require.NoError(t, f.Truncate(size))
	got, err := f.Size()
	require.NoError(t, err)
	assert.EqualValues(t, size, got)

	m, err := f.Map(size)
	require.NoError(t, err)
	b := m.Bytes()
	require.Len(t, b, size)
	copy(b[5000:], "through the mapping")

	buf := make([]byte, 19)
	_, err = f.ReadAt(buf, 5000)
	require.NoError(t, err)
	assert.Equal(t, "through the mapping", string(buf))

	_, err = f.WriteAt([]byte("via WriteAt"), 100)
	require.NoError(t, err)
	assert.Equal(t, "via WriteAt", string(b[100:111]), "the mapping sees WriteAt")

	require.NoError(t, m.Flush(5000, 19), "an unaligned range is widened to a page")
	require.NoError(t, m.Flush(0, 0))
	require.NoError(t, m.Flush(0, size))
	assert.Error(t, m.Flush(size-1, 2), "past the mapping")
	assert.Error(t, m.Flush(-1, 1))
	require.NoError(t, f.Sync())

	other, err := fsys.Open(name)
	require.NoError(t, err)
	_, err = other.ReadAt(buf, 5000)
	require.NoError(t, err)
	assert.Equal(t, "through the mapping", string(buf))
	require.NoError(t, other.Close())

	require.NoError(t, m.Unmap())
	assert.Nil(t, m.Bytes())
	assert.ErrorIs(t, m.Unmap(), fs.ErrClosed)
	assert.ErrorIs(t, m.Flush(0, 1), fs.ErrClosed)

	_, err = f.Map(size + 1)
	assert.Error(t, err, "longer than the file")
	_, err = f.Map(0)
	assert.Error(t, err)
}

func TestRealFSNamespace(t *testing.T) {
	fsys := Real().FS
	dir := filepath.Join(t.TempDir(), "a", "b")
	require.NoError(t, fsys.MkdirAll(dir))
	for _, n := range []string{"c", "a", "b"} {
		f, err := fsys.Create(filepath.Join(dir, n))
		require.NoError(t, err)
		_, err = f.WriteAt([]byte(n+n), 0)
		require.NoError(t, err)
		require.NoError(t, f.Close())
	}
	names, err := fsys.List(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c"}, names)

	require.NoError(t, fsys.Rename(filepath.Join(dir, "a"), filepath.Join(dir, "c")))
	require.NoError(t, fsys.SyncDir(dir))
	info, err := fsys.Stat(filepath.Join(dir, "c"))
	require.NoError(t, err)
	assert.Equal(t, FileInfo{Name: "c", Size: 2, ModTime: info.ModTime, IsDir: false}, info)
	assert.WithinDuration(t, time.Now(), info.ModTime, time.Minute)

	_, err = fsys.Stat(filepath.Join(dir, "a"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
	_, err = fsys.OpenRW(filepath.Join(dir, "a"))
	assert.ErrorIs(t, err, fs.ErrNotExist)

	ro, err := fsys.Open(filepath.Join(dir, "c"))
	require.NoError(t, err)
	_, err = ro.WriteAt([]byte("x"), 0)
	assert.Error(t, err, "read-only handle")
	require.NoError(t, ro.Close())

	require.NoError(t, fsys.Remove(filepath.Join(dir, "b")))
	require.NoError(t, fsys.RemoveAll(filepath.Dir(dir)))
	require.NoError(t, fsys.RemoveAll(filepath.Dir(dir)), "missing path is fine")
	_, err = fsys.List(dir)
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

func TestRealFSLock(t *testing.T) {
	fsys := Real().FS
	name := filepath.Join(t.TempDir(), "lock")
	l, err := fsys.Lock(name)
	require.NoError(t, err)
	content, err := os.ReadFile(name)
	require.NoError(t, err)
	assert.Equal(t, "lock", string(content))

	_, err = fsys.Lock(name)
	assert.ErrorIs(t, err, ErrLocked)

	require.NoError(t, l.Close())
	l2, err := fsys.Lock(name)
	require.NoError(t, err, "free again after Close")
	require.NoError(t, l2.Close())
}

func TestRealFSUsage(t *testing.T) {
	u, err := Real().FS.Usage(t.TempDir())
	require.NoError(t, err)
	assert.Positive(t, u.TotalBytes)
	assert.LessOrEqual(t, u.FreeBytes, u.TotalBytes)
	assert.GreaterOrEqual(t, u.UsedRatio(), 0.0)
	assert.LessOrEqual(t, u.UsedRatio(), 1.0)

	_, err = Real().FS.Usage(filepath.Join(t.TempDir(), "missing"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

// TestRealFSNoSpace writes to /dev/full, which fails every write with
// ENOSPC.
func TestRealFSNoSpace(t *testing.T) {
	f, err := Real().FS.OpenRW("/dev/full")
	require.NoError(t, err)
	defer func() { require.NoError(t, f.Close()) }()
	_, err = f.WriteAt([]byte("x"), 0)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrNoSpace)
	assert.ErrorIs(t, err, syscall.ENOSPC)
	assert.Contains(t, err.Error(), "/dev/full")
}

func TestWrapNoSpace(t *testing.T) {
	assert.NoError(t, wrapNoSpace(nil))
	other := &os.PathError{Op: "write", Path: "x", Err: syscall.EIO}
	assert.Same(t, other, wrapNoSpace(other), "other errors pass unchanged")

	full := &os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}
	err := wrapNoSpace(full)
	assert.ErrorIs(t, err, ErrNoSpace)
	assert.ErrorIs(t, err, syscall.ENOSPC)
	assert.Equal(t, full.Error(), err.Error())
	var pe *os.PathError
	require.True(t, errors.As(err, &pe))
	assert.Same(t, err, wrapNoSpace(err), "not wrapped twice")
}

func TestRealClock(t *testing.T) {
	c := Real().Clock
	before := time.Now()
	assert.False(t, c.Now().Before(before))

	var fired atomic.Bool
	done := make(chan struct{})
	c.AfterFunc(time.Millisecond, func() { fired.Store(true); close(done) })
	<-done
	assert.True(t, fired.Load())

	tm := c.AfterFunc(time.Hour, func() { t.Error("stopped timer fired") })
	assert.True(t, tm.Stop())
}

func TestRandRanges(t *testing.T) {
	for name, r := range map[string]Rand{"real": Real().Rand, "seeded": NewSeededRand(1)} {
		t.Run(name, func(t *testing.T) {
			for range 1000 {
				assert.GreaterOrEqual(t, r.Int63(), int64(0))
				n := r.Intn(10)
				assert.True(t, n >= 0 && n < 10)
				x := r.Float64()
				assert.True(t, x >= 0 && x < 1)
			}
			assert.Panics(t, func() { r.Intn(0) })
		})
	}
}

func TestSeededRandIsDeterministic(t *testing.T) {
	draw := func(seed uint64) []int64 {
		r := NewSeededRand(seed)
		out := make([]int64, 20)
		for i := range out {
			out[i] = r.Int63()
		}
		return out
	}
	assert.Equal(t, draw(42), draw(42))
	assert.NotEqual(t, draw(42), draw(43))
}

func TestRealFSReadAtEOF(t *testing.T) {
	name := filepath.Join(t.TempDir(), "f")
	f, err := Real().FS.Create(name)
	require.NoError(t, err)
	defer func() { require.NoError(t, f.Close()) }()
	_, err = f.WriteAt([]byte("abc"), 0)
	require.NoError(t, err)
	buf := make([]byte, 5)
	n, err := f.ReadAt(buf, 1)
	assert.Equal(t, 2, n)
	assert.ErrorIs(t, err, io.EOF)
}
