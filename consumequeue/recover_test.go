package consumequeue

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/mappedfile"
)

// writeQueue dispatches [0, n), flushes and closes, leaving files on disk.
func writeQueue(t *testing.T, q *Queue, n int64) {
	t.Helper()
	appendRange(t, q, 0, n)
	require.NoError(t, q.Flush(0))
	require.NoError(t, q.Close())
}

func TestRecoverStopsAtTornTail(t *testing.T) {
	cases := []struct {
		name string
		raw  []byte // written over unit 13
	}{
		{"zero unit", make([]byte, UnitSize)},
		{"half written unit", append(encoded(unitOf(13))[:10], make([]byte, 10)...)},
		{"negative size", encoded(Unit{PhysOffset: physOf(13), SizeBytes: -100})},
		{"negative offset", encoded(Unit{PhysOffset: -1, SizeBytes: 100})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := memEnv(t)
			q := openQueue(t, e, testConfig())
			dir := q.Dir()
			writeQueue(t, q, 16)
			patchUnit(t, e, dir, 13*UnitSize, tc.raw)

			q = openQueue(t, e, testConfig())
			defer q.Close()
			require.EqualValues(t, 13, q.MaxOffset())
			require.Equal(t, physOf(12)+int64(recSize), q.MaxPhysicOffset())
			requireUnits(t, q, 0, 13)
			// Units 13..15 after the tear were zeroed: a later crash cannot
			// bring them back.
			raw := readFile(t, e, filepath.Join(dir, name(testFileSize)))
			require.Equal(t, encoded(unitOf(12)), raw[2*UnitSize:3*UnitSize])
			require.Equal(t, make([]byte, testFileSize-3*UnitSize), raw[3*UnitSize:])
			// Dispatch resumes at 13.
			appendRange(t, q, 13, 15)
			requireUnits(t, q, 0, 15)
		})
	}
}

func TestRecoverGarbageMidFileDropsLaterFiles(t *testing.T) {
	e, _ := memEnv(t)
	q := openQueue(t, e, testConfig())
	dir := q.Dir()
	writeQueue(t, q, 28) // files 0, 1, 2; the first is the third-last
	patchUnit(t, e, dir, 4*UnitSize, encoded(Unit{PhysOffset: 77, SizeBytes: -9}))

	q = openQueue(t, e, testConfig())
	defer q.Close()
	require.EqualValues(t, 4, q.MaxOffset())
	require.Equal(t, physOf(3)+int64(recSize), q.MaxPhysicOffset())
	require.Equal(t, []string{name(0)}, fileNames(t, e, q))
	requireUnits(t, q, 0, 4)
}

func TestRecoverReadsOnlyTheLastThreeFiles(t *testing.T) {
	e, _ := memEnv(t)
	q := openQueue(t, e, testConfig())
	dir := q.Dir()
	writeQueue(t, q, 45) // files 0..4
	// Damage in file 0 is not examined: it was full and flushed long ago.
	patchUnit(t, e, dir, 5*UnitSize, make([]byte, UnitSize))

	q = openQueue(t, e, testConfig())
	defer q.Close()
	require.EqualValues(t, 45, q.MaxOffset())
	require.Equal(t, 5, q.FileCount())
	requireUnits(t, q, 20, 45)
}

func TestRecoverDropsEmptyNewestFile(t *testing.T) {
	e, _ := memEnv(t)
	q := openQueue(t, e, testConfig())
	dir := q.Dir()
	writeQueue(t, q, 20) // files 0 and 1, both full
	writeFile(t, e, filepath.Join(dir, name(2*testFileSize)), make([]byte, testFileSize))

	q = openQueue(t, e, testConfig())
	defer q.Close()
	require.EqualValues(t, 20, q.MaxOffset())
	require.Equal(t, []string{name(0), name(testFileSize)}, fileNames(t, e, q))
	appendRange(t, q, 20, 21)
	requireUnits(t, q, 0, 21)
}

func TestRecoverKeepsLogicalPositionOfEmptyQueue(t *testing.T) {
	// The only file is empty (older files expired, then a crash before its
	// first unit). The queue must not restart at offset 0.
	e, _ := memEnv(t)
	dir := QueueDir(testRoot, testTopic, 0)
	writeFile(t, e, filepath.Join(dir, name(4*testFileSize)), make([]byte, testFileSize))

	q := openQueue(t, e, testConfig())
	defer q.Close()
	require.EqualValues(t, 40, q.MaxOffset())
	require.EqualValues(t, 40, q.MinOffset())
	require.Equal(t, []string{name(4 * testFileSize)}, fileNames(t, e, q))
	require.NoError(t, q.Append(3, physOf(3), recSize, 0), "an old offset is a repeat")
	require.EqualValues(t, 40, q.MaxOffset())
	appendRange(t, q, 40, 42)
	requireUnits(t, q, 40, 42)
	require.NoError(t, q.Flush(0))
	require.EqualValues(t, 42, q.FlushedOffset())
}

func TestOpenRejectsWrongSizeFile(t *testing.T) {
	e, _ := memEnv(t)
	dir := QueueDir(testRoot, testTopic, 0)
	writeFile(t, e, filepath.Join(dir, name(0)), make([]byte, testFileSize))
	writeFile(t, e, filepath.Join(dir, name(testFileSize)), make([]byte, testFileSize-UnitSize))
	_, err := Open(e, testRoot, testTopic, 0, testConfig())
	require.ErrorIs(t, err, mappedfile.ErrSegmentSize)
	require.ErrorContains(t, err, "TopicTest/0")
}

func TestOpenRejectsStrayFile(t *testing.T) {
	e, _ := memEnv(t)
	dir := QueueDir(testRoot, testTopic, 0)
	writeFile(t, e, filepath.Join(dir, "notes.txt"), []byte("x"))
	_, err := Open(e, testRoot, testTopic, 0, testConfig())
	require.ErrorIs(t, err, mappedfile.ErrSegmentName)
}

func TestTruncateByPhysOffset(t *testing.T) {
	cases := []struct {
		name      string
		cutPhys   int64
		wantMax   int64
		wantFiles []string
	}{
		{"mid file", physOf(12), 12, []string{name(0), name(testFileSize)}},
		{"inside a record", physOf(12) + 50, 13, []string{name(0), name(testFileSize)}},
		{"at a file's first unit", physOf(20), 20, []string{name(0), name(testFileSize)}},
		{"two files back", physOf(7), 7, []string{name(0)}},
		{"beyond everything", physOf(99), 25, []string{name(0), name(testFileSize), name(2 * testFileSize)}},
		{"before everything", physOf(0), 0, []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := memEnv(t)
			q := openQueue(t, e, testConfig())
			defer q.Close()
			appendRange(t, q, 0, 25)
			require.NoError(t, q.TruncateByPhysOffset(tc.cutPhys))
			require.Equal(t, tc.wantMax, q.MaxOffset())
			require.Equal(t, tc.wantFiles, fileNames(t, e, q))
			if tc.wantMax > 0 {
				require.Equal(t, physOf(tc.wantMax-1)+int64(recSize), q.MaxPhysicOffset())
			} else {
				require.Equal(t, tc.cutPhys, q.MaxPhysicOffset(), "bounded by the cut")
			}
			requireUnits(t, q, 0, tc.wantMax)
			// Re-dispatch after the CommitLog was cut goes on from there.
			appendRange(t, q, tc.wantMax, tc.wantMax+3)
			requireUnits(t, q, 0, tc.wantMax+3)
		})
	}
}

func TestTruncateByPhysOffsetKeepsPreBlankAndPosition(t *testing.T) {
	e, _ := memEnv(t)
	q := openQueue(t, e, testConfig())
	defer q.Close()
	appendRange(t, q, 23, 35) // files 20.. and 30.., fillers at 20..22

	// Cut below the first real unit: the fillers stay, the queue stays at 23.
	require.NoError(t, q.TruncateByPhysOffset(physOf(23)))
	require.EqualValues(t, 23, q.MaxOffset())
	require.EqualValues(t, 23, q.MinOffset())
	require.Equal(t, physOf(23), q.MaxPhysicOffset(), "no real unit left: the cut bounds what was dispatched")
	require.Equal(t, []string{name(2 * testFileSize)}, fileNames(t, e, q))

	// Cutting everything, fillers included, still keeps the position.
	require.NoError(t, q.TruncateByPhysOffset(0))
	require.EqualValues(t, 20, q.MaxOffset())
	require.Zero(t, q.MaxPhysicOffset())
	require.Equal(t, []string{name(2 * testFileSize)}, fileNames(t, e, q))
	appendRange(t, q, 20, 22)
	requireUnits(t, q, 20, 22)
}

func TestDeleteBelowPhysOffset(t *testing.T) {
	e, _ := memEnv(t)
	q := openQueue(t, e, testConfig())
	defer q.Close()
	appendRange(t, q, 0, 35) // files 0..3

	n, err := q.DeleteBelowPhysOffset(physOf(15))
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, []string{name(testFileSize), name(2 * testFileSize), name(3 * testFileSize)}, fileNames(t, e, q))
	require.EqualValues(t, 15, q.MinOffset())
	_, ok := q.Get(14)
	require.False(t, ok)
	requireUnits(t, q, 15, 35)

	// Nothing more to delete: a no-op that keeps the minimum.
	n, err = q.DeleteBelowPhysOffset(physOf(15))
	require.NoError(t, err)
	require.Zero(t, n)
	require.EqualValues(t, 15, q.MinOffset())

	// Every record gone: all files but the newest go, and the queue is
	// logically empty at its end.
	n, err = q.DeleteBelowPhysOffset(physOf(99))
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.Equal(t, []string{name(3 * testFileSize)}, fileNames(t, e, q))
	require.EqualValues(t, 35, q.MinOffset())
	require.EqualValues(t, 35, q.MaxOffset())
	require.Zero(t, q.Units(30, make([]Unit, 4)))
	appendRange(t, q, 35, 36)
	requireUnits(t, q, 35, 36)
}

func TestCorrectMinOffset(t *testing.T) {
	e, _ := memEnv(t)
	q := openQueue(t, e, testConfig())
	defer q.Close()
	appendRange(t, q, 0, 25)

	q.CorrectMinOffset(physOf(17))
	require.EqualValues(t, 17, q.MinOffset())
	require.Equal(t, 3, q.FileCount(), "correcting never deletes")
	q.CorrectMinOffset(physOf(3))
	require.EqualValues(t, 17, q.MinOffset(), "never lowered")
	q.CorrectMinOffset(physOf(17) + 1)
	require.EqualValues(t, 18, q.MinOffset(), "a unit whose record starts below is skipped")
	q.CorrectMinOffset(physOf(25))
	require.EqualValues(t, 25, q.MinOffset())
	require.EqualValues(t, 25, q.MaxOffset())

	// The minimum survives further appends and only rises.
	appendRange(t, q, 25, 27)
	require.EqualValues(t, 25, q.MinOffset())
	requireUnits(t, q, 25, 27)
}

func TestRecoverThenTruncateSequence(t *testing.T) {
	// The store's start-up: recover every queue, then cut them to the
	// CommitLog's recovered end, then correct the minimum.
	e, _ := memEnv(t)
	q := openQueue(t, e, testConfig())
	dir := q.Dir()
	writeQueue(t, q, 33)
	patchUnit(t, e, dir, 31*UnitSize, make([]byte, UnitSize))

	q, err := Open(e, testRoot, testTopic, 0, testConfig())
	require.NoError(t, err)
	defer q.Close()
	require.NoError(t, q.Recover())
	require.EqualValues(t, 31, q.MaxOffset())
	require.NoError(t, q.TruncateByPhysOffset(physOf(26)))
	require.EqualValues(t, 26, q.MaxOffset())
	q.CorrectMinOffset(physOf(4))
	require.EqualValues(t, 4, q.MinOffset())
	requireUnits(t, q, 4, 26)
}

func TestTruncateByPhysOffsetPastEmptyNewestFile(t *testing.T) {
	e, _ := memEnv(t)
	q := openQueue(t, e, testConfig())
	defer q.Close()
	appendRange(t, q, 0, 10)
	// The next file exists but holds nothing yet.
	_, err := q.files.SegmentForWrite(q.files.MaxOffset())
	require.NoError(t, err)
	require.Equal(t, 2, q.FileCount())

	require.NoError(t, q.TruncateByPhysOffset(physOf(6)))
	require.EqualValues(t, 6, q.MaxOffset(), "units behind the empty file are cut too")
	require.Equal(t, []string{name(0)}, fileNames(t, e, q))
	require.Equal(t, physOf(5)+int64(recSize), q.MaxPhysicOffset())
}
