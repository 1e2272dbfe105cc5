package client

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/remoting"
)

func msg(topic, body string) *Message { return &Message{Topic: topic, Body: []byte(body)} }

func TestSendWritesTheHeaderAndPropertiesOfSpec(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	r.ns.setRoute("T", 4, a)
	p := r.producer(nil)

	res, err := r.send(p, &Message{
		Topic: "T", Tags: "TagA", Keys: []string{"k1", "k2"}, Body: []byte("hello"), Flag: 7,
		Properties: map[string]string{"b": "2", "a": "1"},
	})
	require.NoError(t, err)
	require.Len(t, a.sent(), 1)
	req := a.sent()[0]
	require.Equal(t, remoting.ReqSendMessage, req.Code)
	h := sendHeader(t, req)
	assert.Equal(t, "pg", h.ProducerGroup)
	assert.Equal(t, "T", h.Topic)
	assert.Equal(t, DefaultTopic, h.DefaultTopic)
	assert.EqualValues(t, DefaultTopicQueueNums, h.DefaultTopicQueueNums)
	assert.Equal(t, "broker-a", h.BrokerName)
	assert.EqualValues(t, 7, h.Flag)
	assert.Zero(t, h.SysFlag)
	assert.Equal(t, epoch.UnixMilli(), h.BornTimestamp)
	assert.False(t, h.Batch)
	assert.Equal(t, "hello", string(req.Body))

	wantProps := "a\x011\x02b\x012\x02TAGS\x01TagA\x02KEYS\x01k1 k2\x02UNIQ_KEY\x01" + res.MsgID + "\x02"
	assert.Equal(t, wantProps, h.Properties, "user properties sorted, then TAGS, KEYS, UNIQ_KEY")

	assert.Equal(t, SendOK, res.Status)
	assert.Len(t, res.MsgID, UniqKeyLen)
	assert.Equal(t, MessageQueue{Topic: "T", BrokerName: "broker-a", QueueID: h.QueueID}, res.Queue)
	assert.Equal(t, commitlog.FormatOffsetMsgID(mustAddrPort(t, a.addr), 1000), res.OffsetMsgID)
	assert.Zero(t, res.QueueOffset)
}

func TestSendKeepsAGivenUniqKeyAndPropertyTags(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	r.ns.setRoute("T", 1, a)
	p := r.producer(nil)
	res, err := r.send(p, &Message{Topic: "T", Body: []byte("x"),
		Properties: map[string]string{commitlog.PropertyUniqKey: "MINE", commitlog.PropertyTags: "FromProps"}})
	require.NoError(t, err)
	assert.Equal(t, "MINE", res.MsgID)
	assert.Equal(t, "TAGS\x01FromProps\x02UNIQ_KEY\x01MINE\x02", sendHeader(t, a.sent()[0]).Properties)
}

func TestSendRoundRobinsFromARandomStart(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	r.ns.setRoute("T", 4, a)
	p := r.producer(nil)
	var ids []int32
	for range 8 {
		res, err := r.send(p, msg("T", "x"))
		require.NoError(t, err)
		ids = append(ids, res.Queue.QueueID)
	}
	for i := 1; i < len(ids); i++ {
		assert.Equal(t, (ids[i-1]+1)%4, ids[i], "queues in turn: %v", ids)
	}
	assert.Equal(t, 1, r.ns.queryCount("T"), "the route is cached")

	firsts := map[int32]bool{}
	for range 8 {
		res, err := r.send(r.producer(nil), msg("T", "x"))
		require.NoError(t, err)
		firsts[res.Queue.QueueID] = true
	}
	assert.Greater(t, len(firsts), 1, "producers start at different queues")
}

func TestSendRetriesOnAnotherBroker(t *testing.T) {
	for _, code := range []int32{remoting.ResSystemError, remoting.ResServiceNotAvailable, remoting.ResNoPermission, remoting.ResTopicNotExist} {
		t.Run(remoting.ResponseCodeName(code), func(t *testing.T) {
			r := newRig(t)
			a, b := r.broker("broker-a"), r.broker("broker-b")
			a.answerSends(code)
			r.ns.setRoute("T", 2, a, b)
			p := r.producer(nil)
			for range 6 {
				res, err := r.send(p, msg("T", "x"))
				require.NoError(t, err)
				assert.Equal(t, "broker-b", res.Queue.BrokerName)
			}
			assert.Len(t, b.sent(), 6, "every send ends on broker-b")
			assert.NotEmpty(t, a.sent(), "some sends tried broker-a first")
			assert.Less(t, len(a.sent()), 6, "no send tries broker-a twice")
		})
	}
}

func TestSendRetriesAfterATransportError(t *testing.T) {
	r := newRig(t)
	a, b := r.broker("broker-a"), r.broker("broker-b")
	require.NoError(t, a.srv.Close()) // nothing listens at a's address any more
	r.ns.setRoute("T", 2, a, b)
	p := r.producer(nil)
	for range 4 {
		res, err := r.send(p, msg("T", "x"))
		require.NoError(t, err)
		assert.Equal(t, "broker-b", res.Queue.BrokerName)
	}
}

func TestSendReturnsOtherCodesAtOnce(t *testing.T) {
	for _, tc := range []struct {
		code     int32
		sentinel error
	}{
		{remoting.ResMessageIllegal, remoting.ErrMessageIllegal},
		{remoting.ResSystemBusy, remoting.ErrSystemBusy},
		{remoting.ResRequestCodeNotSupported, remoting.ErrRequestCodeNotSupported},
	} {
		t.Run(remoting.ResponseCodeName(tc.code), func(t *testing.T) {
			r := newRig(t)
			a, b := r.broker("broker-a"), r.broker("broker-b")
			a.answerSends(tc.code)
			b.answerSends(tc.code)
			r.ns.setRoute("T", 1, a, b)
			p := r.producer(nil)
			_, err := r.send(p, msg("T", "x"))
			var be *BrokerError
			require.ErrorAs(t, err, &be)
			assert.Equal(t, tc.code, be.Code)
			assert.Equal(t, "scripted answer", be.Remark)
			assert.ErrorIs(t, err, tc.sentinel)
			assert.Equal(t, 1, len(a.sent())+len(b.sent()), "not retried")
		})
	}
}

func TestSendReportsTheLastAttemptsCode(t *testing.T) {
	r := newRig(t)
	a, b := r.broker("broker-a"), r.broker("broker-b")
	a.answerSends(remoting.ResSystemError)
	b.answerSends(remoting.ResServiceNotAvailable)
	r.ns.setRoute("T", 1, a, b)
	p := r.producer(func(c *ProducerConfig) { c.MaxAttempts = 3 })
	_, err := r.send(p, msg("T", "x"))
	var be *BrokerError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, 3, len(a.sent())+len(b.sent()), "MaxAttempts attempts")
	assert.NotEmpty(t, a.sent())
	assert.NotEmpty(t, b.sent())
	// The second attempt avoids the first broker; the third finds both
	// failed and may go to either. The broker tried twice made the last
	// attempt, and its code is the error.
	if len(a.sent()) == 2 {
		assert.Equal(t, remoting.ResSystemError, be.Code)
	} else {
		assert.Equal(t, remoting.ResServiceNotAvailable, be.Code)
	}
}

func TestSendWithOneAttemptDoesNotRetry(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	a.answerSends(remoting.ResSystemError)
	r.ns.setRoute("T", 4, a)
	p := r.producer(func(c *ProducerConfig) { c.MaxAttempts = 1 })
	_, err := r.send(p, msg("T", "x"))
	require.ErrorIs(t, err, remoting.ErrSystemError)
	assert.Len(t, a.sent(), 1)
}

func TestSendStoredOutcomesAreSuccesses(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	a.answerSends(remoting.ResFlushDiskTimeout)
	r.ns.setRoute("T", 1, a)
	p := r.producer(nil)
	res, err := r.send(p, msg("T", "x"))
	require.NoError(t, err)
	assert.Equal(t, SendFlushDiskTimeout, res.Status)
	assert.Len(t, a.sent(), 1)
}

func TestSendTimesOutWithinSendTimeout(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	a.mu.Lock()
	a.sendCode = func(int) int32 { return -1 } // never answers
	a.mu.Unlock()
	r.ns.setRoute("T", 2, a)
	p := r.producer(func(c *ProducerConfig) { c.SendTimeout = 2 * time.Second })
	var err error
	done := false
	p.SendAsync(msg("T", "x"), func(_ SendResult, e error) { err, done = e, true })
	r.run()
	require.False(t, done)
	r.advance(2*time.Second - time.Millisecond)
	require.False(t, done, "still within the timeout")
	r.advance(time.Millisecond)
	require.True(t, done)
	require.ErrorIs(t, err, remoting.ErrTimeout)
	assert.Len(t, a.sent(), 1, "the first attempt took all the time")
}

func TestSendCompressesFromTheThreshold(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	r.ns.setRoute("T", 1, a)
	p := r.producer(nil)
	for _, size := range []int{DefaultCompressOverBytes - 1, DefaultCompressOverBytes, 100_000} {
		body := bytes.Repeat([]byte("compressible "), size/13+1)[:size]
		_, err := r.send(p, &Message{Topic: "T", Body: body})
		require.NoError(t, err)
		req := a.sent()[len(a.sent())-1]
		h := sendHeader(t, req)
		if size < DefaultCompressOverBytes {
			assert.Zero(t, h.SysFlag&commitlog.SysFlagCompressed, "size %d", size)
			assert.Equal(t, body, req.Body)
			continue
		}
		assert.Equal(t, commitlog.SysFlagCompressed, h.SysFlag, "size %d", size)
		assert.Less(t, len(req.Body), size)
		got, err := inflate(req.Body, size)
		require.NoError(t, err)
		assert.Equal(t, body, got)
	}
}

func TestSendChecksMessagesBeforeSending(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	r.ns.setRoute("T", 1, a)
	p := r.producer(func(c *ProducerConfig) { c.MaxMessageBytes = 10 })
	for _, tc := range []struct {
		name string
		msg  *Message
		want error
	}{
		{"nil", nil, ErrInvalidMessage},
		{"no topic", msg("", "x"), ErrInvalidMessage},
		{"bad topic", msg("a b", "x"), ErrInvalidMessage},
		{"long topic", msg(strings.Repeat("t", MaxTopicLength+1), "x"), ErrInvalidMessage},
		{"empty body", msg("T", ""), ErrInvalidMessage},
		{"large body", msg("T", "12345678901"), ErrMessageTooLarge},
		{"bad property", &Message{Topic: "T", Body: []byte("x"), Properties: map[string]string{"a\x01": "v"}}, ErrInvalidMessage},
		{"empty property", &Message{Topic: "T", Body: []byte("x"), Properties: map[string]string{"a": ""}}, ErrInvalidMessage},
		{"bad tag", &Message{Topic: "T", Body: []byte("x"), Tags: "a\x02"}, ErrInvalidMessage},
		{"large properties", &Message{Topic: "T", Body: []byte("x"), Properties: map[string]string{"p": strings.Repeat("v", 40000)}}, ErrMessageTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.send(p, tc.msg)
			require.ErrorIs(t, err, tc.want)
			assert.ErrorIs(t, p.SendOneway(tc.msg), tc.want)
		})
	}
	assert.Empty(t, a.sent())
}

func TestSendBeforeStartAndAfterClose(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	r.ns.setRoute("T", 1, a)
	p := NewProducer(r.e, ProducerConfig{NamesrvAddrs: []string{r.ns.srv.Addr()}, Logger: quiet})
	_, err := r.send(p, msg("T", "x"))
	require.ErrorIs(t, err, ErrNotStarted)
	require.NoError(t, p.Start())
	require.ErrorIs(t, p.Start(), ErrAlreadyStarted)
	_, err = r.send(p, msg("T", "x"))
	require.NoError(t, err)
	p.Close()
	p.Close()
	_, err = r.send(p, msg("T", "x"))
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, p.SendOneway(msg("T", "x")), ErrClosed)
	require.ErrorIs(t, p.Start(), ErrClosed)
}

func TestCloseFailsSendsInFlight(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	a.mu.Lock()
	a.sendCode = func(int) int32 { return -1 }
	a.mu.Unlock()
	r.ns.setRoute("T", 1, a)
	p := r.producer(nil)
	var err error
	done := false
	p.SendAsync(msg("T", "x"), func(_ SendResult, e error) { err, done = e, true })
	r.run()
	require.False(t, done)
	p.Close()
	r.run()
	require.True(t, done)
	require.ErrorIs(t, err, ErrClosed)
	assert.Len(t, a.sent(), 1, "a closed producer does not retry")
}

func TestProducerConfigIsChecked(t *testing.T) {
	r := newRig(t)
	ns := []string{r.ns.srv.Addr()}
	for _, tc := range []struct {
		name string
		cfg  ProducerConfig
	}{
		{"no name server", ProducerConfig{}},
		{"empty name server", ProducerConfig{NamesrvAddrs: []string{""}}},
		{"bad group", ProducerConfig{NamesrvAddrs: ns, Group: "a b"}},
		{"too many attempts", ProducerConfig{NamesrvAddrs: ns, MaxAttempts: MaxAttemptsLimit + 1}},
		{"negative attempts", ProducerConfig{NamesrvAddrs: ns, MaxAttempts: -1}},
		{"negative timeout", ProducerConfig{NamesrvAddrs: ns, SendTimeout: -time.Second}},
		{"negative refresh", ProducerConfig{NamesrvAddrs: ns, RouteRefreshInterval: -time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Logger = quiet
			require.ErrorIs(t, NewProducer(r.e, tc.cfg).Start(), ErrInvalidConfig)
		})
	}
}

func TestSendToQueueMakesOneAttemptThere(t *testing.T) {
	r := newRig(t)
	a, b := r.broker("broker-a"), r.broker("broker-b")
	r.ns.setRoute("T", 4, a, b)
	p := r.producer(nil)
	mq := MessageQueue{Topic: "T", BrokerName: "broker-b", QueueID: 3}
	for range 3 {
		res, err := await(r, func(cb func(SendResult, error)) { p.SendToQueueAsync(msg("T", "x"), mq, cb) })
		require.NoError(t, err)
		assert.Equal(t, mq, res.Queue)
	}
	b.answerSends(remoting.ResSystemError)
	_, err := await(r, func(cb func(SendResult, error)) { p.SendToQueueAsync(msg("T", "x"), mq, cb) })
	require.ErrorIs(t, err, remoting.ErrSystemError)
	assert.Empty(t, a.sent(), "never another queue")
	assert.Len(t, b.sent(), 4)

	_, err = await(r, func(cb func(SendResult, error)) {
		p.SendToQueueAsync(msg("T", "x"), MessageQueue{Topic: "Other", BrokerName: "broker-b"}, cb)
	})
	require.ErrorIs(t, err, ErrInvalidArgument)
}

func TestSelectorChoosesAndAvoidsFailedBrokers(t *testing.T) {
	r := newRig(t)
	a, b := r.broker("broker-a"), r.broker("broker-b")
	r.ns.setRoute("T", 2, a, b)
	var offered [][]MessageQueue
	p := r.producer(func(c *ProducerConfig) {
		c.Selector = func(mqs []MessageQueue, m *Message) MessageQueue {
			offered = append(offered, mqs)
			return mqs[0]
		}
	})
	res, err := r.send(p, msg("T", "x"))
	require.NoError(t, err)
	assert.Equal(t, MessageQueue{Topic: "T", BrokerName: "broker-a", QueueID: 0}, res.Queue)

	a.answerSends(remoting.ResSystemError)
	offered = nil
	res, err = r.send(p, msg("T", "x"))
	require.NoError(t, err)
	assert.Equal(t, MessageQueue{Topic: "T", BrokerName: "broker-b", QueueID: 0}, res.Queue)
	require.Len(t, offered, 2)
	assert.Len(t, offered[0], 4)
	assert.Equal(t, []MessageQueue{{Topic: "T", BrokerName: "broker-b", QueueID: 0}, {Topic: "T", BrokerName: "broker-b", QueueID: 1}}, offered[1])
}

func TestSelectorMustChooseAnOfferedQueue(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	r.ns.setRoute("T", 2, a)
	p := r.producer(func(c *ProducerConfig) {
		c.Selector = func([]MessageQueue, *Message) MessageQueue { return MessageQueue{Topic: "T", BrokerName: "broker-z"} }
	})
	_, err := r.send(p, msg("T", "x"))
	require.ErrorIs(t, err, ErrInvalidArgument)
	assert.Empty(t, a.sent())
}

func TestSendOnewayReachesTheBroker(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	a.mu.Lock()
	a.sendCode = func(int) int32 { return -1 }
	a.mu.Unlock()
	r.ns.setRoute("T", 2, a)
	p := r.producer(nil)
	require.NoError(t, p.SendOneway(msg("T", "first"))) // route looked up first
	r.run()
	require.NoError(t, p.SendOneway(msg("T", "second"))) // route cached
	r.run()
	sent := a.sent()
	require.Len(t, sent, 2)
	for i, want := range []string{"first", "second"} {
		assert.Equal(t, want, string(sent[i].Body))
		assert.True(t, sent[i].IsOneway())
	}
}

func TestProducerHeartbeatsItsBrokers(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	r.ns.setRoute("T", 2, a)
	p := r.producer(func(c *ProducerConfig) { c.Group = "hb-group" })
	assert.Empty(t, a.beats(), "no broker known yet")
	_, err := r.send(p, msg("T", "x"))
	require.NoError(t, err)
	require.Len(t, a.beats(), 1, "a broker is heartbeaten when first learned")
	hb := a.beats()[0]
	assert.Equal(t, p.ClientID(), hb.ClientID)
	assert.Equal(t, []remoting.ProducerData{{GroupName: "hb-group"}}, hb.ProducerDataSet)
	assert.Empty(t, hb.ConsumerDataSet)

	r.advance(DefaultHeartbeatInterval)
	assert.Len(t, a.beats(), 2)
	r.advance(DefaultHeartbeatInterval)
	assert.Len(t, a.beats(), 3)
	p.Close()
	r.advance(DefaultHeartbeatInterval)
	assert.Len(t, a.beats(), 3, "nothing after Close")
}

func TestBrokerErrorText(t *testing.T) {
	err := &BrokerError{Code: remoting.ResMessageIllegal, Remark: "too big"}
	assert.Equal(t, "client: server answered MESSAGE_ILLEGAL (13): too big", err.Error())
	assert.Equal(t, "client: server answered SYSTEM_ERROR (1)", (&BrokerError{Code: 1}).Error())
	assert.True(t, errors.Is(err, remoting.ErrMessageIllegal))
	assert.False(t, errors.Is(err, remoting.ErrSystemError))
}

func TestStatusNames(t *testing.T) {
	assert.Equal(t, "SendFlushSlaveTimeout", SendFlushSlaveTimeout.String())
	assert.Equal(t, "SendStatus(9)", SendStatus(9).String())
	assert.Equal(t, "PullOffsetIllegal", PullOffsetIllegal.String())
	assert.Equal(t, "PullStatus(9)", PullStatus(9).String())
}
