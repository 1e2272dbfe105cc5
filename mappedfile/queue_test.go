package mappedfile

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

const testSegSize = 4 * pageSizeBytes

func openTestQueue(t *testing.T, e env.Env, dir string) *Queue {
	t.Helper()
	q, err := Open(e, Config{Dir: dir, SegmentSizeBytes: testSegSize})
	require.NoError(t, err)
	return q
}

// write appends b at the queue's end the way a single writer does.
func write(t *testing.T, q *Queue, b []byte) {
	t.Helper()
	for len(b) > 0 {
		s, err := q.SegmentForWrite(q.MaxOffset())
		require.NoError(t, err)
		n := copy(s.Bytes()[s.Wrote():], b)
		s.Publish(s.Wrote() + int64(n))
		b = b[n:]
	}
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i%251)
	}
	return b
}

func TestWriteRollReopen(t *testing.T) {
	e := env.Real()
	dir := t.TempDir()
	q := openTestQueue(t, e, dir)
	require.Nil(t, q.Last())
	data := pattern(testSegSize*2+100, 1)
	write(t, q, data)
	require.Equal(t, 3, q.Len())
	require.EqualValues(t, len(data), q.MaxOffset())
	names, err := e.FS.List(dir)
	require.NoError(t, err)
	require.Equal(t, []string{FileName(0), FileName(testSegSize), FileName(2 * testSegSize)}, names)

	// Read back through Find, across segment boundaries.
	for off := int64(0); off < int64(len(data)); off += 1000 {
		s := q.Find(off)
		require.NotNil(t, s)
		require.True(t, s.Acquire())
		require.Equal(t, data[off], s.Bytes()[off-s.Start()])
		s.Release()
	}
	flushed, err := q.Flush(0)
	require.NoError(t, err)
	require.EqualValues(t, len(data), flushed)
	require.NoError(t, q.Close())

	q2 := openTestQueue(t, e, dir)
	defer q2.Close()
	require.Equal(t, 3, q2.Len())
	require.EqualValues(t, 3*testSegSize, q2.MaxOffset(), "loaded segments are full until truncated")
	require.NoError(t, q2.TruncateTo(int64(len(data))))
	require.EqualValues(t, len(data), q2.MaxOffset())
	got := make([]byte, 0, len(data))
	for _, s := range q2.Segments() {
		got = append(got, s.Bytes()[:s.Wrote()]...)
	}
	require.Equal(t, data, got)
}

func TestTruncateZeroesTailAndDropsLaterSegments(t *testing.T) {
	e := env.Real()
	dir := t.TempDir()
	q := openTestQueue(t, e, dir)
	defer q.Close()
	write(t, q, pattern(testSegSize+500, 7))
	require.NoError(t, q.TruncateTo(100))
	require.Equal(t, 1, q.Len())
	require.EqualValues(t, 100, q.MaxOffset())
	s := q.Last()
	require.True(t, allZero(s.Bytes()[100:]), "bytes past the cut must be zero")
	names, err := e.FS.List(dir)
	require.NoError(t, err)
	require.Equal(t, []string{FileName(0)}, names)

	// Writing resumes at the cut.
	write(t, q, []byte{9, 9})
	require.EqualValues(t, 102, q.MaxOffset())

	// Truncating before the first segment removes everything.
	require.NoError(t, q.TruncateTo(0))
	require.Equal(t, 0, q.Len())
	names, err = e.FS.List(dir)
	require.NoError(t, err)
	require.Empty(t, names)
}

func TestFlushLeastPages(t *testing.T) {
	q := openTestQueue(t, env.Real(), t.TempDir())
	defer q.Close()
	write(t, q, pattern(pageSizeBytes+10, 3))
	where, err := q.Flush(2)
	require.NoError(t, err)
	require.EqualValues(t, 0, where, "one dirty page is below a two-page threshold")
	write(t, q, pattern(pageSizeBytes, 4))
	where, err = q.Flush(2)
	require.NoError(t, err)
	require.EqualValues(t, 2*pageSizeBytes+10, where)
	require.EqualValues(t, 0, q.DirtyBytes())
}

func TestOpenRejectsBadFiles(t *testing.T) {
	e := env.Real()
	cases := map[string]func(dir string){
		"wrong size": func(dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, FileName(0)), make([]byte, testSegSize-1), 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(dir, FileName(testSegSize)), make([]byte, testSegSize), 0o644))
		},
		"bad name": func(dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "garbage"), make([]byte, testSegSize), 0o644))
		},
		"unaligned": func(dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, FileName(5)), make([]byte, testSegSize), 0o644))
		},
		"gap": func(dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, FileName(0)), make([]byte, testSegSize), 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(dir, FileName(2*testSegSize)), make([]byte, testSegSize), 0o644))
		},
	}
	wantErr := map[string]error{"wrong size": ErrSegmentSize, "bad name": ErrSegmentName, "unaligned": ErrSegmentName, "gap": ErrNotContiguous}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			setup(dir)
			_, err := Open(e, Config{Dir: dir, SegmentSizeBytes: testSegSize})
			require.ErrorIs(t, err, wantErr[name])
		})
	}
}

func TestOpenDeletesEmptyLastFile(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, FileName(0)), make([]byte, testSegSize), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, FileName(testSegSize)), nil, 0o644))
	q := openTestQueue(t, env.Real(), dir)
	defer q.Close()
	require.Equal(t, 1, q.Len())
	_, err := os.Stat(filepath.Join(dir, FileName(testSegSize)))
	require.True(t, os.IsNotExist(err))
}

func TestDeletedSegmentStaysMappedWhileReferenced(t *testing.T) {
	dir := t.TempDir()
	q := openTestQueue(t, env.Real(), dir)
	defer q.Close()
	write(t, q, pattern(testSegSize+1, 5))
	first := q.First()
	require.True(t, first.Acquire())
	_, ok := q.DeleteFirst()
	require.True(t, ok)
	require.False(t, first.Acquire(), "a deleted segment cannot be acquired again")
	require.Equal(t, byte(5), first.Bytes()[0], "still readable by the holder")
	_, err := os.Stat(first.Path())
	require.NoError(t, err, "file kept until released")
	first.Release()
	_, err = os.Stat(first.Path())
	require.True(t, os.IsNotExist(err))
	_, ok = q.DeleteFirst()
	require.False(t, ok, "the newest segment is never deleted")
}

func TestPrepareNextMakesTheRollInfallible(t *testing.T) {
	clock := env.NewManualClock(time.Unix(0, 0))
	fs := env.NewMemFS(clock)
	e := env.Env{Clock: clock, FS: fs, Rand: env.NewSeededRand(1)}
	q := openTestQueue(t, e, "/q")
	defer q.Close()
	write(t, q, pattern(testSegSize-10, 1))
	require.NoError(t, q.PrepareNext())
	require.NoError(t, q.PrepareNext(), "preparing twice is a no-op")
	// The disk now refuses new files: the prepared segment still serves.
	fs.SetCapacity(1)
	s := q.Last()
	s.Publish(s.Size())
	next, err := q.SegmentForWrite(q.MaxOffset())
	require.NoError(t, err)
	require.EqualValues(t, testSegSize, next.Start())
}

func TestCreateReportsAFullDisk(t *testing.T) {
	clock := env.NewManualClock(time.Unix(0, 0))
	fs := env.NewMemFS(clock)
	e := env.Env{Clock: clock, FS: fs, Rand: env.NewSeededRand(1)}
	fs.SetCapacity(testSegSize / 2)
	q := openTestQueue(t, e, "/q")
	defer q.Close()
	_, err := q.SegmentForWrite(0)
	require.ErrorIs(t, err, env.ErrNoSpace, "segments are allocated up front, so a full disk is an error here, not a fault later")
	names, err := fs.List("/q")
	require.NoError(t, err)
	require.Empty(t, names, "the half-made file is removed")
}
