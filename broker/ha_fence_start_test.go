package broker_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/remoting"
)

// A broker that starts as a slave serves no read before its log was
// compared with a master's history: an old master restarted as a slave
// while its group has no master yet holds a tail the next master may never
// have had, and would hand those messages to consumers at offsets the next
// master gives to others (found by the simulator, seed 153).
func TestHASlaveServesNoReadBeforeItsLogIsChecked(t *testing.T) {
	const topic = "Fenced"
	r, a, b := startPair(t, broker.RoleAsyncMaster, nil)
	r.createTopic(a.addr(), topic, 1)
	before := r.sendMany(a, topic, "before", 5)
	r.caughtUp(a, b)
	r.advance(broker.DefaultSlaveSyncInterval)
	// The link to the slave fails; the master takes three more and is lost.
	r.net.SetBlocked(haHostA, haHostB, true)
	r.sendMany(a, topic, "lost", 3)
	r.net.ResetBetween(haHostA, haHostB)
	a.b.Abandon()
	r.settle()
	r.net.SetBlocked(haHostA, haHostB, false)

	// The old master comes back as a slave before anyone is promoted: it
	// knows no master to compare its log with.
	a.cfg.Role, a.cfg.BrokerID = broker.RoleSlave, 2
	r.start(a)
	st := a.b.HAState()
	require.Empty(t, st.MasterAddr, "no master is registered")
	assert.False(t, st.ReadsOpen, "a slave whose log was never checked turns reads away")
	resp, _, recs := r.pull(a.addr(), "cg", topic, 0, 5)
	assert.Equal(t, remoting.ResPullNotFound, resp.Code, resp.Remark)
	assert.Empty(t, recs, "the lost tail is not served")

	// Once a master is promoted, the old master compares, cuts its tail
	// and serves the new master's history.
	r.promote(b, broker.RoleAsyncMaster)
	after := r.sendMany(b, topic, "after", 2)
	r.advance(broker.DefaultRegisterPeriod)
	r.streaming(a)
	r.caughtUp(b, a)
	assert.True(t, a.b.HAState().ReadsOpen)
	assert.Equal(t, append(before, after...), r.bodies(a.addr(), "cg", topic, 0))
}
