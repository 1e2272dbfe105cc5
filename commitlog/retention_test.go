package commitlog

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTruncateTo(t *testing.T) {
	te := newTestEnv()
	clock := &holdClock{ManualClock: te.clock}
	te.Clock = clock
	cfg := testConfig()
	cfg.FlushMode = FlushSync
	l := openRecovered(t, te.Env, cfg)
	var rs []AppendResult
	for i := range 10 {
		rs = append(rs, mustAppend(t, l, testMsg("T", 0, 900, i)))
	}
	var kept, dropped outcome
	l.Durable(rs[4].EndOffset, kept.done)
	l.Durable(rs[9].EndOffset, dropped.done)

	cut := rs[5]
	require.NoError(t, l.TruncateTo(cut.PhysOffset))
	require.Equal(t, cut.PhysOffset, l.MaxOffset())
	require.Equal(t, physOffsets(rs[:5]), walk(t, l))
	require.True(t, dropped.called)
	require.ErrorIs(t, dropped.err, ErrTruncated)
	require.False(t, kept.called)
	segEnd := l.NextSegmentStart(cut.PhysOffset)
	require.Equal(t, make([]byte, segEnd-cut.PhysOffset), readFile(t, te.FS, cut.PhysOffset, int(segEnd-cut.PhysOffset)), "the dropped bytes are zero")
	require.Equal(t, int(segEnd/testSegSize), l.SegmentCount())

	r := mustAppend(t, l, testMsg("T", 0, 10, 99))
	require.Equal(t, cut.PhysOffset, r.PhysOffset)
	var stale outcome
	l.Durable(rs[9].EndOffset, stale.done) // appended before the cut, asked after
	require.True(t, stale.called)
	require.ErrorIs(t, stale.err, ErrTruncated)
	clock.release()
	require.True(t, kept.called)
	require.NoError(t, kept.err)

	require.ErrorIs(t, l.TruncateTo(l.MaxOffset()+1), ErrOffsetNotWritten)
	require.ErrorIs(t, l.TruncateTo(-1), ErrOffsetExpired)
	require.NoError(t, l.TruncateTo(l.MaxOffset()), "truncating to the end changes nothing")

	// Down to nothing: the log restarts at its first offset.
	require.NoError(t, l.TruncateTo(0))
	require.Equal(t, 0, l.SegmentCount())
	require.Equal(t, int64(0), l.MaxOffset())
	require.Equal(t, int64(0), mustAppend(t, l, testMsg("T", 0, 10, 100)).PhysOffset)
	require.NoError(t, l.Flush())
	require.Equal(t, l.MaxOffset(), l.FlushedOffset())
}

func TestDeleteExpiredSegments(t *testing.T) {
	te := newTestEnv()
	rs := fillLog(t, te, 20) // five segments
	l, _, _ := reopen(t, te, RecoverOptions{})
	old := testStart.Add(-100 * time.Hour)
	require.NoError(t, te.mem.SetModTime(segPath(0), old))
	require.NoError(t, te.mem.SetModTime(segPath(testSegSize), old))
	require.NoError(t, te.mem.SetModTime(segPath(3*testSegSize), old)) // behind a young one
	cutoff := testStart.Add(-72 * time.Hour)

	// A reader holds the first segment across its deletion.
	held, ref, err := l.ReadRecord(rs[0].PhysOffset)
	require.NoError(t, err)

	n, err := l.DeleteExpiredSegments(cutoff, false, 1)
	require.NoError(t, err)
	require.Equal(t, 1, n, "at most max per call")
	n, err = l.DeleteExpiredSegments(cutoff, false, 10)
	require.NoError(t, err)
	require.Equal(t, 1, n, "stops at the first young segment")
	require.Equal(t, int64(2*testSegSize), l.MinOffset())
	_, _, err = l.ReadRecord(rs[0].PhysOffset)
	require.ErrorIs(t, err, ErrOffsetExpired)

	require.Equal(t, BodyCRC(held.Body), held.BodyCRC, "a held segment stays readable")
	names, err := te.FS.List(testDir)
	require.NoError(t, err)
	require.Len(t, names, 4, "its file goes when the reader lets go")
	ref.Release()
	names, err = te.FS.List(testDir)
	require.NoError(t, err)
	require.Len(t, names, 3)

	n, err = l.DeleteExpiredSegments(cutoff, true, 10)
	require.NoError(t, err)
	require.Equal(t, 2, n, "force ignores age but never takes the newest segment")
	require.Equal(t, 1, l.SegmentCount())
	require.Equal(t, physOffsets(rs[16:]), walk(t, l))
}

func TestDeleteExpiredSegmentsKeepsUnflushed(t *testing.T) {
	te := newTestEnv()
	l := openRecovered(t, te.Env, testConfig())
	for i := range 6 {
		mustAppend(t, l, testMsg("T", 0, 900, i))
	}
	require.Equal(t, 2, l.SegmentCount())
	n, err := l.DeleteExpiredSegments(testStart.Add(time.Hour), true, 10)
	require.NoError(t, err)
	require.Equal(t, 0, n, "the first segment is not durable yet")
	require.NoError(t, l.Flush())
	n, err = l.DeleteExpiredSegments(testStart.Add(time.Hour), true, 10)
	require.NoError(t, err)
	require.Equal(t, 1, n)
}
