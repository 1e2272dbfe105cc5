package broker_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/remoting"
)

func runningInfoExt(group, client string) map[string]string {
	return remoting.GetConsumerRunningInfoRequestHeader{ConsumerGroup: group, ClientID: client}.ToExtFields()
}

// GET_CONSUMER_RUNNING_INFO goes to the named client over its own
// connection, and the client's answer comes back as it was.
func TestRunInfoIsForwardedToTheNamedClient(t *testing.T) {
	r := startOpsRig(t, nil)
	a := r.consumer("cg", "client-a", "T")
	b := r.consumer("cg", "client-b", "T")
	a.setAnswer(func(req *remoting.Command) *remoting.Command {
		resp := opsReply(req, remoting.ResSuccess, "", `{"properties":{"PROP_CLIENT_VERSION":"v2"}}`)
		resp.ExtFields = map[string]string{"from": "a"}
		return resp
	})
	b.setAnswer(func(req *remoting.Command) *remoting.Command {
		return opsReply(req, remoting.ResSystemError, "Can't find specified client instance", "")
	})

	resp := r.call(remoting.ReqGetConsumerRunningInfo, runningInfoExt("cg", "client-a"), nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	require.JSONEq(t, `{"properties":{"PROP_CLIENT_VERSION":"v2"}}`, string(resp.Body))
	require.Equal(t, map[string]string{"from": "a"}, resp.ExtFields)
	fwd := a.received(remoting.ReqGetConsumerRunningInfo)
	require.Len(t, fwd, 1)
	h, err := remoting.DecodeGetConsumerRunningInfoRequestHeader(fwd[0].ExtFields)
	require.NoError(t, err)
	require.Equal(t, remoting.GetConsumerRunningInfoRequestHeader{ConsumerGroup: "cg", ClientID: "client-a"}, h)
	require.Empty(t, b.received(remoting.ReqGetConsumerRunningInfo), "only the named client is asked")

	resp = r.call(remoting.ReqGetConsumerRunningInfo, runningInfoExt("cg", "client-b"), nil)
	require.Equal(t, remoting.ResSystemError, resp.Code, "a refusal is relayed")
	require.Equal(t, "Can't find specified client instance", resp.Remark)

	for name, ext := range map[string]map[string]string{
		"unknown client": runningInfoExt("cg", "client-z"),
		"unknown group":  runningInfoExt("nobody", "client-a"),
	} {
		t.Run(name, func(t *testing.T) {
			resp := r.call(remoting.ReqGetConsumerRunningInfo, ext, nil)
			require.Equal(t, remoting.ResSystemError, resp.Code)
			require.Contains(t, resp.Remark, "not online")
		})
	}
	resp = r.call(remoting.ReqGetConsumerRunningInfo, map[string]string{"consumerGroup": "cg"}, nil)
	require.Equal(t, remoting.ResSystemError, resp.Code)
	require.Contains(t, resp.Remark, `"clientId": missing`)
}

// A client that never answers costs the operator callClientTimeout (10 s of
// the broker's clock) and a CONSUME_MSG_TIMEOUT; one whose connection
// breaks meanwhile, a SYSTEM_ERROR at once.
func TestRunInfoClientSilentOrGone(t *testing.T) {
	r := startOpsRig(t, nil)
	silent := r.consumer("cg", "silent", "T")
	answer := r.start(remoting.ReqGetConsumerRunningInfo, runningInfoExt("cg", "silent"), nil)
	r.deliver(func() bool { return len(silent.received(remoting.ReqGetConsumerRunningInfo)) == 1 })
	r.clock.Advance(9 * time.Second)
	require.Nil(t, answer(), "still waiting for the client")
	r.clock.Advance(time.Second)
	r.deliver(func() bool { return answer() != nil })
	require.Equal(t, remoting.ResConsumeMsgTimeout, answer().Code)
	require.Contains(t, answer().Remark, "consumer <cg> <silent> Timeout")

	gone := r.consumer("cg", "gone", "T")
	answer = r.start(remoting.ReqGetConsumerRunningInfo, runningInfoExt("cg", "gone"), nil)
	r.deliver(func() bool { return len(gone.received(remoting.ReqGetConsumerRunningInfo)) == 1 })
	require.NoError(t, gone.cl.Close())
	r.deliver(func() bool { return answer() != nil })
	require.Equal(t, remoting.ResSystemError, answer().Code)
	require.Contains(t, answer().Remark, "invoke consumer <cg> <gone> Exception")
}

// CONSUME_MESSAGE_DIRECTLY reaches the client with the message the offset
// message id names as its body and the broker's name in the header.
func TestRunInfoConsumeMessageDirectly(t *testing.T) {
	r := startOpsRig(t, nil)
	c := r.consumer("cg", "client-a", "Direct")
	c.setAnswer(func(req *remoting.Command) *remoting.Command {
		return opsReply(req, remoting.ResSuccess, "", `{"order":false,"autoCommit":true,"consumeResult":0,"remark":"","spentTimeMills":1}`)
	})
	r.send("Direct", 0, "ignore me")
	sent := r.send("Direct", 0, "consume me")

	ext := remoting.ConsumeMessageDirectlyResultRequestHeader{ConsumerGroup: "cg", ClientID: "client-a", MsgID: sent.MsgID,
		Topic: "Direct"}.ToExtFields()
	resp := r.call(remoting.ReqConsumeMessageDirectly, ext, nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	require.JSONEq(t, `{"order":false,"autoCommit":true,"consumeResult":0,"remark":"","spentTimeMills":1}`, string(resp.Body))

	fwd := c.received(remoting.ReqConsumeMessageDirectly)
	require.Len(t, fwd, 1)
	h, err := remoting.DecodeConsumeMessageDirectlyResultRequestHeader(fwd[0].ExtFields)
	require.NoError(t, err)
	require.Equal(t, remoting.ConsumeMessageDirectlyResultRequestHeader{ConsumerGroup: "cg", ClientID: "client-a",
		MsgID: sent.MsgID, BrokerName: r.b.Config().BrokerName, Topic: "Direct"}, h)
	rec, err := commitlog.Decode(fwd[0].Body, true)
	require.NoError(t, err)
	require.Equal(t, "consume me", string(rec.Body))
	require.Equal(t, sent.MsgID, commitlog.FormatOffsetMsgID(rec.StoreHost, rec.PhysOffset))
	require.Len(t, fwd[0].Body, int(rec.TotalSize), "exactly one record")

	_, off, err := commitlog.ParseOffsetMsgID(sent.MsgID)
	require.NoError(t, err)
	for name, tc := range map[string]struct{ msgID, remark string }{
		"not an id":         {"zz", "bad msgId"},
		"no record there":   {commitlog.FormatOffsetMsgID(rec.StoreHost, off+3), "can not find message by the offset"},
		"past the end":      {commitlog.FormatOffsetMsgID(rec.StoreHost, 1<<40), "can not find message by the offset"},
		"unknown client id": {sent.MsgID, "not online"},
	} {
		t.Run(name, func(t *testing.T) {
			client := "client-a"
			if name == "unknown client id" {
				client = "client-x"
			}
			ext := remoting.ConsumeMessageDirectlyResultRequestHeader{ConsumerGroup: "cg", ClientID: client, MsgID: tc.msgID}.ToExtFields()
			resp := r.call(remoting.ReqConsumeMessageDirectly, ext, nil)
			require.Equal(t, remoting.ResSystemError, resp.Code)
			require.Contains(t, resp.Remark, tc.remark)
		})
	}
	require.Len(t, c.received(remoting.ReqConsumeMessageDirectly), 1, "refused requests never reach the client")
}
