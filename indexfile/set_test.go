package indexfile

import (
	"io/fs"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

const indexDir = "/store/index"

// rollGeo holds 3 entries per file (entry 0 is never used).
var rollGeo = Geometry{HashSlots: 4, MaxEntries: 4}

// flushLog records OnFullFileFlushed calls.
type flushLog struct {
	mu  sync.Mutex
	got []int64
}

func (l *flushLog) record(endMs int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, endMs)
}

func (l *flushLog) values() []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int64(nil), l.got...)
}

func openSet(t *testing.T, e env.Env, cfg Config) *Set {
	t.Helper()
	s, err := Open(e, indexDir, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func setQuery(t *testing.T, s *Set, topic, key string, maxNum int, beginMs, endMs int64) []int64 {
	t.Helper()
	got, err := s.Query(topic, key, maxNum, beginMs, endMs)
	require.NoError(t, err)
	return got
}

func TestSetRollover(t *testing.T) {
	e, clock, fsys := memEnv(t)
	var log flushLog
	s := openSet(t, e, Config{Geometry: rollGeo, OnFullFileFlushed: log.record})
	require.Empty(t, s.FileNames())
	require.Zero(t, s.MaxPhyOffset())

	// Record i at phy 100*i, time t0 + i s; three entries fill a file.
	for i := int64(1); i <= 7; i++ {
		require.NoError(t, s.Put("T", "k", 100*i, t0+i*1000))
	}
	// All three files are created in the same millisecond: bumped by 1 ms.
	require.Equal(t, []string{"20240305102030123", "20240305102030124", "20240305102030125"}, s.FileNames())
	require.EqualValues(t, 700, s.MaxPhyOffset())
	endMs, endPhy := s.LastUpdate()
	require.Equal(t, t0+7000, endMs)
	require.EqualValues(t, 700, endPhy)

	// The full files are flushed off the writer's path, when the clock runs
	// the deferred work.
	require.Empty(t, log.values())
	require.Equal(t, 2, clock.Pending())
	clock.RunDue()
	require.Equal(t, []int64{t0 + 3000, t0 + 6000}, log.values())

	// Newest first across all three files.
	require.Equal(t, []int64{700, 600, 500, 400, 300, 200, 100}, setQuery(t, s, "T", "k", 64, 0, t0+10_000))

	// The second file started from the first file's end: its first timeDiff
	// counts from t0+3s, and its header then took the first entry's values.
	img := readAll(t, fsys, filepath.Join(indexDir, "20240305102030124"))
	hdr, err := DecodeHeader(img)
	require.NoError(t, err)
	require.Equal(t, Header{BeginTimestampMs: t0 + 4000, EndTimestampMs: t0 + 6000, BeginPhyOffset: 400,
		EndPhyOffset: 600, HashSlotCount: 1, IndexCount: 4}, hdr)
	require.Equal(t, int32(1), decodeEntry(img[rollGeo.entryPos(1):]).TimeDiffSec)
}

func TestSetNamesFollowClock(t *testing.T) {
	e, clock, _ := memEnv(t)
	s := openSet(t, e, Config{Geometry: rollGeo})
	for i := int64(1); i <= 3; i++ {
		require.NoError(t, s.Put("T", "k", i, t0))
	}
	clock.Advance(90 * time.Minute)
	require.NoError(t, s.Put("T", "k", 4, t0))
	require.Equal(t, []string{"20240305102030123", "20240305115030123"}, s.FileNames())
}

func TestSetNameAfterClockStepsBack(t *testing.T) {
	e, _, fsys := memEnv(t)
	// A full file named from the future (the clock was set back since).
	future := "20250101000000999"
	f, err := CreateFile(fsys, filepath.Join(indexDir, future), rollGeo, 0, 0)
	require.NoError(t, err)
	for i := int64(1); i <= 3; i++ {
		require.NoError(t, f.Put("T#k", i, t0))
	}
	require.NoError(t, f.Close())

	s := openSet(t, e, Config{Geometry: rollGeo})
	require.NoError(t, s.Put("T", "k", 4, t0))
	require.Equal(t, []string{future, "20250101000001000"}, s.FileNames())
}

func TestFileNameFormat(t *testing.T) {
	require.Equal(t, "20240305102030123", FileName(testStart))
	loc := time.FixedZone("UTC+8", 8*3600)
	require.Equal(t, "20240305182030123", FileName(testStart.In(loc)))
	require.Equal(t, "00010101000000000", FileName(time.Time{}))
	require.False(t, isFileName(FileName(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))))
	got, ok := parseFileName("20240305102030123", time.UTC)
	require.True(t, ok)
	require.True(t, got.Equal(testStart))
	_, ok = parseFileName("20241305102030123", time.UTC) // month 13
	require.False(t, ok)
	_, ok = parseFileName("2024030510203012x", time.UTC)
	require.False(t, ok)
}

func TestSetQueryWalksFilesByTime(t *testing.T) {
	e, _, _ := memEnv(t)
	s := openSet(t, e, Config{Geometry: rollGeo})
	// Files: [t0+1s..t0+3s], [t0+4s..t0+6s], [t0+7s..t0+9s].
	for i := int64(1); i <= 9; i++ {
		require.NoError(t, s.Put("T", "k", 100*i, t0+i*1000))
	}
	tests := []struct {
		name         string
		maxNum       int
		beginMs, end int64
		want         []int64
	}{
		{"everything", 64, 0, t0 + 100_000, []int64{900, 800, 700, 600, 500, 400, 300, 200, 100}},
		{"middle file only", 64, t0 + 4000, t0 + 6000, []int64{600, 500, 400}},
		{"spanning two files", 64, t0 + 5000, t0 + 8000, []int64{800, 700, 600, 500, 400}},
		// RocketMQ computes the first timeDiff of a rolled file against the
		// previous file's end before moving beginTimestamp to the entry's
		// own time, so that entry reads 1 s late here: 400 (stored at
		// t0+4s) reads as t0+5s and 700 (t0+7s) as t0+8s.
		{"first entry of a rolled file reads late", 64, t0 + 5000, t0 + 7000, []int64{600, 500, 400}},
		{"maxNum", 4, 0, t0 + 100_000, []int64{900, 800, 700, 600}},
		{"in no file", 64, t0 + 20_000, t0 + 30_000, nil},
		{"zero maxNum", 0, 0, t0 + 100_000, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := setQuery(t, s, "T", "k", tt.maxNum, tt.beginMs, tt.end)
			if tt.want == nil {
				require.Empty(t, got)
				return
			}
			require.Equal(t, tt.want, got)
		})
	}
	require.Empty(t, setQuery(t, s, "T", "other", 64, 0, t0+100_000))
	require.Empty(t, setQuery(t, s, "U", "k", 64, 0, t0+100_000))
}

func TestSetQueryCap(t *testing.T) {
	e, _, _ := memEnv(t)
	s := openSet(t, e, Config{Geometry: smallGeo})
	for i := range int64(100) {
		require.NoError(t, s.Put("T", "k", i, t0))
	}
	require.Len(t, setQuery(t, s, "T", "k", 1000, 0, t0), DefaultMaxQueryResults)

	s2, err := Open(e, "/store/index2", Config{Geometry: smallGeo, MaxQueryResults: 5})
	require.NoError(t, err)
	defer func() { require.NoError(t, s2.Close()) }()
	require.NoError(t, s2.Put("T", "k", 1, t0))
	require.NoError(t, s2.Put("T", "k", 2, t0))
	got, err := s2.Query("T", "k", 1000, 0, t0)
	require.NoError(t, err)
	require.Equal(t, []int64{2, 1}, got)
}

func TestConfigValidation(t *testing.T) {
	e, _, _ := memEnv(t)
	for _, cfg := range []Config{
		{MaxQueryResults: -1},
		{MaxQueryResults: MaxQueryResultsLimit + 1},
		{Geometry: Geometry{HashSlots: -1}},
		{Geometry: Geometry{MaxEntries: 1}},
	} {
		_, err := Open(e, indexDir, cfg)
		require.Error(t, err, "%+v", cfg)
	}
	s := openSet(t, e, Config{})
	require.Equal(t, DefaultGeometry(), s.cfg.Geometry)
	require.Equal(t, DefaultMaxQueryResults, s.cfg.MaxQueryResults)
}

func TestPutRecord(t *testing.T) {
	e, _, _ := memEnv(t)
	s := openSet(t, e, Config{Geometry: smallGeo})
	require.NoError(t, s.PutRecord("T", " a  b c ", "UNIQ1", 1000, t0))
	for _, k := range []string{"a", "b", "c", "UNIQ1"} {
		require.Equal(t, []int64{1000}, setQuery(t, s, "T", k, 64, 0, t0), k)
	}
	require.Empty(t, setQuery(t, s, "T", "", 64, 0, t0))
	require.Empty(t, setQuery(t, s, "T", " a  b c ", 64, 0, t0))
	s.mu.RLock()
	require.EqualValues(t, 5, s.files[0].Header().IndexCount, "four keys")
	s.mu.RUnlock()

	// Without a unique key or keys nothing is written.
	require.NoError(t, s.PutRecord("T", "", "", 2000, t0+1000))
	require.NoError(t, s.PutRecord("T", "   ", "", 2000, t0+1000))
	require.EqualValues(t, 1000, s.MaxPhyOffset())

	require.NoError(t, s.PutRecord("T", "a", "", 3000, t0+2000))
	// Re-dispatch of records below the newest indexed offset adds nothing.
	require.NoError(t, s.PutRecord("T", "a b", "UNIQ1", 1000, t0))
	require.NoError(t, s.PutRecord("T", "a", "", 2999, t0))
	require.Equal(t, []int64{3000, 1000}, setQuery(t, s, "T", "a", 64, 0, t0+10_000))
	require.Equal(t, []int64{1000}, setQuery(t, s, "T", "UNIQ1", 64, 0, t0+10_000))
}

func TestPutRecordRollsMidRecord(t *testing.T) {
	e, _, _ := memEnv(t)
	s := openSet(t, e, Config{Geometry: rollGeo})
	require.NoError(t, s.PutRecord("T", "a b c d e", "", 10, t0))
	require.Len(t, s.FileNames(), 2)
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		require.Equal(t, []int64{10}, setQuery(t, s, "T", k, 64, 0, t0), k)
	}
}

func TestSetReopen(t *testing.T) {
	e, _, fsys := memEnv(t)
	s, err := Open(e, indexDir, Config{Geometry: rollGeo})
	require.NoError(t, err)
	for i := int64(1); i <= 5; i++ {
		require.NoError(t, s.Put("T", "k", 100*i, t0+i*1000))
	}
	names := s.FileNames()
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "second close is a no-op")
	_, err = s.Query("T", "k", 1, 0, t0)
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, s.Put("T", "k", 1, t0), ErrClosed)
	require.ErrorIs(t, s.PutRecord("T", "k", "", 1, t0), ErrClosed)
	require.ErrorIs(t, s.Flush(), ErrClosed)

	s = openSet(t, env.Env{Clock: e.Clock, FS: fsys}, Config{Geometry: rollGeo})
	require.Equal(t, names, s.FileNames())
	require.EqualValues(t, 500, s.MaxPhyOffset())
	require.Equal(t, []int64{500, 400, 300, 200, 100}, setQuery(t, s, "T", "k", 64, 0, t0+10_000))
	// The newest file still has room: no new file.
	require.NoError(t, s.Put("T", "k", 600, t0+6000))
	require.Equal(t, names, s.FileNames())
}

func TestOpenSkipsForeignNamesAndRemovesLeftovers(t *testing.T) {
	e, _, fsys := memEnv(t)
	writeImage(t, fsys, filepath.Join(indexDir, "README"), []byte("not an index"))
	writeImage(t, fsys, filepath.Join(indexDir, "2024"), []byte("short digits"))
	writeImage(t, fsys, filepath.Join(indexDir, "20240305102030000.tmp"), []byte("half made"))
	s := openSet(t, e, Config{Geometry: rollGeo})
	require.Empty(t, s.FileNames())
	_, err := fsys.Stat(filepath.Join(indexDir, "20240305102030000.tmp"))
	require.ErrorIs(t, err, fs.ErrNotExist)
	_, err = fsys.Stat(filepath.Join(indexDir, "README"))
	require.NoError(t, err)
}

func TestOpenFailsOnCorruptFile(t *testing.T) {
	e, _, fsys := memEnv(t)
	s := openSet(t, e, Config{Geometry: rollGeo})
	require.NoError(t, s.Put("T", "k", 1, t0))
	require.NoError(t, s.Close())
	writeImage(t, fsys, filepath.Join(indexDir, "20240305102030999"), []byte("short"))

	_, err := Open(e, indexDir, Config{Geometry: rollGeo})
	require.ErrorIs(t, err, ErrCorrupt)
	require.Contains(t, err.Error(), "20240305102030999")

	// A geometry other than the files' is refused too.
	require.NoError(t, fsys.Remove(filepath.Join(indexDir, "20240305102030999")))
	_, err = Open(e, indexDir, Config{Geometry: smallGeo})
	require.ErrorIs(t, err, ErrCorrupt)
}

func TestDeleteFilesBefore(t *testing.T) {
	e, clock, fsys := memEnv(t)
	s := openSet(t, e, Config{Geometry: rollGeo})
	for i := int64(1); i <= 9; i++ { // end phy offsets 300, 600, 900
		require.NoError(t, s.Put("T", "k", 100*i, t0+i*1000))
	}
	names := s.FileNames()
	require.Len(t, names, 3)

	n, err := s.DeleteFilesBefore(300)
	require.NoError(t, err)
	require.Zero(t, n, "end 300 is not below 300")

	n, err = s.DeleteFilesBefore(301)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, names[1:], s.FileNames())
	_, err = fsys.Stat(filepath.Join(indexDir, names[0]))
	require.ErrorIs(t, err, fs.ErrNotExist)

	// Never the newest file, even when it is below the offset too.
	n, err = s.DeleteFilesBefore(10_000)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, names[2:], s.FileNames())
	require.Equal(t, []int64{900, 800, 700}, setQuery(t, s, "T", "k", 64, 0, t0+100_000))

	// Deferred flushes of deleted files do nothing.
	clock.RunDue()
}

func TestRemoveNewerThan(t *testing.T) {
	e, _, fsys := memEnv(t)
	s := openSet(t, e, Config{Geometry: rollGeo})
	for i := int64(1); i <= 7; i++ { // end timestamps t0+3s, t0+6s, t0+7s
		require.NoError(t, s.Put("T", "k", 100*i, t0+i*1000))
	}
	names := s.FileNames()
	require.NoError(t, s.Close())

	s = openSet(t, e, Config{Geometry: rollGeo})
	n, err := s.RemoveNewerThan(t0 + 3000)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.Equal(t, names[:1], s.FileNames())
	for _, name := range names[1:] {
		_, err := fsys.Stat(filepath.Join(indexDir, name))
		require.ErrorIs(t, err, fs.ErrNotExist)
	}
	require.Equal(t, []int64{300, 200, 100}, setQuery(t, s, "T", "k", 64, 0, t0+100_000))
	// Re-dispatch rebuilds the rest into a new file.
	require.NoError(t, s.PutRecord("T", "k", "", 400, t0+4000))
	require.Len(t, s.FileNames(), 2)
}

func TestFlushReportsOnlyDurablePrefix(t *testing.T) {
	e, clock, fsys := memEnv(t)
	var log flushLog
	s := openSet(t, e, Config{Geometry: rollGeo, OnFullFileFlushed: log.record})
	for i := int64(1); i <= 3; i++ {
		require.NoError(t, s.Put("T", "k", 100*i, t0+i*1000))
	}
	first := s.FileNames()[0]
	// The first full file's deferred flush fails.
	fsys.SetRule(env.FailOnce(env.OpMappingFlush, first))
	for i := int64(4); i <= 7; i++ {
		require.NoError(t, s.Put("T", "k", 100*i, t0+i*1000))
	}
	clock.RunDue()
	// The second file flushed, but the first did not: nothing is reported,
	// or a crash could lose the first file's entries below the checkpoint.
	require.Empty(t, log.values())

	require.NoError(t, s.Flush())
	require.Equal(t, []int64{t0 + 6000}, log.values())
	require.NoError(t, s.Flush())
	require.Equal(t, []int64{t0 + 6000}, log.values(), "reported once")
}

func TestCrashKeepsFlushedFullFiles(t *testing.T) {
	e, clock, fsys := memEnv(t)
	var log flushLog
	s, err := Open(e, indexDir, Config{Geometry: rollGeo, OnFullFileFlushed: log.record})
	require.NoError(t, err)
	for i := int64(1); i <= 5; i++ {
		require.NoError(t, s.Put("T", "k", 100*i, t0+i*1000))
	}
	clock.RunDue()
	require.Equal(t, []int64{t0 + 3000}, log.values())

	fsys.CrashMachine(7, env.CrashOptions{KeepNoPages: true})

	s, err = Open(e, indexDir, Config{Geometry: rollGeo})
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	// Both files exist (each was synced into the directory when created);
	// the second lost its unflushed entries and kept its synced header.
	require.Len(t, s.FileNames(), 2)
	n, err := s.RemoveNewerThan(t0 + 3000)
	require.NoError(t, err)
	require.Zero(t, n)
	require.Equal(t, []int64{300, 200, 100}, setQuery(t, s, "T", "k", 64, 0, t0+100_000))
	require.EqualValues(t, 300, s.MaxPhyOffset())

	// Re-dispatch from the checkpoint rebuilds the rest.
	for i := int64(4); i <= 5; i++ {
		require.NoError(t, s.PutRecord("T", "k", "", 100*i, t0+i*1000))
	}
	require.Equal(t, []int64{500, 400, 300, 200, 100}, setQuery(t, s, "T", "k", 64, 0, t0+100_000))
}

func TestCreateFailureLeavesNoFile(t *testing.T) {
	e, _, fsys := memEnv(t)
	s := openSet(t, e, Config{Geometry: rollGeo})
	fsys.SetRule(env.FailOnce(env.OpRename, ""))
	err := s.Put("T", "k", 1, t0)
	require.ErrorIs(t, err, env.ErrInjected)
	require.Empty(t, s.FileNames())
	fsys.SetRule(nil)

	names, err := fsys.List(indexDir)
	require.NoError(t, err)
	require.Empty(t, names, "the half-made file was removed")
	require.NoError(t, s.Put("T", "k", 1, t0))
	require.Len(t, s.FileNames(), 1)
}

func TestRemoveUnsafe(t *testing.T) {
	e, _, _ := memEnv(t)
	s, err := Open(e, indexDir, Config{Geometry: Geometry{HashSlots: 4, MaxEntries: 4}})
	require.NoError(t, err)
	defer s.Close()
	// Three entries per file (entry 0 is never used): offsets 0..8 fill
	// three files of three entries each.
	for i := range 8 {
		require.NoError(t, s.Put("T", "k", int64(i*100), 1000+int64(i)))
	}
	require.Len(t, s.FileNames(), 3)

	removed, from, err := s.RemoveUnsafe(250)
	require.NoError(t, err)
	require.Equal(t, 2, removed, "the file holding 300.. and the unfinished last file go")
	require.EqualValues(t, 200, from, "rebuild after the last kept file's end")
	require.Len(t, s.FileNames(), 1)

	removed, from, err = s.RemoveUnsafe(0)
	require.NoError(t, err)
	require.Equal(t, 1, removed)
	require.EqualValues(t, 0, from)
	require.Empty(t, s.FileNames())
}
