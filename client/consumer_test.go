package client

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/internal/javahash"
	"github.com/apogeemq/apogee/remoting"
)

// pullAnswer builds a pull response with code, offsets and body.
func pullAnswer(req *remoting.Command, code int32, next, minOffset, maxOffset int64, body []byte) *remoting.Command {
	resp := remoting.NewResponse(req, code, "")
	resp.ExtFields = remoting.PullMessageResponseHeader{NextBeginOffset: next, MinOffset: minOffset, MaxOffset: maxOffset}.ToExtFields()
	resp.Body = body
	return resp
}

func pull(r *rig, c *PullConsumer, mq MessageQueue, offset int64, maxNums int32, expr string) (PullResult, error) {
	r.t.Helper()
	return await(r, func(cb func(PullResult, error)) { c.PullAsync(mq, offset, maxNums, expr, cb) })
}

func TestPullSendsTheRequestOfSpecAndDecodesTheAnswer(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	r.ns.setRoute("T", 4, a)
	body := pullBody(t,
		testRecord{topic: "T", queueID: 1, queueOffset: 5, body: []byte("five"), props: map[string]string{"TAGS": "A"}},
		testRecord{topic: "T", queueID: 1, queueOffset: 6, body: []byte("six"), props: map[string]string{"TAGS": "B"}},
	)
	a.pullAnswer = func(req *remoting.Command) *remoting.Command {
		return pullAnswer(req, remoting.ResSuccess, 7, 0, 7, body)
	}
	c := r.consumer(func(cfg *PullConsumerConfig) { cfg.SuspendTimeout = 15 * time.Second }, "T", "A || B")
	mq := MessageQueue{Topic: "T", BrokerName: "broker-a", QueueID: 1}
	res, err := pull(r, c, mq, 5, 16, "A")
	require.NoError(t, err)
	assert.Equal(t, PullFound, res.Status)
	assert.EqualValues(t, 7, res.NextBeginOffset)
	assert.EqualValues(t, 0, res.MinOffset)
	assert.EqualValues(t, 7, res.MaxOffset)
	require.Len(t, res.Messages, 1, "the client filters by tag again")
	assert.Equal(t, "five", string(res.Messages[0].Body))

	require.Len(t, a.pulls, 1)
	h, err := remoting.DecodePullMessageRequestHeader(a.pulls[0].ExtFields)
	require.NoError(t, err)
	assert.Equal(t, remoting.PullMessageRequestHeader{
		ConsumerGroup: "cg", Topic: "T", QueueID: 1, QueueOffset: 5, MaxMsgNums: 16,
		SysFlag: remoting.PullFlagSubscription | remoting.PullFlagSuspend, SuspendTimeoutMillis: 15_000,
		Subscription: "A", SubVersion: epoch.UnixNano(), ExpressionType: "TAG", BrokerName: "broker-a",
	}, h)
}

func TestPullWithoutSuspendAsksNoHold(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	r.ns.setRoute("T", 1, a)
	a.pullAnswer = func(req *remoting.Command) *remoting.Command {
		return pullAnswer(req, remoting.ResPullNotFound, 0, 0, 0, nil)
	}
	c := r.consumer(nil)
	res, err := pull(r, c, MessageQueue{Topic: "T", BrokerName: "broker-a"}, 0, 32, "")
	require.NoError(t, err)
	assert.Equal(t, PullNoNewMsg, res.Status)
	h, err := remoting.DecodePullMessageRequestHeader(a.pulls[0].ExtFields)
	require.NoError(t, err)
	assert.Equal(t, remoting.PullFlagSubscription, h.SysFlag)
	assert.Equal(t, "*", h.Subscription)
	assert.Zero(t, h.SuspendTimeoutMillis)
}

func TestPullStatuses(t *testing.T) {
	for _, tc := range []struct {
		code int32
		want PullStatus
	}{
		{remoting.ResPullNotFound, PullNoNewMsg},
		{remoting.ResPullRetryImmediately, PullNoMatchedMsg},
		{remoting.ResPullOffsetMoved, PullOffsetIllegal},
	} {
		t.Run(tc.want.String(), func(t *testing.T) {
			r := newRig(t)
			a := r.broker("broker-a")
			r.ns.setRoute("T", 1, a)
			a.pullAnswer = func(req *remoting.Command) *remoting.Command { return pullAnswer(req, tc.code, 42, 3, 50, nil) }
			c := r.consumer(nil)
			res, err := pull(r, c, MessageQueue{Topic: "T", BrokerName: "broker-a"}, 60, 32, "*")
			require.NoError(t, err)
			assert.Equal(t, PullResult{Status: tc.want, NextBeginOffset: 42, MinOffset: 3, MaxOffset: 50}, res)
		})
	}
}

func TestPullErrors(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	r.ns.setRoute("T", 1, a)
	answer := func(req *remoting.Command) *remoting.Command {
		return remoting.NewResponse(req, remoting.ResSubscriptionNotExist, "no subscription")
	}
	a.pullAnswer = func(req *remoting.Command) *remoting.Command { return answer(req) }
	c := r.consumer(nil)
	mq := MessageQueue{Topic: "T", BrokerName: "broker-a"}

	_, err := pull(r, c, mq, 0, 32, "*")
	var be *BrokerError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, remoting.ResSubscriptionNotExist, be.Code)

	answer = func(req *remoting.Command) *remoting.Command {
		return remoting.NewResponse(req, remoting.ResSuccess, "")
	}
	_, err = pull(r, c, mq, 0, 32, "*")
	require.ErrorIs(t, err, ErrBadResponse, "no offsets in the header")

	answer = func(req *remoting.Command) *remoting.Command {
		return pullAnswer(req, remoting.ResSuccess, 1, 0, 1, []byte("garbage that is no record"))
	}
	_, err = pull(r, c, mq, 0, 32, "*")
	require.ErrorIs(t, err, ErrBadPullBody)

	for _, bad := range []struct {
		offset  int64
		maxNums int32
	}{{-1, 32}, {0, 0}, {0, MaxPullNums + 1}} {
		_, err = pull(r, c, mq, bad.offset, bad.maxNums, "*")
		require.ErrorIs(t, err, ErrInvalidArgument)
	}
	_, err = pull(r, c, MessageQueue{BrokerName: "broker-a"}, 0, 32, "*")
	require.ErrorIs(t, err, ErrInvalidArgument, "no topic")
	_, err = pull(r, c, MessageQueue{Topic: "T", BrokerName: "broker-z"}, 0, 32, "*")
	require.ErrorIs(t, err, ErrBrokerNotFound)
	_, err = pull(r, c, MessageQueue{Topic: "Unknown", BrokerName: "broker-z"}, 0, 32, "*")
	require.ErrorIs(t, err, remoting.ErrTopicNotExist)
	assert.Len(t, a.pulls, 3, "invalid pulls reach no broker")
}

func TestConsumerHeartbeatsItsSubscriptions(t *testing.T) {
	r := newRig(t)
	a, b := r.broker("broker-a"), r.broker("broker-b")
	r.ns.setRoute("T", 2, a)
	r.ns.setRoute("U", 2, b)
	c := r.consumer(nil, "T", "A || B", "U", "*")
	r.run()
	for _, br := range []*fakeBroker{a, b} {
		require.Len(t, br.beats(), 1, br.name)
		hb := br.beats()[0]
		assert.Equal(t, c.ClientID(), hb.ClientID)
		assert.Empty(t, hb.ProducerDataSet)
		require.Len(t, hb.ConsumerDataSet, 1)
		cd := hb.ConsumerDataSet[0]
		assert.Equal(t, "cg", cd.GroupName)
		assert.Equal(t, remoting.ConsumeTypeActively, cd.ConsumeType)
		assert.Equal(t, remoting.MessageModelClustering, cd.MessageModel)
		assert.Equal(t, []remoting.SubscriptionData{
			{Topic: "T", SubString: "A || B", TagsSet: []string{"A", "B"}, CodeSet: []int32{javahash.String("A"), javahash.String("B")},
				SubVersion: epoch.UnixNano(), ExpressionType: "TAG"},
			{Topic: "U", SubString: "*", SubVersion: epoch.UnixNano(), ExpressionType: "TAG"},
		}, cd.SubscriptionDataSet)
	}
	r.advance(DefaultHeartbeatInterval)
	assert.Len(t, a.beats(), 2)
	assert.Len(t, b.beats(), 2)
}

func TestSubscribeRules(t *testing.T) {
	r := newRig(t)
	c := NewPullConsumer(r.e, PullConsumerConfig{NamesrvAddrs: []string{r.ns.srv.Addr()}, Group: "cg", Logger: quiet})
	require.ErrorIs(t, c.Subscribe("bad topic", "*"), ErrInvalidArgument)
	require.NoError(t, c.Subscribe("T", "A"))
	require.NoError(t, c.Subscribe("T", "B"), "replaces")
	require.Len(t, c.subs, 1)
	assert.Equal(t, []string{"B"}, c.subs[0].sub.tags)
	require.NoError(t, c.Start())
	defer c.Close()
	require.ErrorIs(t, c.Subscribe("U", "*"), ErrAlreadyStarted)
}

func TestPullConsumerConfigIsChecked(t *testing.T) {
	r := newRig(t)
	ns := []string{r.ns.srv.Addr()}
	for _, tc := range []struct {
		name string
		cfg  PullConsumerConfig
	}{
		{"no name server", PullConsumerConfig{Group: "g"}},
		{"no group", PullConsumerConfig{NamesrvAddrs: ns}},
		{"suspend beyond the pull timeout", PullConsumerConfig{NamesrvAddrs: ns, Group: "g", SuspendTimeout: DefaultPullTimeout}},
		{"negative suspend", PullConsumerConfig{NamesrvAddrs: ns, Group: "g", SuspendTimeout: -1}},
		{"huge messages", PullConsumerConfig{NamesrvAddrs: ns, Group: "g", MaxMessageBytes: 1 << 30}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Logger = quiet
			require.ErrorIs(t, NewPullConsumer(r.e, tc.cfg).Start(), ErrInvalidConfig)
		})
	}
}

func TestFetchQueues(t *testing.T) {
	r := newRig(t)
	a, b := r.broker("broker-b"), r.broker("broker-a")
	r.ns.setRoute("T", 2, a, b)
	c := r.consumer(nil)
	qs, err := await(r, func(cb func([]MessageQueue, error)) { c.FetchQueuesAsync("T", cb) })
	require.NoError(t, err)
	assert.Equal(t, []MessageQueue{
		{Topic: "T", BrokerName: "broker-a", QueueID: 0}, {Topic: "T", BrokerName: "broker-a", QueueID: 1},
		{Topic: "T", BrokerName: "broker-b", QueueID: 0}, {Topic: "T", BrokerName: "broker-b", QueueID: 1},
	}, qs)
	_, err = await(r, func(cb func([]MessageQueue, error)) { c.FetchQueuesAsync("Nope", cb) })
	require.ErrorIs(t, err, remoting.ErrTopicNotExist)
	r.ns.mu.Lock()
	r.ns.routes["W"] = routeJSON(2, 2, a) // write-only
	r.ns.mu.Unlock()
	_, err = await(r, func(cb func([]MessageQueue, error)) { c.FetchQueuesAsync("W", cb) })
	require.ErrorIs(t, err, ErrNoRoute)
}

func TestOffsetCalls(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	r.ns.setRoute("T", 2, a)
	committed := map[string]string{}
	a.handle(remoting.ReqUpdateConsumerOffset, func(req *remoting.Command) *remoting.Command {
		committed[req.ExtFields["queueId"]] = req.ExtFields["commitOffset"]
		return remoting.NewResponse(req, remoting.ResSuccess, "")
	})
	a.handle(remoting.ReqQueryConsumerOffset, func(req *remoting.Command) *remoting.Command {
		v, ok := committed[req.ExtFields["queueId"]]
		if !ok {
			return remoting.NewResponse(req, remoting.ResQueryNotFound, "")
		}
		resp := remoting.NewResponse(req, remoting.ResSuccess, "")
		resp.ExtFields = map[string]string{"offset": v}
		return resp
	})
	offsetAnswer := func(v int64) func(*remoting.Command) *remoting.Command {
		return func(req *remoting.Command) *remoting.Command {
			resp := remoting.NewResponse(req, remoting.ResSuccess, "")
			resp.ExtFields = map[string]string{"offset": strconv.FormatInt(v, 10)}
			return resp
		}
	}
	a.handle(remoting.ReqGetMaxOffset, offsetAnswer(99))
	a.handle(remoting.ReqGetMinOffset, offsetAnswer(3))
	var searched string
	a.handle(remoting.ReqSearchOffsetByTimestamp, func(req *remoting.Command) *remoting.Command {
		searched = req.ExtFields["timestamp"]
		return offsetAnswer(17)(req)
	})
	c := r.consumer(nil)
	mq := MessageQueue{Topic: "T", BrokerName: "broker-a", QueueID: 1}

	type offsetFound struct {
		offset int64
		found  bool
	}
	query := func() (offsetFound, error) {
		return await(r, func(cb func(offsetFound, error)) {
			c.QueryOffsetAsync(mq, func(o int64, f bool, err error) { cb(offsetFound{o, f}, err) })
		})
	}
	got, err := query()
	require.NoError(t, err)
	assert.Equal(t, offsetFound{0, false}, got)
	_, err = await(r, func(cb func(struct{}, error)) { c.CommitOffsetAsync(mq, 12, func(err error) { cb(struct{}{}, err) }) })
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"1": "12"}, committed)
	got, err = query()
	require.NoError(t, err)
	assert.Equal(t, offsetFound{12, true}, got)

	for _, tc := range []struct {
		start func(func(int64, error))
		want  int64
	}{
		{func(cb func(int64, error)) { c.MaxOffsetAsync(mq, cb) }, 99},
		{func(cb func(int64, error)) { c.MinOffsetAsync(mq, cb) }, 3},
		{func(cb func(int64, error)) { c.SearchOffsetAsync(mq, epoch.Add(time.Minute), cb) }, 17},
	} {
		v, err := await(r, tc.start)
		require.NoError(t, err)
		assert.Equal(t, tc.want, v)
	}
	assert.Equal(t, strconv.FormatInt(epoch.Add(time.Minute).UnixMilli(), 10), searched)

	a.handle(remoting.ReqGetMaxOffset, func(req *remoting.Command) *remoting.Command {
		return remoting.NewResponse(req, remoting.ResSystemError, "broken")
	})
	_, err = await(r, func(cb func(int64, error)) { c.MaxOffsetAsync(mq, cb) })
	require.ErrorIs(t, err, remoting.ErrSystemError)
	a.handle(remoting.ReqGetMinOffset, func(req *remoting.Command) *remoting.Command {
		return remoting.NewResponse(req, remoting.ResSuccess, "")
	})
	_, err = await(r, func(cb func(int64, error)) { c.MinOffsetAsync(mq, cb) })
	require.ErrorIs(t, err, ErrBadResponse)
	_, err = await(r, func(cb func(struct{}, error)) { c.CommitOffsetAsync(mq, -1, func(err error) { cb(struct{}{}, err) }) })
	require.ErrorIs(t, err, ErrInvalidArgument)
}
