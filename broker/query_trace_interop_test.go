package broker_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/remoting"
)

// A producer and a consumer with tracing on work against Apogee: their
// trace records land in RMQ_SYS_TRACE_TOPIC, keyed by the traced message's
// id, where a query by that id finds the send (Pub) and the consumption
// (SubBefore, SubAfter) as a trace console would.
func TestInteropQueryTraceTopic(t *testing.T) {
	ic := startInterop(t, nil)
	topic := uniqueName("Traced")
	ic.createTopic(topic, interopQueues)
	ic.waitRoute(broker.TraceTopic)
	trace := func(group string) *primitive.TraceConfig {
		return &primitive.TraceConfig{GroupName: group, Access: primitive.Local, Resolver: ic.resolver}
	}
	var got collector
	group := uniqueName("cg")
	ic.pushConsumer(group, topic, "*", &got, consumer.WithTrace(trace(group)))
	p := ic.producer(producer.WithTrace(trace(uniqueName("pg"))))
	res, err := p.SendSync(sendCtx(t), primitive.NewMessage(topic, []byte("traced body")).WithKeys([]string{"order-77"}))
	require.NoError(t, err)
	require.Equal(t, primitive.SendOK, res.Status)
	got.waitBodies(t, []string{"traced body"})

	eventually(t, func() (bool, string) {
		ext := remoting.QueryMessageRequestHeader{Topic: broker.TraceTopic, Key: res.MsgID, MaxNum: 32,
			EndTimestamp: time.Now().Add(time.Hour).UnixMilli()}.ToExtFields()
		resp := ic.invoke(remoting.ReqQueryMessage, ext, nil)
		if resp.Code != remoting.ResSuccess {
			return false, "no trace yet: " + remoting.ResponseCodeName(resp.Code)
		}
		var all strings.Builder
		for _, r := range decodeRecords(t, resp.Body) {
			require.Equal(t, broker.TraceTopic, string(r.Topic))
			all.Write(r.Body)
		}
		text := all.String()
		for _, kind := range []string{"Pub", "SubBefore", "SubAfter"} {
			if !strings.Contains(text, kind) {
				return false, fmt.Sprintf("no %s record yet in %q", kind, text)
			}
		}
		require.Contains(t, text, res.MsgID)
		require.Contains(t, text, "order-77")
		return true, ""
	})
}
