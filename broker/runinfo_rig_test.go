package broker_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/remoting"
)

// opsRigEpoch is the manual clock's start.
var opsRigEpoch = time.Date(2024, 3, 5, 12, 0, 0, 0, time.UTC)

// opsRig is a broker on an in-memory network, file system and manual
// clock, with a raw client for the operator's requests: nothing moves
// unless the test delivers or moves the clock, so timeouts and expiry are
// exact and instant.
type opsRig struct {
	t     *testing.T
	clock *env.ManualClock
	e     env.Env
	b     *broker.Broker
	cl    *remoting.Client
}

// startOpsRig starts the rig's broker (no name server); tweak adjusts its
// config.
func startOpsRig(t *testing.T, tweak func(*broker.Config)) *opsRig {
	t.Helper()
	clock := env.NewManualClock(opsRigEpoch)
	e := env.Env{Clock: clock, FS: env.NewMemFS(clock), Net: env.NewMemNetwork(clock), Rand: env.NewSeededRand(11)}
	cfg := broker.DefaultConfig("/store")
	cfg.ListenAddr = "127.0.0.1:0"
	cfg.Logger = quiet
	cfg.Store.Logger = quiet
	cfg.Store.CommitLog.SegmentSizeBytes = 1 << 20
	cfg.Store.ConsumeQueueUnitsPerFile = 1000
	cfg.Store.IndexHashSlots = 64
	cfg.Store.IndexMaxEntries = 256
	if tweak != nil {
		tweak(&cfg)
	}
	b, err := broker.New(e, cfg)
	require.NoError(t, err)
	require.NoError(t, b.Start())
	t.Cleanup(func() { b.Close() })
	r := &opsRig{t: t, clock: clock, e: e, b: b, cl: remoting.NewClient(e, remoting.ClientConfig{Logger: quiet})}
	t.Cleanup(func() { r.cl.Close() })
	return r
}

// deliver runs what is due until done reports true, without moving the
// clock.
func (r *opsRig) deliver(done func() bool) {
	r.t.Helper()
	for i := 0; !done() && i < 10_000; i++ {
		r.clock.RunDue()
	}
	require.True(r.t, done(), "settled without the clock moving")
}

// start sends a request and returns a function that reports its answer,
// nil until there is one.
func (r *opsRig) start(code int32, ext map[string]string, body []byte) func() *remoting.Command {
	var (
		mu   sync.Mutex
		resp *remoting.Command
	)
	r.cl.Invoke(r.b.Addr(), remoting.NewRequest(code, ext, body), time.Minute, func(c *remoting.Command, err error) {
		require.NoError(r.t, err)
		mu.Lock()
		resp = c
		mu.Unlock()
	})
	return func() *remoting.Command {
		mu.Lock()
		defer mu.Unlock()
		return resp
	}
}

// call sends a request and delivers until it is answered.
func (r *opsRig) call(code int32, ext map[string]string, body []byte) *remoting.Command {
	r.t.Helper()
	answer := r.start(code, ext, body)
	r.deliver(func() bool { return answer() != nil })
	return answer()
}

// send stores a message in queue 0 of topic and returns the answer's
// header.
func (r *opsRig) send(topic string, queueID int32, body string) remoting.SendMessageResponseHeader {
	r.t.Helper()
	h := sendHeader(topic, queueID, nil)
	h.BornTimestamp = r.clock.Now().UnixMilli()
	resp := r.call(remoting.ReqSendMessage, h.ToExtFields(), []byte(body))
	require.Equal(r.t, remoting.ResSuccess, resp.Code, resp.Remark)
	out, err := remoting.DecodeSendMessageResponseHeader(resp.ExtFields)
	require.NoError(r.t, err)
	return out
}

// opsConsumer is a consumer group member made of a raw client: it
// heartbeats and answers the requests the broker pushes with answer.
type opsConsumer struct {
	id string
	cl *remoting.Client

	mu     sync.Mutex
	got    []*remoting.Command
	answer func(req *remoting.Command) *remoting.Command
}

// consumer joins group with client id and subscribes to topic.
func (r *opsRig) consumer(group, id, topic string) *opsConsumer {
	r.t.Helper()
	fc := &opsConsumer{id: id, cl: remoting.NewClient(r.e, remoting.ClientConfig{Logger: quiet})}
	r.t.Cleanup(func() { fc.cl.Close() })
	serve := func(_ string, req *remoting.Command) *remoting.Command {
		fc.mu.Lock()
		fc.got = append(fc.got, req)
		answer := fc.answer
		fc.mu.Unlock()
		if answer == nil {
			return nil
		}
		return answer(req)
	}
	for _, code := range []int32{remoting.ReqGetConsumerRunningInfo, remoting.ReqConsumeMessageDirectly,
		remoting.ReqResetConsumerClientOffset, remoting.ReqGetConsumerStatusFromClient, remoting.ReqNotifyConsumerIdsChanged} {
		fc.cl.Handle(code, serve)
	}
	hb := &remoting.HeartbeatData{ClientID: id, ConsumerDataSet: []remoting.ConsumerData{{
		GroupName: group, ConsumeType: broker.ConsumePassively, MessageModel: broker.ModelClustering,
		ConsumeFromWhere:    "CONSUME_FROM_FIRST_OFFSET",
		SubscriptionDataSet: []remoting.SubscriptionData{{Topic: topic, SubString: "*", ExpressionType: "TAG"}},
	}}}
	var resp *remoting.Command
	fc.cl.Invoke(r.b.Addr(), remoting.NewRequest(remoting.ReqHeartBeat, nil, remoting.EncodeHeartbeatData(hb)), time.Minute,
		func(c *remoting.Command, err error) {
			require.NoError(r.t, err)
			resp = c
		})
	r.deliver(func() bool { return resp != nil })
	require.Equal(r.t, remoting.ResSuccess, resp.Code, resp.Remark)
	return fc
}

// setAnswer sets how the consumer answers pushed requests (nil: never).
func (fc *opsConsumer) setAnswer(f func(req *remoting.Command) *remoting.Command) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	fc.answer = f
}

// received returns the pushed requests of code so far.
func (fc *opsConsumer) received(code int32) []*remoting.Command {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	var out []*remoting.Command
	for _, c := range fc.got {
		if c.Code == code {
			out = append(out, c)
		}
	}
	return out
}

// opsReply answers req with code, remark and body.
func opsReply(req *remoting.Command, code int32, remark, body string) *remoting.Command {
	resp := remoting.NewResponse(req, code, remark)
	resp.Body = []byte(body)
	return resp
}
