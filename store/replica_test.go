package store

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
)

// replicate streams the master's CommitLog from the slave's ReplicaEnd (or
// from the master's newest segment for an empty slave) in pieces of at most
// pieceBytes, as package ha's frames carry it.
func replicate(t *testing.T, master, slave *Store, pieceBytes int) {
	t.Helper()
	from := slave.ReplicaEnd()
	if from == 0 {
		max := master.CommitLogMaxOffset()
		from = max - max%master.CommitLogSegmentSizeBytes()
	}
	replicateFrom(t, master, slave, from, pieceBytes)
}

// replicateFrom streams the master's CommitLog from an offset.
func replicateFrom(t *testing.T, master, slave *Store, from int64, pieceBytes int) {
	t.Helper()
	for from < master.CommitLogMaxOffset() {
		b, ref, err := master.ReadCommitLog(from, pieceBytes)
		require.NoError(t, err)
		require.NoError(t, slave.AppendReplica(from, b), "append at %d", from)
		from += int64(len(b))
		ref.Release()
	}
}

// commitLogBytes reads a store's CommitLog bytes [from, to).
func commitLogBytes(t *testing.T, st *Store, from, to int64) []byte {
	t.Helper()
	var out []byte
	for from < to {
		b, ref, err := st.ReadCommitLog(from, int(to-from))
		require.NoError(t, err)
		out = append(out, b...)
		from += int64(len(b))
		ref.Release()
	}
	return out
}

// requireSameQueues checks that the slave serves every message the master
// sent, with the master's queue offsets, and nothing more.
func requireSameQueues(t *testing.T, master, slave *Store, msgs []sent) {
	t.Helper()
	requireReadable(t, slave, msgs)
	requireMaxOffsets(t, slave, maxOffsets(msgs), msgs)
	require.NoError(t, slave.CheckConsistency())
}

func TestReplicaServesTheMastersMessages(t *testing.T) {
	for _, piece := range []int{333, 32 * 1024} {
		t.Run(fmt.Sprintf("pieces of %d", piece), func(t *testing.T) {
			master := newMemStore(t, nil)
			slave := newMemStore(t, nil)
			keyed := putOK(t, master.st, newMessage("TopicK", 0, "keyed|", 200, commitlog.PropertyKeys, "order-7"))
			msgs := append([]sent{keyed}, putRoundRobin(t, master.st, "TopicA", 3, 60)...)
			require.Greater(t, master.st.CommitLogMaxOffset(), int64(3*testSegmentBytes))

			// The slave copies from the start: it reported offset 0 when
			// the master's newest segment was still the first one.
			replicateFrom(t, master.st, slave.st, 0, piece)

			end := master.st.CommitLogMaxOffset()
			require.Equal(t, end, slave.st.CommitLogMaxOffset())
			require.True(t, bytes.Equal(commitLogBytes(t, master.st, 0, end), commitLogBytes(t, slave.st, 0, end)))
			require.Equal(t, end, slave.st.DispatchedOffset())
			requireSameQueues(t, master.st, slave.st, msgs)
			q, err := slave.st.QueryByKey("TopicK", "order-7", 10, 0, testStart.Add(1e12).UnixMilli())
			require.NoError(t, err)
			require.Equal(t, []int64{keyed.physOffset}, q.PhysOffsets)
			q.Release()

			// The replica survives a restart like any store.
			slave.reopen()
			requireSameQueues(t, master.st, slave.st, msgs)
		})
	}
}

// An empty slave starts at its master's newest segment; its queues start
// where the records it received do.
func TestEmptyReplicaStartsAtTheNewestSegment(t *testing.T) {
	master := newMemStore(t, nil)
	slave := newMemStore(t, nil)
	old := putRoundRobin(t, master.st, "TopicA", 2, 50)
	start := master.st.CommitLogMaxOffset() - master.st.CommitLogMaxOffset()%testSegmentBytes
	require.Greater(t, start, int64(0))

	replicate(t, master.st, slave.st, 4096)
	fresh := putRoundRobin(t, master.st, "TopicA", 2, 10)
	replicate(t, master.st, slave.st, 4096)

	require.Equal(t, start, slave.st.CommitLogMinOffset())
	var held []sent
	for _, m := range append(old, fresh...) {
		if m.physOffset >= start {
			held = append(held, m)
		}
	}
	requireReadable(t, slave.st, held)
	first := map[int32]int64{}
	for i := len(held) - 1; i >= 0; i-- {
		first[held[i].queueID] = held[i].queueOffset
	}
	for q := int32(0); q < 2; q++ {
		require.Equal(t, master.st.MaxOffsetInQueue("TopicA", q), slave.st.MaxOffsetInQueue("TopicA", q))
		require.Equal(t, first[q], slave.st.MinOffsetInQueue("TopicA", q), "queue %d starts at its first held message", q)
	}
	require.NoError(t, slave.st.CheckConsistency())

	// A machine crash of the slave keeps what it flushed; it resumes from
	// its own end.
	require.NoError(t, slave.st.Flush())
	st := slave.st
	slave.fs.CrashMachine(3, env.CrashOptions{KeepNoPages: true})
	st.Abandon()
	slave.open()
	more := putRoundRobin(t, master.st, "TopicA", 2, 6)
	replicate(t, master.st, slave.st, 4096)
	requireReadable(t, slave.st, append(held, more...))
	require.NoError(t, slave.st.CheckConsistency())
}

// Under sync flush a slave dispatches what it replicated only once flushed,
// as its own consumers may see only what survives its crash.
func TestSyncFlushReplicaDispatchesFlushedRecords(t *testing.T) {
	master := newMemStore(t, nil)
	slave := newMemStore(t, func(c *Config) { c.CommitLog.FlushMode = commitlog.FlushSync })
	msgs := putMany(t, master.st, "TopicA", 0, 5)
	replicate(t, master.st, slave.st, 32*1024)
	require.Equal(t, int64(0), slave.st.MaxOffsetInQueue("TopicA", 0), "nothing dispatched before the flush")
	slave.clock.RunDue()
	require.Equal(t, slave.st.CommitLogMaxOffset(), slave.st.CommitLogFlushedOffset())
	requireSameQueues(t, master.st, slave.st, msgs)
}

// A slave whose log holds records its master never had cuts them, then
// follows the master again; as a promoted master it would continue every
// queue after what it kept.
func TestTruncateDivergedReplica(t *testing.T) {
	master := newMemStore(t, nil)
	slave := newMemStore(t, nil)
	common := putRoundRobin(t, master.st, "TopicA", 2, 30)
	common = append(common, putOK(t, master.st, newMessage("TopicK", 0, "k1|", 100, commitlog.PropertyKeys, "kept")))
	replicateFrom(t, master.st, slave.st, 0, 5000)
	fork := master.st.CommitLogMaxOffset()

	// The slave, briefly a master, takes records of its own.
	divergent := putRoundRobin(t, slave.st, "TopicA", 2, 20)
	putOK(t, slave.st, newMessage("TopicK", 0, "k2|", 100, commitlog.PropertyKeys, "lost"))
	// Its master meanwhile stores others at the same offsets.
	theirs := putRoundRobin(t, master.st, "TopicA", 2, 25)
	require.Equal(t, divergent[0].physOffset, theirs[0].physOffset)

	cut, err := slave.st.TruncateTo(fork + 17)
	require.NoError(t, err)
	require.Equal(t, fork, cut, "cut at the start of the record holding the offset")
	require.Equal(t, fork, slave.st.ReplicaEnd())
	requireSameQueues(t, master.st, slave.st, common)
	for q := int32(0); q < 2; q++ {
		require.Equal(t, maxOffsets(common)[fmt.Sprintf("TopicA/%d", q)], slave.st.MaxOffsetInQueue("TopicA", q))
	}

	replicate(t, master.st, slave.st, 5000)
	end := master.st.CommitLogMaxOffset()
	require.True(t, bytes.Equal(commitLogBytes(t, master.st, 0, end), commitLogBytes(t, slave.st, 0, end)))
	requireSameQueues(t, master.st, slave.st, append(common, theirs...))

	q, err := slave.st.QueryByKey("TopicK", "lost", 10, 0, testStart.Add(1e12).UnixMilli())
	require.NoError(t, err)
	require.Empty(t, q.PhysOffsets, "the index forgot the cut record")
	q.Release()
	q, err = slave.st.QueryByKey("TopicK", "kept", 10, 0, testStart.Add(1e12).UnixMilli())
	require.NoError(t, err)
	require.Len(t, q.PhysOffsets, 1, "the index keeps the records below the cut")
	q.Release()

	// Promoted now, the slave hands out the next queue offsets.
	next := putOK(t, slave.st, newMessage("TopicA", 1, "after|", 100))
	require.Equal(t, master.st.MaxOffsetInQueue("TopicA", 1), next.queueOffset)
	slave.reopen()
	require.NoError(t, slave.st.CheckConsistency())
	require.Equal(t, next.queueOffset+1, slave.st.MaxOffsetInQueue("TopicA", 1))
}

// Truncating a promoted slave drops an incomplete replicated record, after
// which puts work.
func TestTruncateDropsAnIncompleteReplicatedRecord(t *testing.T) {
	master := newMemStore(t, nil)
	slave := newMemStore(t, nil)
	msgs := putMany(t, master.st, "TopicA", 0, 4)
	b := commitLogBytes(t, master.st, 0, msgs[3].physOffset+40)
	require.NoError(t, slave.st.AppendReplica(0, b))
	require.Equal(t, msgs[3].physOffset+40, slave.st.ReplicaEnd())

	r := putAsync(t, slave.st, newMessage("TopicA", 0, "x", 10))
	require.NotEqual(t, PutOK, r.Status)
	require.ErrorIs(t, r.Err, commitlog.ErrRawPending)

	cut, err := slave.st.TruncateTo(slave.st.ReplicaEnd())
	require.NoError(t, err)
	require.Equal(t, msgs[3].physOffset, cut)
	next := putOK(t, slave.st, newMessage("TopicA", 0, "x", 10))
	require.Equal(t, int64(3), next.queueOffset)
	require.NoError(t, slave.st.CheckConsistency())
}

func TestAppendReplicaRefusesBytesThatDoNotFit(t *testing.T) {
	master := newMemStore(t, nil)
	slave := newMemStore(t, nil)
	msgs := putMany(t, master.st, "TopicA", 0, 3)
	b := commitLogBytes(t, master.st, 0, msgs[2].physOffset+int64(msgs[2].sizeBytes))
	require.ErrorIs(t, slave.st.AppendReplica(92, b), commitlog.ErrRawOffset, "an empty slave starts at a segment boundary")
	require.NoError(t, slave.st.AppendReplica(0, b[:50]))
	require.ErrorIs(t, slave.st.AppendReplica(60, b[60:]), commitlog.ErrRawOffset)
	bad := bytes.Clone(b[50:])
	bad[int(msgs[1].physOffset)-50+4] = 0 // the magic of the second record
	require.ErrorIs(t, slave.st.AppendReplica(50, bad), commitlog.ErrCorrupt)
	require.Equal(t, msgs[1].physOffset, slave.st.ReplicaEnd())
	require.NoError(t, slave.st.AppendReplica(msgs[1].physOffset, b[msgs[1].physOffset:]))
	requireSameQueues(t, master.st, slave.st, msgs)

	st := slave.st
	slave.close()
	require.ErrorIs(t, st.AppendReplica(0, b), ErrClosed)
}
