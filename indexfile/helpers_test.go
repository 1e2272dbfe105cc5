package indexfile

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

// smallGeo is the geometry most tests use: 64 slots, 256 entries.
var smallGeo = Geometry{HashSlots: 64, MaxEntries: 256}

// testStart is the manual clock's start, 2024-03-05 10:20:30.123 UTC.
var testStart = time.Date(2024, 3, 5, 10, 20, 30, 123_000_000, time.UTC)

// memEnv returns an env over a ManualClock and a MemFS.
func memEnv(t testing.TB) (env.Env, *env.ManualClock, *env.MemFS) {
	t.Helper()
	clock := env.NewManualClock(testStart)
	fsys := env.NewMemFS(clock)
	require.NoError(t, fsys.MkdirAll("/store/index"))
	return env.Env{Clock: clock, FS: fsys, Rand: env.NewSeededRand(1)}, clock, fsys
}

// unhex decodes hex digits, ignoring white space and, on each line, a
// comment from "|" to the end of the line.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	var digits strings.Builder
	for line := range strings.Lines(s) {
		line, _, _ = strings.Cut(line, "|")
		digits.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(digits.String())
	require.NoError(t, err)
	return b
}

// readAll returns the bytes of name.
func readAll(t testing.TB, fsys env.FS, name string) []byte {
	t.Helper()
	f, err := fsys.Open(name)
	require.NoError(t, err)
	defer func() { require.NoError(t, f.Close()) }()
	size, err := f.Size()
	require.NoError(t, err)
	b := make([]byte, size)
	_, err = f.ReadAt(b, 0)
	require.NoError(t, err)
	return b
}

// writeImage writes b as the whole content of name.
func writeImage(t testing.TB, fsys env.FS, name string, b []byte) {
	t.Helper()
	f, err := fsys.Create(name)
	require.NoError(t, err)
	_, err = f.WriteAt(b, 0)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// createFile creates a fresh file of geometry g at name.
func createFile(t testing.TB, fsys env.FS, name string, g Geometry) *File {
	t.Helper()
	f, err := CreateFile(fsys, name, g, 0, 0)
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// query runs File.Query and requires success.
func query(t testing.TB, f *File, key string, maxNum int, beginMs, endMs int64) []int64 {
	t.Helper()
	got, err := f.Query(nil, key, maxNum, beginMs, endMs)
	require.NoError(t, err)
	return got
}
