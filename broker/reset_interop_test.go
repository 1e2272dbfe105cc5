package broker_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/remoting"
)

// resetClientPause is how long the official client pauses a consumer while
// it applies RESET_CONSUMER_CLIENT_OFFSET (a fixed 10 s sleep in
// pushConsumer.ResetOffset), plus room for its rebalance and pulls.
const resetClientPause = 10*time.Second + interopWait

// An offset reset by time reaches a live official push consumer, which
// consumes again from the first message stored at or after that time.
func TestInteropResetOffsetByTimeReachesTheConsumer(t *testing.T) {
	const n = 6
	ic := startInterop(t, nil)
	topic := uniqueName("Reset")
	ic.createTopic(topic, interopQueues)
	group := uniqueName("cg")
	var got collector
	ic.pushConsumer(group, topic, "*", &got)
	p := ic.producer()
	send := func(prefix string) []string {
		bodies := bodiesOf(prefix, n)
		for _, b := range bodies {
			_, err := p.SendSync(sendCtx(t), primitive.NewMessage(topic, []byte(b)))
			require.NoError(t, err)
		}
		return bodies
	}
	old := send("old")
	time.Sleep(5 * time.Millisecond) // store times are in ms: keep the mark apart
	mark := time.Now().UnixMilli()
	time.Sleep(5 * time.Millisecond)
	fresh := send("new")
	got.waitBodies(t, append(append([]string(nil), old...), fresh...))

	h := remoting.ResetOffsetRequestHeader{Topic: topic, Group: group, QueueID: remoting.ResetAllQueues,
		Offset: remoting.ResetOffsetUnset, Timestamp: mark, IsForce: true}
	resp := ic.invoke(remoting.ReqInvokeBrokerToResetOffset, h.ToExtFields(), nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	table := queueOffsets(t, resp.Body)
	require.Len(t, table, interopQueues)
	for q, off := range table {
		require.Equal(t, ic.broker.Store().OffsetInQueueByTime(topic, q, mark), off, "queue %d", q)
	}

	require.Eventually(t, func() bool {
		counts := got.bodies()
		for _, b := range fresh {
			if counts[b] < 2 {
				return false
			}
		}
		return true
	}, resetClientPause, 50*time.Millisecond, "the messages after the mark are consumed again")
	counts := got.bodies()
	for _, b := range old {
		require.Equal(t, 1, counts[b], fmt.Sprintf("%s is before the mark", b))
	}
}
