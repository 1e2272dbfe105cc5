package broker_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/remoting"
)

// consumerID returns the client id of the group's only member.
func (ic *interopCluster) consumerID(group string) string {
	ic.t.Helper()
	var id string
	eventually(ic.t, func() (bool, string) {
		resp := ic.invoke(remoting.ReqGetConsumerListByGroup,
			remoting.GetConsumerListByGroupRequestHeader{ConsumerGroup: group}.ToExtFields(), nil)
		if resp.Code != remoting.ResSuccess {
			return false, resp.Remark
		}
		l, err := remoting.DecodeConsumerListBody(resp.Body)
		require.NoError(ic.t, err)
		if len(l.ConsumerIDList) != 1 {
			return false, "members: " + strings.Join(l.ConsumerIDList, ", ")
		}
		id = l.ConsumerIDList[0]
		return true, ""
	})
	return id
}

// The operator's calls that the broker forwards to a live official
// consumer: its running info, consuming one message directly, and its own
// view of its offsets.
func TestInteropRunInfoForwardedToGoConsumer(t *testing.T) {
	ic := startInterop(t, nil)
	topic := uniqueName("RunInfo")
	ic.createTopic(topic, interopQueues)
	group := uniqueName("cg")
	var got collector
	c := ic.pushConsumer(group, topic, "*", &got)
	p := ic.producer()
	res, err := p.SendSync(sendCtx(t), primitive.NewMessage(topic, []byte("look at me")))
	require.NoError(t, err)
	got.waitBodies(t, []string{"look at me"})
	id := ic.consumerID(group)
	require.True(t, strings.HasSuffix(id, "@"+c.instance), id)

	resp := ic.invoke(remoting.ReqGetConsumerRunningInfo, runningInfoExt(group, id), nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	require.Contains(t, string(resp.Body), `"properties"`)
	require.Contains(t, string(resp.Body), topic, "the subscription is listed")

	resp = ic.invoke(remoting.ReqGetConsumerRunningInfo, runningInfoExt(group, "10.0.0.9@nobody"), nil)
	require.Equal(t, remoting.ResSystemError, resp.Code)
	require.Contains(t, resp.Remark, "not online")

	ext := remoting.ConsumeMessageDirectlyResultRequestHeader{ConsumerGroup: group, ClientID: id, MsgID: res.OffsetMsgID}.ToExtFields()
	resp, err = ic.cl.InvokeSync(ic.broker.Addr(), remoting.NewRequest(remoting.ReqConsumeMessageDirectly, ext, nil), 15*time.Second)
	require.NoError(t, err)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	var result struct {
		Order         bool `json:"order"`
		AutoCommit    bool `json:"autoCommit"`
		ConsumeResult int  `json:"consumeResult"`
	}
	require.NoError(t, json.Unmarshal(resp.Body, &result))
	require.True(t, result.AutoCommit)
	require.Zero(t, result.ConsumeResult, "CR_SUCCESS")
	require.Equal(t, 2, got.bodies()["look at me"], "the consumer's callback ran once more")

	ext = remoting.GetConsumerStatusRequestHeader{Topic: topic, Group: group}.ToExtFields()
	resp = ic.invoke(remoting.ReqInvokeBrokerToGetConsumerStatus, ext, nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	status, err := remoting.DecodeGetConsumerStatusBody(resp.Body)
	require.NoError(t, err)
	require.Contains(t, status.ConsumerTable, id)
	require.Len(t, status.ConsumerTable[id], interopQueues, "the client reports each queue it holds")
}
