package consumequeue

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendGetAcrossFiles(t *testing.T) {
	e, _ := memEnv(t)
	q := openQueue(t, e, testConfig())
	defer q.Close()
	require.EqualValues(t, 0, q.MaxOffset())
	require.EqualValues(t, 0, q.MinOffset())
	_, ok := q.Get(0)
	require.False(t, ok)

	appendRange(t, q, 0, 25)
	require.EqualValues(t, 25, q.MaxOffset())
	require.EqualValues(t, 0, q.MinOffset())
	require.Equal(t, physOf(24)+int64(recSize), q.MaxPhysicOffset())
	require.Equal(t, []string{name(0), name(testFileSize), name(2 * testFileSize)}, fileNames(t, e, q))
	requireUnits(t, q, 0, 25)
	_, ok = q.Get(25)
	require.False(t, ok)
	_, ok = q.Get(-1)
	require.False(t, ok)

	// The bytes on disk are the encoded units, file by file.
	want := encoded(unitOf(10))
	got := readFile(t, e, filepath.Join(q.Dir(), name(testFileSize)))
	require.Equal(t, want, got[:UnitSize])
}

func TestUnitsBatches(t *testing.T) {
	e, _ := memEnv(t)
	q := openQueue(t, e, testConfig())
	defer q.Close()
	appendRange(t, q, 0, 25)

	cases := []struct {
		from   int64
		bufLen int
		want   int
	}{
		{from: 0, bufLen: 32, want: 25},  // crosses two file boundaries
		{from: 7, bufLen: 6, want: 6},    // 7..12 crosses one
		{from: 20, bufLen: 32, want: 5},  // stops at MaxOffset inside the last file
		{from: 10, bufLen: 10, want: 10}, // exactly one file
		{from: 24, bufLen: 1, want: 1},
		{from: 25, bufLen: 4, want: 0}, // at MaxOffset
		{from: 99, bufLen: 4, want: 0},
		{from: 3, bufLen: 0, want: 0},
	}
	for _, tc := range cases {
		dst := make([]Unit, tc.bufLen)
		n := q.Units(tc.from, dst)
		require.Equal(t, tc.want, n, "from %d len %d", tc.from, tc.bufLen)
		for i := 0; i < n; i++ {
			require.Equal(t, unitOf(tc.from+int64(i)), dst[i])
		}
	}
}

func TestRepeatedDispatchIsSkipped(t *testing.T) {
	e, _ := memEnv(t)
	log, logs := logBuffer()
	cfg := testConfig()
	cfg.Logger = log
	q := openQueue(t, e, cfg)
	defer q.Close()
	appendRange(t, q, 0, 12)

	// Re-dispatching the same records (recovery replays the CommitLog) is a
	// silent no-op.
	appendRange(t, q, 3, 12)
	require.EqualValues(t, 12, q.MaxOffset())
	requireUnits(t, q, 0, 12)
	require.Empty(t, logs.String())

	// A record past MaxPhysicOffset that claims an offset already written is
	// skipped with a warning, never overwriting the unit.
	require.NoError(t, q.Append(5, physOf(40), recSize, 1))
	require.EqualValues(t, 12, q.MaxOffset())
	requireUnits(t, q, 0, 12)
	require.Equal(t, physOf(11)+int64(recSize), q.MaxPhysicOffset())
	require.Contains(t, logs.String(), "built repeatedly")
}

func TestGapIsFilledWithFillers(t *testing.T) {
	e, _ := memEnv(t)
	log, logs := logBuffer()
	cfg := testConfig()
	cfg.Logger = log
	q := openQueue(t, e, cfg)
	defer q.Close()
	appendRange(t, q, 0, 8)

	// Offsets 8..12 were never dispatched; 13 arrives.
	require.NoError(t, q.Append(13, physOf(13), recSize, tagOf(13)))
	require.Contains(t, logs.String(), "[BUG]")
	require.EqualValues(t, 14, q.MaxOffset())
	requireUnits(t, q, 0, 8)
	for i := int64(8); i < 13; i++ {
		u, ok := q.Get(i)
		require.True(t, ok)
		require.True(t, u.IsFiller(), "offset %d", i)
	}
	requireUnits(t, q, 13, 14)

	// Units hands fillers out in place so offsets stay consecutive.
	dst := make([]Unit, 10)
	require.Equal(t, 7, q.Units(7, dst))
	require.Equal(t, unitOf(7), dst[0])
	require.True(t, dst[1].IsFiller())
	require.Equal(t, unitOf(13), dst[6])

	// The queue goes on from there and survives a reopen.
	appendRange(t, q, 14, 16)
	require.NoError(t, q.Flush(0))
	require.NoError(t, q.Close())
	q = openQueue(t, e, cfg)
	require.EqualValues(t, 16, q.MaxOffset())
	require.Equal(t, physOf(15)+int64(recSize), q.MaxPhysicOffset())
	requireUnits(t, q, 13, 16)
}

func TestGapTooLargeIsRefused(t *testing.T) {
	e, _ := memEnv(t)
	q := openQueue(t, e, testConfig())
	defer q.Close()
	appendRange(t, q, 0, 3)
	far := int64(3 + maxGapFiles*testUnitsPerFile + 1)
	err := q.Append(far, physOf(far), recSize, 0)
	require.ErrorIs(t, err, ErrGap)
	require.EqualValues(t, 3, q.MaxOffset())
	require.Equal(t, 1, q.FileCount())

	// The largest gap allowed is filled.
	edge := int64(3 + maxGapFiles*testUnitsPerFile)
	require.NoError(t, q.Append(edge, physOf(edge), recSize, 0))
	require.Equal(t, edge+1, q.MaxOffset())
}

func TestPreBlankNewQueue(t *testing.T) {
	e, _ := memEnv(t)
	q := openQueue(t, e, testConfig())
	// The queue's older files all expired: its first unit is offset 23.
	appendRange(t, q, 23, 26)
	require.Equal(t, []string{name(2 * testFileSize)}, fileNames(t, e, q))
	require.EqualValues(t, 23, q.MinOffset())
	require.EqualValues(t, 26, q.MaxOffset())
	_, ok := q.Get(22)
	require.False(t, ok, "fillers lie below the minimum")
	requireUnits(t, q, 23, 26)
	require.Zero(t, q.Units(20, make([]Unit, 5)))

	raw := readFile(t, e, filepath.Join(q.Dir(), name(2*testFileSize)))
	for i := 0; i < 3; i++ {
		require.Equal(t, encoded(fillerUnit), raw[i*UnitSize:(i+1)*UnitSize], "unit %d", 20+i)
	}
	require.Equal(t, encoded(unitOf(23)), raw[3*UnitSize:4*UnitSize])

	// Fillers are flushed with the units, and the minimum survives a reopen.
	require.NoError(t, q.Flush(0))
	require.EqualValues(t, 26, q.FlushedOffset())
	require.NoError(t, q.Close())
	q = openQueue(t, e, testConfig())
	defer q.Close()
	require.EqualValues(t, 23, q.MinOffset())
	require.EqualValues(t, 26, q.MaxOffset())
	require.Equal(t, physOf(25)+int64(recSize), q.MaxPhysicOffset())
	requireUnits(t, q, 23, 26)
}

func TestPreBlankAtFileStart(t *testing.T) {
	e, _ := memEnv(t)
	q := openQueue(t, e, testConfig())
	defer q.Close()
	appendRange(t, q, 30, 32)
	require.Equal(t, []string{name(3 * testFileSize)}, fileNames(t, e, q))
	require.EqualValues(t, 30, q.MinOffset())
	requireUnits(t, q, 30, 32)
}

func TestAppendRejectsBadUnits(t *testing.T) {
	e, _ := memEnv(t)
	q := openQueue(t, e, testConfig())
	defer q.Close()
	cases := []struct {
		name        string
		queueOffset int64
		physOffset  int64
		sizeBytes   int32
	}{
		{"negative queue offset", -1, 0, 100},
		{"queue offset past int64 bytes", maxQueueOffset, 0, 100},
		{"negative phys offset", 0, -5, 100},
		{"zero size", 0, 100, 0},
		{"negative size", 0, 100, -1},
		{"phys end overflows", 0, 1<<63 - 10, 100},
		{"looks like a filler", 0, 0, FillerSizeBytes},
	}
	for _, tc := range cases {
		err := q.Append(tc.queueOffset, tc.physOffset, tc.sizeBytes, 0)
		require.ErrorIs(t, err, ErrBadUnit, tc.name)
	}
	require.EqualValues(t, 0, q.MaxOffset())
	require.Zero(t, q.FileCount())
}

func TestReopenFromDisk(t *testing.T) {
	e, _ := memEnv(t)
	q := openQueue(t, e, testConfig())
	appendRange(t, q, 0, 25)
	require.NoError(t, q.Flush(0))
	require.NoError(t, q.Close())

	q2, err := Open(e, testRoot, testTopic, 0, testConfig())
	require.NoError(t, err)
	defer q2.Close()
	require.EqualValues(t, 30, q2.MaxOffset(), "loaded files count as full until Recover")
	require.NoError(t, q2.Recover())
	require.EqualValues(t, 25, q2.MaxOffset())
	require.EqualValues(t, 0, q2.MinOffset())
	require.Equal(t, physOf(24)+int64(recSize), q2.MaxPhysicOffset())
	requireUnits(t, q2, 0, 25)
	appendRange(t, q2, 25, 27)
	requireUnits(t, q2, 0, 27)
}

func TestOpenRejectsBadNames(t *testing.T) {
	e, _ := memEnv(t)
	_, err := Open(e, testRoot, "../escape", 0, testConfig())
	require.ErrorIs(t, err, ErrBadName)
	_, err = Open(e, testRoot, testTopic, -1, testConfig())
	require.ErrorIs(t, err, ErrBadName)
	_, err = Open(e, testRoot, testTopic, 0, Config{FileSizeBytes: -1})
	require.Error(t, err)
}

func TestDestroyResetsQueue(t *testing.T) {
	e, _ := memEnv(t)
	q := openQueue(t, e, testConfig())
	defer q.Close()
	appendRange(t, q, 0, 15)
	require.NoError(t, q.Destroy())
	_, err := e.FS.Stat(q.Dir())
	require.Error(t, err, "the directory is gone")
	require.EqualValues(t, 0, q.MaxOffset())
	require.EqualValues(t, 0, q.MinOffset())
	require.EqualValues(t, 0, q.MaxPhysicOffset())

	require.NoError(t, q.Destroy(), "destroying an empty queue is a no-op")

	// Usable again: dispatch starts over.
	appendRange(t, q, 0, 2)
	requireUnits(t, q, 0, 2)
	require.Equal(t, []string{name(0)}, fileNames(t, e, q))
}

func TestAppendAndUnitsDoNotAllocate(t *testing.T) {
	e, _ := memEnv(t)
	q := openQueue(t, e, Config{FileSizeBytes: 100_000 * UnitSize})
	defer q.Close()
	appendRange(t, q, 0, 1) // creates the file
	next := int64(1)
	allocs := testing.AllocsPerRun(1000, func() {
		if err := q.Append(next, physOf(next), recSize, tagOf(next)); err != nil {
			panic(err)
		}
		next++
	})
	assert.Zero(t, allocs, "Append")

	dst := make([]Unit, 32)
	allocs = testing.AllocsPerRun(1000, func() {
		if q.Units(100, dst) != len(dst) {
			panic("short read")
		}
	})
	assert.Zero(t, allocs, "Units")
}

func TestLoggerNamesQueue(t *testing.T) {
	e, _ := memEnv(t)
	log, logs := logBuffer()
	q := openQueue(t, e, Config{FileSizeBytes: testFileSize, Logger: log})
	defer q.Close()
	appendRange(t, q, 5, 6)
	line := logs.String()
	require.True(t, strings.Contains(line, "topic=TopicTest") && strings.Contains(line, "queueId=0"), line)
}

func TestGapInLogicallyEmptyQueueMovesMinimum(t *testing.T) {
	e, _ := memEnv(t)
	q := openQueue(t, e, testConfig())
	defer q.Close()
	appendRange(t, q, 0, 12)
	_, err := q.DeleteBelowPhysOffset(physOf(99))
	require.NoError(t, err)
	require.EqualValues(t, 12, q.MinOffset())
	require.EqualValues(t, 12, q.MaxOffset())

	require.NoError(t, q.Append(15, physOf(15), recSize, tagOf(15)))
	require.EqualValues(t, 15, q.MinOffset(), "the minimum skips the fillers")
	_, ok := q.Get(14)
	require.False(t, ok)
	requireUnits(t, q, 15, 16)
}
