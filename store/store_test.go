package store

import (
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

func TestSecondOpenOfLockedRootFails(t *testing.T) {
	m := newMemStore(t, nil)
	msgs := putMany(t, m.st, "TopicA", 0, 3)

	_, err := m.tryOpen()
	require.ErrorIs(t, err, ErrLocked)
	require.ErrorIs(t, err, env.ErrLocked)
	requireReadable(t, m.st, msgs) // the first store is unharmed

	m.close()
	st := m.open()
	requireReadable(t, st, msgs)
}

func TestOpenNeedsRootDir(t *testing.T) {
	m := newMemStore(t, nil)
	cfg := m.cfg
	cfg.RootDir = ""
	_, err := Open(m.e, cfg)
	require.ErrorContains(t, err, "RootDir")
}

func TestAbortFileMarksARunningStore(t *testing.T) {
	m := newMemStore(t, nil)
	abort := filepath.Join(testRoot, abortName)
	_, err := m.fs.Stat(abort)
	require.NoError(t, err, "the abort file exists while the store runs")
	require.False(t, m.st.Report().Abnormal, "a fresh store is not a crashed one")
	msgs := putMany(t, m.st, "TopicA", 0, 3)

	m.close()
	_, err = m.fs.Stat(abort)
	require.ErrorIs(t, err, fs.ErrNotExist, "a clean close removes it")
	st := m.open()
	require.False(t, st.Report().Abnormal)
	require.NoError(t, st.Report().CheckpointErr)
	requireReadable(t, st, msgs)

	m.crashProcess()
	st = m.open()
	require.True(t, st.Report().Abnormal, "a crash leaves it behind")
	requireReadable(t, st, msgs)
}

func TestClosedStoreRefusesWork(t *testing.T) {
	m := newMemStore(t, nil)
	putMany(t, m.st, "TopicA", 0, 1)
	st := m.st
	m.close()
	require.NoError(t, st.Close(), "a second Close is a no-op")

	r := putAsync(t, st, newMessage("TopicA", 0, "late", 10))
	require.Equal(t, PutServiceNotAvailable, r.Status)
	require.ErrorIs(t, r.Err, ErrClosed)
	var batch *PutResult
	st.PutBatch(nil, func(r PutResult) { batch = &r })
	require.NotNil(t, batch)
	require.NotEqual(t, PutOK, batch.Status)
	require.Equal(t, GetNoMatchedLogicQueue, st.Get("TopicA", 0, 0, 1, nil).Status)
	require.ErrorIs(t, st.Flush(), ErrClosed)
	_, err := st.RunRetention()
	require.ErrorIs(t, err, ErrClosed)
	_, err = st.QueryByKey("TopicA", "k", 1, 0, 1)
	require.ErrorIs(t, err, ErrClosed)
}

func TestArrivalListenerSeesEveryDispatch(t *testing.T) {
	m := newMemStore(t, nil)
	type arrival struct {
		topic       string
		queueID     int32
		queueOffset int64
		tagCode     int64
	}
	var got []arrival
	m.st.SetArrivalListener(func(topic string, queueID int32, queueOffset, tagCode int64) {
		got = append(got, arrival{topic, queueID, queueOffset, tagCode})
	})
	putOK(t, m.st, newMessage("TopicA", 1, "a", 10, "TAGS", "TagA"))
	putOK(t, m.st, newMessage("TopicA", 1, "b", 10))
	putOK(t, m.st, newMessage("TopicB", 0, "c", 10))
	require.Equal(t, []arrival{
		{"TopicA", 1, 0, 2598919},
		{"TopicA", 1, 1, 0},
		{"TopicB", 0, 0, 0},
	}, got)

	m.st.SetArrivalListener(nil)
	putOK(t, m.st, newMessage("TopicA", 1, "d", 10))
	require.Len(t, got, 3)
}

func TestDeleteTopic(t *testing.T) {
	m := newMemStore(t, nil)
	putMany(t, m.st, "TopicA", 0, 3)
	kept := putMany(t, m.st, "TopicB", 0, 2)
	require.NoError(t, m.st.DeleteTopic("TopicA"))
	require.Equal(t, GetNoMatchedLogicQueue, m.st.Get("TopicA", 0, 0, 1, nil).Status)
	require.Empty(t, listDir(t, m.fs, filepath.Join(testRoot, "consumequeue", "TopicA")))

	again := putOK(t, m.st, newMessage("TopicA", 0, "again", 10))
	require.Equal(t, int64(0), again.queueOffset, "a recreated topic starts over")
	requireReadable(t, m.st, append(kept, again))
}

func TestDispatchFailureStopsWrites(t *testing.T) {
	m := newMemStore(t, nil)
	kept := putMany(t, m.st, "TopicA", 0, 3)
	m.fs.SetRule(env.FailAfter(0, env.OpCreate, filepath.Join("consumequeue", "TopicB")))

	// The record is stored, but its ConsumeQueue file cannot be created.
	stored := putOK(t, m.st, newMessage("TopicB", 0, "no unit", 10))
	r := putAsync(t, m.st, newMessage("TopicA", 0, "refused", 10))
	require.Equal(t, PutServiceNotAvailable, r.Status)
	require.ErrorIs(t, r.Err, ErrNotWritable)
	requireReadable(t, m.st, kept) // reads go on

	// Close cannot finish dispatching, so it reports the failure, leaves
	// the abort file, and the next start recovers as after a crash.
	require.ErrorIs(t, m.st.Close(), ErrNotWritable)
	m.st = nil
	_, err := m.fs.Stat(filepath.Join(testRoot, abortName))
	require.NoError(t, err)
	_, err = m.tryOpen()
	require.ErrorIs(t, err, ErrNotWritable, "recovery cannot rebuild the queue either")
	m.fs.SetRule(nil)
	st := m.open()
	require.True(t, st.Report().Abnormal)
	requireReadable(t, st, append(kept, stored))
	putOK(t, st, newMessage("TopicA", 0, "accepted again", 10))
	require.NoError(t, st.CheckConsistency())
}

func TestDispatchedOffsetAfterCleanRestart(t *testing.T) {
	// A clean restart re-dispatches nothing, yet every record is dispatched:
	// DispatchedOffset (which bounds CheckConsistency) must say so.
	m := newMemStore(t, nil)
	putRoundRobin(t, m.st, "TopicA", 2, threeSegmentMessages)
	end := m.st.CommitLogMaxOffset()
	require.Equal(t, end, m.st.DispatchedOffset())
	st := m.reopen()
	require.Equal(t, end, st.Report().RedispatchFrom, "nothing to re-dispatch")
	require.Equal(t, end, st.DispatchedOffset())
}

func TestOpenOnAFullDiskSaysSo(t *testing.T) {
	m := newMemStore(t, nil)
	putMany(t, m.st, "TopicA", 0, 3)
	m.close()
	require.NoError(t, m.fs.Remove(filepath.Join(m.cfg.RootDir, lockName)))
	u, err := m.fs.Usage(m.cfg.RootDir)
	require.NoError(t, err)
	m.fs.SetCapacity(int64(u.TotalBytes - u.FreeBytes))
	_, err = m.tryOpen()
	require.ErrorIs(t, err, env.ErrNoSpace)
	require.NotErrorIs(t, err, ErrLocked, "a full disk is not another process")
	m.fs.SetCapacity(0)
	st, err := m.tryOpen()
	require.NoError(t, err)
	require.NoError(t, st.Close())
}
