package broker_test

import (
	"fmt"
	"maps"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/remoting"
	"github.com/apogeemq/apogee/store/configfile"
)

// committedOffsets asks the broker for a group's committed offset of each
// queue of a topic; queues without one are absent.
func (ic *interopCluster) committedOffsets(group, topic string, queues int32) map[int32]int64 {
	ic.t.Helper()
	out := map[int32]int64{}
	for q := range queues {
		resp := ic.invoke(remoting.ReqQueryConsumerOffset, remoting.QueryConsumerOffsetRequestHeader{
			ConsumerGroup: group, Topic: topic, QueueID: q}.ToExtFields(), nil)
		if resp.Code == remoting.ResQueryNotFound {
			continue
		}
		require.Equal(ic.t, remoting.ResSuccess, resp.Code, resp.Remark)
		h, err := remoting.DecodeQueryConsumerOffsetResponseHeader(resp.ExtFields)
		require.NoError(ic.t, err)
		out[q] = h.Offset
	}
	return out
}

// queueEnds returns the next offset of each queue of a topic.
func (ic *interopCluster) queueEnds(topic string, queues int32) map[int32]int64 {
	out := map[int32]int64{}
	for q := range queues {
		out[q] = ic.broker.Store().MaxOffsetInQueue(topic, q)
	}
	return out
}

// waitCommitted waits until the broker holds want as the group's committed
// offsets (UPDATE_CONSUMER_OFFSET is sent without waiting for an answer).
func (ic *interopCluster) waitCommitted(group, topic string, want map[int32]int64) {
	ic.t.Helper()
	eventually(ic.t, func() (bool, string) {
		got := ic.committedOffsets(group, topic, int32(len(want)))
		return maps.Equal(got, want), fmt.Sprintf("committed %v, want %v", got, want)
	})
}

// waitClientOffsets waits until a consumer's own offsets of every queue
// reach want: the client advances them just after the callback returns, so
// a consumer shut down before that would commit less and get the rest of
// its batch again after a restart (at-least-once).
func waitClientOffsets(t *testing.T, c *pushConsumer, topic string, want map[int32]int64) {
	t.Helper()
	eventually(t, func() (bool, string) {
		got := c.offsets(topic)
		for q, off := range want {
			if got[int(q)] != off {
				return false, fmt.Sprintf("client offsets %v, want %v", got, want)
			}
		}
		return true, ""
	})
}

// A consumer that restarts resumes from the offsets it committed: the second
// run gets every message from the committed offsets on and none before them.
// The offsets the client committed are in consumerOffset.json after Close.
func TestInteropConsumerResumesFromCommittedOffsets(t *testing.T) {
	const n = 40
	ic := startInterop(t, nil)
	topic := uniqueName("Resume")
	ic.createTopic(topic, interopQueues)
	group := uniqueName("cg")
	p := ic.producer()
	send := func(bodies []string) {
		for _, b := range bodies {
			_, err := p.SendSync(sendCtx(t), primitive.NewMessage(topic, []byte(b)))
			require.NoError(t, err)
		}
	}

	first := bodiesOf("first", n)
	send(first)
	var got1 collector
	c1 := ic.pushConsumer(group, topic, "*", &got1)
	got1.waitBodies(t, first)
	ends := ic.queueEnds(topic, interopQueues)
	waitClientOffsets(t, c1, topic, ends)
	require.NoError(t, c1.Shutdown())
	ic.waitCommitted(group, topic, ends)
	committed := ic.committedOffsets(group, topic, interopQueues)

	second := bodiesOf("second", n)
	send(second)
	var got2 collector
	c2 := ic.pushConsumer(group, topic, "*", &got2)
	got2.waitBodies(t, second)
	for _, m := range got2.all() {
		require.GreaterOrEqual(t, m.queueOffset, committed[int32(m.queueID)],
			"%s at offset %d of queue %d is before the committed offset", m.body, m.queueOffset, m.queueID)
	}
	var after int64
	for q, end := range ic.queueEnds(topic, interopQueues) {
		after += end - committed[q]
	}
	require.Len(t, got2.all(), int(after), "every message from the committed offsets on, once")

	ends = ic.queueEnds(topic, interopQueues)
	waitClientOffsets(t, c2, topic, ends)
	require.NoError(t, c2.Shutdown())
	ic.waitCommitted(group, topic, ends)
	require.NoError(t, ic.broker.Close())
	table, _, err := configfile.LoadConsumerOffsets(env.Real().FS,
		configfile.FilePath(ic.cfg.Store.RootDir, configfile.ConsumerOffsetFile))
	require.NoError(t, err)
	require.NotNil(t, table)
	require.Equal(t, ends, table.QueueOffsets[configfile.TopicGroupKey(topic, group)])
}
