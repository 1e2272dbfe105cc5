package store

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
)

func syncFlush(c *Config) { c.CommitLog.FlushMode = commitlog.FlushSync }

// putPending stores msg and returns a pointer that the put's callback
// fills in, nil until it runs.
func putPending(st *Store, msg *commitlog.Message) **PutResult {
	var got *PutResult
	st.Put(msg, func(r PutResult) { got = &r })
	return &got
}

func TestSyncFlushCompletesAfterGroupCommit(t *testing.T) {
	m := newMemStore(t, syncFlush)
	got := putPending(m.st, newMessage("TopicA", 0, "first", 100))
	require.Nil(t, *got, "a sync put completes only after the group commit ran")
	require.Less(t, m.st.CommitLogFlushedOffset(), m.st.CommitLogMaxOffset())
	r := m.st.Get("TopicA", 0, 0, 1, nil)
	require.Equal(t, GetNoMatchedLogicQueue, r.Status, "not visible to consumers before it is durable")

	m.clock.RunDue()
	require.NotNil(t, *got)
	require.Equal(t, PutOK, (*got).Status)
	require.NoError(t, (*got).Err)
	require.Equal(t, m.st.CommitLogMaxOffset(), m.st.CommitLogFlushedOffset())
	r = m.st.Get("TopicA", 0, 0, 1, nil)
	require.Equal(t, GetFound, r.Status)
	r.Release()

	// The next one on the now existing queue: the max offset stays put.
	got = putPending(m.st, newMessage("TopicA", 0, "second", 100))
	require.Nil(t, *got)
	r = m.st.Get("TopicA", 0, 1, 1, nil)
	require.Equal(t, GetOffsetOverflowOne, r.Status)
	m.clock.RunDue()
	require.NotNil(t, *got)
	require.Equal(t, PutOK, (*got).Status)
	require.Equal(t, int64(1), (*got).QueueOffset)
	require.Equal(t, int64(2), m.st.MaxOffsetInQueue("TopicA", 0))
}

func TestSyncFlushGroupCommitServesEveryWaiter(t *testing.T) {
	m := newMemStore(t, syncFlush)
	var pending []**PutResult
	for range 5 {
		pending = append(pending, putPending(m.st, newMessage("TopicA", 0, "m", 100)))
	}
	for _, got := range pending {
		require.Nil(t, *got)
	}
	m.clock.RunDue()
	for i, got := range pending {
		require.NotNil(t, *got)
		require.Equal(t, PutOK, (*got).Status)
		require.Equal(t, int64(i), (*got).QueueOffset)
	}
}

func TestSyncFlushWithoutWaitCompletesAtOnce(t *testing.T) {
	m := newMemStore(t, syncFlush)
	got := putPending(m.st, newMessage("TopicA", 0, "nowait", 100, commitlog.PropertyWait, "false"))
	require.NotNil(t, *got, "WAIT=false does not wait for the flush")
	require.Equal(t, PutOK, (*got).Status)
	require.Equal(t, int64(0), m.st.MaxOffsetInQueue("TopicA", 0), "still not visible before it is durable")

	m.clock.RunDue()
	require.Equal(t, int64(1), m.st.MaxOffsetInQueue("TopicA", 0))

	got = putPending(m.st, newMessage("TopicA", 0, "wait", 100, commitlog.PropertyWait, "true"))
	require.Nil(t, *got, "only WAIT=false skips waiting")
	m.clock.RunDue()
	require.Equal(t, PutOK, (*got).Status)
}

func TestSyncFlushFailureReportsFlushDiskTimeout(t *testing.T) {
	m := newMemStore(t, syncFlush)
	m.fs.SetRule(env.FailOnce(env.OpMappingFlush, commitLogDirName))
	got := putPending(m.st, newMessage("TopicA", 0, "doomed", 100))
	m.clock.RunDue()
	require.NotNil(t, *got)
	require.Equal(t, PutFlushDiskTimeout, (*got).Status)
	require.ErrorIs(t, (*got).Err, env.ErrInjected)
	require.True(t, (*got).Status.Stored(), "the message is stored; only its durability is unknown")
	m.fs.SetRule(nil)

	// A failed flush stops the store (fail-stop): a later flush that
	// succeeds could only mean the kernel dropped the failed pages, so
	// nothing more is accepted.
	require.ErrorIs(t, m.st.Err(), ErrNotWritable)
	require.ErrorIs(t, m.st.Err(), env.ErrInjected)
	got = putPending(m.st, newMessage("TopicA", 0, "after", 100))
	require.NotNil(t, *got, "refused at once")
	require.Equal(t, PutServiceNotAvailable, (*got).Status)
	require.ErrorIs(t, (*got).Err, ErrNotWritable)
	require.ErrorIs(t, m.st.Flush(), ErrNotWritable)

	// Close writes no checkpoint and keeps the abort file; the next Open
	// recovers from the files as after a crash. The record whose flush
	// failed is still in the page cache, so it comes back; its sender was
	// told its durability is unknown.
	require.ErrorIs(t, m.st.Close(), ErrNotWritable)
	m.st = nil
	_, err := m.fs.Stat(filepath.Join(testRoot, abortName))
	require.NoError(t, err, "the abort file stays")
	st := m.open()
	require.True(t, st.Report().Abnormal)
	require.NoError(t, st.Err())
	got = putPending(st, newMessage("TopicA", 0, "after restart", 100))
	m.clock.RunDue()
	require.Equal(t, PutOK, (*got).Status)
	require.Equal(t, int64(1), (*got).QueueOffset)
}

func TestAsyncFlushFailureStopsTheStore(t *testing.T) {
	m := newMemStore(t, nil)
	kept := putMany(t, m.st, "TopicA", 0, 3)
	m.fs.SetRule(env.FailOnce(env.OpMappingFlush, commitLogDirName))
	// The periodic flush runs (a thorough one at the latest after
	// FlushThoroughInterval) and fails.
	m.clock.Advance(11 * time.Second)
	require.ErrorIs(t, m.st.Err(), env.ErrInjected)
	m.fs.SetRule(nil)
	r := putAsync(t, m.st, newMessage("TopicA", 0, "refused", 10))
	require.Equal(t, PutServiceNotAvailable, r.Status)
	requireReadable(t, m.st, kept) // reads go on
	m.crashProcess()
	st := m.open()
	require.True(t, st.Report().Abnormal)
	requireReadable(t, st, kept)
}

func TestConsumeQueueFlushFailureStopsTheStore(t *testing.T) {
	m := newMemStore(t, nil)
	kept := putMany(t, m.st, "TopicA", 0, 3)
	m.fs.SetRule(env.FailAfter(0, env.OpMappingFlush, "consumequeue"))
	// The ConsumeQueue flush tick (a thorough one at the latest after
	// FlushConsumeQueueThoroughInterval) fails.
	m.clock.Advance(61 * time.Second)
	require.ErrorIs(t, m.st.Err(), env.ErrInjected)
	r := putAsync(t, m.st, newMessage("TopicA", 0, "refused", 10))
	require.Equal(t, PutServiceNotAvailable, r.Status)
	require.ErrorIs(t, m.st.Close(), ErrNotWritable)
	m.st = nil
	m.fs.SetRule(nil)
	st := m.open()
	require.True(t, st.Report().Abnormal)
	requireReadable(t, st, kept)
}

func TestSyncFlushWaiterLimitReportsPageCacheBusy(t *testing.T) {
	m := newMemStore(t, func(c *Config) {
		syncFlush(c)
		c.CommitLog.MaxPendingFlushWaiters = 1
	})
	first := putPending(m.st, newMessage("TopicA", 0, "waits", 100))
	second := putPending(m.st, newMessage("TopicA", 0, "refused", 100))
	require.Nil(t, *first)
	require.NotNil(t, *second, "no room for another waiter: answered at once")
	require.Equal(t, PutOSPageCacheBusy, (*second).Status)
	require.ErrorIs(t, (*second).Err, commitlog.ErrFlushWaitersFull)
	m.clock.RunDue()
	require.Equal(t, PutOK, (*first).Status)
	require.Equal(t, int64(2), m.st.MaxOffsetInQueue("TopicA", 0), "the refused one is stored all the same")
}

func TestAsyncFlushCompletesAtOnce(t *testing.T) {
	m := newMemStore(t, nil)
	r := putAsync(t, m.st, newMessage("TopicA", 0, "async", 100))
	require.Equal(t, PutOK, r.Status)
	require.Less(t, m.st.CommitLogFlushedOffset(), m.st.CommitLogMaxOffset(), "acknowledged before the flush")
	g := m.st.Get("TopicA", 0, 0, 1, nil)
	require.Equal(t, GetFound, g.Status, "visible at once")
	g.Release()
	require.Equal(t, commitlog.FormatOffsetMsgID(m.cfg.StoreHost, r.PhysOffset), r.MsgID)
}

func TestPutRejectsIllegalMessages(t *testing.T) {
	m := newMemStore(t, nil)
	long := make([]byte, 200)
	for i := range long {
		long[i] = 'a'
	}
	cases := []struct {
		name   string
		msg    *commitlog.Message
		status PutStatus
	}{
		{"empty topic", newMessage("", 0, "x", 10), PutMessageIllegal},
		{"topic too long", newMessage(string(long), 0, "x", 10), PutMessageIllegal},
		{"body over the segment", newMessage("TopicA", 0, "x", testSegmentBytes), PutMessageIllegal},
		{"properties too long", newMessage("TopicA", 0, "x", 10, "P", string(make([]byte, 40000))), PutPropertiesSizeExceeded},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := putAsync(t, m.st, tc.msg)
			require.Equal(t, tc.status, r.Status)
			require.Error(t, r.Err)
		})
	}
	require.Equal(t, int64(0), m.st.CommitLogMaxOffset(), "nothing was written")
}

func TestPutBatch(t *testing.T) {
	m := newMemStore(t, nil)
	putMany(t, m.st, "TopicA", 0, 2)
	batch := []commitlog.Message{
		*newMessage("TopicA", 0, "b0", 50),
		*newMessage("TopicA", 0, "b1", 50),
		*newMessage("TopicA", 0, "b2", 50),
	}
	var got *PutResult
	m.st.PutBatch(batch, func(r PutResult) { got = &r })
	require.NotNil(t, got)
	require.Equal(t, PutOK, got.Status)
	require.Equal(t, 3, got.MsgCount)
	require.Equal(t, int64(2), got.QueueOffset)
	r := m.st.Get("TopicA", 0, 2, 32, nil)
	require.Equal(t, []int64{2, 3, 4}, r.QueueOffsets)
	require.Equal(t, got.WroteBytes, r.TotalBytes)
	r.Release()

	for name, b := range map[string][]commitlog.Message{
		"empty":        nil,
		"mixed queues": {*newMessage("TopicA", 0, "a", 5), *newMessage("TopicA", 1, "b", 5)},
		"mixed topics": {*newMessage("TopicA", 0, "a", 5), *newMessage("TopicB", 0, "b", 5)},
	} {
		got = nil
		m.st.PutBatch(b, func(r PutResult) { got = &r })
		require.NotNil(t, got, name)
		require.Equal(t, PutMessageIllegal, got.Status, name)
	}
	require.Equal(t, int64(5), m.st.MaxOffsetInQueue("TopicA", 0))
}

func TestCloseCompletesPendingSyncPuts(t *testing.T) {
	m := newMemStore(t, syncFlush)
	got := putPending(m.st, newMessage("TopicA", 0, "pending", 100))
	require.Nil(t, *got)
	m.close()
	require.NotNil(t, *got, "Close answers every waiter")
	require.Equal(t, PutOK, (*got).Status, "Close flushed it")

	st := m.open()
	require.False(t, st.Report().Abnormal)
	r := st.Get("TopicA", 0, 0, 1, nil)
	require.Equal(t, GetFound, r.Status)
	r.Release()
}
