package commitlog

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

func TestAppendReadRoundTrip(t *testing.T) {
	te := newTestEnv()
	l := openRecovered(t, te.Env, testConfig())
	var results []AppendResult
	var next int64
	for i := range 10 {
		m := testMsg("TopicTest", int32(i%2), 50+i, i)
		r := mustAppend(t, l, m)
		require.Equal(t, next, r.PhysOffset)
		require.Equal(t, r.PhysOffset+int64(r.SizeBytes), r.EndOffset)
		require.Equal(t, int64(i/2), r.QueueOffset)
		require.Equal(t, testStart.UnixMilli(), r.StoreTimestampMs)
		next = r.EndOffset
		results = append(results, r)
	}
	require.Equal(t, next, l.MaxOffset())
	require.Equal(t, int64(0), l.MinOffset())

	for i, r := range results {
		want := testMsg("TopicTest", int32(i%2), 50+i, i)
		rec, ref, err := l.ReadRecord(r.PhysOffset)
		require.NoError(t, err)
		require.Equal(t, want.Topic, rec.TopicString())
		require.Equal(t, want.QueueID, rec.QueueID)
		require.Equal(t, want.Body, rec.Body)
		require.Equal(t, want.Properties, rec.Properties)
		require.Equal(t, r.QueueOffset, rec.QueueOffset)
		require.Equal(t, r.PhysOffset, rec.PhysOffset)
		require.Equal(t, r.StoreTimestampMs, rec.StoreTimestampMs)
		require.Equal(t, BodyCRC(want.Body), rec.BodyCRC)

		raw, ref2, err := l.Slice(r.PhysOffset, r.SizeBytes)
		require.NoError(t, err)
		require.Equal(t, rec.Raw, raw)
		require.Equal(t, len(raw), cap(raw), "a slice cannot grow into the mapping")
		ref2.Release()
		ref.Release()
	}
	require.Equal(t, physOffsets(results), walk(t, l))
}

func TestAppendRollsOverBehindBlankRecord(t *testing.T) {
	te := newTestEnv()
	l := openRecovered(t, te.Env, testConfig())
	// Records of 1000 bytes: the fourth still fits a 4096-byte segment
	// (3000 + 1000 + 8 <= 4096), the fifth does not and leaves a 96-byte
	// blank record.
	bodyBytes := 1000 - (FixedOverheadBytes + len("T") + len(testMsg("T", 0, 0, 0).Properties))
	var results []AppendResult
	for i := range 9 {
		r := mustAppend(t, l, testMsg("T", 0, bodyBytes, i))
		require.Equal(t, 1000, r.SizeBytes)
		results = append(results, r)
	}
	require.Equal(t, []int64{0, 1000, 2000, 3000, 4096, 5096, 6096, 7096, 8192}, physOffsets(results))
	require.Equal(t, 3, l.SegmentCount())

	rec, ref, err := l.ReadRecord(4000)
	require.ErrorIs(t, err, ErrBlank)
	require.Equal(t, Ref{}, ref)
	require.Equal(t, int32(96), rec.TotalSize)
	require.Equal(t, MagicBlank, rec.Magic)
	require.Equal(t, int64(4096), l.NextSegmentStart(4000))

	raw, ref, err := l.Slice(4000, 96)
	require.NoError(t, err)
	require.Equal(t, hx("00 00 00 60 CB D4 31 94"), raw[:8])
	ref.Release()

	require.Equal(t, physOffsets(results), walk(t, l))
	for i, r := range results {
		require.Equal(t, int64(i), r.QueueOffset)
	}
}

func TestAppendUsesPreallocatedSegment(t *testing.T) {
	te := newTestEnv()
	cfg := testConfig()
	cfg.PreallocateNext = true
	l := openRecovered(t, te.Env, cfg)
	mustAppend(t, l, testMsg("T", 0, 100, 0))
	te.clock.RunDue() // the queue creates the next segment off the append path
	names, err := te.FS.List(testDir)
	require.NoError(t, err)
	require.Len(t, names, 2)
	for i := range 5 {
		mustAppend(t, l, testMsg("T", 0, 1000, i))
	}
	require.Equal(t, 2, l.SegmentCount())
	require.Len(t, walk(t, l), 6)
}

func TestAppendBatch(t *testing.T) {
	te := newTestEnv()
	l := openRecovered(t, te.Env, testConfig())
	mustAppend(t, l, testMsg("B", 1, 10, 0))
	batch := []Message{testMsg("B", 1, 500, 1), testMsg("B", 1, 500, 2), testMsg("B", 2, 500, 3), testMsg("B", 1, 2150, 4)}
	rs, err := l.AppendBatch(batch)
	require.NoError(t, err)
	require.Len(t, rs, 4)
	require.Equal(t, []int64{1, 2, 0, 3}, []int64{rs[0].QueueOffset, rs[1].QueueOffset, rs[2].QueueOffset, rs[3].QueueOffset})
	require.Equal(t, int64(testSegSize), rs[3].PhysOffset, "the large one rolled over")
	for i, r := range rs {
		rec, ref, err := l.ReadRecord(r.PhysOffset)
		require.NoError(t, err)
		require.Equal(t, batch[i].Body, rec.Body)
		ref.Release()
	}

	before := l.MaxOffset()
	bad := []Message{testMsg("B", 1, 10, 5), {Topic: "", BornHost: hostBorn4, StoreHost: hostStore4}}
	_, err = l.AppendBatch(bad)
	require.ErrorIs(t, err, ErrTopicEmpty)
	require.Equal(t, before, l.MaxOffset(), "an invalid message stores nothing")
	require.Equal(t, int64(4), l.QueueOffset("B", 1))

	huge := []Message{testMsg("B", 1, 2500, 6), testMsg("B", 1, 2500, 7)}
	_, err = l.AppendBatch(huge)
	require.ErrorIs(t, err, ErrBodyTooLarge, "a batch must fit in one segment")
	require.Equal(t, before, l.MaxOffset())
}

func TestAppendBatchAllOrNothingOnFullDisk(t *testing.T) {
	te := newTestEnv()
	l := openRecovered(t, te.Env, testConfig())
	mustAppend(t, l, testMsg("B", 1, 3000, 0))
	// The next segment cannot be created: the batch must fail before
	// writing its first record, although that record would fit.
	te.mem.SetRule(env.FailOnce(env.OpCreate, "00000000000000004096"))
	before := l.MaxOffset()
	_, err := l.AppendBatch([]Message{testMsg("B", 1, 300, 1), testMsg("B", 1, 900, 2)})
	require.ErrorIs(t, err, env.ErrInjected)
	require.Equal(t, before, l.MaxOffset(), "nothing of a failed batch is stored")
	require.Equal(t, int64(1), l.QueueOffset("B", 1))
	rs, err := l.AppendBatch([]Message{testMsg("B", 1, 300, 1), testMsg("B", 1, 900, 2)})
	require.NoError(t, err)
	require.Equal(t, []int64{1, 2}, []int64{rs[0].QueueOffset, rs[1].QueueOffset})
}

func TestQueueOffsets(t *testing.T) {
	te := newTestEnv()
	l := openRecovered(t, te.Env, testConfig())
	withFlag := func(m Message, sysFlag int32) Message { m.SysFlag = sysFlag; return m }

	require.Equal(t, int64(0), mustAppend(t, l, testMsg("A", 0, 1, 0)).QueueOffset)
	require.Equal(t, int64(1), mustAppend(t, l, testMsg("A", 0, 1, 0)).QueueOffset)
	require.Equal(t, int64(0), mustAppend(t, l, testMsg("A", 1, 1, 0)).QueueOffset)
	require.Equal(t, int64(0), mustAppend(t, l, testMsg("B", 0, 1, 0)).QueueOffset)

	prepared := mustAppend(t, l, withFlag(testMsg("A", 0, 1, 0), SysFlagTransactionPrepared))
	require.Equal(t, int64(0), prepared.QueueOffset)
	rolledBack := mustAppend(t, l, withFlag(testMsg("A", 0, 1, 0), SysFlagTransactionRollback))
	require.Equal(t, int64(0), rolledBack.QueueOffset)
	require.Equal(t, int64(2), l.QueueOffset("A", 0), "PREPARED and ROLLBACK take no queue offset")
	committed := mustAppend(t, l, withFlag(testMsg("A", 0, 1, 0), SysFlagTransactionCommit))
	require.Equal(t, int64(2), committed.QueueOffset)

	rec, ref, err := l.ReadRecord(prepared.PhysOffset)
	require.NoError(t, err)
	require.Equal(t, int64(0), rec.QueueOffset)
	require.Equal(t, SysFlagTransactionPrepared, rec.TransactionType())
	ref.Release()

	l.SetQueueOffset("A", 0, 100)
	require.Equal(t, int64(100), mustAppend(t, l, testMsg("A", 0, 1, 0)).QueueOffset)
	l.RemoveQueueOffsets("A")
	require.Equal(t, int64(0), l.QueueOffset("A", 0))
	require.Equal(t, int64(0), l.QueueOffset("A", 1))
	require.Equal(t, int64(1), l.QueueOffset("B", 0))
	require.Equal(t, int64(0), mustAppend(t, l, testMsg("A", 0, 1, 0)).QueueOffset)
}

// backClock is a ManualClock whose reading can be set backwards.
type backClock struct {
	*env.ManualClock
	now time.Time
}

func (c *backClock) Now() time.Time { return c.now }

func TestStoreTimestampNeverDecreases(t *testing.T) {
	te := newTestEnv()
	clock := &backClock{ManualClock: te.clock, now: testStart}
	te.Clock = clock
	l := openRecovered(t, te.Env, testConfig())
	first := mustAppend(t, l, testMsg("T", 0, 1, 0))
	clock.now = testStart.Add(-time.Hour) // the wall clock stepped back
	second := mustAppend(t, l, testMsg("T", 0, 1, 0))
	require.Equal(t, first.StoreTimestampMs, second.StoreTimestampMs)
	clock.now = testStart.Add(time.Second)
	third := mustAppend(t, l, testMsg("T", 0, 1, 0))
	require.Equal(t, testStart.Add(time.Second).UnixMilli(), third.StoreTimestampMs)
}

func TestAppendRejects(t *testing.T) {
	te := newTestEnv()
	cfg := testConfig()
	cfg.MaxBodySizeBytes = 2000
	l, err := Open(te.Env, testDir, cfg)
	require.NoError(t, err)
	m := testMsg("T", 0, 10, 0)
	_, err = l.Append(&m)
	require.ErrorIs(t, err, ErrNotRecovered)
	_, err = l.Recover(RecoverOptions{}, nil)
	require.NoError(t, err)

	big := testMsg("T", 0, 2001, 0)
	_, err = l.Append(&big)
	require.ErrorIs(t, err, ErrBodyTooLarge)

	cfg.MaxBodySizeBytes = 1 << 20
	l2, err := Open(te.Env, "other", cfg)
	require.NoError(t, err)
	_, err = l2.Recover(RecoverOptions{}, nil)
	require.NoError(t, err)
	tooBigForSegment := testMsg("T", 0, testSegSize, 0)
	_, err = l2.Append(&tooBigForSegment)
	require.ErrorIs(t, err, ErrBodyTooLarge)
	require.NoError(t, l2.Close())

	long := testMsg(string(make([]byte, 200)), 0, 1, 0)
	_, err = l.Append(&long)
	require.ErrorIs(t, err, ErrTopicTooLong)

	require.NoError(t, l.Close())
	require.NoError(t, l.Close(), "Close is idempotent")
	_, err = l.Append(&m)
	require.ErrorIs(t, err, ErrClosed)
	_, _, err = l.ReadRecord(0)
	require.ErrorIs(t, err, ErrClosed)
}

func TestAppendDoesNotAllocate(t *testing.T) {
	te := newTestEnv()
	cfg := testConfig()
	cfg.SegmentSizeBytes = 1 << 24
	l := openRecovered(t, te.Env, cfg)
	m := testMsg("TopicTest", 3, 256, 0)
	mustAppend(t, l, m)
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := l.Append(&m); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
}

func TestReadErrors(t *testing.T) {
	te := newTestEnv()
	l := openRecovered(t, te.Env, testConfig())
	r := mustAppend(t, l, testMsg("T", 0, 3800, 0))
	require.Equal(t, int64(testSegSize), mustAppend(t, l, testMsg("T", 0, 100, 1)).PhysOffset, "rolled over")

	_, _, err := l.ReadRecord(l.MaxOffset())
	require.ErrorIs(t, err, ErrOffsetNotWritten)
	_, _, err = l.ReadRecord(1 << 40)
	require.ErrorIs(t, err, ErrOffsetNotWritten)
	_, _, err = l.ReadRecord(-1)
	require.ErrorIs(t, err, ErrOffsetExpired)
	_, _, err = l.ReadRecord(r.PhysOffset + 4)
	require.ErrorIs(t, err, ErrCorrupt, "not a record start")

	_, _, err = l.Slice(r.PhysOffset, testSegSize+1)
	require.ErrorIs(t, err, ErrCrossesSegment)
	_, _, err = l.Slice(testSegSize, 4000)
	require.ErrorIs(t, err, ErrOffsetNotWritten)
	_, _, err = l.Slice(0, 0)
	require.Error(t, err)

	b, ref, err := l.ReadAvailable(testSegSize, 1<<20)
	require.NoError(t, err)
	require.Equal(t, l.MaxOffset()-testSegSize, int64(len(b)))
	ref.Release()
	b, ref, err = l.ReadAvailable(10, 5)
	require.NoError(t, err)
	require.Len(t, b, 5)
	ref.Release()
	_, _, err = l.ReadAvailable(10, 0)
	require.Error(t, err)
	require.False(t, errors.Is(err, ErrBlank))
}
