package client

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/remoting"
)

func (r *rig) admin() *Admin {
	a := NewAdmin(r.e, AdminConfig{NamesrvAddrs: []string{r.ns.srv.Addr()}, Logger: quiet})
	r.t.Cleanup(a.Close)
	return a
}

// errOnly adapts an error callback for await.
func errOnly(start func(func(error))) func(func(struct{}, error)) {
	return func(cb func(struct{}, error)) { start(func(err error) { cb(struct{}{}, err) }) }
}

func TestAdminCreateTopic(t *testing.T) {
	r := newRig(t)
	b := r.broker("broker-a")
	var got []remoting.CreateTopicRequestHeader
	code := remoting.ResSuccess
	b.handle(remoting.ReqUpdateAndCreateTopic, func(req *remoting.Command) *remoting.Command {
		h, err := remoting.DecodeCreateTopicRequestHeader(req.ExtFields)
		require.NoError(t, err)
		got = append(got, h)
		return remoting.NewResponse(req, code, "refused")
	})
	adm := r.admin()
	_, err := await(r, errOnly(func(cb func(error)) { adm.CreateTopicAsync(b.addr, TopicConfig{Name: "T"}, cb) }))
	require.NoError(t, err)
	_, err = await(r, errOnly(func(cb func(error)) {
		adm.CreateTopicAsync(b.addr, TopicConfig{Name: "O", ReadQueueNums: 2, WriteQueueNums: 3, Perm: 4, Order: true}, cb)
	}))
	require.NoError(t, err)
	assert.Equal(t, []remoting.CreateTopicRequestHeader{
		{Topic: "T", DefaultTopic: DefaultTopic, ReadQueueNums: 8, WriteQueueNums: 8, Perm: 6, TopicFilterType: "SINGLE_TAG"},
		{Topic: "O", DefaultTopic: DefaultTopic, ReadQueueNums: 2, WriteQueueNums: 3, Perm: 4, TopicFilterType: "SINGLE_TAG", Order: true},
	}, got)

	code = remoting.ResInvalidParameter
	_, err = await(r, errOnly(func(cb func(error)) { adm.CreateTopicAsync(b.addr, TopicConfig{Name: "T"}, cb) }))
	var be *BrokerError
	require.ErrorAs(t, err, &be, "the refusal is an error")
	assert.Equal(t, remoting.ResInvalidParameter, be.Code)
	assert.Equal(t, "refused", be.Remark)

	_, err = await(r, errOnly(func(cb func(error)) { adm.CreateTopicAsync(b.addr, TopicConfig{Name: "a b"}, cb) }))
	require.ErrorIs(t, err, ErrInvalidArgument)
	assert.Len(t, got, 3)
}

func TestAdminDeleteTopicGoesToBrokersThenNameServers(t *testing.T) {
	r := newRig(t)
	a, b := r.broker("broker-a"), r.broker("broker-b")
	r.ns.setRoute("T", 2, a, b)
	var order []string
	brokerCode := remoting.ResSuccess
	for _, br := range []*fakeBroker{a, b} {
		br.handle(remoting.ReqDeleteTopicInBroker, func(req *remoting.Command) *remoting.Command {
			order = append(order, br.name+":"+req.ExtFields["topic"])
			return remoting.NewResponse(req, brokerCode, "")
		})
	}
	r.ns.srv.Handle(remoting.ReqDeleteTopicInNamesrv, func(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
		order = append(order, "namesrv:"+req.ExtFields["topic"])
		reply(remoting.NewResponse(req, remoting.ResSuccess, ""))
	})
	adm := r.admin()
	_, err := await(r, errOnly(func(cb func(error)) { adm.DeleteTopicAsync("T", cb) }))
	require.NoError(t, err)
	require.Len(t, order, 3)
	assert.ElementsMatch(t, []string{"broker-a:T", "broker-b:T"}, order[:2])
	assert.Equal(t, "namesrv:T", order[2])

	order = nil
	brokerCode = remoting.ResSystemError
	_, err = await(r, errOnly(func(cb func(error)) { adm.DeleteTopicAsync("T", cb) }))
	require.ErrorIs(t, err, remoting.ErrSystemError)
	assert.ElementsMatch(t, []string{"broker-a:T", "broker-b:T"}, order, "the name servers keep the route when a broker failed")

	_, err = await(r, errOnly(func(cb func(error)) { adm.DeleteTopicAsync("Unknown", cb) }))
	require.ErrorIs(t, err, remoting.ErrTopicNotExist)
}

func TestAdminBrokerQueries(t *testing.T) {
	r := newRig(t)
	b := r.broker("broker-a")
	mq := remoting.MessageQueue{Topic: "T", BrokerName: "broker-a", QueueID: 1}
	b.handle(remoting.ReqGetTopicStatsInfo, func(req *remoting.Command) *remoting.Command {
		resp := remoting.NewResponse(req, remoting.ResSuccess, "")
		resp.Body = remoting.AppendTopicStatsTableJSON(nil, &remoting.TopicStatsTable{
			OffsetTable: map[remoting.MessageQueue]remoting.TopicOffset{mq: {MinOffset: 1, MaxOffset: 9, LastUpdateTimestamp: 5}},
		})
		return resp
	})
	b.handle(remoting.ReqGetConsumeStats, func(req *remoting.Command) *remoting.Command {
		require.Equal(t, "cg", req.ExtFields["consumerGroup"])
		resp := remoting.NewResponse(req, remoting.ResSuccess, "")
		resp.Body = remoting.AppendConsumeStatsJSON(nil, &remoting.ConsumeStats{
			OffsetTable: map[remoting.MessageQueue]remoting.OffsetWrapper{mq: {BrokerOffset: 9, ConsumerOffset: 4}},
			ConsumeTps:  1.5,
		})
		return resp
	})
	b.handle(remoting.ReqGetConsumerListByGroup, func(req *remoting.Command) *remoting.Command {
		resp := remoting.NewResponse(req, remoting.ResSuccess, "")
		resp.Body = remoting.AppendConsumerListBodyJSON(nil, &remoting.ConsumerListBody{ConsumerIDList: []string{"z@1", "a@2"}})
		return resp
	})
	deleted := ""
	b.handle(remoting.ReqDeleteSubscriptionGroup, func(req *remoting.Command) *remoting.Command {
		deleted = req.ExtFields["groupName"]
		return remoting.NewResponse(req, remoting.ResSuccess, "")
	})
	adm := r.admin()

	stats, err := await(r, func(cb func(*remoting.TopicStatsTable, error)) { adm.TopicStatsAsync(b.addr, "T", cb) })
	require.NoError(t, err)
	assert.Equal(t, remoting.TopicOffset{MinOffset: 1, MaxOffset: 9, LastUpdateTimestamp: 5}, stats.OffsetTable[mq])

	cs, err := await(r, func(cb func(*remoting.ConsumeStats, error)) { adm.ConsumeStatsAsync(b.addr, "cg", "T", cb) })
	require.NoError(t, err)
	assert.Equal(t, remoting.OffsetWrapper{BrokerOffset: 9, ConsumerOffset: 4}, cs.OffsetTable[mq])
	assert.InDelta(t, 1.5, cs.ConsumeTps, 1e-9)

	ids, err := await(r, func(cb func([]string, error)) { adm.ConsumerIDsAsync(b.addr, "cg", cb) })
	require.NoError(t, err)
	assert.Equal(t, []string{"a@2", "z@1"}, ids, "sorted")

	_, err = await(r, errOnly(func(cb func(error)) { adm.DeleteSubscriptionGroupAsync(b.addr, "cg", cb) }))
	require.NoError(t, err)
	assert.Equal(t, "cg", deleted)

	b.handle(remoting.ReqGetTopicStatsInfo, func(req *remoting.Command) *remoting.Command {
		resp := remoting.NewResponse(req, remoting.ResSuccess, "")
		resp.Body = []byte("{not json")
		return resp
	})
	_, err = await(r, func(cb func(*remoting.TopicStatsTable, error)) { adm.TopicStatsAsync(b.addr, "T", cb) })
	require.ErrorIs(t, err, ErrBadResponse)
	_, err = await(r, func(cb func([]string, error)) { adm.ConsumerIDsAsync(b.addr+"0", "cg", cb) })
	require.ErrorIs(t, err, remoting.ErrConnClosed, "nothing listens there")
}

func TestAdminWithoutNameServer(t *testing.T) {
	r := newRig(t)
	adm := NewAdmin(r.e, AdminConfig{Logger: quiet})
	defer adm.Close()
	_, err := await(r, func(cb func([]string, error)) { adm.AllTopicsAsync(cb) })
	require.ErrorIs(t, err, ErrNoNameServer)
	bad := NewAdmin(r.e, AdminConfig{Timeout: -time.Second, Logger: quiet})
	defer bad.Close()
	_, err = await(r, func(cb func([]string, error)) { bad.AllTopicsAsync(cb) })
	require.ErrorIs(t, err, ErrInvalidConfig)
	_, err = await(r, func(cb func(*remoting.TopicRouteData, error)) { bad.TopicRouteAsync("T", cb) })
	require.ErrorIs(t, err, ErrInvalidConfig)
	adm.Close()
	_, err = await(r, func(cb func(*remoting.ClusterInfo, error)) { adm.ClusterInfoAsync(cb) })
	require.ErrorIs(t, err, ErrClosed)
}
