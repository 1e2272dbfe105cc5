package broker_test

// The interop tests drive a broker (and its name server) on loopback with the
// official Go client, github.com/apache/rocketmq-client-go/v2, unmodified.
// This file is their harness: a cluster with topic and route helpers, the
// client's logger, producers and consumers with names unique in the process,
// and a collector of consumed messages.
//
// Every wait is bounded by interopWait; a test that passes takes well under a
// second per step, the bound only decides how long a broken one hangs.

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/remoting"
)

const (
	// interopWait bounds every wait for the client or the broker.
	interopWait = 15 * time.Second
	// interopPoll is how often a wait looks again.
	interopPoll = 10 * time.Millisecond
	// interopQueues is the queue count of the topics the tests create.
	interopQueues = 4
	// clientRebalancePeriod is the official client's own rebalance period
	// (internal._RebalanceInterval): a rebalance that happens well before
	// it was caused by NOTIFY_CONSUMER_IDS_CHANGED.
	clientRebalancePeriod = 20 * time.Second
	// maxClientLogLines bounds the client log lines kept for a failing test.
	maxClientLogLines = 200
	// notifyLogLine is what the client logs when it receives
	// NOTIFY_CONSUMER_IDS_CHANGED (internal/client.go).
	notifyLogLine = "receive broker's notification to consumer group"
)

// clientLogger is the official client's logger during the tests: it counts
// the NOTIFY_CONSUMER_IDS_CHANGED requests each consumer group's clients
// received, and keeps the last warnings and errors to show when a test fails.
type clientLogger struct {
	mu       sync.Mutex
	notified map[string]int
	lines    []string
}

var (
	theClientLog     = &clientLogger{notified: map[string]int{}}
	installClientLog sync.Once
)

func (l *clientLogger) Debug(string, map[string]interface{}) {}

func (l *clientLogger) Info(msg string, fields map[string]interface{}) {
	if msg != notifyLogLine {
		return
	}
	group, _ := fields[rlog.LogKeyConsumerGroup].(string)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.notified[group]++
}

func (l *clientLogger) Warning(msg string, fields map[string]interface{}) {
	l.keep("WARN", msg, fields)
}
func (l *clientLogger) Error(msg string, fields map[string]interface{}) {
	l.keep("ERROR", msg, fields)
}
func (l *clientLogger) Fatal(msg string, fields map[string]interface{}) {
	l.keep("FATAL", msg, fields)
}
func (l *clientLogger) Level(string)            {}
func (l *clientLogger) OutputPath(string) error { return nil }

func (l *clientLogger) keep(level, msg string, fields map[string]interface{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) >= maxClientLogLines {
		l.lines = l.lines[1:]
	}
	l.lines = append(l.lines, fmt.Sprintf("%s %s %v", level, msg, fields))
}

// notifications returns how many NOTIFY_CONSUMER_IDS_CHANGED for group the
// clients of this process received.
func (l *clientLogger) notifications(group string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.notified[group]
}

// since returns the lines kept after the first n.
func (l *clientLogger) since(n int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n > len(l.lines) {
		n = 0
	}
	return append([]string(nil), l.lines[n:]...)
}

func (l *clientLogger) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lines)
}

// nameSeq makes group, topic and instance names unique in the process: the
// official client shares one client per instance name process-wide.
var nameSeq atomic.Int64

// uniqueName returns prefix-<n>, valid as a topic or group name.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, nameSeq.Add(1))
}

// interopCluster is a cluster driven by the official client.
type interopCluster struct {
	*cluster
	resolver primitive.NsResolver
}

// startInterop starts a name server and a broker (see startCluster) and
// routes the official client's logs to theClientLog.
func startInterop(t *testing.T, tweak func(*broker.Config)) *interopCluster {
	t.Helper()
	installClientLog.Do(func() { rlog.SetLogger(theClientLog) })
	mark := theClientLog.count()
	t.Cleanup(func() {
		if t.Failed() {
			for _, l := range theClientLog.since(mark) {
				t.Log("client: " + l)
			}
		}
	})
	c := startCluster(t, tweak)
	return &interopCluster{cluster: c, resolver: primitive.NewPassthroughResolver([]string{c.ns.Addr()})}
}

// createTopic creates a topic with queues read and write queues and waits
// until the name server routes it.
func (ic *interopCluster) createTopic(topic string, queues int32) {
	ic.t.Helper()
	resp := ic.invoke(remoting.ReqUpdateAndCreateTopic, remoting.CreateTopicRequestHeader{
		Topic: topic, DefaultTopic: broker.DefaultTopic, ReadQueueNums: queues, WriteQueueNums: queues,
		Perm: 6, TopicFilterType: "SINGLE_TAG",
	}.ToExtFields(), nil)
	require.Equal(ic.t, remoting.ResSuccess, resp.Code, resp.Remark)
	ic.waitRoute(topic)
}

// waitRoute waits until the name server answers a route for topic, and
// returns it.
func (ic *interopCluster) waitRoute(topic string) *remoting.TopicRouteData {
	ic.t.Helper()
	ext := remoting.GetRouteInfoRequestHeader{Topic: topic}.ToExtFields()
	var route *remoting.TopicRouteData
	eventually(ic.t, func() (bool, string) {
		resp, err := ic.cl.InvokeSync(ic.ns.Addr(), remoting.NewRequest(remoting.ReqGetRouteInfoByTopic, ext, nil), time.Second)
		if err != nil {
			return false, err.Error()
		}
		if resp.Code != remoting.ResSuccess {
			return false, "route of " + topic + ": " + remoting.ResponseCodeName(resp.Code)
		}
		route, err = remoting.DecodeTopicRouteData(resp.Body)
		require.NoError(ic.t, err)
		return true, ""
	})
	return route
}

// producer starts an official producer of a fresh group.
func (ic *interopCluster) producer(opts ...producer.Option) rocketmq.Producer {
	ic.t.Helper()
	all := append([]producer.Option{
		producer.WithNsResolver(ic.resolver),
		producer.WithGroupName(uniqueName("pg")),
		producer.WithInstanceName(uniqueName("producer")),
		producer.WithRetry(2),
	}, opts...)
	p, err := rocketmq.NewProducer(all...)
	require.NoError(ic.t, err)
	require.NoError(ic.t, p.Start())
	ic.t.Cleanup(func() { p.Shutdown() })
	return p
}

// pushConsumer is a started official push consumer.
type pushConsumer struct {
	rocketmq.PushConsumer
	// instance is the consumer's instance name: its client id ends with
	// "@"+instance.
	instance string
	// offsets returns, for each queue of topic the consumer currently
	// holds, the offset it will commit (its next offset to consume).
	offsets func(topic string) map[int]int64
}

// queues returns the queue ids of topic the consumer currently holds.
func (c *pushConsumer) queues(topic string) []int {
	var ids []int
	for q := range c.offsets(topic) {
		ids = append(ids, q)
	}
	sort.Ints(ids)
	return ids
}

// pushConsumer starts an official push consumer of group subscribed to
// topic with a tag expression, consuming from the first offset; received
// collects what it consumes.
func (ic *interopCluster) pushConsumer(group, topic, expr string, received *collector, opts ...consumer.Option) *pushConsumer {
	ic.t.Helper()
	instance := uniqueName("consumer")
	all := append([]consumer.Option{
		consumer.WithNsResolver(ic.resolver),
		consumer.WithGroupName(group),
		consumer.WithInstance(instance),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	}, opts...)
	pc, err := consumer.NewPushConsumer(all...)
	require.NoError(ic.t, err)
	require.NoError(ic.t, pc.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: expr}, received.consume))
	require.NoError(ic.t, pc.Start())
	ic.t.Cleanup(func() { pc.Shutdown() })
	offsets := func(topic string) map[int]int64 {
		out := map[int]int64{}
		for mq, info := range pc.GetConsumerRunningInfo(false).MQTable {
			if mq.Topic == topic {
				out[mq.QueueId] = info.CommitOffset
			}
		}
		return out
	}
	return &pushConsumer{PushConsumer: pc, instance: instance, offsets: offsets}
}

// consumedMsg is what a consumer saw of one message.
type consumedMsg struct {
	body        string
	queueID     int
	queueOffset int64
	sysFlag     int32
	props       map[string]string
}

// collector gathers consumed messages; its consume method is a push
// consumer's callback.
type collector struct {
	mu   sync.Mutex
	msgs []consumedMsg
}

func (c *collector) consume(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range msgs {
		c.msgs = append(c.msgs, consumedMsg{
			body: string(m.Body), queueID: m.Queue.QueueId, queueOffset: m.QueueOffset,
			sysFlag: m.SysFlag, props: m.GetProperties(),
		})
	}
	return consumer.ConsumeSuccess, nil
}

// all returns a copy of what was consumed, in arrival order.
func (c *collector) all() []consumedMsg {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]consumedMsg(nil), c.msgs...)
}

// bodies counts the consumed messages by body.
func (c *collector) bodies() map[string]int {
	out := map[string]int{}
	for _, m := range c.all() {
		out[m.body]++
	}
	return out
}

// waitBodies waits until every body in want was consumed at least once.
func (c *collector) waitBodies(t *testing.T, want []string) {
	t.Helper()
	eventually(t, func() (bool, string) {
		got := c.bodies()
		var missing []string
		for _, b := range want {
			if got[b] == 0 {
				missing = append(missing, b)
			}
		}
		return len(missing) == 0, fmt.Sprintf("%d of %d not consumed, first ones: %v", len(missing), len(want), head(missing, 5))
	})
}

// eventually waits up to interopWait for cond; on timeout the test fails
// with cond's last description.
func eventually(t *testing.T, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(interopWait)
	for {
		ok, what := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			require.FailNow(t, "timed out after "+interopWait.String(), what)
		}
		time.Sleep(interopPoll)
	}
}

// sendCtx is the context of one client call.
func sendCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), interopWait)
	t.Cleanup(cancel)
	return ctx
}

// bodiesOf names n messages: prefix-0 .. prefix-(n-1).
func bodiesOf(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return out
}

func head[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}
