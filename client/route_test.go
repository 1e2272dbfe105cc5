package client

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/remoting"
)

func TestRouteQueues(t *testing.T) {
	brokers := []remoting.BrokerData{
		{BrokerName: "b", BrokerAddrs: map[int64]string{0: "h:2"}},
		{BrokerName: "a", BrokerAddrs: map[int64]string{0: "h:1", 1: "h:11"}},
		{BrokerName: "slave-only", BrokerAddrs: map[int64]string{2: "h:3"}},
	}
	q := func(broker string, id int32) MessageQueue {
		return MessageQueue{Topic: "T", BrokerName: broker, QueueID: id}
	}
	for _, tc := range []struct {
		name    string
		data    remoting.TopicRouteData
		perm    int32
		capNums int32
		want    []MessageQueue
	}{
		{"write queues by broker name", remoting.TopicRouteData{QueueDatas: []remoting.QueueData{
			{BrokerName: "b", ReadQueueNums: 1, WriteQueueNums: 2, Perm: 6},
			{BrokerName: "a", ReadQueueNums: 3, WriteQueueNums: 1, Perm: 6},
		}, BrokerDatas: brokers}, permWrite, 0, []MessageQueue{q("a", 0), q("b", 0), q("b", 1)}},
		{"read queues", remoting.TopicRouteData{QueueDatas: []remoting.QueueData{
			{BrokerName: "b", ReadQueueNums: 1, WriteQueueNums: 2, Perm: 6},
			{BrokerName: "a", ReadQueueNums: 3, WriteQueueNums: 1, Perm: 6},
		}, BrokerDatas: brokers}, permRead, 0, []MessageQueue{q("a", 0), q("a", 1), q("a", 2), q("b", 0)}},
		{"permissions", remoting.TopicRouteData{QueueDatas: []remoting.QueueData{
			{BrokerName: "a", ReadQueueNums: 2, WriteQueueNums: 2, Perm: 4},
			{BrokerName: "b", ReadQueueNums: 2, WriteQueueNums: 2, Perm: 2},
		}, BrokerDatas: brokers}, permWrite, 0, []MessageQueue{q("b", 0), q("b", 1)}},
		{"publishing needs a master, reading any replica", remoting.TopicRouteData{QueueDatas: []remoting.QueueData{
			{BrokerName: "slave-only", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6},
			{BrokerName: "gone", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6},
		}, BrokerDatas: brokers}, permWrite, 0, nil},
		{"reading a slave", remoting.TopicRouteData{QueueDatas: []remoting.QueueData{
			{BrokerName: "slave-only", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6},
		}, BrokerDatas: brokers}, permRead, 0, []MessageQueue{q("slave-only", 0)}},
		{"capped", remoting.TopicRouteData{QueueDatas: []remoting.QueueData{
			{BrokerName: "a", ReadQueueNums: 8, WriteQueueNums: 8, Perm: 7},
		}, BrokerDatas: brokers}, permWrite, 2, []MessageQueue{q("a", 0), q("a", 1)}},
		{"orderTopicConf replaces the queue list", remoting.TopicRouteData{OrderTopicConf: "b:2;a:1", QueueDatas: []remoting.QueueData{
			{BrokerName: "a", ReadQueueNums: 8, WriteQueueNums: 8, Perm: 6},
		}, BrokerDatas: brokers}, permWrite, 0, []MessageQueue{q("b", 0), q("b", 1), q("a", 0)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := routeQueues("T", &tc.data, tc.perm, tc.capNums)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestRouteQueuesRefusesBadRoutes(t *testing.T) {
	brokers := []remoting.BrokerData{{BrokerName: "a", BrokerAddrs: map[int64]string{0: "h:1"}}}
	for _, data := range []remoting.TopicRouteData{
		{OrderTopicConf: "a", BrokerDatas: brokers},
		{OrderTopicConf: "a:x", BrokerDatas: brokers},
		{OrderTopicConf: ":3", BrokerDatas: brokers},
		{OrderTopicConf: "a:70000", BrokerDatas: brokers},
		{QueueDatas: []remoting.QueueData{{BrokerName: "a", WriteQueueNums: MaxRouteQueues + 1, Perm: 6}}, BrokerDatas: brokers},
	} {
		_, err := routeQueues("T", &data, permWrite, 0)
		require.ErrorIs(t, err, ErrBadResponse, "%+v", data.OrderTopicConf)
	}
}

func TestRouteRefreshKeepsTheCachedRouteWhenTheNameServerFails(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	r.ns.setRoute("T", 2, a)
	p := r.producer(nil)
	_, err := r.send(p, msg("T", "x"))
	require.NoError(t, err)
	require.NoError(t, r.ns.srv.Close())
	r.advance(DefaultRouteRefreshInterval)
	res, err := r.send(p, msg("T", "x"))
	require.NoError(t, err)
	assert.Equal(t, "broker-a", res.Queue.BrokerName)
	assert.Len(t, a.sent(), 2)
}

func TestSendFallsBackToTheDefaultTopicsRoute(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	r.ns.setRoute(DefaultTopic, 8, a)
	p := r.producer(nil)
	seen := map[int32]bool{}
	for range 8 {
		res, err := r.send(p, msg("NewTopic", "x"))
		require.NoError(t, err)
		assert.Equal(t, "NewTopic", res.Queue.Topic)
		seen[res.Queue.QueueID] = true
	}
	assert.Len(t, seen, DefaultTopicQueueNums, "TBW102's queues capped at %d", DefaultTopicQueueNums)
	for _, req := range a.sent() {
		h := sendHeader(t, req)
		assert.Equal(t, "NewTopic", h.Topic)
		assert.Less(t, h.QueueID, int32(DefaultTopicQueueNums))
	}
	assert.Equal(t, 1, r.ns.queryCount("NewTopic"))
	assert.Equal(t, 1, r.ns.queryCount(DefaultTopic))

	// Once the topic has its own route, the refresh moves to it.
	b := r.broker("broker-b")
	r.ns.setRoute("NewTopic", 2, b)
	r.advance(DefaultRouteRefreshInterval)
	res, err := r.send(p, msg("NewTopic", "x"))
	require.NoError(t, err)
	assert.Equal(t, "broker-b", res.Queue.BrokerName)
}

func TestSendWithoutAnyRouteContactsNoBroker(t *testing.T) {
	r := newRig(t)
	p := r.producer(nil)
	_, err := r.send(p, msg("Nowhere", "x"))
	require.ErrorIs(t, err, ErrNoRoute)
	assert.ErrorIs(t, err, remoting.ErrTopicNotExist)
}

func TestRouteLookupsAreSharedAndNameServersFailOver(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	r.ns.setRoute("T", 2, a)
	dead := r.server()
	deadAddr := dead.Addr()
	require.NoError(t, dead.Close())
	p := NewProducer(r.e, ProducerConfig{NamesrvAddrs: []string{deadAddr, r.ns.srv.Addr()}, Logger: quiet})
	require.NoError(t, p.Start())
	defer p.Close()
	n := 0
	for range 5 {
		p.SendAsync(msg("T", "x"), func(_ SendResult, err error) {
			require.NoError(t, err)
			n++
		})
	}
	r.run()
	assert.Equal(t, 5, n)
	assert.Equal(t, 1, r.ns.queryCount("T"), "one lookup for the five sends")
}
