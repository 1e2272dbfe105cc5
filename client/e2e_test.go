package client

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/namesrv"
	"github.com/apogeemq/apogee/remoting"
	"github.com/apogeemq/apogee/store/configfile"
)

// waitFor bounds every wait of the end-to-end tests.
const waitFor = 10 * time.Second

// cluster is our name server and broker on loopback, with files under a
// temporary directory.
type cluster struct {
	t      *testing.T
	e      env.Env
	nsAddr string
	broker *broker.Broker
	admin  *Admin
}

func startCluster(t *testing.T, tweak func(*broker.Config)) *cluster {
	t.Helper()
	e := env.Real()
	ns := namesrv.New(e, namesrv.Config{ListenAddr: "127.0.0.1:0", Logger: quiet})
	require.NoError(t, ns.Start())
	t.Cleanup(func() { ns.Close() })
	cfg := broker.DefaultConfig(t.TempDir())
	cfg.ListenAddr = "127.0.0.1:0"
	cfg.NamesrvAddrs = []string{ns.Addr()}
	cfg.Logger = quiet
	cfg.Store.CommitLog.SegmentSizeBytes = 64 << 20
	cfg.Store.ConsumeQueueUnitsPerFile = 10_000
	cfg.Store.IndexHashSlots = 1000
	cfg.Store.IndexMaxEntries = 4000
	if tweak != nil {
		tweak(&cfg)
	}
	b, err := broker.New(e, cfg)
	require.NoError(t, err)
	require.NoError(t, b.Start())
	t.Cleanup(func() { b.Close() })
	c := &cluster{t: t, e: e, nsAddr: ns.Addr(), broker: b}
	c.admin = NewAdmin(e, AdminConfig{NamesrvAddrs: []string{c.nsAddr}, Logger: quiet})
	t.Cleanup(c.admin.Close)
	c.waitForRoute(DefaultTopic)
	return c
}

// waitForRoute polls the name server until topic has a route.
func (c *cluster) waitForRoute(topic string) {
	c.t.Helper()
	require.Eventually(c.t, func() bool {
		_, err := c.admin.TopicRoute(topic)
		return err == nil
	}, waitFor, 5*time.Millisecond, "route of %s", topic)
}

func (c *cluster) producer() *Producer {
	p := NewProducer(c.e, ProducerConfig{NamesrvAddrs: []string{c.nsAddr}, Group: "e2e-producer", Logger: quiet})
	require.NoError(c.t, p.Start())
	c.t.Cleanup(p.Close)
	return p
}

func (c *cluster) consumer(group string, tweak func(*PullConsumerConfig), subs ...string) *PullConsumer {
	cfg := PullConsumerConfig{NamesrvAddrs: []string{c.nsAddr}, Group: group, Logger: quiet}
	if tweak != nil {
		tweak(&cfg)
	}
	pc := NewPullConsumer(c.e, cfg)
	for i := 0; i+1 < len(subs); i += 2 {
		require.NoError(c.t, pc.Subscribe(subs[i], subs[i+1]))
	}
	require.NoError(c.t, pc.Start())
	c.t.Cleanup(pc.Close)
	return pc
}

// drain pulls every queue of topic from offset 0 to its end with expr.
func drain(t *testing.T, pc *PullConsumer, topic, expr string) []*MessageExt {
	t.Helper()
	qs, err := pc.FetchQueues(topic)
	require.NoError(t, err)
	var out []*MessageExt
	for _, mq := range qs {
		offset := int64(0)
		for {
			res, err := pc.Pull(mq, offset, 32, expr)
			require.NoError(t, err)
			if res.Status == PullNoNewMsg {
				break
			}
			require.Contains(t, []PullStatus{PullFound, PullNoMatchedMsg}, res.Status)
			require.Greater(t, res.NextBeginOffset, offset)
			out = append(out, res.Messages...)
			offset = res.NextBeginOffset
		}
	}
	return out
}

// sentMessage is what a test sent, by UNIQ_KEY.
type sentMessage struct {
	msg *Message
	how string
}

func TestEndToEndEverySendReadsBackByteForByte(t *testing.T) {
	c := startCluster(t, nil)
	const topic = "E2EAll"
	require.NoError(t, c.admin.CreateTopic(c.broker.Addr(), TopicConfig{Name: topic, ReadQueueNums: 4, WriteQueueNums: 4}))
	c.waitForRoute(topic)
	p := c.producer()

	var mu sync.Mutex
	sent := map[string]sentMessage{}
	record := func(id string, m *Message, how string) {
		mu.Lock()
		defer mu.Unlock()
		sent[id] = sentMessage{m, how}
	}
	newMsg := func(how string, i int) *Message {
		tag := []string{"TagA", "TagB"}[i%2]
		return &Message{
			Topic: topic, Tags: tag, Keys: []string{fmt.Sprintf("%s-%d", how, i), "shared"},
			Body:       []byte(fmt.Sprintf("%s message %d \x00\xff binary", how, i)),
			Flag:       int32(i),
			Properties: map[string]string{"how": how, "n": fmt.Sprint(i)},
		}
	}

	for i := range 10 {
		m := newMsg("sync", i)
		res, err := p.Send(m)
		require.NoError(t, err)
		require.Equal(t, SendOK, res.Status)
		require.Equal(t, topic, res.Queue.Topic)
		record(res.MsgID, m, "sync")
	}
	big := &Message{Topic: topic, Tags: "TagA", Body: bytes.Repeat([]byte("a large compressible body "), 8000)}
	res, err := p.Send(big)
	require.NoError(t, err)
	record(res.MsgID, big, "sync")

	var wg sync.WaitGroup
	for i := range 10 {
		m := newMsg("async", i)
		wg.Add(1)
		p.SendAsync(m, func(res SendResult, err error) {
			defer wg.Done()
			assert.NoError(t, err)
			record(res.MsgID, m, "async")
		})
	}
	wg.Wait()

	var batch []*Message
	for i := range 10 {
		batch = append(batch, newMsg("batch", i))
	}
	res, err = p.SendBatch(batch)
	require.NoError(t, err)
	ids := strings.Split(res.MsgID, ",")
	require.Len(t, ids, len(batch))
	for i, id := range ids {
		record(id, batch[i], "batch")
	}

	for i := range 5 {
		// A oneway send reports no id: these bring their own.
		m := newMsg("oneway", i)
		m.Properties[commitlog.PropertyUniqKey] = fmt.Sprintf("ONEWAY%026d", i)
		require.NoError(t, p.SendOneway(m))
		record(m.Properties[commitlog.PropertyUniqKey], m, "oneway")
	}

	pc := c.consumer("e2e-reader", nil)
	var got []*MessageExt
	require.Eventually(t, func() bool {
		got = drain(t, pc, topic, "*")
		return len(got) >= len(sent)
	}, waitFor, 10*time.Millisecond, "every message, the oneway ones included, arrives")
	require.Len(t, got, len(sent))

	byQueue := map[int32][]int64{}
	for _, m := range got {
		want, ok := sent[m.MsgID]
		require.True(t, ok, "unexpected message %s", m.MsgID)
		assert.Equal(t, want.msg.Body, m.Body, want.how)
		assert.Equal(t, want.msg.Tags, m.Tags, want.how)
		assert.Equal(t, want.msg.Keys, m.Keys, want.how)
		assert.Equal(t, want.msg.Flag, m.Flag, want.how)
		for k, v := range want.msg.Properties {
			assert.Equal(t, v, m.Properties[k], "%s property %s", want.how, k)
		}
		assert.Equal(t, topic, m.Topic)
		assert.Equal(t, c.broker.Addr(), m.StoreHost.String())
		byQueue[m.QueueID] = append(byQueue[m.QueueID], m.QueueOffset)
		delete(sent, m.MsgID)
	}
	assert.Empty(t, sent, "each message read exactly once")
	for q, offsets := range byQueue {
		for i, o := range offsets {
			assert.EqualValues(t, i, o, "queue %d offsets are consecutive from 0", q)
		}
	}

	// The broker filters by tag hash and the client by tag.
	tagged := drain(t, pc, topic, "TagB")
	require.NotEmpty(t, tagged)
	for _, m := range tagged {
		assert.Equal(t, "TagB", m.Tags)
	}
	assert.Len(t, tagged, 5+5+5+2, "the TagB half of each numbered kind")
}

func TestEndToEndOffsetsAndConsumerGroup(t *testing.T) {
	c := startCluster(t, nil)
	const topic = "E2EOffsets"
	require.NoError(t, c.admin.CreateTopic(c.broker.Addr(), TopicConfig{Name: topic, ReadQueueNums: 2, WriteQueueNums: 2}))
	c.waitForRoute(topic)
	p := c.producer()
	before := time.Now().Add(-time.Minute)
	mq := MessageQueue{Topic: topic, BrokerName: broker.DefaultBrokerName, QueueID: 1}
	for i := range 6 {
		_, err := p.SendToQueue(msg(topic, fmt.Sprint("m", i)), mq)
		require.NoError(t, err)
	}

	pc := c.consumer("e2e-offsets", nil, topic, "*")
	_, found, err := pc.QueryOffset(mq)
	require.NoError(t, err)
	assert.False(t, found, "nothing committed yet")
	require.NoError(t, pc.CommitOffset(mq, 4))
	offset, found, err := pc.QueryOffset(mq)
	require.NoError(t, err)
	assert.True(t, found)
	assert.EqualValues(t, 4, offset)

	maxOffset, err := pc.MaxOffset(mq)
	require.NoError(t, err)
	assert.EqualValues(t, 6, maxOffset)
	minOffset, err := pc.MinOffset(mq)
	require.NoError(t, err)
	assert.EqualValues(t, 0, minOffset)
	found0, err := pc.SearchOffset(mq, before)
	require.NoError(t, err)
	assert.EqualValues(t, 0, found0)

	res, err := pc.Pull(mq, 4, 32, "*")
	require.NoError(t, err)
	require.Equal(t, PullFound, res.Status)
	require.Len(t, res.Messages, 2)
	assert.Equal(t, "m4", string(res.Messages[0].Body))
	res, err = pc.Pull(mq, 100, 32, "*")
	require.NoError(t, err)
	assert.Equal(t, PullOffsetIllegal, res.Status)
	assert.EqualValues(t, 0, res.NextBeginOffset, "corrected to the min offset when it is 0, as RocketMQ does")
	assert.EqualValues(t, 6, res.MaxOffset)

	stats, err := c.admin.TopicStats(c.broker.Addr(), topic)
	require.NoError(t, err)
	assert.EqualValues(t, 6, stats.OffsetTable[mq].MaxOffset)
	consumed, err := c.admin.ConsumeStats(c.broker.Addr(), "e2e-offsets", topic)
	require.NoError(t, err)
	assert.Equal(t, remoting.OffsetWrapper{BrokerOffset: 6, ConsumerOffset: 4},
		remoting.OffsetWrapper{BrokerOffset: consumed.OffsetTable[mq].BrokerOffset, ConsumerOffset: consumed.OffsetTable[mq].ConsumerOffset})

	require.Eventually(t, func() bool {
		ids, err := c.admin.ConsumerIDs(c.broker.Addr(), "e2e-offsets")
		return err == nil && slices.Contains(ids, pc.ClientID())
	}, waitFor, 5*time.Millisecond, "the heartbeat registered the consumer")
	pc.Close()
	require.Eventually(t, func() bool {
		// A group without members is refused with SYSTEM_ERROR, as in
		// RocketMQ.
		ids, err := c.admin.ConsumerIDs(c.broker.Addr(), "e2e-offsets")
		return errors.Is(err, remoting.ErrSystemError) || err == nil && !slices.Contains(ids, pc.ClientID())
	}, waitFor, 5*time.Millisecond, "closing the connection removes the consumer")
}

func TestEndToEndLongPollingAnswersOnArrival(t *testing.T) {
	c := startCluster(t, nil)
	const topic = "E2ELongPoll"
	require.NoError(t, c.admin.CreateTopic(c.broker.Addr(), TopicConfig{Name: topic, ReadQueueNums: 1, WriteQueueNums: 1}))
	c.waitForRoute(topic)
	pc := c.consumer("e2e-poller", func(cfg *PullConsumerConfig) { cfg.SuspendTimeout = 20 * time.Second })
	mq := MessageQueue{Topic: topic, BrokerName: broker.DefaultBrokerName}

	type result struct {
		res PullResult
		err error
	}
	done := make(chan result, 1)
	pc.PullAsync(mq, 0, 32, "*", func(res PullResult, err error) { done <- result{res, err} })
	select {
	case r := <-done:
		t.Fatalf("an empty queue answered at once: %+v %v", r.res, r.err)
	case <-time.After(100 * time.Millisecond):
	}
	p := c.producer()
	_, err := p.Send(msg(topic, "wake up"))
	require.NoError(t, err)
	select {
	case r := <-done:
		require.NoError(t, r.err)
		require.Equal(t, PullFound, r.res.Status)
		require.Len(t, r.res.Messages, 1)
		assert.Equal(t, "wake up", string(r.res.Messages[0].Body))
	case <-time.After(waitFor):
		t.Fatal("the held pull was not answered on arrival")
	}
}

func TestEndToEndAutoCreatesATopicFromTBW102(t *testing.T) {
	c := startCluster(t, nil)
	p := c.producer()
	const topic = "E2EAutoCreated"
	for i := range 8 {
		res, err := p.Send(msg(topic, fmt.Sprint("auto ", i)))
		require.NoError(t, err)
		assert.Less(t, res.Queue.QueueID, int32(DefaultTopicQueueNums))
	}
	c.waitForRoute(topic)
	pc := c.consumer("e2e-auto", nil)
	got := drain(t, pc, topic, "*")
	assert.Len(t, got, 8)
}

func TestEndToEndBrokerRefusalIsNotRetried(t *testing.T) {
	c := startCluster(t, func(cfg *broker.Config) { cfg.MaxMessageSize = 1024 })
	const topic = "E2ETooBig"
	require.NoError(t, c.admin.CreateTopic(c.broker.Addr(), TopicConfig{Name: topic}))
	c.waitForRoute(topic)
	p := NewProducer(c.e, ProducerConfig{NamesrvAddrs: []string{c.nsAddr}, CompressOverBytes: -1, Logger: quiet})
	require.NoError(t, p.Start())
	defer p.Close()
	_, err := p.Send(&Message{Topic: topic, Body: make([]byte, 2000)})
	var be *BrokerError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, remoting.ResMessageIllegal, be.Code)
	stats, err := c.admin.TopicStats(c.broker.Addr(), topic)
	require.NoError(t, err)
	require.NotEmpty(t, stats.OffsetTable)
	for mq, off := range stats.OffsetTable {
		assert.Zero(t, off.MaxOffset, "nothing stored in %v", mq)
	}
}

func TestEndToEndAdminCreatesAndDeletesTopics(t *testing.T) {
	c := startCluster(t, nil)
	const topic = "E2EAdmin"
	require.NoError(t, c.admin.CreateTopic(c.broker.Addr(), TopicConfig{Name: topic, ReadQueueNums: 3, WriteQueueNums: 2, Perm: 6}))
	c.waitForRoute(topic)
	route, err := c.admin.TopicRoute(topic)
	require.NoError(t, err)
	require.Len(t, route.QueueDatas, 1)
	assert.Equal(t, remoting.QueueData{BrokerName: broker.DefaultBrokerName, ReadQueueNums: 3, WriteQueueNums: 2, Perm: 6}, route.QueueDatas[0])

	topics, err := c.admin.AllTopics()
	require.NoError(t, err)
	assert.Contains(t, topics, topic)
	info, err := c.admin.ClusterInfo()
	require.NoError(t, err)
	assert.Equal(t, []string{broker.DefaultBrokerName}, info.ClusterAddrTable[broker.DefaultClusterName])
	assert.Equal(t, c.broker.Addr(), info.BrokerAddrTable[broker.DefaultBrokerName].BrokerAddrs[0])

	err = c.admin.CreateTopic(c.broker.Addr(), TopicConfig{Name: DefaultTopic})
	var be *BrokerError
	require.ErrorAs(t, err, &be, "the broker's refusal of a system topic is an error")

	require.NoError(t, c.admin.DeleteTopic(topic))
	require.Eventually(t, func() bool {
		topics, err := c.admin.AllTopics()
		return err == nil && !slices.Contains(topics, topic)
	}, waitFor, 5*time.Millisecond)
	_, err = c.admin.TopicRoute(topic)
	require.ErrorIs(t, err, remoting.ErrTopicNotExist)
}

func TestEndToEndAdminGroupsAndRuntimeInfo(t *testing.T) {
	c := startCluster(t, nil)
	g := configfile.NewSubscriptionGroupConfig("E2EGroup")
	g.RetryMaxTimes = 5
	require.NoError(t, c.admin.CreateSubscriptionGroup(c.broker.Addr(), g))
	g.GroupName = "bad group"
	var be *BrokerError
	require.ErrorAs(t, c.admin.CreateSubscriptionGroup(c.broker.Addr(), g), &be, "an invalid name is refused")
	require.Equal(t, remoting.ResInvalidParameter, be.Code)
	require.NoError(t, c.admin.DeleteSubscriptionGroup(c.broker.Addr(), "E2EGroup"))

	info, err := c.admin.BrokerRuntimeInfo(c.broker.Addr())
	require.NoError(t, err)
	assert.Equal(t, broker.DefaultBrokerName, info["brokerName"])
	assert.NotEmpty(t, info["commitLogMaxOffset"])
}
