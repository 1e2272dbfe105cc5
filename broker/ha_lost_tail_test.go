package broker_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/env"
)

// A master that comes back from a power loss without a tail its slave
// holds begins a new epoch at its shorter end and hands the tail's queue
// offsets out again. The slave serves the tail while the master is away,
// but compares histories before it streams again: it cuts the tail at
// once, instead of appending the new epoch after it until its next
// periodic sync (found by the simulator, seed 140).
func TestHAMasterBackWithoutItsTailCutsTheSlaveBeforeStreaming(t *testing.T) {
	const topic = "LostTail"
	// The periodic comparison comes next at 2*syncEvery, long after
	// everything below.
	const syncEvery = 30 * time.Second
	r, a, b := startPair(t, broker.RoleAsyncMaster, func(c *broker.Config) { c.SlaveSyncInterval = syncEvery })
	r.createTopic(a.addr(), topic, 1)
	before := r.sendMany(a, topic, "before", 5)
	r.caughtUp(a, b)
	r.advance(syncEvery) // the slave copies the topic; the async flush makes them durable
	lost := r.sendMany(a, topic, "lost", 3)
	r.caughtUp(a, b)

	a.fs.CrashMachine(7, env.CrashOptions{KeepNoPages: true})
	a.b.Abandon()
	r.net.ResetBetween(haHostA, haHostB)
	r.settle()
	r.advance(b.cfg.HA.ReconnectDelay)
	assert.Equal(t, append(before, lost...), r.bodies(b.addr(), "cg", topic, 0),
		"the slave serves what it holds while the master is away")

	r.start(a)
	require.Equal(t, int64(5), a.b.Store().MaxOffsetInQueue(topic, 0), "the master lost its tail")
	after := r.sendMany(a, topic, "after", 2)
	r.advance(b.cfg.HA.ReconnectDelay)
	r.streaming(b)
	r.caughtUp(a, b)
	assert.Equal(t, append(before, after...), r.bodies(b.addr(), "cg", topic, 0))
	sameLog(t, a.b.Store(), b.b.Store(), b.b.Store().CommitLogMinOffset())
	require.NoError(t, b.b.Store().CheckConsistency())
}

// A slave streams a master's new epoch only once it saved the master's
// epoch list: streaming without it, its next comparison would miss the
// epoch and cut everything it copied in it (found by the simulator, seed
// 578, with a full disk).
func TestHASlaveThatCannotSaveEpochsDoesNotStream(t *testing.T) {
	const topic = "EpochSave"
	r, a, b := startPair(t, broker.RoleAsyncMaster, nil)
	r.createTopic(a.addr(), topic, 1)
	before := r.sendMany(a, topic, "before", 3)
	r.caughtUp(a, b)
	r.advance(broker.DefaultSlaveSyncInterval)

	// The master restarts: epoch 2. The slave cannot write its epoch file.
	b.fs.SetRule(env.FailAfter(0, env.OpAny, "epochFileCheckpoint"))
	r.restart(a, nil)
	require.Len(t, a.b.HAState().Epochs, 2)
	after := r.sendMany(a, topic, "after", 2)
	r.advance(2 * b.cfg.HA.ReconnectDelay)
	st := b.b.HAState()
	assert.False(t, st.Checked && st.Client.Connected, "no stream without the epochs saved")
	assert.Len(t, st.Epochs, 1)

	b.fs.SetRule(nil)
	r.advance(b.cfg.HA.ReconnectDelay)
	r.streaming(b)
	r.caughtUp(a, b)
	assert.Equal(t, a.b.HAState().Epochs, b.b.HAState().Epochs)
	r.advance(broker.DefaultSlaveSyncInterval) // a comparison later cuts nothing
	r.caughtUp(a, b)
	assert.Equal(t, append(before, after...), r.bodies(b.addr(), "cg", topic, 0))
}
