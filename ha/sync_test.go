package ha

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/store"
)

const pending = store.PutStatus(-1)

// A SYNC_MASTER put is answered only once the slave acknowledged its
// record, and then PUT_OK.
func TestSyncMasterAnswersAfterTheSlavesAck(t *testing.T) {
	r := newRig(t)
	r.startServer(nil)
	r.startClient(nil)
	r.run()
	m := put(t, r.master.st, message("TopicA", 0, "a"))
	end := r.master.st.CommitLogMaxOffset()
	require.Equal(t, pending, *m.status, "waits for the slave")
	for *m.status == pending {
		require.True(t, r.clock.FireNext())
	}
	require.Equal(t, store.PutOK, *m.status)
	require.Equal(t, end, m.endOffset)
	require.GreaterOrEqual(t, r.slave.st.ReplicaEnd(), end, "the slave holds the record")
	require.GreaterOrEqual(t, r.server.AckedOffset(), end)

	msgs := putMany(t, r.master.st, "TopicA", 2, 40)
	r.run()
	for _, m := range msgs {
		require.Equal(t, store.PutOK, *m.status)
	}
	r.requireReplicated("TopicA", 2)
}

// Under SYNC_FLUSH + SYNC_MASTER a put needs both the master's flush and
// the slave's acknowledgement.
func TestSyncFlushSyncMaster(t *testing.T) {
	r := newRig(t)
	require.NoError(t, r.master.st.Close())
	r.master.cfg.CommitLog.FlushMode = commitlog.FlushSync
	r.master.open()
	r.startServer(nil)
	r.startClient(nil)
	r.run()
	msgs := putMany(t, r.master.st, "TopicA", 2, 20)
	r.run()
	for _, m := range msgs {
		require.Equal(t, store.PutOK, *m.status)
	}
	require.Equal(t, r.master.st.CommitLogMaxOffset(), r.master.st.CommitLogFlushedOffset())
	r.requireReplicated("TopicA", 2)
}

func TestSyncMasterWithoutSlaveIsNotAvailable(t *testing.T) {
	r := newRig(t)
	r.startServer(nil)
	m := put(t, r.master.st, message("TopicA", 0, "a"))
	require.Equal(t, store.PutSlaveNotAvailable, *m.status, "answered at once")
	require.Equal(t, m.endOffset, r.master.st.CommitLogMaxOffset(), "the message is stored")
	require.Equal(t, int64(0), r.master.st.MaxOffsetInQueue("TopicA", 0), "consumers see it once a slave holds it")

	r.startClient(nil)
	r.run()
	require.Equal(t, int64(1), r.master.st.MaxOffsetInQueue("TopicA", 0), "a slave holds it")

	r.client.Close()
	r.client = nil
	r.server.Close()
	r.server = nil
	r.startServer(func(c *ServerConfig) { c.SyncMaster = false })
	m = put(t, r.master.st, message("TopicA", 0, "b"))
	require.Equal(t, store.PutOK, *m.status, "an ASYNC_MASTER does not wait")
	require.Equal(t, int64(2), r.master.st.MaxOffsetInQueue("TopicA", 0), "nor bounds what consumers see")
}

// A SYNC_MASTER's consumers see a record only once a slave acknowledged
// it: a consumer that read a record the slave lacks would move past its
// queue offset, which the slave, promoted after the master's loss, gives
// to another message (found by the simulator, seed 427).
func TestSyncMasterConsumersSeeOnlyWhatASlaveHolds(t *testing.T) {
	r := newRig(t)
	r.startServer(nil)
	r.startClient(nil)
	r.run()
	for _, m := range putMany(t, r.master.st, "TopicA", 1, 3) {
		r.run()
		require.Equal(t, store.PutOK, *m.status)
	}
	require.Equal(t, int64(3), r.master.st.MaxOffsetInQueue("TopicA", 0))

	r.net.SetBlocked(masterHost, slaveHost, true)
	m := put(t, r.master.st, message("TopicA", 0, "held"))
	r.run()
	require.Equal(t, pending, *m.status)
	require.Equal(t, int64(3), r.master.st.MaxOffsetInQueue("TopicA", 0), "no slave holds it yet")
	res := r.master.st.Get("TopicA", 0, 3, 1, nil)
	require.NotEqual(t, store.GetFound, res.Status)
	res.Release()

	r.net.SetBlocked(masterHost, slaveHost, false)
	r.run()
	require.Equal(t, store.PutOK, *m.status)
	require.Equal(t, int64(4), r.master.st.MaxOffsetInQueue("TopicA", 0))
}

// A slave that stops acknowledging (a partition) makes SYNC_MASTER puts
// time out; once healed, puts are acknowledged again.
func TestSyncMasterTimesOutWhenTheSlaveStalls(t *testing.T) {
	r := newRig(t)
	r.startServer(nil)
	r.startClient(nil)
	r.run()
	r.net.SetBlocked(slaveHost, masterHost, true)
	m := put(t, r.master.st, message("TopicA", 0, "a"))
	end := r.master.st.CommitLogMaxOffset()
	r.run()
	require.Equal(t, pending, *m.status)
	r.clock.Advance(DefaultSlaveTimeout - 1)
	require.Equal(t, pending, *m.status)
	r.clock.Advance(1)
	require.Equal(t, store.PutFlushSlaveTimeout, *m.status)
	require.GreaterOrEqual(t, r.slave.st.ReplicaEnd(), end, "the slave got it; its ack did not arrive")

	r.net.SetBlocked(slaveHost, masterHost, false)
	r.run()
	m = put(t, r.master.st, message("TopicA", 0, "b"))
	r.run()
	require.Equal(t, store.PutOK, *m.status)
}

// A slave too far behind is not waited for.
func TestSyncMasterSlaveTooFarBehind(t *testing.T) {
	r := newRig(t)
	r.startServer(func(c *ServerConfig) { c.SlaveFallBehindMaxBytes = 5 * 1024 })
	r.startClient(nil)
	r.run()
	r.net.SetBlocked(masterHost, slaveHost, true)
	var statuses []store.PutStatus
	msgs := putMany(t, r.master.st, "TopicA", 1, 8)
	for _, m := range msgs {
		statuses = append(statuses, *m.status)
	}
	// Records of about 1.1 KiB: the first four end within 5 KiB of the
	// acknowledged offset 0 and wait, the rest do not.
	require.Equal(t, []store.PutStatus{pending, pending, pending, pending,
		store.PutSlaveNotAvailable, store.PutSlaveNotAvailable, store.PutSlaveNotAvailable, store.PutSlaveNotAvailable}, statuses)
	r.net.SetBlocked(masterHost, slaveHost, false)
	r.run()
	for _, m := range msgs[:4] {
		require.Equal(t, store.PutOK, *m.status)
	}
}

func TestSyncMasterBoundsItsWaiters(t *testing.T) {
	r := newRig(t)
	r.startServer(func(c *ServerConfig) { c.MaxPendingWaiters = 2 })
	r.startClient(nil)
	r.run()
	msgs := putMany(t, r.master.st, "TopicA", 1, 3)
	require.Equal(t, pending, *msgs[0].status)
	require.Equal(t, pending, *msgs[1].status)
	require.Equal(t, store.PutFlushSlaveTimeout, *msgs[2].status, "past the bound: answered at once")
	r.server.Close()
	require.Equal(t, store.PutFlushSlaveTimeout, *msgs[0].status, "closing answers the waiting puts")
	require.Equal(t, store.PutFlushSlaveTimeout, *msgs[1].status)
	r.server = nil
}

// apache/rocketmq#3015: a slave's report beyond what its connection was sent
// is a claim, not an acknowledgement, and must not complete a put.
func TestSlaveClaimBeyondWhatWasSentIsNotTrusted(t *testing.T) {
	run := func(t *testing.T, bug string) (claimed, honest store.PutStatus) {
		r := newRig(t)
		r.startServer(func(c *ServerConfig) { c.PlantedBug = bug })
		putMany(t, r.master.st, "TopicA", 1, 3) // not available yet: no slave
		in := r.dialIntruder()
		in.report(r.master.st.CommitLogMaxOffset())
		r.run()
		require.Equal(t, r.master.st.CommitLogMaxOffset(), r.server.AckedOffset())

		m := put(t, r.master.st, message("TopicA", 0, "claimed"))
		end := r.master.st.CommitLogMaxOffset()
		r.run()
		require.Equal(t, end, in.received(), "the record was streamed")
		in.report(end + 50_000) // more than it was sent
		r.run()
		r.clock.Advance(DefaultSlaveTimeout)
		claimed = *m.status

		m = put(t, r.master.st, message("TopicA", 0, "honest"))
		r.run()
		in.report(r.master.st.CommitLogMaxOffset())
		r.run()
		return claimed, *m.status
	}
	claimed, honest := run(t, "")
	require.Equal(t, store.PutFlushSlaveTimeout, claimed)
	require.Equal(t, store.PutOK, honest)

	claimed, _ = run(t, BugTrustSlaveOffset)
	require.Equal(t, store.PutOK, claimed, "the planted bug trusts the claim")
}

// A slave whose first report is beyond the master's end is streamed from
// the master's end and not taken as acknowledging anything.
func TestSlaveAheadOfTheMasterIsNotTrusted(t *testing.T) {
	r := newRig(t)
	r.startServer(nil)
	in := r.dialIntruder()
	in.report(1 << 40)
	r.run()
	require.Equal(t, int64(-1), r.server.AckedOffset())
	require.Equal(t, []FrameHeader{{0, 0}}, in.rec.headers, "an empty frame at the master's end")
	m := put(t, r.master.st, message("TopicA", 0, "a"))
	require.Equal(t, store.PutSlaveNotAvailable, *m.status)
}

// Under SYNC_FLUSH a slave is streamed only what the master made durable:
// a record whose flush the device refused never reaches the slave, which
// could otherwise serve it while the master, after a machine crash, hands
// its queue offset out again.
func TestSyncFlushStreamsOnlyDurableBytes(t *testing.T) {
	r := newRig(t)
	require.NoError(t, r.master.st.Close())
	r.master.cfg.CommitLog.FlushMode = commitlog.FlushSync
	r.master.open()
	r.startServer(nil)
	r.startClient(nil)
	r.run()
	for _, m := range putMany(t, r.master.st, "TopicA", 2, 4) {
		r.run()
		require.Equal(t, store.PutOK, *m.status)
	}
	durable := r.master.st.CommitLogFlushedOffset()
	require.Equal(t, durable, r.slave.st.ReplicaEnd(), "the slave holds every durable record")

	r.master.fs.SetRule(env.FailAfter(0, env.OpMappingFlush, "commitlog"))
	m := put(t, r.master.st, message("TopicA", 0, "never durable"))
	r.clock.Advance(5 * time.Second)
	r.run()
	require.NotEqual(t, store.PutOK, *m.status, "the refused flush is not acknowledged")
	require.Greater(t, r.master.st.CommitLogMaxOffset(), durable, "the record is written on the master")
	require.Equal(t, durable, r.master.st.ReplicableEnd())
	require.Equal(t, durable, r.slave.st.ReplicaEnd(), "nothing beyond the durable end was streamed")
	require.True(t, r.client.State().Connected)
}
