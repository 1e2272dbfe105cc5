package ha

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/store"
)

func TestSlaveCopiesTheMastersLog(t *testing.T) {
	r := newRig(t)
	r.startServer(func(c *ServerConfig) { c.SyncMaster = false })
	r.startClient(nil)
	r.run()
	msgs := putMany(t, r.master.st, "TopicA", 3, 60)
	putMany(t, r.master.st, "TopicB", 1, 5)
	require.Greater(t, r.master.st.CommitLogMaxOffset(), int64(3*testSegBytes), "several segments, each ending with a blank record")
	r.run()

	require.Equal(t, int64(0), r.slave.st.CommitLogMinOffset(), "connected while the master held one segment")
	r.requireReplicated("TopicA", 3)
	r.requireReplicated("TopicB", 1)
	for _, m := range msgs {
		require.Equal(t, store.PutOK, *m.status)
	}
	require.Equal(t, r.master.st.CommitLogMaxOffset(), r.server.AckedOffset())
	st := r.client.State()
	require.True(t, st.Connected)
	require.Equal(t, r.master.st.CommitLogMaxOffset(), st.ReportedOffset)
	require.Equal(t, 1, st.Connects)
	slaves := r.server.Slaves()
	require.Len(t, slaves, 1)
	require.Equal(t, SlaveState{RemoteAddr: slaves[0].RemoteAddr, StartOffset: 0, SentOffset: r.master.st.CommitLogMaxOffset(),
		ReportedOffset: r.master.st.CommitLogMaxOffset(), AckOffset: r.master.st.CommitLogMaxOffset()}, slaves[0])
}

// Frames never carry more than a batch and never cross a segment
// boundary; they continue each other exactly.
func TestFramesAreBoundedBatchesWithinASegment(t *testing.T) {
	r := newRig(t)
	r.startServer(func(c *ServerConfig) { c.SyncMaster = false })
	putMany(t, r.master.st, "TopicA", 2, 40)
	in := r.dialIntruder()
	in.report(1) // resume inside the first record: the stream is cut anywhere
	r.run()

	end := r.master.st.CommitLogMaxOffset()
	require.Equal(t, end, in.received())
	next := int64(1)
	for _, h := range in.rec.headers {
		require.Equal(t, next, h.PhysOffset)
		require.LessOrEqual(t, h.BodySizeBytes, int32(testBatchBytes))
		first, last := h.PhysOffset, h.PhysOffset+int64(h.BodySizeBytes)-1
		require.Equal(t, first/testSegBytes, last/testSegBytes, "frame [%d, %d] crosses a segment", first, last)
		next += int64(h.BodySizeBytes)
	}
	var body []byte
	for _, p := range in.rec.pieces {
		body = append(body, p.data...)
	}
	require.Equal(t, logBytes(t, r.master.st, 1, end), body)
}

// An empty slave starts at the beginning of the master's newest segment.
func TestEmptySlaveStartsAtTheNewestSegment(t *testing.T) {
	r := newRig(t)
	r.startServer(func(c *ServerConfig) { c.SyncMaster = false })
	putMany(t, r.master.st, "TopicA", 2, 50)
	newest := r.master.st.CommitLogMaxOffset() - r.master.st.CommitLogMaxOffset()%testSegBytes
	require.Greater(t, newest, int64(0))
	r.startClient(nil)
	r.run()
	putMany(t, r.master.st, "TopicA", 2, 30)
	r.run()

	require.Equal(t, newest, r.slave.st.CommitLogMinOffset())
	require.Equal(t, newest, r.server.Slaves()[0].StartOffset)
	r.requireReplicated("TopicA", 2)
}

// A connection reset and a restart of the slave both resume where the
// slave's log ends; nothing is sent twice or skipped.
func TestSlaveResumesAfterReconnectAndRestart(t *testing.T) {
	r := newRig(t)
	r.startServer(func(c *ServerConfig) { c.SyncMaster = false })
	r.startClient(nil)
	r.run()
	putMany(t, r.master.st, "TopicA", 2, 20)
	r.run()

	require.Equal(t, 1, r.net.ResetBetween(masterHost, slaveHost))
	r.run()
	require.False(t, r.client.State().Connected)
	putMany(t, r.master.st, "TopicA", 2, 20)
	r.clock.Advance(DefaultReconnectDelay)
	require.True(t, r.client.State().Connected)
	require.Equal(t, 2, r.client.State().Connects)
	r.requireReplicated("TopicA", 2)

	// The slave's process dies; its page cache survives and it restarts.
	r.client.Close()
	r.slave.fs.CrashProcess()
	r.slave.st.Abandon()
	r.slave.open()
	r.run()
	putMany(t, r.master.st, "TopicA", 2, 20)
	r.startClient(nil)
	r.run()
	r.requireReplicated("TopicA", 2)
	require.Equal(t, int64(0), r.slave.st.CommitLogMinOffset())
}

// A record cut between frames, and a connection lost in between: the slave
// reports the bytes it holds, resumes inside the record and publishes it
// whole.
func TestSlaveResumesInsideARecord(t *testing.T) {
	r := newRig(t)
	r.startServer(func(c *ServerConfig) { c.SyncMaster = false; c.TransferBatchBytes = 700 })
	r.startClient(nil)
	r.run()
	putMany(t, r.master.st, "TopicA", 1, 3)
	for r.slave.st.ReplicaEnd() == 0 {
		require.True(t, r.clock.FireNext())
	}
	require.Equal(t, int64(700), r.slave.st.ReplicaEnd(), "one frame arrived")
	require.Equal(t, int64(0), r.slave.st.CommitLogMaxOffset(), "half a record is not published")
	require.Equal(t, 1, r.net.ResetBetween(masterHost, slaveHost))
	r.run()
	r.clock.Advance(DefaultReconnectDelay)
	require.Equal(t, int64(700), r.server.Slaves()[0].StartOffset)
	r.requireReplicated("TopicA", 1)
}

// A slave that holds records its master never had (it was ahead: a master
// that lost its unflushed tail, an old master rejoining) is told to start
// at the master's end; with TruncateDivergent it cuts its log there.
func TestDivergedSlaveTruncatesToTheMaster(t *testing.T) {
	r := newRig(t)
	r.startServer(func(c *ServerConfig) { c.SyncMaster = false })
	r.startClient(nil)
	r.run()
	putMany(t, r.master.st, "TopicA", 2, 20)
	r.run()
	r.requireReplicated("TopicA", 2)
	r.client.Close()

	// The slave takes records of its own, then rejoins.
	putMany(t, r.slave.st, "TopicA", 2, 10)
	require.Greater(t, r.slave.st.CommitLogMaxOffset(), r.master.st.CommitLogMaxOffset())
	r.startClient(func(c *ClientConfig) { c.TruncateDivergent = true })
	r.run()
	require.Equal(t, 1, r.client.State().Truncations)
	putMany(t, r.master.st, "TopicA", 2, 30)
	r.run()
	r.requireReplicated("TopicA", 2)
	require.True(t, r.client.State().Connected)
}

// Without TruncateDivergent the slave behaves as RocketMQ's: it drops the
// connection and retries, never appending a byte that does not continue
// its log.
func TestDivergedSlaveWithoutTruncationNeverAppends(t *testing.T) {
	r := newRig(t)
	r.startServer(func(c *ServerConfig) { c.SyncMaster = false })
	putMany(t, r.master.st, "TopicA", 1, 5)
	putMany(t, r.slave.st, "TopicA", 1, 9)
	slaveEnd := r.slave.st.CommitLogMaxOffset()
	r.startClient(nil)
	r.run()
	require.ErrorIs(t, r.client.State().LastErr, ErrOffsetMismatch)
	require.False(t, r.client.State().Connected)
	r.clock.Advance(DefaultReconnectDelay)
	require.Equal(t, 2, r.client.State().Connects, "reconnected after the delay")
	r.clock.Advance(DefaultReconnectDelay)
	require.Equal(t, 2, r.client.State().Connects, "backing off")
	r.clock.Advance(DefaultReconnectDelay)
	require.Equal(t, 3, r.client.State().Connects)
	require.Equal(t, slaveEnd, r.slave.st.CommitLogMaxOffset())
	require.NoError(t, r.slave.st.CheckConsistency())
}

// An idle connection lives on heartbeats and reports; a cut link is closed
// by housekeeping on both sides, and replication resumes once healed.
func TestHeartbeatsAndHousekeeping(t *testing.T) {
	r := newRig(t)
	r.startServer(func(c *ServerConfig) { c.SyncMaster = false })
	r.startClient(nil)
	r.run()
	r.clock.Advance(time.Minute)
	require.Equal(t, 1, r.client.State().Connects, "idle but alive")
	require.Len(t, r.server.Slaves(), 1)

	r.net.SetBlocked(masterHost, slaveHost, true)
	r.net.SetBlocked(slaveHost, masterHost, true)
	putMany(t, r.master.st, "TopicA", 1, 5)
	r.clock.Advance(DefaultHousekeepingInterval + DefaultHeartbeatInterval)
	require.Empty(t, r.server.Slaves(), "the master closed the silent connection")
	require.False(t, r.client.State().Connected, "so did the slave")
	require.ErrorIs(t, r.client.State().LastErr, ErrHousekeeping)

	r.net.SetBlocked(masterHost, slaveHost, false)
	r.net.SetBlocked(slaveHost, masterHost, false)
	r.clock.Advance(DefaultMaxReconnectDelay)
	r.requireReplicated("TopicA", 1)
}

// The master serves at most MaxSlaves connections.
func TestServerRefusesSlavesBeyondTheLimit(t *testing.T) {
	r := newRig(t)
	r.startServer(func(c *ServerConfig) { c.MaxSlaves = 1 })
	first := r.dialIntruder()
	second := r.dialIntruder()
	r.run()
	require.False(t, first.closed)
	require.True(t, second.closed)
	require.Len(t, r.server.Slaves(), 1)
}

// A slave asking for bytes below the master's log is told so by a closed
// connection, not by frames that skip ahead.
func TestSlaveBelowTheMastersLogIsRefused(t *testing.T) {
	r := newRig(t)
	r.startServer(func(c *ServerConfig) { c.SyncMaster = false })
	putMany(t, r.master.st, "TopicA", 1, 60)
	require.NoError(t, r.master.st.Flush())
	for _, start := range []int64{0, testSegBytes} {
		require.NoError(t, r.master.fs.SetModTime(fmt.Sprintf("/store/commitlog/%020d", start), testStart.Add(-100*time.Hour)))
	}
	r.master.st.CleanExpiredFiles()
	_, err := r.master.st.RunRetention()
	require.NoError(t, err)
	require.Greater(t, r.master.st.CommitLogMinOffset(), int64(0))
	in := r.dialIntruder()
	in.report(100)
	r.run()
	require.True(t, in.closed)
	require.Empty(t, in.rec.headers)
}

// A slave's machine crash loses its unflushed pages; it restarts from what
// it kept and the master streams the rest again.
func TestSlaveMachineCrashResumesFromWhatItKept(t *testing.T) {
	r := newRig(t)
	r.startServer(func(c *ServerConfig) { c.SyncMaster = false })
	r.startClient(nil)
	r.run()
	putMany(t, r.master.st, "TopicA", 2, 30)
	r.run()
	require.NoError(t, r.slave.st.Flush())
	putMany(t, r.master.st, "TopicA", 2, 30)
	r.run()
	before := r.slave.st.CommitLogMaxOffset()

	r.client.Close()
	r.net.CrashHost(slaveHost)
	r.slave.fs.CrashMachine(11, env.CrashOptions{KeepNoPages: true})
	r.slave.st.Abandon()
	r.slave.open()
	require.Less(t, r.slave.st.CommitLogMaxOffset(), before, "unflushed records lost")
	r.startClient(nil)
	r.run()
	r.requireReplicated("TopicA", 2)
}

// A master whose machine crashed lost records its slave holds: the slave
// is ahead when it reconnects, and cuts its log back to the master's.
func TestMasterMachineCrashSlaveCutsTheLostTail(t *testing.T) {
	r := newRig(t)
	r.startServer(func(c *ServerConfig) { c.SyncMaster = false })
	r.startClient(func(c *ClientConfig) { c.TruncateDivergent = true })
	r.run()
	putMany(t, r.master.st, "TopicA", 2, 30)
	require.NoError(t, r.master.st.Flush())
	putMany(t, r.master.st, "TopicA", 2, 10)
	r.run()
	slaveEnd := r.slave.st.CommitLogMaxOffset()

	r.net.CrashHost(masterHost)
	r.master.fs.CrashMachine(5, env.CrashOptions{KeepNoPages: true})
	r.master.st.Abandon()
	r.master.open()
	require.Less(t, r.master.st.CommitLogMaxOffset(), slaveEnd)
	r.server = nil
	r.startServer(func(c *ServerConfig) { c.SyncMaster = false })
	r.clock.Advance(DefaultHousekeepingInterval + DefaultMaxReconnectDelay)
	require.Equal(t, 1, r.client.State().Truncations)
	putMany(t, r.master.st, "TopicA", 2, 10)
	r.run()
	r.requireReplicated("TopicA", 2)
}

// SetMasterAddr moves the slave to another address at once.
func TestClientFollowsTheMasterAddress(t *testing.T) {
	r := newRig(t)
	r.startServer(func(c *ServerConfig) { c.SyncMaster = false })
	r.startClient(func(c *ClientConfig) { c.MasterAddr = masterHost + ":1" })
	r.run()
	require.ErrorIs(t, r.client.State().LastErr, env.ErrConnRefused)
	require.False(t, r.client.State().Connected)
	putMany(t, r.master.st, "TopicA", 1, 5)
	r.client.SetMasterAddr(haAddr)
	r.run()
	require.Equal(t, haAddr, r.client.State().MasterAddr)
	require.True(t, r.client.State().Connected)
	r.requireReplicated("TopicA", 1)
	r.client.SetMasterAddr("")
	r.run()
	require.False(t, r.client.State().Connected)
	r.clock.Advance(DefaultMaxReconnectDelay)
	require.False(t, r.client.State().Connected, "no address, no connection")
}

// With OnLost the client does not reconnect by itself: a lost connection
// forgets the master's address and calls OnLost, and streaming resumes
// only when SetMasterAddr names a master again.
func TestClientOnLostWaitsForSetMasterAddr(t *testing.T) {
	r := newRig(t)
	r.startServer(nil)
	lost := 0
	r.startClient(func(c *ClientConfig) { c.OnLost = func() { lost++ } })
	r.run()
	putMany(t, r.master.st, "TopicA", 1, 3)
	r.run()
	require.True(t, r.client.State().Connected)

	r.net.ResetBetween(masterHost, slaveHost)
	r.run()
	require.Equal(t, 1, lost)
	st := r.client.State()
	require.False(t, st.Connected)
	require.Empty(t, st.MasterAddr)
	r.clock.Advance(10 * DefaultReconnectDelay)
	r.run()
	require.Equal(t, 1, st.Connects, "no reconnection on its own")
	require.Equal(t, 1, r.client.State().Connects)

	putMany(t, r.master.st, "TopicA", 1, 2)
	r.client.SetMasterAddr(haAddr)
	r.run()
	require.True(t, r.client.State().Connected)
	r.requireReplicated("TopicA", 1)
}
