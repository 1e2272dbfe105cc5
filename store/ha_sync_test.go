package store

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
)

// fakeReplicator records what the store tells it and answers when told.
type fakeReplicator struct {
	appended []int64
	waiting  []int64
	answers  []func(PutStatus)
	// bounded makes ConfirmedOffset answer confirmed instead of no bound.
	bounded   bool
	confirmed int64
}

func (f *fakeReplicator) ConfirmedOffset() int64 {
	if !f.bounded {
		return math.MaxInt64
	}
	return f.confirmed
}

func (f *fakeReplicator) Appended(endOffset int64) { f.appended = append(f.appended, endOffset) }

func (f *fakeReplicator) WaitReplicated(endOffset int64, done func(PutStatus)) {
	f.waiting = append(f.waiting, endOffset)
	f.answers = append(f.answers, done)
}

// answer completes the i-th wait.
func (f *fakeReplicator) answer(i int, st PutStatus) { f.answers[i](st) }

func TestSyncMasterPutWaitsForTheReplicator(t *testing.T) {
	tests := []struct {
		name    string
		answer  PutStatus
		wantErr error
	}{
		{"acknowledged", PutOK, nil},
		{"slave timeout", PutFlushSlaveTimeout, ErrFlushSlaveTimeout},
		{"no slave", PutSlaveNotAvailable, ErrSlaveNotAvailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMemStore(t, nil)
			r := &fakeReplicator{}
			m.st.SetReplicator(r)
			got := putPending(m.st, newMessage("TopicA", 0, "a", 10))
			require.Nil(t, *got, "answered before the replicator")
			require.Len(t, r.waiting, 1)
			require.Equal(t, []int64{m.st.CommitLogMaxOffset()}, r.appended)
			require.Equal(t, r.appended, r.waiting)
			require.Equal(t, int64(1), m.st.MaxOffsetInQueue("TopicA", 0), "dispatched while waiting")

			r.answer(0, tc.answer)
			require.NotNil(t, *got)
			require.Equal(t, tc.answer, (*got).Status)
			if tc.wantErr != nil {
				require.ErrorIs(t, (*got).Err, tc.wantErr)
			} else {
				require.NoError(t, (*got).Err)
			}
			require.True(t, (*got).Status.Stored())
		})
	}
}

// A replicator that confirms (a SYNC_MASTER) bounds what consumers see:
// a record is dispatched only once a slave acknowledged all of it.
func TestConfirmedOffsetBoundsDispatch(t *testing.T) {
	for _, flush := range []func(*Config){nil, syncFlush} {
		m := newMemStore(t, flush)
		r := &fakeReplicator{bounded: true, confirmed: -1}
		m.st.SetReplicator(r)
		got := putPending(m.st, newMessage("TopicA", 0, "a", 10, commitlog.PropertyWait, "false"))
		m.clock.RunDue()
		require.NotNil(t, *got)
		end := m.st.CommitLogMaxOffset()
		require.Equal(t, int64(0), m.st.MaxOffsetInQueue("TopicA", 0), "no slave holds it")
		res := m.st.Get("TopicA", 0, 0, 1, nil)
		require.NotEqual(t, GetFound, res.Status)
		res.Release()

		r.confirmed = end - 1
		m.st.ReplicaConfirmed()
		require.Equal(t, int64(0), m.st.MaxOffsetInQueue("TopicA", 0), "a slave holds part of it")

		r.confirmed = end
		m.st.ReplicaConfirmed()
		m.clock.RunDue()
		require.Equal(t, int64(1), m.st.MaxOffsetInQueue("TopicA", 0), "a slave holds it")
		res = m.st.Get("TopicA", 0, 0, 1, nil)
		require.Equal(t, GetFound, res.Status)
		res.Release()
	}
}

// WAIT=false puts tell the replicator about the new end but do not wait.
func TestNoWaitPutOnlyTellsTheReplicator(t *testing.T) {
	m := newMemStore(t, nil)
	r := &fakeReplicator{}
	m.st.SetReplicator(r)
	res := putAsync(t, m.st, newMessage("TopicA", 0, "a", 10, commitlog.PropertyWait, "false"))
	require.Equal(t, PutOK, res.Status)
	require.Len(t, r.appended, 1)
	require.Empty(t, r.waiting)

	m.st.SetReplicator(nil)
	putOK(t, m.st, newMessage("TopicA", 0, "b", 10))
	require.Len(t, r.appended, 1, "a removed replicator hears nothing")
}

func TestSyncMasterBatchWaitsForItsLastRecord(t *testing.T) {
	m := newMemStore(t, nil)
	r := &fakeReplicator{}
	m.st.SetReplicator(r)
	var got *PutResult
	msgs := []commitlog.Message{*newMessage("TopicA", 0, "a", 10), *newMessage("TopicA", 0, "b", 10)}
	m.st.PutBatch(msgs, func(res PutResult) { got = &res })
	require.Nil(t, got)
	require.Equal(t, []int64{m.st.CommitLogMaxOffset()}, r.waiting)
	r.answer(0, PutOK)
	require.Equal(t, PutOK, got.Status)
	require.Equal(t, 2, got.MsgCount)
}

// Under SYNC_FLUSH + SYNC_MASTER a put completes only when both the flush
// and the replication have answered, in either order.
func TestSyncFlushSyncMasterWaitsForBoth(t *testing.T) {
	t.Run("replication first", func(t *testing.T) {
		m := newMemStore(t, syncFlush)
		r := &fakeReplicator{}
		m.st.SetReplicator(r)
		got := putPending(m.st, newMessage("TopicA", 0, "a", 10))
		r.answer(0, PutOK)
		require.Nil(t, *got, "answered before the flush")
		m.clock.RunDue()
		require.NotNil(t, *got)
		require.Equal(t, PutOK, (*got).Status)
		require.GreaterOrEqual(t, m.st.CommitLogFlushedOffset(), r.waiting[0])
	})
	t.Run("flush first", func(t *testing.T) {
		m := newMemStore(t, syncFlush)
		r := &fakeReplicator{}
		m.st.SetReplicator(r)
		got := putPending(m.st, newMessage("TopicA", 0, "a", 10))
		m.clock.RunDue()
		require.Nil(t, *got, "answered before the replication")
		require.Equal(t, int64(1), m.st.MaxOffsetInQueue("TopicA", 0), "dispatched once flushed")
		r.answer(0, PutFlushSlaveTimeout)
		require.Equal(t, PutFlushSlaveTimeout, (*got).Status)
	})
	t.Run("both fail", func(t *testing.T) {
		m := newMemStore(t, syncFlush)
		r := &fakeReplicator{}
		m.st.SetReplicator(r)
		m.fs.SetRule(env.FailAfter(0, env.OpMappingFlush, "commitlog"))
		got := putPending(m.st, newMessage("TopicA", 0, "a", 10))
		m.clock.RunDue()
		require.Nil(t, *got)
		r.answer(0, PutSlaveNotAvailable)
		require.Equal(t, PutSlaveNotAvailable, (*got).Status, "the replication's status wins")
		require.ErrorIs(t, (*got).Err, ErrSlaveNotAvailable)
		require.ErrorIs(t, (*got).Err, env.ErrInjected, "the flush failure is kept")
	})
	t.Run("flush fails", func(t *testing.T) {
		m := newMemStore(t, syncFlush)
		r := &fakeReplicator{}
		m.st.SetReplicator(r)
		m.fs.SetRule(env.FailAfter(0, env.OpMappingFlush, "commitlog"))
		got := putPending(m.st, newMessage("TopicA", 0, "a", 10))
		r.answer(0, PutOK)
		m.clock.RunDue()
		require.Equal(t, PutFlushDiskTimeout, (*got).Status)
	})
}
