package env

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// allocateAndPrefault checks Allocate and Prefault on any FS: the file grows
// to zeros, never shrinks, and a prefaulted mapping keeps its content.
func allocateAndPrefault(t *testing.T, fsys FS, dir string) {
	f, err := fsys.Create(filepath.Join(dir, "seg"))
	require.NoError(t, err)
	defer f.Close()
	_, err = f.WriteAt([]byte("head"), 0)
	require.NoError(t, err)
	require.NoError(t, f.Allocate(64<<10))
	size, err := f.Size()
	require.NoError(t, err)
	require.EqualValues(t, 64<<10, size)
	require.NoError(t, f.Allocate(4096), "a smaller allocation never shrinks the file")
	size, err = f.Size()
	require.NoError(t, err)
	require.EqualValues(t, 64<<10, size)

	m, err := f.Map(64 << 10)
	require.NoError(t, err)
	defer m.Unmap()
	require.NoError(t, m.Prefault(4096, 32<<10))
	require.NoError(t, m.Prefault(0, 0))
	require.Error(t, m.Prefault(60<<10, 8<<10), "a range past the mapping is refused")
	require.Equal(t, []byte("head"), m.Bytes()[:4], "prefault keeps the content")
	require.Equal(t, make([]byte, 16), m.Bytes()[8192:8192+16])
}

func TestRealAllocatePrefault(t *testing.T) {
	allocateAndPrefault(t, Real().FS, t.TempDir())
}

func TestMemAllocatePrefault(t *testing.T) {
	m := NewMemFS(NewManualClock(time.Unix(0, 0)))
	require.NoError(t, m.MkdirAll("/d"))
	allocateAndPrefault(t, m, "/d")
}

func TestMemAllocateRespectsCapacity(t *testing.T) {
	m := NewMemFS(NewManualClock(time.Unix(0, 0)))
	require.NoError(t, m.MkdirAll("/d"))
	m.SetCapacity(8 << 10)
	f, err := m.Create("/d/f")
	require.NoError(t, err)
	defer f.Close()
	require.ErrorIs(t, f.Allocate(16<<10), ErrNoSpace)
	size, err := f.Size()
	require.NoError(t, err)
	require.Zero(t, size, "a refused allocation has no effect")
}
