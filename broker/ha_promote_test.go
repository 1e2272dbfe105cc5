package broker_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/remoting"
	"github.com/apogeemq/apogee/store"
)

// promote sends UPDATE_BROKER_CONFIG brokerRole=role to n and requires
// SUCCESS.
func (r *haRig) promote(n *haNode, role broker.Role) {
	r.t.Helper()
	resp := r.call(n.addr(), remoting.ReqUpdateBrokerConfig, nil, []byte("brokerRole="+string(role)+"\n"))
	require.Equal(r.t, remoting.ResSuccess, resp.Code, resp.Remark)
	r.settle()
	require.Equal(r.t, role, n.b.Role())
}

// sendMany sends bodies prefix-0.. to queue 0 of topic at n.
func (r *haRig) sendMany(n *haNode, topic, prefix string, count int) []string {
	r.t.Helper()
	out := make([]string, count)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", prefix, i)
		r.sendOK(n.addr(), topic, 0, out[i])
	}
	return out
}

// sameLog requires a and b to hold the same CommitLog bytes over
// [from, end of a).
func sameLog(t *testing.T, a, b *store.Store, from int64) {
	t.Helper()
	end := a.CommitLogMaxOffset()
	require.Equal(t, end, b.CommitLogMaxOffset(), "both logs end at the same offset")
	for off := from; off < end; {
		x, rx, err := a.ReadCommitLog(off, 4096)
		require.NoError(t, err)
		y, ry, err := b.ReadCommitLog(off, len(x))
		require.NoError(t, err)
		eq := bytes.Equal(x, y)
		n := len(x)
		rx.Release()
		ry.Release()
		require.True(t, eq, "the logs differ in [%d, %d)", off, off+int64(n))
		off += int64(n)
	}
}

// A slave promoted after its master is lost drops the record it was still
// receiving, starts epoch 2 at its last whole record, registers as brokerId
// 0, and continues each queue where its ConsumeQueue ends: no queue offset
// it holds is handed out again. Offsets committed past the new ends are
// lowered to them.
func TestHAPromotionCutsTheRecordStillArrivingAndContinuesQueues(t *testing.T) {
	for _, flush := range []commitlog.FlushMode{commitlog.FlushAsync, commitlog.FlushSync} {
		t.Run(flush.String(), func(t *testing.T) { testPromotionCuts(t, flush) })
	}
}

func testPromotionCuts(t *testing.T, flush commitlog.FlushMode) {
	const topic = "Promote"
	r, a, b := startPair(t, broker.RoleAsyncMaster, func(c *broker.Config) { c.Store.CommitLog.FlushMode = flush })
	r.createTopic(a.addr(), topic, 1)
	before := r.sendMany(a, topic, "before", 5)
	r.caughtUp(a, b)
	r.advance(broker.DefaultSlaveSyncInterval)

	// The link to the slave fails; the master takes three more and is lost.
	r.net.SetBlocked(haHostA, haHostB, true)
	r.sendMany(a, topic, "lost", 3)
	// The slave had received the head of the first of them.
	sb := b.b.Store()
	head, ref, err := a.b.Store().ReadCommitLog(sb.ReplicaEnd(), 60)
	require.NoError(t, err)
	a.b.Abandon()
	r.settle()
	require.NoError(t, sb.AppendReplica(sb.ReplicaEnd(), head))
	ref.Release()
	end := sb.CommitLogMaxOffset()
	require.Equal(t, end+60, sb.ReplicaEnd(), "a record is still arriving")
	// A consumer committed, on the slave, past what the slave holds.
	resp := r.call(b.addr(), remoting.ReqUpdateConsumerOffset, remoting.UpdateConsumerOffsetRequestHeader{
		ConsumerGroup: "cg", Topic: topic, QueueID: 0, CommitOffset: 8}.ToExtFields(), nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)

	r.promote(b, broker.RoleAsyncMaster)
	st := b.b.HAState()
	assert.Equal(t, int64(0), st.BrokerID)
	assert.Equal(t, []string{"1-0", fmt.Sprintf("2-%d", end)}, st.Epochs)
	assert.Equal(t, end, sb.ReplicaEnd(), "the partial record is gone")
	assert.Equal(t, end, sb.CommitLogMaxOffset())
	assert.Equal(t, b.addr(), r.masterOf(), "the name server lists the promoted slave as the master")
	resp = r.call(b.addr(), remoting.ReqQueryConsumerOffset, remoting.QueryConsumerOffsetRequestHeader{
		ConsumerGroup: "cg", Topic: topic, QueueID: 0}.ToExtFields(), nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	assert.Equal(t, "5", resp.ExtFields["offset"], "the committed offset is lowered to the queue's end")

	after := r.sendMany(b, topic, "after", 2)
	assert.Equal(t, int64(7), sb.MaxOffsetInQueue(topic, 0))
	assert.Equal(t, append(before, after...), r.bodies(b.addr(), "cg", topic, 0), "offsets 5 and 6 are new messages; 0-4 kept")
	require.NoError(t, sb.CheckConsistency())
	info := runtimeTable(t, r.call(b.addr(), remoting.ReqGetBrokerRuntimeInfo, nil, nil))
	assert.Equal(t, "ASYNC_MASTER", info["brokerRole"])
	assert.Equal(t, "0", info["brokerId"])
}

// The old master, back as a slave of the promoted one, compares epochs:
// its own tail past the promotion point (messages the new master never
// had) is cut, and it copies the new master's history from there, so its
// queues hold the new master's messages at the offsets its lost ones had.
func TestHAOldMasterRejoinsAsSlaveAndCutsItsOwnTail(t *testing.T) {
	const topic = "Rejoin"
	r, a, b := startPair(t, broker.RoleAsyncMaster, nil)
	r.createTopic(a.addr(), topic, 1)
	before := r.sendMany(a, topic, "before", 5)
	r.caughtUp(a, b)
	r.advance(broker.DefaultSlaveSyncInterval)
	r.net.SetBlocked(haHostA, haHostB, true)
	r.sendMany(a, topic, "lost", 3)
	require.Equal(t, int64(8), a.b.Store().MaxOffsetInQueue(topic, 0))
	// The bytes held on the cut link never arrive.
	r.net.ResetBetween(haHostA, haHostB)
	a.b.Abandon()
	r.settle()
	r.net.SetBlocked(haHostA, haHostB, false)

	r.promote(b, broker.RoleAsyncMaster)
	cut := b.b.Store().CommitLogMaxOffset()
	after := r.sendMany(b, topic, "after", 2)

	// The old master restarts as a slave of broker-a (recovering after its
	// crash); the name server names the new master.
	a.cfg.Role, a.cfg.BrokerID = broker.RoleSlave, 1
	r.start(a)
	r.streaming(a)
	r.caughtUp(b, a)
	sa := a.b.Store()
	assert.Equal(t, b.b.HAState().Epochs, a.b.HAState().Epochs, "the old master took the new master's epochs")
	assert.Equal(t, int64(7), sa.MaxOffsetInQueue(topic, 0))
	r.advance(broker.DefaultSlaveSyncInterval)
	assert.Equal(t, append(before, after...), r.bodies(a.addr(), "cg", topic, 0), "the lost messages are gone from the old master")
	sameLog(t, b.b.Store(), sa, sa.CommitLogMinOffset())
	require.NoError(t, sa.CheckConsistency())
	assert.Greater(t, cut, int64(0))
}

// Three brokers: the master is lost while one slave was ahead of the
// other. The slave that is behind is promoted to SYNC_MASTER; the one
// ahead cuts what the new master never had, copies from it, and lets its
// sends be acknowledged.
func TestHASlaveAheadOfThePromotedOneCutsBack(t *testing.T) {
	const topic = "Ahead"
	r := newHARig(t)
	a := r.node(haHostA, broker.RoleAsyncMaster, 0, nil)
	b := r.node(haHostB, broker.RoleSlave, 1, nil)
	c := r.node(haHostC, broker.RoleSlave, 2, nil)
	for _, n := range []*haNode{a, b, c} {
		r.start(n)
	}
	r.streaming(b)
	r.streaming(c)
	r.createTopic(a.addr(), topic, 1)
	before := r.sendMany(a, topic, "before", 4)
	r.caughtUp(a, b)
	r.caughtUp(a, c)
	r.advance(broker.DefaultSlaveSyncInterval)

	r.net.SetBlocked(haHostA, haHostB, true)
	r.sendMany(a, topic, "only-c", 2)
	r.caughtUp(a, c)
	r.net.ResetBetween(haHostA, haHostB)
	a.b.Abandon()
	r.settle()

	r.promote(b, broker.RoleSyncMaster)
	// C learns the new master at its next registration.
	r.advance(broker.DefaultRegisterPeriod)
	r.streaming(c)
	require.Equal(t, b.addr(), c.b.HAState().MasterAddr)
	resp := r.send(b.addr(), topic, 0, "acked")
	require.Equal(t, remoting.ResSuccess, resp.Code, "SYNC_MASTER with a slave: %s", resp.Remark)
	r.caughtUp(b, c)
	r.advance(broker.DefaultSlaveSyncInterval)
	assert.Equal(t, append(before, "acked"), r.bodies(c.addr(), "cg", topic, 0))
	sameLog(t, b.b.Store(), c.b.Store(), c.b.Store().CommitLogMinOffset())
	require.NoError(t, c.b.Store().CheckConsistency())
}

// UPDATE_BROKER_CONFIG changes only brokerRole at run time, and only from
// slave to master.
func TestHAUpdateBrokerConfigRefusals(t *testing.T) {
	r, a, b := startPair(t, broker.RoleAsyncMaster, nil)
	tests := []struct {
		name string
		node *haNode
		body string
		code int32
	}{
		{"master to slave", a, "brokerRole=SLAVE\nbrokerId=1\n", remoting.ResInvalidParameter},
		{"async to sync", a, "brokerRole=SYNC_MASTER\n", remoting.ResInvalidParameter},
		{"already that role", a, "brokerRole=ASYNC_MASTER\n", remoting.ResSuccess},
		{"another key", a, "flushDiskType=SYNC_FLUSH\n", remoting.ResInvalidParameter},
		{"brokerId alone", b, "brokerId=0\n", remoting.ResInvalidParameter},
		{"master with an id", b, "brokerRole=ASYNC_MASTER\nbrokerId=2\n", remoting.ResInvalidParameter},
		{"unknown role", b, "brokerRole=MASTER\n", remoting.ResInvalidParameter},
		{"slave with another id", b, "brokerRole=SLAVE\nbrokerId=4\n", remoting.ResInvalidParameter},
		{"empty", b, "", remoting.ResInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := r.call(tt.node.addr(), remoting.ReqUpdateBrokerConfig, nil, []byte(tt.body))
			assert.Equal(t, tt.code, resp.Code, resp.Remark)
		})
	}
	assert.Equal(t, broker.RoleAsyncMaster, a.b.Role())
	assert.Equal(t, broker.RoleSlave, b.b.Role())
	assert.True(t, b.b.HAState().Checked, "the slave still copies its master")
}

// A delayed message the old master parked but never delivered is
// delivered by the promoted slave at its time.
func TestHAPromotedSlaveDeliversParkedMessages(t *testing.T) {
	const topic = "Later"
	r, a, b := startPair(t, broker.RoleAsyncMaster, nil)
	r.createTopic(a.addr(), topic, 1)
	r.advance(broker.DefaultSlaveSyncInterval)
	h := sendHeader(topic, 0, map[string]string{commitlog.PropertyDelayLevel: "3"}) // 10 s
	h.BornTimestamp = r.clock.Now().UnixMilli()
	resp := r.call(a.addr(), remoting.ReqSendMessage, h.ToExtFields(), []byte("parked"))
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	r.caughtUp(a, b)
	r.net.ResetBetween(haHostA, haHostB)
	a.b.Abandon()
	r.settle()

	r.promote(b, broker.RoleAsyncMaster)
	assert.Empty(t, r.bodies(b.addr(), "cg", topic, 0), "not due yet")
	r.advance(12 * time.Second)
	assert.Equal(t, []string{"parked"}, r.bodies(b.addr(), "cg", topic, 0))
}
