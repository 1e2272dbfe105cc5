package commitlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/mappedfile"
)

// recordBytes is the size of the records fillLog writes: four per segment.
const recordBytes = 1000

// fillLog appends n records of recordBytes (four per 4 KiB segment), the
// clock one minute later for each segment, then closes the log.
func fillLog(t *testing.T, te *testEnv, n int) []AppendResult {
	t.Helper()
	l, err := Open(te.Env, testDir, testConfig())
	require.NoError(t, err)
	_, err = l.Recover(RecoverOptions{}, nil)
	require.NoError(t, err)
	bodyBytes := recordBytes - (FixedOverheadBytes + len("T") + len(testMsg("T", 0, 0, 0).Properties))
	var rs []AppendResult
	for i := range n {
		if i > 0 && i%4 == 0 {
			te.clock.Advance(time.Minute)
		}
		rs = append(rs, mustAppend(t, l, testMsg("T", 0, bodyBytes, i)))
	}
	require.NoError(t, l.Close())
	return rs
}

// segPath is the file of the segment holding physOffset.
func segPath(physOffset int64) string {
	return filepath.Join(testDir, mappedfile.FileName(physOffset-physOffset%testSegSize))
}

// patchFile writes b at physOffset into the segment file.
func patchFile(t *testing.T, fs env.FS, physOffset int64, b []byte) {
	t.Helper()
	f, err := fs.OpenRW(segPath(physOffset))
	require.NoError(t, err)
	_, err = f.WriteAt(b, physOffset%testSegSize)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// readFile returns bytes [physOffset, physOffset+n) of the segment file.
func readFile(t *testing.T, fs env.FS, physOffset int64, n int) []byte {
	t.Helper()
	f, err := fs.Open(segPath(physOffset))
	require.NoError(t, err)
	defer f.Close()
	b := make([]byte, n)
	_, err = f.ReadAt(b, physOffset%testSegSize)
	require.NoError(t, err)
	return b
}

// reopen opens the log again and recovers it with opts, collecting the
// offsets visited.
func reopen(t *testing.T, te *testEnv, opts RecoverOptions) (*Log, RecoverResult, []int64) {
	t.Helper()
	l, err := Open(te.Env, testDir, testConfig())
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	var visited []int64
	res, err := l.Recover(opts, func(r Record) error {
		visited = append(visited, r.PhysOffset)
		return nil
	})
	require.NoError(t, err)
	return l, res, visited
}

func TestRecoverCleanShutdown(t *testing.T) {
	te := newTestEnv()
	rs := fillLog(t, te, 18)
	end := rs[len(rs)-1].EndOffset
	l, res, visited := reopen(t, te, RecoverOptions{RedispatchFrom: rs[10].PhysOffset})
	require.Equal(t, int64(0), res.ScanStart)
	require.Equal(t, end, res.EndOffset)
	require.True(t, res.CleanEnd())
	require.ErrorIs(t, res.StopReason, ErrZeroRegion)
	require.Equal(t, 18, res.Records)
	require.Equal(t, physOffsets(rs[10:]), visited)
	require.Equal(t, 0, res.SegmentsRemoved)
	require.Equal(t, rs[17].StoreTimestampMs, res.LastStoreTimestampMs)
	require.Equal(t, end, l.MaxOffset())
	require.Equal(t, end, l.FlushedOffset())
	require.Equal(t, physOffsets(rs), walk(t, l))

	l.SetQueueOffset("T", 0, 18)
	r := mustAppend(t, l, testMsg("T", 0, 10, 99))
	require.Equal(t, end, r.PhysOffset)
	require.Equal(t, int64(18), r.QueueOffset)
	require.Equal(t, rs[17].StoreTimestampMs, r.StoreTimestampMs, "never below the recovered records")
}

func TestRecoverTornTail(t *testing.T) {
	te := newTestEnv()
	rs := fillLog(t, te, 7)
	last := rs[6]
	// The last record was cut mid-write: its head is there, the rest is not.
	patchFile(t, te.FS, last.PhysOffset+50, make([]byte, recordBytes-50))

	l, res, _ := reopen(t, te, RecoverOptions{})
	require.Equal(t, last.PhysOffset, res.EndOffset)
	require.ErrorIs(t, res.StopReason, ErrCorrupt)
	require.ErrorIs(t, res.StopReason, ErrSizeMismatch)
	require.False(t, res.CleanEnd())
	require.Equal(t, 6, res.Records)
	require.Equal(t, physOffsets(rs[:6]), walk(t, l))
	require.Equal(t, make([]byte, 50), readFile(t, te.FS, last.PhysOffset, 50), "the stale head is zeroed")

	r := mustAppend(t, l, testMsg("T", 0, 10, 7))
	require.Equal(t, last.PhysOffset, r.PhysOffset)
}

func TestRecoverStopsAtCRCCorruptionInTheMiddle(t *testing.T) {
	te := newTestEnv()
	rs := fillLog(t, te, 10) // segments 0, 1, 2
	bad := rs[5]             // second record of segment 1
	body := readFile(t, te.FS, bad.PhysOffset+88, 1)
	patchFile(t, te.FS, bad.PhysOffset+88, []byte{body[0] ^ 0xFF})

	l, res, visited := reopen(t, te, RecoverOptions{})
	require.Equal(t, bad.PhysOffset, res.EndOffset)
	require.ErrorIs(t, res.StopReason, ErrCRCMismatch)
	require.Equal(t, 5, res.Records)
	require.Equal(t, physOffsets(rs[:5]), visited)
	require.Equal(t, 1, res.SegmentsRemoved)
	require.Equal(t, 2, l.SegmentCount())
	require.Equal(t, physOffsets(rs[:5]), walk(t, l))
	names, err := te.FS.List(testDir)
	require.NoError(t, err)
	require.Equal(t, []string{mappedfile.FileName(0), mappedfile.FileName(testSegSize)}, names)
}

func TestRecoverSkipCRC(t *testing.T) {
	te := newTestEnv()
	rs := fillLog(t, te, 6)
	patchFile(t, te.FS, rs[2].PhysOffset+88, []byte{0xFF})
	_, res, _ := reopen(t, te, RecoverOptions{SkipCRC: true})
	require.Equal(t, rs[5].EndOffset, res.EndOffset)
	require.Equal(t, 6, res.Records)
}

func TestRecoverStopsAtWrongPhysicalOffset(t *testing.T) {
	te := newTestEnv()
	rs := fillLog(t, te, 3)
	var field [8]byte
	binary.BigEndian.PutUint64(field[:], 12345)
	patchFile(t, te.FS, rs[1].PhysOffset+28, field[:])
	_, res, _ := reopen(t, te, RecoverOptions{})
	require.Equal(t, rs[1].PhysOffset, res.EndOffset)
	require.ErrorIs(t, res.StopReason, ErrPhysOffsetMismatch)
}

func TestRecoverKeepsBlankAtTheEnd(t *testing.T) {
	te := newTestEnv()
	rs := fillLog(t, te, 5) // segment 0 full behind a blank, one record in segment 1
	require.NoError(t, te.FS.Remove(segPath(testSegSize)))
	l, res, _ := reopen(t, te, RecoverOptions{})
	require.Equal(t, int64(testSegSize), res.EndOffset)
	require.NoError(t, res.StopReason)
	require.True(t, res.CleanEnd())
	require.Equal(t, physOffsets(rs[:4]), walk(t, l))
	r := mustAppend(t, l, testMsg("T", 0, 10, 5))
	require.Equal(t, int64(testSegSize), r.PhysOffset)
}

func TestRecoverScanStart(t *testing.T) {
	te := newTestEnv()
	rs := fillLog(t, te, 20) // five segments, minute k for segment k
	minute := func(k int) int64 { return testStart.Add(time.Duration(k) * time.Minute).UnixMilli() }
	cases := []struct {
		name      string
		opts      RecoverOptions
		wantStart int64
	}{
		{"from the oldest by default", RecoverOptions{}, 0},
		{"third-last", RecoverOptions{LastSegments: 3}, 2 * testSegSize},
		{"more segments than exist", RecoverOptions{LastSegments: 9}, 0},
		{"dispatch position inside segment 3", RecoverOptions{DispatchFromOffset: 3*testSegSize + 500}, 3 * testSegSize},
		{"dispatch position at the end", RecoverOptions{DispatchFromOffset: rs[19].EndOffset}, 4 * testSegSize},
		{"abnormal by store time", RecoverOptions{Abnormal: true, MinTimestampMs: minute(2) + 1}, 2 * testSegSize},
		{"abnormal, nothing old enough", RecoverOptions{Abnormal: true, MinTimestampMs: minute(0) - 1}, 0},
		{"abnormal ignores LastSegments", RecoverOptions{Abnormal: true, LastSegments: 1, MinTimestampMs: minute(3)}, 3 * testSegSize},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, res, visited := reopen(t, te, c.opts)
			require.Equal(t, c.wantStart, res.ScanStart)
			require.Equal(t, rs[19].EndOffset, res.EndOffset)
			var want []int64
			for _, r := range rs {
				if r.PhysOffset >= c.wantStart {
					want = append(want, r.PhysOffset)
				}
			}
			require.Equal(t, want, visited)
			require.NoError(t, l.Close())
		})
	}
}

func TestRecoverVisitErrorAborts(t *testing.T) {
	te := newTestEnv()
	fillLog(t, te, 6)
	l, err := Open(te.Env, testDir, testConfig())
	require.NoError(t, err)
	defer l.Close()
	boom := errors.New("index full")
	_, err = l.Recover(RecoverOptions{}, func(r Record) error {
		if r.PhysOffset > 0 {
			return boom
		}
		return nil
	})
	require.ErrorIs(t, err, boom)
	require.Equal(t, 2, l.SegmentCount(), "nothing truncated")
	m := testMsg("T", 0, 1, 0)
	_, err = l.Append(&m)
	require.ErrorIs(t, err, ErrNotRecovered)
}

func TestOpenRejectsWrongSizeSegment(t *testing.T) {
	te := newTestEnv()
	require.NoError(t, te.FS.MkdirAll(testDir))
	f, err := te.FS.Create(filepath.Join(testDir, mappedfile.FileName(0)))
	require.NoError(t, err)
	require.NoError(t, f.Truncate(testSegSize-1))
	require.NoError(t, f.Close())
	_, err = Open(te.Env, testDir, testConfig())
	require.ErrorIs(t, err, mappedfile.ErrSegmentSize)
}

func TestOpenDeletesEmptyLastSegment(t *testing.T) {
	te := newTestEnv()
	rs := fillLog(t, te, 2)
	f, err := te.FS.Create(segPath(testSegSize))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	l, res, _ := reopen(t, te, RecoverOptions{})
	require.Equal(t, 1, l.SegmentCount())
	require.Equal(t, rs[1].EndOffset, res.EndOffset)
}

func TestRecoverEmptyAndBadConfig(t *testing.T) {
	te := newTestEnv()
	l, res, visited := reopen(t, te, RecoverOptions{})
	require.Equal(t, RecoverResult{}, res)
	require.Empty(t, visited)
	require.Equal(t, int64(0), l.MaxOffset())
	_, err := l.Recover(RecoverOptions{}, nil)
	require.Error(t, err, "Recover runs once")

	cfg := testConfig()
	cfg.SegmentSizeBytes = 100
	_, err = Open(te.Env, testDir, cfg)
	require.ErrorIs(t, err, ErrConfig)
}

// TestRecoverAfterMachineCrash loses power with unflushed data in the page
// cache: whatever survives, recovery keeps every flushed record, keeps only
// CRC-valid records, and leaves a log that takes appends again.
func TestRecoverAfterMachineCrash(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			te := newTestEnv()
			l, err := Open(te.Env, testDir, testConfig())
			require.NoError(t, err)
			_, err = l.Recover(RecoverOptions{}, nil)
			require.NoError(t, err)
			var rs []AppendResult
			var flushedAtCrash int64
			for i := range 30 {
				rs = append(rs, mustAppend(t, l, testMsg("T", int32(i%3), 100+int(seed)*7*i%900, i)))
				if i == 12 {
					require.NoError(t, l.Flush())
					flushedAtCrash = l.FlushedOffset()
				}
			}
			te.mem.CrashMachine(seed, env.CrashOptions{TornPage: true})

			l2, res, visited := reopen(t, te, RecoverOptions{Abnormal: true})
			require.GreaterOrEqual(t, res.EndOffset, flushedAtCrash)
			require.LessOrEqual(t, res.EndOffset, rs[len(rs)-1].EndOffset)
			var want []int64
			for _, r := range rs {
				if r.EndOffset <= res.EndOffset {
					want = append(want, r.PhysOffset)
				}
			}
			require.Equal(t, want, visited)
			require.Equal(t, want, walk(t, l2))
			t.Logf("flushed %d, recovered to %d of %d", flushedAtCrash, res.EndOffset, rs[len(rs)-1].EndOffset)
			// The next record goes at the end, or behind a blank record at the
			// next segment when it does not fit the rest.
			r := mustAppend(t, l2, testMsg("T", 0, 1000, 0))
			require.Contains(t, []int64{res.EndOffset, l2.NextSegmentStart(res.EndOffset)}, r.PhysOffset)
		})
	}
}
