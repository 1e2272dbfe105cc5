package broker_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/store"
)

// oneSecondLevels makes every delay level 1 s, so that retries come back
// within the tests' patience.
func oneSecondLevels(c *broker.Config) {
	c.Store.DelayLevels = make([]time.Duration, 18)
	for i := range c.Store.DelayLevels {
		c.Store.DelayLevels[i] = time.Second
	}
}

// delivery is one message a consumer callback saw, and when.
type delivery struct {
	at             time.Time
	body           string
	topic          string
	reconsumeTimes int32
	storeMs        int64
	props          map[string]string
}

// deliveries records what a callback saw and answers with result.
type deliveries struct {
	mu     sync.Mutex
	seen   []delivery
	result func(*primitive.MessageExt) consumer.ConsumeResult
}

func (d *deliveries) consume(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := consumer.ConsumeSuccess
	for _, m := range msgs {
		d.seen = append(d.seen, delivery{at: time.Now(), body: string(m.Body), topic: m.Topic,
			reconsumeTimes: m.ReconsumeTimes, storeMs: m.StoreTimestamp, props: m.GetProperties()})
		if d.result != nil {
			if r := d.result(m); r != consumer.ConsumeSuccess {
				out = r
			}
		}
	}
	return out, nil
}

func (d *deliveries) all() []delivery {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]delivery(nil), d.seen...)
}

// startConsumer starts an official push consumer of group on topic calling
// d, consuming from the first offset, one message per call.
func (ic *interopCluster) startConsumer(group, topic string, d *deliveries, opts ...consumer.Option) {
	ic.t.Helper()
	all := append([]consumer.Option{
		consumer.WithNsResolver(ic.resolver),
		consumer.WithGroupName(group),
		consumer.WithInstance(uniqueName("consumer")),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithConsumeMessageBatchMaxSize(1),
	}, opts...)
	pc, err := consumer.NewPushConsumer(all...)
	require.NoError(ic.t, err)
	require.NoError(ic.t, pc.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"}, d.consume))
	require.NoError(ic.t, pc.Start())
	ic.t.Cleanup(func() { pc.Shutdown() })
}

// A level-2 message (5 s by default) reaches a push consumer no earlier
// than 5 s after it was sent and soon after, without the properties the
// broker used to park it.
func TestInteropDelayLevel2ComesAfterItsDelay(t *testing.T) {
	ic := startInterop(t, nil)
	topic := uniqueName("Delay")
	ic.createTopic(topic, 1)
	var d deliveries
	ic.startConsumer(uniqueName("cg"), topic, &d)

	p := ic.producer()
	sent := time.Now()
	res, err := p.SendSync(sendCtx(t), primitive.NewMessage(topic, []byte("later")).WithTag("T").WithDelayTimeLevel(2))
	require.NoError(t, err)
	require.Equal(t, primitive.SendOK, res.Status)

	eventually(t, func() (bool, string) { return len(d.all()) == 1, "waiting for the delayed message" })
	got := d.all()[0]
	assert.GreaterOrEqual(t, got.at.Sub(sent), 5*time.Second, "not consumed before its delay")
	assert.GreaterOrEqual(t, got.storeMs, sent.UnixMilli()+5000, "not delivered before its delay")
	assert.Less(t, got.storeMs, sent.UnixMilli()+6500, "delivered soon after its delay")
	assert.Less(t, got.at.Sub(sent), 7*time.Second, "consumed soon after its delay")
	assert.Equal(t, topic, got.topic)
	assert.Equal(t, "later", got.body)
	assert.Equal(t, "T", got.props[primitive.PropertyTags])
	for _, gone := range []string{commitlog.PropertyDelayLevel, commitlog.PropertyRealTopic, commitlog.PropertyRealQueueID} {
		assert.NotContains(t, got.props, gone)
	}
	assert.Equal(t, res.MsgID, got.props[commitlog.PropertyUniqKey], "the client's message id is kept")
}

// A consumer that answers ConsumeRetryLater sees the message again, with
// ReconsumeTimes 1, under its own topic (the client restores it from
// RETRY_TOPIC).
func TestInteropRetryLaterComesBackWithReconsumeTimes(t *testing.T) {
	ic := startInterop(t, oneSecondLevels)
	topic := uniqueName("Retry")
	ic.createTopic(topic, 1)
	group := uniqueName("cg")
	// The group's retry topic exists before the consumer starts, as for a
	// group that consumed before: the client reads routes at start and
	// only every 30 s after.
	ic.createTopic(broker.RetryGroupPrefix+group, 1)
	d := deliveries{result: func(m *primitive.MessageExt) consumer.ConsumeResult {
		if m.ReconsumeTimes == 0 {
			return consumer.ConsumeRetryLater
		}
		return consumer.ConsumeSuccess
	}}
	ic.startConsumer(group, topic, &d)
	p := ic.producer()
	res, err := p.SendSync(sendCtx(t), primitive.NewMessage(topic, []byte("flaky")))
	require.NoError(t, err)
	require.Equal(t, primitive.SendOK, res.Status)

	eventually(t, func() (bool, string) { return len(d.all()) >= 2, fmt.Sprintf("%d deliveries", len(d.all())) })
	time.Sleep(200 * time.Millisecond) // a third delivery would come now
	got := d.all()
	require.Len(t, got, 2, "once failed, once consumed")
	assert.Equal(t, int32(0), got[0].reconsumeTimes)
	assert.Equal(t, int32(1), got[1].reconsumeTimes)
	assert.Equal(t, topic, got[1].topic)
	assert.Equal(t, "flaky", got[1].body)
	assert.Equal(t, topic, got[1].props[commitlog.PropertyRetryTopic])
	assert.Equal(t, res.MsgID, got[1].props[commitlog.PropertyUniqKey])
	assert.Equal(t, res.OffsetMsgID, got[1].props[commitlog.PropertyOriginMessageID],
		"the broker's send-back names the first delivery by its offset msgId")
}

// With MaxReconsumeTimes 2 a message that always fails is delivered three
// times, then lands in %DLQ%<group>, which is routed and consumable.
func TestInteropDeadLetterAfterMaxReconsumeTimes(t *testing.T) {
	ic := startInterop(t, oneSecondLevels)
	topic := uniqueName("Doomed")
	ic.createTopic(topic, 1)
	group := uniqueName("cg")
	ic.createTopic(broker.RetryGroupPrefix+group, 1)
	d := deliveries{result: func(*primitive.MessageExt) consumer.ConsumeResult { return consumer.ConsumeRetryLater }}
	ic.startConsumer(group, topic, &d, consumer.WithMaxReconsumeTimes(2))
	p := ic.producer()
	res, err := p.SendSync(sendCtx(t), primitive.NewMessage(topic, []byte("poison")))
	require.NoError(t, err)

	dlq := broker.DLQGroupPrefix + group
	eventually(t, func() (bool, string) {
		return ic.broker.Store().MaxOffsetInQueue(dlq, 0) == 1, fmt.Sprintf("%d deliveries, nothing in %s", len(d.all()), dlq)
	})
	var times []int32
	for _, m := range d.all() {
		times = append(times, m.reconsumeTimes)
	}
	assert.Equal(t, []int32{0, 1, 2}, times, "delivered until MaxReconsumeTimes")

	ic.waitRoute(dlq)
	var dead deliveries
	ic.startConsumer(uniqueName("dlq-reader"), dlq, &dead)
	eventually(t, func() (bool, string) { return len(dead.all()) == 1, "waiting for the dead letter" })
	got := dead.all()[0]
	assert.Equal(t, "poison", got.body)
	assert.Equal(t, int32(3), got.reconsumeTimes)
	assert.Equal(t, res.MsgID, got.props[commitlog.PropertyUniqKey])
	assert.Equal(t, topic, got.props[commitlog.PropertyRetryTopic])
}

// The schedule service resumes from delayOffset.json after a clean restart:
// messages delivered before it are not delivered again, those still parked
// are delivered after it, each once.
func TestInteropDelayProgressAcrossRestart(t *testing.T) {
	ic := startInterop(t, func(c *broker.Config) {
		c.Store.DelayLevels = []time.Duration{time.Second, 3 * time.Second}
	})
	topic := uniqueName("Resume")
	ic.createTopic(topic, 1)
	p := ic.producer()
	send := func(body string, level int) {
		res, err := p.SendSync(sendCtx(t), primitive.NewMessage(topic, []byte(body)).WithDelayTimeLevel(level))
		require.NoError(t, err)
		require.Equal(t, primitive.SendOK, res.Status)
	}
	send("early-0", 1)
	send("early-1", 1)
	send("late-0", 2)
	eventually(t, func() (bool, string) {
		n := ic.broker.Store().MaxOffsetInQueue(topic, 0)
		return n == 2, fmt.Sprintf("%d delivered", n)
	})
	ic.restartBroker()
	ic.waitRoute(topic)
	send("after-0", 1)
	eventually(t, func() (bool, string) {
		n := ic.broker.Store().MaxOffsetInQueue(topic, 0)
		return n == 4, fmt.Sprintf("%d delivered", n)
	})
	time.Sleep(1500 * time.Millisecond) // a repeated delivery would come now
	var bodies []string
	for _, r := range ic.rawPullAll(uniqueName("check"), topic, 0, "*") {
		bodies = append(bodies, string(r.Body))
	}
	assert.ElementsMatch(t, []string{"early-0", "early-1", "late-0", "after-0"}, bodies)
	assert.Equal(t, int64(3), ic.broker.Store().MaxOffsetInQueue(store.ScheduleTopic, 0), "level 1 parked three messages")
}
