package broker_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/remoting"
)

// resetHeader is an INVOKE_BROKER_TO_RESET_OFFSET header for every queue.
func resetHeader(topic, group string, timestampMs int64, force bool) remoting.ResetOffsetRequestHeader {
	return remoting.ResetOffsetRequestHeader{Topic: topic, Group: group, QueueID: remoting.ResetAllQueues,
		Offset: remoting.ResetOffsetUnset, Timestamp: timestampMs, IsForce: force}
}

// committed reads a group's committed offset of a queue, -1 for none.
func (r *opsRig) committed(group, topic string, queueID int32) int64 {
	r.t.Helper()
	resp := r.call(remoting.ReqQueryConsumerOffset, remoting.QueryConsumerOffsetRequestHeader{
		ConsumerGroup: group, Topic: topic, QueueID: queueID}.ToExtFields(), nil)
	if resp.Code == remoting.ResQueryNotFound {
		return -1
	}
	require.Equal(r.t, remoting.ResSuccess, resp.Code, resp.Remark)
	h, err := remoting.DecodeQueryConsumerOffsetResponseHeader(resp.ExtFields)
	require.NoError(r.t, err)
	return h.Offset
}

func (r *opsRig) commit(group, topic string, queueID int32, offset int64) {
	r.t.Helper()
	resp := r.call(remoting.ReqUpdateConsumerOffset, remoting.UpdateConsumerOffsetRequestHeader{
		ConsumerGroup: group, Topic: topic, QueueID: queueID, CommitOffset: offset}.ToExtFields(), nil)
	require.Equal(r.t, remoting.ResSuccess, resp.Code, resp.Remark)
}

// resetTable sends a reset and returns the offsets it answered, by queue
// id.
func (r *opsRig) resetTable(h remoting.ResetOffsetRequestHeader) map[int32]int64 {
	r.t.Helper()
	resp := r.call(remoting.ReqInvokeBrokerToResetOffset, h.ToExtFields(), nil)
	require.Equal(r.t, remoting.ResSuccess, resp.Code, resp.Remark)
	return queueOffsets(r.t, resp.Body)
}

func queueOffsets(t *testing.T, body []byte) map[int32]int64 {
	t.Helper()
	b, err := remoting.DecodeResetOffsetBody(body)
	require.NoError(t, err)
	out := map[int32]int64{}
	for mq, off := range b.OffsetTable {
		require.Equal(t, "broker-a", mq.BrokerName)
		out[mq.QueueID] = off
	}
	return out
}

func TestResetOffsetByTime(t *testing.T) {
	r := startOpsRig(t, nil)
	for _, q := range []int32{0, 0, 0, 1} {
		r.send("R", q, "before")
	}
	r.clock.Advance(time.Minute)
	mark := r.clock.Now().UnixMilli()
	for _, q := range []int32{0, 0, 1, 1} {
		r.send("R", q, "after")
	}
	r.clock.Advance(time.Minute)
	c := r.consumer("rg", "client-a", "R")
	r.commit("rg", "R", 0, 5)
	r.commit("rg", "R", 1, 3)

	want := map[int32]int64{0: 3, 1: 1, 2: 0, 3: 0}
	require.Equal(t, want, r.resetTable(resetHeader("R", "rg", mark, false)))
	for q, off := range want {
		require.Equal(t, off, r.committed("rg", "R", q), "queue %d", q)
	}
	r.deliver(func() bool { return len(c.received(remoting.ReqResetConsumerClientOffset)) == 1 })
	pushed := c.received(remoting.ReqResetConsumerClientOffset)[0]
	require.Equal(t, map[string]string{"topic": "R", "group": "rg", "timestamp": strconv.FormatInt(mark, 10), "isForce": "false"}, pushed.ExtFields)
	require.Equal(t, want, queueOffsets(t, pushed.Body))

	// Without isForce a reset never moves a committed offset forward.
	require.Equal(t, want, r.resetTable(resetHeader("R", "rg", -1, false)))
	require.Equal(t, map[int32]int64{0: 5, 1: 3, 2: 0, 3: 0}, r.resetTable(resetHeader("R", "rg", -1, true)))
	require.Equal(t, map[int32]int64{0: 0, 1: 0, 2: 0, 3: 0}, r.resetTable(resetHeader("R", "rg", 0, false)))
	require.Equal(t, int64(0), r.committed("rg", "R", 0))

	// One queue to a given offset.
	one := resetHeader("R", "rg", 0, false)
	one.QueueID, one.Offset = 1, 2
	require.Equal(t, map[int32]int64{1: 2}, r.resetTable(one))
	require.Equal(t, int64(2), r.committed("rg", "R", 1))
	one.QueueID, one.Offset = 0, remoting.ResetOffsetUnset
	one.Timestamp, one.IsForce = mark, true
	require.Equal(t, map[int32]int64{0: 3}, r.resetTable(one))
	r.deliver(func() bool { return len(c.received(remoting.ReqResetConsumerClientOffset)) == 6 })
}

func TestResetOffsetRefusals(t *testing.T) {
	r := startOpsRig(t, nil)
	r.send("R", 0, "m")
	r.consumer("rg", "client-a", "R")
	bad := func(h remoting.ResetOffsetRequestHeader, code int32, remark string) {
		t.Helper()
		resp := r.call(remoting.ReqInvokeBrokerToResetOffset, h.ToExtFields(), nil)
		require.Equal(t, code, resp.Code, resp.Remark)
		require.Contains(t, resp.Remark, remark)
	}
	bad(resetHeader("Nope", "rg", 0, false), remoting.ResTopicNotExist, "no topic in this broker")
	bad(resetHeader("R", "nobody", 0, false), remoting.ResSubscriptionGroupNotExist, "Group nobody does not exist")
	h := resetHeader("R", "rg", 0, false)
	h.QueueID = 4
	bad(h, remoting.ResInvalidParameter, "has 4 read queues")
	h.QueueID, h.Offset = 0, 2
	bad(h, remoting.ResSystemError, "Target offset 2 not in consume queue range [0-1]")
	resp := r.call(remoting.ReqInvokeBrokerToResetOffset, map[string]string{"topic": "R", "group": "rg", "timestamp": "0"}, nil)
	require.Equal(t, remoting.ResSystemError, resp.Code)
	require.Contains(t, resp.Remark, `"isForce": missing`)
	require.Equal(t, int64(-1), r.committed("rg", "R", 0), "nothing was reset")
}

// A reset of a group with no client online still sets its committed
// offsets, which its consumers start from when they come back.
func TestResetOffsetWithNoConsumerOnline(t *testing.T) {
	r := startOpsRig(t, nil)
	r.send("R", 0, "m")
	c := r.consumer("rg", "client-a", "R")
	require.NoError(t, c.cl.Close())
	r.commit("rg", "R", 0, 1)
	require.Equal(t, map[int32]int64{0: 0, 1: 0, 2: 0, 3: 0}, r.resetTable(resetHeader("R", "rg", 0, false)))
	require.Equal(t, int64(0), r.committed("rg", "R", 0))
}

// INVOKE_BROKER_TO_GET_CONSUMER_STATUS gathers each client's own offsets;
// a client that refuses is left out.
func TestResetGetConsumerStatus(t *testing.T) {
	r := startOpsRig(t, nil)
	a := r.consumer("sg", "client-a", "S")
	b := r.consumer("sg", "client-b", "S")
	r.consumer("sg", "client-c", "S").setAnswer(func(req *remoting.Command) *remoting.Command {
		return opsReply(req, remoting.ResSystemError, "there is unexpected error", "")
	})
	a.setAnswer(func(req *remoting.Command) *remoting.Command {
		return opsReply(req, remoting.ResSuccess, "", `{"messageQueueTable":{{"topic":"S","brokerName":"broker-a","queueId":0}:7}}`)
	})
	b.setAnswer(func(req *remoting.Command) *remoting.Command {
		return opsReply(req, remoting.ResSuccess, "", `{"messageQueueTable":{}}`)
	})
	ext := remoting.GetConsumerStatusRequestHeader{Topic: "S", Group: "sg"}.ToExtFields()
	resp := r.call(remoting.ReqInvokeBrokerToGetConsumerStatus, ext, nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	got, err := remoting.DecodeGetConsumerStatusBody(resp.Body)
	require.NoError(t, err)
	require.Equal(t, map[string]map[remoting.MessageQueue]int64{
		"client-a": {{Topic: "S", BrokerName: "broker-a", QueueID: 0}: 7},
		"client-b": {},
	}, got.ConsumerTable)
	asked := a.received(remoting.ReqGetConsumerStatusFromClient)
	require.Len(t, asked, 1)
	require.Equal(t, map[string]string{"topic": "S", "group": "sg"}, asked[0].ExtFields)

	ext = remoting.GetConsumerStatusRequestHeader{Topic: "S", Group: "sg", ClientAddr: "client-b"}.ToExtFields()
	resp = r.call(remoting.ReqInvokeBrokerToGetConsumerStatus, ext, nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	got, err = remoting.DecodeGetConsumerStatusBody(resp.Body)
	require.NoError(t, err)
	require.Equal(t, map[string]map[remoting.MessageQueue]int64{"client-b": {}}, got.ConsumerTable)
	require.Len(t, a.received(remoting.ReqGetConsumerStatusFromClient), 1, "only the named client is asked")

	ext = remoting.GetConsumerStatusRequestHeader{Topic: "S", Group: "nobody"}.ToExtFields()
	resp = r.call(remoting.ReqInvokeBrokerToGetConsumerStatus, ext, nil)
	require.Equal(t, remoting.ResSystemError, resp.Code)
	require.Contains(t, resp.Remark, "No Any Consumer online")
}
