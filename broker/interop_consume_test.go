package broker_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/remoting"
)

// sendToQueue sends one message with a tag to a chosen queue through a
// producer made with the manual queue selector.
func (ic *interopCluster) sendToQueue(p rocketmq.Producer, topic string, queueID int, tag, body string) *primitive.SendResult {
	ic.t.Helper()
	msg := primitive.NewMessage(topic, []byte(body)).WithTag(tag)
	msg.Queue = &primitive.MessageQueue{Topic: topic, BrokerName: ic.broker.Config().BrokerName, QueueId: queueID}
	res, err := p.SendSync(sendCtx(ic.t), msg)
	require.NoError(ic.t, err)
	require.Equal(ic.t, primitive.SendOK, res.Status)
	require.Equal(ic.t, queueID, res.MessageQueue.QueueId)
	return res
}

// rawPullAll reads a queue from offset 0 to its end with PULL_MESSAGE
// requests of our own and returns the records. An empty expr filters with
// the group's registered subscription (the push consumer's way: no
// subscription flag); another is sent with the subscription flag (the pull
// consumer's way).
func (ic *interopCluster) rawPullAll(group, topic string, queueID int32, expr string) []commitlog.Record {
	ic.t.Helper()
	var out []commitlog.Record
	maxOffset := ic.broker.Store().MaxOffsetInQueue(topic, queueID)
	for offset := int64(0); offset < maxOffset; {
		h := pullHeader(group, topic, queueID, offset, expr)
		if expr == "" {
			h.SysFlag = 0
		}
		resp := ic.invoke(remoting.ReqPullMessage, h.ToExtFields(), nil)
		require.Contains(ic.t, []int32{remoting.ResSuccess, remoting.ResPullRetryImmediately}, resp.Code, resp.Remark)
		if resp.Code == remoting.ResSuccess {
			out = append(out, decodeRecords(ic.t, resp.Body)...)
		}
		rh, err := remoting.DecodePullMessageResponseHeader(resp.ExtFields)
		require.NoError(ic.t, err)
		require.Greater(ic.t, rh.NextBeginOffset, offset, "a pull moves on")
		offset = rh.NextBeginOffset
	}
	return out
}

// A "TagA || TagB" push subscriber receives every TagA and TagB message and
// no TagC one; the broker already filters with the subscription the
// heartbeat registered (the client filters again on its side, so the broker's
// answers are checked as well).
func TestInteropTagFilter(t *testing.T) {
	const n = 60
	ic := startInterop(t, nil)
	topic := uniqueName("Tags")
	ic.createTopic(topic, interopQueues)
	group := uniqueName("cg")
	var got collector
	ic.pushConsumer(group, topic, "TagA || TagB", &got)

	p := ic.producer(producer.WithQueueSelector(producer.NewManualQueueSelector()))
	tags := []string{"TagA", "TagB", "TagC"}
	var want []string
	for i := range n {
		tag := tags[i%len(tags)]
		body := fmt.Sprintf("%s-%d", tag, i)
		ic.sendToQueue(p, topic, i%interopQueues, tag, body)
		if tag != "TagC" {
			want = append(want, body)
		}
	}
	// A last TagB on every queue: once it is consumed, the consumer has read
	// past every TagC of that queue.
	for q := range interopQueues {
		body := fmt.Sprintf("fence-%d", q)
		ic.sendToQueue(p, topic, q, "TagB", body)
		want = append(want, body)
	}
	got.waitBodies(t, want)
	for _, m := range got.all() {
		require.NotEqual(t, "TagC", m.props[primitive.PropertyTags], "%s reached a TagA || TagB subscriber", m.body)
	}
	require.Len(t, got.all(), len(want))

	// What the broker answers, with the heartbeat's subscription and with
	// the expression in the request.
	for _, expr := range []string{"", "TagA || TagB"} {
		for q := range int32(interopQueues) {
			recs := ic.rawPullAll(group, topic, q, expr)
			for _, r := range recs {
				tag, _ := commitlog.PropertyValue(r.Properties, commitlog.PropertyTags)
				require.Contains(t, []string{"TagA", "TagB"}, string(tag), "the broker answered %s on queue %d (expression %q)", r.Body, q, expr)
			}
			require.Len(t, recs, int(ic.broker.Store().MaxOffsetInQueue(topic, q))-countTagC(n, q),
				"queue %d: every TagA and TagB (expression %q)", q, expr)
		}
	}
}

// countTagC is how many TagC messages TestInteropTagFilter put on a queue.
func countTagC(n int, queueID int32) int {
	c := 0
	for i := range n {
		if i%3 == 2 && int32(i%interopQueues) == queueID {
			c++
		}
	}
	return c
}

// Two members of a clustering group split the queues — rebalanced at once by
// NOTIFY_CONSUMER_IDS_CHANGED, not by the client's 20 s timer — and the
// broker lists both; each consumes a share and the union is everything sent.
func TestInteropClusteringGroupSplitsQueues(t *testing.T) {
	const n = 80
	ic := startInterop(t, nil)
	topic := uniqueName("Cluster")
	ic.createTopic(topic, interopQueues)
	group := uniqueName("cg")

	var got1, got2 collector
	c1 := ic.pushConsumer(group, topic, "*", &got1)
	eventually(t, func() (bool, string) {
		q := c1.queues(topic)
		return len(q) == interopQueues, fmt.Sprintf("the lone member holds %v", q)
	})
	before := theClientLog.notifications(group)
	joined := time.Now()
	c2 := ic.pushConsumer(group, topic, "*", &got2)
	eventually(t, func() (bool, string) {
		q1, q2 := c1.queues(topic), c2.queues(topic)
		return len(q1) == interopQueues/2 && len(q2) == interopQueues/2 && disjoint(q1, q2),
			fmt.Sprintf("members hold %v and %v", q1, q2)
	})
	require.Less(t, time.Since(joined), clientRebalancePeriod/2, "rebalanced before the client's own timer")
	require.GreaterOrEqual(t, theClientLog.notifications(group)-before, 2, "both members received NOTIFY_CONSUMER_IDS_CHANGED")

	resp := ic.invoke(remoting.ReqGetConsumerListByGroup, remoting.GetConsumerListByGroupRequestHeader{ConsumerGroup: group}.ToExtFields(), nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	list, err := remoting.DecodeConsumerListBody(resp.Body)
	require.NoError(t, err)
	require.Len(t, list.ConsumerIDList, 2)
	for i, c := range []*pushConsumer{c1, c2} {
		found := false
		for _, id := range list.ConsumerIDList {
			found = found || strings.HasSuffix(id, "@"+c.instance)
		}
		require.True(t, found, "member %d (%s) is listed in %v", i+1, c.instance, list.ConsumerIDList)
	}

	p := ic.producer()
	bodies := bodiesOf("msg", n)
	for _, b := range bodies {
		_, err := p.SendSync(sendCtx(t), primitive.NewMessage(topic, []byte(b)))
		require.NoError(t, err)
	}
	eventually(t, func() (bool, string) {
		union := map[string]int{}
		for b, k := range got1.bodies() {
			union[b] += k
		}
		for b, k := range got2.bodies() {
			union[b] += k
		}
		return len(union) == n, fmt.Sprintf("%d of %d consumed", len(union), n)
	})
	require.NotEmpty(t, got1.all(), "member 1 got a share")
	require.NotEmpty(t, got2.all(), "member 2 got a share")
	assert.Len(t, append(got1.all(), got2.all()...), n, "with the queues settled before sending, nothing is delivered twice")
	held := map[int]bool{}
	for _, q := range c1.queues(topic) {
		held[q] = true
	}
	for _, m := range got1.all() {
		assert.True(t, held[m.queueID], "member 1 consumed %s from queue %d it does not hold", m.body, m.queueID)
	}

	// When member 2 leaves (its connection closes; the client never
	// unregisters), member 1 is told and takes every queue, resuming where
	// member 2 committed. Member 2 leaves once its own offsets cover what it
	// consumed, so that nothing is due again.
	ends2 := map[int32]int64{}
	for _, q := range c2.queues(topic) {
		ends2[int32(q)] = ic.broker.Store().MaxOffsetInQueue(topic, int32(q))
	}
	waitClientOffsets(t, c2, topic, ends2)
	consumedBefore := len(got1.all())
	before = theClientLog.notifications(group)
	left := time.Now()
	require.NoError(t, c2.Shutdown())
	eventually(t, func() (bool, string) {
		q := c1.queues(topic)
		return len(q) == interopQueues, fmt.Sprintf("the remaining member holds %v", q)
	})
	require.Less(t, time.Since(left), clientRebalancePeriod/2, "rebalanced before the client's own timer")
	require.Greater(t, theClientLog.notifications(group), before, "the remaining member received NOTIFY_CONSUMER_IDS_CHANGED")
	later := bodiesOf("later", n/2)
	for _, b := range later {
		_, err := p.SendSync(sendCtx(t), primitive.NewMessage(topic, []byte(b)))
		require.NoError(t, err)
	}
	got1.waitBodies(t, later)
	for _, m := range got1.all()[consumedBefore:] {
		assert.True(t, strings.HasPrefix(m.body, "later-"), "member 1 consumed %s again after taking queue %d over", m.body, m.queueID)
	}
}

func disjoint(a, b []int) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return false
			}
		}
	}
	return true
}

// localOffsetDir is where the official client keeps a broadcasting group's
// offsets (consumer/offset_store.go): <dir>/<group>/<clientID>/offset.json.
func localOffsetDir() string {
	if d := os.Getenv("rocketmq.client.localOffsetStoreDir"); d != "" {
		return d
	}
	return filepath.Join(os.Getenv("HOME"), ".rocketmq_client_go")
}

// Two members of a broadcasting group each consume everything; their offsets
// stay on the client, so the broker holds none for the group.
func TestInteropBroadcastingMembersEachGetEverything(t *testing.T) {
	const n = 40
	ic := startInterop(t, nil)
	topic := uniqueName("Broadcast")
	ic.createTopic(topic, interopQueues)
	group := uniqueName("bg")
	t.Cleanup(func() {
		os.RemoveAll(filepath.Join(localOffsetDir(), group))
		os.Remove(localOffsetDir()) // only when nothing else is kept there
	})

	var got1, got2 collector
	c1 := ic.pushConsumer(group, topic, "*", &got1, consumer.WithConsumerModel(consumer.BroadCasting))
	c2 := ic.pushConsumer(group, topic, "*", &got2, consumer.WithConsumerModel(consumer.BroadCasting))
	eventually(t, func() (bool, string) {
		q1, q2 := c1.queues(topic), c2.queues(topic)
		return len(q1) == interopQueues && len(q2) == interopQueues, fmt.Sprintf("members hold %v and %v", q1, q2)
	})

	p := ic.producer()
	bodies := bodiesOf("msg", n)
	for _, b := range bodies {
		_, err := p.SendSync(sendCtx(t), primitive.NewMessage(topic, []byte(b)))
		require.NoError(t, err)
	}
	got1.waitBodies(t, bodies)
	got2.waitBodies(t, bodies)
	require.Len(t, got1.all(), n)
	require.Len(t, got2.all(), n)

	for q := range int32(interopQueues) {
		resp := ic.invoke(remoting.ReqQueryConsumerOffset, remoting.QueryConsumerOffsetRequestHeader{
			ConsumerGroup: group, Topic: topic, QueueID: q}.ToExtFields(), nil)
		require.Equal(t, remoting.ResponseCodeName(remoting.ResQueryNotFound), remoting.ResponseCodeName(resp.Code), "queue %d", q)
	}
}

// The official pull consumer reads a queue from offset 0 with PullFrom, and
// a PullFrom at the end of the queue is held until the next message arrives
// (long polling).
//
// The consumer is started in assign mode with no queue of its own: PullFrom
// writes the consumer's group field on every call, which races with the
// client's background pulls of subscribed or assigned queues.
func TestInteropPullConsumerReadsAQueueFromOffsetZero(t *testing.T) {
	const n, queueID, batch = 25, 1, 10
	ic := startInterop(t, nil)
	topic := uniqueName("Pull")
	ic.createTopic(topic, interopQueues)
	p := ic.producer(producer.WithQueueSelector(producer.NewManualQueueSelector()))
	for i := range n {
		ic.sendToQueue(p, topic, queueID, "TagA", fmt.Sprintf("pull-%d", i))
	}
	ic.sendToQueue(p, topic, queueID+1, "TagA", "elsewhere")

	pc, err := consumer.NewPullConsumer(
		consumer.WithNsResolver(ic.resolver),
		consumer.WithGroupName(uniqueName("pullg")),
		consumer.WithInstance(uniqueName("puller")),
	)
	require.NoError(t, err)
	require.NoError(t, pc.Assign(topic, nil))
	require.NoError(t, pc.Start())
	t.Cleanup(func() { pc.Shutdown() })
	mqs, err := pc.GetTopicRouteInfo(topic)
	require.NoError(t, err)
	require.Len(t, mqs, interopQueues)
	var mq primitive.MessageQueue
	for _, q := range mqs {
		if q.QueueId == queueID {
			mq = *q
		}
	}
	require.Equal(t, ic.broker.Config().BrokerName, mq.BrokerName)
	ctx := sendCtx(t)

	var offset int64
	for offset < n {
		q := mq
		res, err := pc.PullFrom(ctx, &q, offset, batch)
		require.NoError(t, err)
		require.Equal(t, primitive.PullFound, res.Status, "at offset %d", offset)
		require.EqualValues(t, n, res.MaxOffset)
		msgs := res.GetMessageExts()
		require.NotEmpty(t, msgs)
		require.LessOrEqual(t, len(msgs), batch)
		for _, m := range msgs {
			require.Equal(t, offset, m.QueueOffset)
			require.Equal(t, fmt.Sprintf("pull-%d", offset), string(m.Body))
			offset++
		}
		require.Equal(t, offset, res.NextBeginOffset)
	}

	// At the end of the queue the pull is held, then answered by the arrival.
	type pulled struct {
		res *primitive.PullResult
		err error
	}
	done := make(chan pulled, 1)
	go func() {
		q := mq
		res, err := pc.PullFrom(ctx, &q, n, batch)
		done <- pulled{res, err}
	}()
	time.Sleep(200 * time.Millisecond)
	select {
	case r := <-done:
		require.FailNow(t, "a pull at the end of the queue was answered before any arrival", "%+v", r)
	default:
	}
	ic.sendToQueue(p, topic, queueID, "TagA", "late")
	select {
	case r := <-done:
		require.NoError(t, r.err)
		require.Equal(t, primitive.PullFound, r.res.Status)
		require.Len(t, r.res.GetMessageExts(), 1)
		require.Equal(t, "late", string(r.res.GetMessageExts()[0].Body))
	case <-time.After(interopWait):
		require.FailNow(t, "the held pull was not answered by the arrival")
	}
}
