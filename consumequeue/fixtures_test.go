package consumequeue

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/mappedfile"
)

// Small geometry: 10 units per file.
const (
	testUnitsPerFile = 10
	testFileSize     = testUnitsPerFile * UnitSize
	testRoot         = "store"
	testTopic        = "TopicTest"
)

// memEnv returns an Env over a fresh MemFS and a manual clock.
func memEnv(t testing.TB) (env.Env, *env.MemFS) {
	t.Helper()
	clock := env.NewManualClock(time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC))
	fs := env.NewMemFS(clock)
	return env.Env{Clock: clock, FS: fs, Rand: env.NewSeededRand(1)}, fs
}

func testConfig() Config { return Config{FileSizeBytes: testFileSize} }

// openQueue opens and recovers the test queue.
func openQueue(t testing.TB, e env.Env, cfg Config) *Queue {
	t.Helper()
	q, err := Open(e, testRoot, testTopic, 0, cfg)
	require.NoError(t, err)
	require.NoError(t, q.Recover())
	return q
}

// physOf, sizeOf and tagOf describe the record with queue offset i in the
// test's imaginary CommitLog: 100-byte records from offset 1000 on.
func physOf(i int64) int64 { return 1000 + i*100 }

const recSize = int32(100)

func tagOf(i int64) int64 { return i * 7 }

func unitOf(i int64) Unit { return Unit{PhysOffset: physOf(i), SizeBytes: recSize, TagCode: tagOf(i)} }

// appendRange dispatches the records with queue offsets [from, to).
func appendRange(t testing.TB, q *Queue, from, to int64) {
	t.Helper()
	for i := from; i < to; i++ {
		require.NoError(t, q.Append(i, physOf(i), recSize, tagOf(i)))
	}
}

// requireUnits checks Get for every offset in [from, to) against unitOf.
func requireUnits(t testing.TB, q *Queue, from, to int64) {
	t.Helper()
	for i := from; i < to; i++ {
		u, ok := q.Get(i)
		require.True(t, ok, "offset %d", i)
		require.Equal(t, unitOf(i), u, "offset %d", i)
	}
}

// fileNames lists the queue's files on the FS.
func fileNames(t testing.TB, e env.Env, q *Queue) []string {
	t.Helper()
	names, err := e.FS.List(q.Dir())
	require.NoError(t, err)
	if names == nil {
		names = []string{}
	}
	return names
}

func name(startByte int64) string { return mappedfile.FileName(startByte) }

// readFile returns a file's bytes through the FS (not a mapping).
func readFile(t testing.TB, e env.Env, path string) []byte {
	t.Helper()
	f, err := e.FS.Open(path)
	require.NoError(t, err)
	defer f.Close()
	n, err := f.Size()
	require.NoError(t, err)
	b := make([]byte, n)
	_, err = f.ReadAt(b, 0)
	require.NoError(t, err)
	return b
}

// writeFile creates path (and its directory) holding b.
func writeFile(t testing.TB, e env.Env, path string, b []byte) {
	t.Helper()
	require.NoError(t, e.FS.MkdirAll(filepath.Dir(path)))
	f, err := e.FS.Create(path)
	require.NoError(t, err)
	_, err = f.WriteAt(b, 0)
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
}

// patchUnit overwrites the unit at byte position pos of the queue's file
// image on disk (the queue must be closed).
func patchUnit(t testing.TB, e env.Env, dir string, pos int64, raw []byte) {
	t.Helper()
	path := filepath.Join(dir, name(pos-pos%testFileSize))
	f, err := e.FS.OpenRW(path)
	require.NoError(t, err)
	_, err = f.WriteAt(raw, pos%testFileSize)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// encoded returns the 20 bytes of u.
func encoded(u Unit) []byte {
	b := make([]byte, UnitSize)
	EncodeUnit(b, u)
	return b
}

// logBuffer returns a Logger writing text lines into the returned buffer.
func logBuffer() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewTextHandler(&buf, nil)), &buf
}
