package broker_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/remoting"
	"github.com/apogeemq/apogee/store/configfile"
)

// startPair starts master A and slave B of broker-a and waits until B
// streams from A.
func startPair(t *testing.T, masterRole broker.Role, tweak func(*broker.Config)) (*haRig, *haNode, *haNode) {
	r := newHARig(t)
	a := r.node(haHostA, masterRole, 0, tweak)
	b := r.node(haHostB, broker.RoleSlave, 1, tweak)
	r.start(a)
	r.start(b)
	r.streaming(b)
	return r, a, b
}

// A slave registers with its brokerId, streams its master's log, serves
// pulls of what it copied, refuses sends, and copies the master's topics,
// groups, committed offsets and delay progress every SlaveSyncInterval.
func TestHASlaveServesPullsRefusesSendsCopiesMetadata(t *testing.T) {
	r, a, b := startPair(t, broker.RoleAsyncMaster, nil)
	route, ok := r.ns.Registry().Route(broker.DefaultBrokerName)
	require.True(t, ok)
	require.Equal(t, map[int64]string{0: a.addr(), 1: b.addr()}, route.BrokerDatas[0].Addrs)
	st := b.b.HAState()
	assert.Equal(t, a.addr(), st.MasterAddr)
	assert.Equal(t, haHostA+":"+haHAPort, st.MasterHAAddr)
	assert.Equal(t, []string{"1-0"}, st.Epochs, "the slave copied the master's epochs")

	const topic = "Orders"
	r.createTopic(a.addr(), topic, 4)
	group := configfile.NewSubscriptionGroupConfig("cg-orders")
	group.RetryMaxTimes = 7
	resp := r.call(a.addr(), remoting.ReqUpdateAndCreateSubscriptionGroup, nil, remoting.AppendSubscriptionGroupConfigJSON(nil, &group))
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	var want [4][]string
	for i := range 20 {
		body := fmt.Sprintf("order-%d", i)
		q := int32(i % 4)
		r.sendOK(a.addr(), topic, q, body)
		want[q] = append(want[q], body)
	}
	r.caughtUp(a, b)

	// Before the next sync the slave does not know the topic.
	resp, _, _ = r.pull(b.addr(), "cg-orders", topic, 0, 0)
	require.Equal(t, remoting.ResTopicNotExist, resp.Code, resp.Remark)

	resp = r.call(a.addr(), remoting.ReqUpdateConsumerOffset, remoting.UpdateConsumerOffsetRequestHeader{
		ConsumerGroup: "cg-orders", Topic: topic, QueueID: 2, CommitOffset: 3}.ToExtFields(), nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	r.advance(broker.DefaultSlaveSyncInterval)

	for q := range int32(4) {
		assert.Equal(t, want[q], r.bodies(b.addr(), "cg-orders", topic, q), "queue %d read from the slave", q)
	}
	topics, err := configfile.ParseTopics(r.call(b.addr(), remoting.ReqGetAllTopicConfig, nil, nil).Body)
	require.NoError(t, err)
	require.Contains(t, topics.Topics, topic)
	assert.Equal(t, int32(4), topics.Topics[topic].ReadQueueNums)
	groups, err := configfile.ParseSubscriptionGroups(r.call(b.addr(), remoting.ReqGetAllSubscriptionGroupConfig, nil, nil).Body)
	require.NoError(t, err)
	require.Contains(t, groups.Groups, "cg-orders")
	assert.Equal(t, int32(7), groups.Groups["cg-orders"].RetryMaxTimes)
	resp = r.call(b.addr(), remoting.ReqQueryConsumerOffset, remoting.QueryConsumerOffsetRequestHeader{
		ConsumerGroup: "cg-orders", Topic: topic, QueueID: 2}.ToExtFields(), nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	assert.Equal(t, "3", resp.ExtFields["offset"], "the slave copied the committed offset")

	resp = r.send(b.addr(), topic, 0, "refused")
	assert.Equal(t, remoting.ResServiceNotAvailable, resp.Code, "a slave refuses sends: %s", resp.Remark)
	assert.Equal(t, 20, int(b.b.Store().MaxOffsetInQueue(topic, 0)+b.b.Store().MaxOffsetInQueue(topic, 1)+
		b.b.Store().MaxOffsetInQueue(topic, 2)+b.b.Store().MaxOffsetInQueue(topic, 3)))
	require.NoError(t, b.b.Store().CheckConsistency())

	// Delay progress: a level-1 message is delivered by the master, whose
	// progress the slave copies once the master wrote it.
	h := sendHeader(topic, 0, map[string]string{commitlog.PropertyDelayLevel: "1"})
	h.BornTimestamp = r.clock.Now().UnixMilli()
	resp = r.call(a.addr(), remoting.ReqSendMessage, h.ToExtFields(), []byte("later"))
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	r.advance(broker.DefaultFlushDelayOffsetInterval + broker.DefaultSlaveSyncInterval + 2*time.Second)
	info := runtimeTable(t, r.call(b.addr(), remoting.ReqGetBrokerRuntimeInfo, nil, nil))
	assert.Equal(t, "1,1", info["scheduleMessageOffset_1"], "the slave copied level 1's progress")
	assert.Equal(t, "SLAVE", info["brokerRole"])
	assert.Equal(t, "1", info["brokerId"])
}

// runtimeTable decodes GET_BROKER_RUNTIME_INFO's table.
func runtimeTable(t *testing.T, resp *remoting.Command) map[string]string {
	t.Helper()
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	kv, err := remoting.DecodeKVTable(resp.Body)
	require.NoError(t, err)
	return kv.Table
}

// A SYNC_MASTER answers SLAVE_NOT_AVAILABLE while no slave is connected
// (the message is stored), and SEND_OK once a slave acknowledged it; an
// ASYNC_MASTER answers SEND_OK either way.
func TestHASyncMasterWaitsForTheSlave(t *testing.T) {
	for _, tc := range []struct {
		role     broker.Role
		unpaired int32
	}{
		{broker.RoleSyncMaster, remoting.ResSlaveNotAvailable},
		{broker.RoleAsyncMaster, remoting.ResSuccess},
	} {
		t.Run(string(tc.role), func(t *testing.T) {
			r := newHARig(t)
			a := r.node(haHostA, tc.role, 0, nil)
			r.start(a)
			r.createTopic(a.addr(), "Sync", 1)
			resp := r.send(a.addr(), "Sync", 0, "alone")
			require.Equal(t, tc.unpaired, resp.Code, resp.Remark)

			b := r.node(haHostB, broker.RoleSlave, 1, nil)
			r.start(b)
			r.streaming(b)
			r.caughtUp(a, b)
			resp = r.send(a.addr(), "Sync", 0, "paired")
			require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
			assert.Equal(t, a.b.Store().CommitLogMaxOffset(), b.b.Store().ReplicaEnd(),
				"the slave holds the message once the send is answered")
			slaves := a.b.HAState().Slaves
			require.Len(t, slaves, 1)
			assert.Equal(t, a.b.Store().CommitLogMaxOffset(), slaves[0].AckOffset)
		})
	}
}

// With slaveReadEnable the master's pull answers suggest the broker the
// group's config names: its brokerId, or whichBrokerWhenConsumeSlowly
// when the answer's last message lies SlowConsumerLagBytes or more behind
// the log's end. Without it they always suggest the master. A slave
// serves the pull either way.
func TestHAPullSuggestsTheSlave(t *testing.T) {
	const topic, n = "Suggest", 20
	r, a, b := startPair(t, broker.RoleAsyncMaster, func(c *broker.Config) {
		c.SlaveReadEnable = true
		c.SlowConsumerLagBytes = 2000
	})
	r.createTopic(a.addr(), topic, 1)
	for i := range n {
		r.sendOK(a.addr(), topic, 0, fmt.Sprintf("m-%02d", i))
	}
	suggest := func(addr, group string, offset int64) int64 {
		h := pullHeader(group, topic, 0, offset, "*")
		h.MaxMsgNums = 1
		resp := r.call(addr, remoting.ReqPullMessage, h.ToExtFields(), nil)
		require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
		rh, err := remoting.DecodePullMessageResponseHeader(resp.ExtFields)
		require.NoError(t, err)
		return rh.SuggestWhichBrokerID
	}
	assert.Equal(t, int64(1), suggest(a.addr(), "cg-default", 0), "far behind: whichBrokerWhenConsumeSlowly (1)")
	assert.Equal(t, int64(0), suggest(a.addr(), "cg-default", n-1), "caught up: the group's brokerId (0)")

	slaveReader := configfile.NewSubscriptionGroupConfig("cg-slave")
	slaveReader.BrokerID = 1
	resp := r.call(a.addr(), remoting.ReqUpdateAndCreateSubscriptionGroup, nil, remoting.AppendSubscriptionGroupConfigJSON(nil, &slaveReader))
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	assert.Equal(t, int64(1), suggest(a.addr(), "cg-slave", n-1), "a group that reads from broker 1")

	r.caughtUp(a, b)
	r.advance(broker.DefaultSlaveSyncInterval)
	assert.Equal(t, int64(1), suggest(b.addr(), "cg-slave", n-1), "the slave keeps such a group on itself")
	assert.Equal(t, int64(1), suggest(b.addr(), "cg-default", 0))
}

// Without slaveReadEnable every answer suggests the master, the slave's
// included, and the slave still serves the pull.
func TestHAPullSuggestsTheMasterWithoutSlaveRead(t *testing.T) {
	const topic = "NoSlaveRead"
	r, a, b := startPair(t, broker.RoleAsyncMaster, func(c *broker.Config) { c.SlowConsumerLagBytes = 1 })
	r.createTopic(a.addr(), topic, 1)
	for i := range 5 {
		r.sendOK(a.addr(), topic, 0, "m-"+strconv.Itoa(i))
	}
	r.caughtUp(a, b)
	r.advance(broker.DefaultSlaveSyncInterval)
	for _, n := range []*haNode{a, b} {
		resp, h, recs := r.pull(n.addr(), "cg", topic, 0, 0)
		require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
		assert.Len(t, recs, 5)
		assert.Equal(t, int64(0), h.SuggestWhichBrokerID, "%s suggests the master", n.host)
	}
}
