//go:build !race

// The orderly interop test is left out of -race builds: the official Go
// client's orderly push consumer races with itself (processQueue.takeMessages
// reads its message tree with Empty outside the mutex that putMessage holds
// while writing it), so the race detector fails any run of it, whatever the
// broker does. The broker's lock code is covered under -race by the lock
// table and TCP tests.

package broker_test

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/broker"
)

const (
	// orderlyLockLife is the broker's queue lock lifetime in the orderly
	// test: short, so that a queue a member dropped without unlocking (the
	// Go client never unlocks on rebalance) lapses within the test.
	orderlyLockLife = 1500 * time.Millisecond
	// orderlyRenew is the members' lock renewal period, five per lifetime.
	orderlyRenew = 300 * time.Millisecond
	// orderlyKeys is the number of sharding keys; 16 spread over the four
	// queues (checked below).
	orderlyKeys = 16
	// orderlyPart is the messages sent in each of the three phases.
	orderlyPart = 96
)

// orderlySend sends messages seq from..to-1, cycling over the keys, each to
// the queue its key hashes to; with gap it spaces them out.
func orderlySend(t *testing.T, p rocketmq.Producer, topic string, from, to int, gap time.Duration) {
	t.Helper()
	for seq := from; seq < to; seq++ {
		key := fmt.Sprintf("key-%d", seq%orderlyKeys)
		msg := primitive.NewMessage(topic, []byte(fmt.Sprintf("%s/%d", key, seq))).WithShardingKey(key)
		res, err := p.SendSync(sendCtx(t), msg)
		require.NoError(t, err)
		require.Equal(t, primitive.SendOK, res.Status)
		if gap > 0 {
			time.Sleep(gap)
		}
	}
}

// keyOrder checks that a member processed each key's messages in strictly
// increasing sequence, and returns the bodies it processed.
func keyOrder(t *testing.T, name string, msgs []consumedMsg) map[string]bool {
	t.Helper()
	last := map[string]int{}
	seen := map[string]bool{}
	for _, m := range msgs {
		key, seqText, ok := strings.Cut(m.body, "/")
		require.True(t, ok, m.body)
		seq, err := strconv.Atoi(seqText)
		require.NoError(t, err)
		if prev, ok := last[key]; ok {
			require.Greater(t, seq, prev, "%s processed %s after %s/%d", name, m.body, key, prev)
		}
		last[key] = seq
		seen[m.body] = true
	}
	return seen
}

// An orderly push group keeps each key's order across a rebalance: a second
// member joins while messages flow, then the first leaves. Each member
// processes every key in order, and together they process everything. The
// handover waits for the locks of the queues the first member gave up,
// which the Go client does not unlock: the broker lets them lapse after
// RebalanceLockMaxLiveTime.
func TestInteropLockOrderlyRebalance(t *testing.T) {
	ic := startInterop(t, func(cfg *broker.Config) { cfg.RebalanceLockMaxLiveTime = orderlyLockLife })
	topic := uniqueName("Orderly")
	ic.createTopic(topic, interopQueues)
	queuesHit := map[uint32]bool{}
	for k := range orderlyKeys {
		h := fnv.New32a()
		h.Write([]byte(fmt.Sprintf("key-%d", k)))
		queuesHit[h.Sum32()%interopQueues] = true
	}
	require.Len(t, queuesHit, interopQueues, "the keys cover every queue")

	group := uniqueName("orderly")
	opts := []consumer.Option{
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumerOrder(true),
		consumer.WithRebalanceLockInterval(orderlyRenew),
	}
	var gotA, gotB collector
	a := ic.pushConsumer(group, topic, "*", &gotA, opts...)
	all := []int{0, 1, 2, 3}
	eventually(t, func() (bool, string) {
		q := a.queues(topic)
		return slices.Equal(q, all), fmt.Sprintf("the first member holds %v", q)
	})
	p := ic.producer(producer.WithQueueSelector(producer.NewHashQueueSelector()))
	orderlySend(t, p, topic, 0, orderlyPart, 0)

	b := ic.pushConsumer(group, topic, "*", &gotB, opts...)
	eventually(t, func() (bool, string) {
		q := a.queues(topic)
		return len(q) == interopQueues/2, fmt.Sprintf("the first member holds %v after the second joined", q)
	})
	dropped := time.Now()
	// The stream goes on while the dropped queues' locks lapse; the
	// second member cannot take them before.
	orderlySend(t, p, topic, orderlyPart, 2*orderlyPart, orderlyLockLife/orderlyPart*2)
	require.Empty(t, b.queues(topic), "no queue is taken while its lock is held")
	time.Sleep(time.Until(dropped.Add(orderlyLockLife + orderlyRenew)))

	require.NoError(t, a.Shutdown())
	eventually(t, func() (bool, string) {
		q := b.queues(topic)
		return slices.Equal(q, all), fmt.Sprintf("the second member holds %v after the first left", q)
	})
	orderlySend(t, p, topic, 2*orderlyPart, 3*orderlyPart, 0)

	want := bodiesOfOrderly(3 * orderlyPart)
	eventually(t, func() (bool, string) {
		seen := keyOrder(t, "first", gotA.all())
		for body := range keyOrder(t, "second", gotB.all()) {
			seen[body] = true
		}
		var missing []string
		for _, body := range want {
			if !seen[body] {
				missing = append(missing, body)
			}
		}
		return len(missing) == 0, fmt.Sprintf("%d not processed, first ones %v", len(missing), head(missing, 5))
	})
	require.NotEmpty(t, gotA.all(), "the first member consumed")
	require.NotEmpty(t, gotB.all(), "the second member consumed")
}

func bodiesOfOrderly(n int) []string {
	out := make([]string, n)
	for seq := range out {
		out[seq] = fmt.Sprintf("key-%d/%d", seq%orderlyKeys, seq)
	}
	return out
}
