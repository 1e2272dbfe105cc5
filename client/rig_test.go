package client

import (
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/remoting"
)

// quiet discards log lines.
var quiet = slog.New(slog.DiscardHandler)

// epoch is the rig's start time: 5 March 2024, 12:00 UTC.
var epoch = time.Date(2024, 3, 5, 12, 0, 0, 0, time.UTC)

// rig is a deterministic cluster of fakes: a name server and brokers built
// on remoting.Server, over an in-memory network driven by a manual clock.
// Everything runs on the test's goroutine when the test calls run or
// advance, as it would in the simulator.
type rig struct {
	t     *testing.T
	clock *env.ManualClock
	e     env.Env
	ns    *fakeNamesrv
}

func newRig(t *testing.T) *rig {
	clock := env.NewManualClock(epoch)
	r := &rig{t: t, clock: clock, e: env.Env{Clock: clock, Net: env.NewMemNetwork(clock), Rand: env.NewSeededRand(7)}}
	r.ns = newFakeNamesrv(r)
	return r
}

// run delivers everything due now.
func (r *rig) run() { r.clock.RunDue() }

// advance moves the clock, delivering what falls due.
func (r *rig) advance(d time.Duration) { r.clock.Advance(d) }

// server starts a remoting server on the rig's network.
func (r *rig) server() *remoting.Server {
	srv := remoting.NewServer(r.e, remoting.ServerConfig{ListenAddr: "127.0.0.1:0", Logger: quiet})
	require.NoError(r.t, srv.Start())
	r.t.Cleanup(func() { srv.Close() })
	return srv
}

// producer starts a producer against the rig's name server.
func (r *rig) producer(tweak func(*ProducerConfig)) *Producer {
	cfg := ProducerConfig{NamesrvAddrs: []string{r.ns.srv.Addr()}, Group: "pg", Logger: quiet}
	if tweak != nil {
		tweak(&cfg)
	}
	p := NewProducer(r.e, cfg)
	require.NoError(r.t, p.Start())
	r.t.Cleanup(p.Close)
	return p
}

// consumer starts a pull consumer against the rig's name server.
func (r *rig) consumer(tweak func(*PullConsumerConfig), subs ...string) *PullConsumer {
	cfg := PullConsumerConfig{NamesrvAddrs: []string{r.ns.srv.Addr()}, Group: "cg", Logger: quiet}
	if tweak != nil {
		tweak(&cfg)
	}
	c := NewPullConsumer(r.e, cfg)
	for i := 0; i+1 < len(subs); i += 2 {
		require.NoError(r.t, c.Subscribe(subs[i], subs[i+1]))
	}
	require.NoError(r.t, c.Start())
	r.t.Cleanup(c.Close)
	return c
}

// send sends msg and delivers until the outcome is known.
func (r *rig) send(p *Producer, msg *Message) (SendResult, error) {
	r.t.Helper()
	return await(r, func(cb func(SendResult, error)) { p.SendAsync(msg, cb) })
}

// await starts an operation and delivers until its callback ran, checking
// that it ran exactly once and not inside the call.
func await[T any](r *rig, start func(cb func(T, error))) (T, error) {
	r.t.Helper()
	var (
		v     T
		err   error
		calls int
	)
	start(func(got T, e error) { v, err = got, e; calls++ })
	require.Zero(r.t, calls, "the callback ran inside the call")
	r.run()
	require.Equal(r.t, 1, calls, "the callback ran once")
	return v, err
}

// fakeNamesrv answers GET_ROUTEINFO_BY_TOPIC from a table of route bodies.
type fakeNamesrv struct {
	srv *remoting.Server

	mu      sync.Mutex
	routes  map[string]string
	queries map[string]int
}

func newFakeNamesrv(r *rig) *fakeNamesrv {
	ns := &fakeNamesrv{srv: r.server(), routes: map[string]string{}, queries: map[string]int{}}
	ns.srv.Handle(remoting.ReqGetRouteInfoByTopic, func(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
		topic := req.ExtFields["topic"]
		ns.mu.Lock()
		ns.queries[topic]++
		body, ok := ns.routes[topic]
		ns.mu.Unlock()
		if !ok {
			reply(remoting.NewResponse(req, remoting.ResTopicNotExist, "No topic route info in name server for the topic: "+topic))
			return
		}
		resp := remoting.NewResponse(req, remoting.ResSuccess, "")
		resp.Body = []byte(body)
		reply(resp)
	})
	return ns
}

// setRoute makes topic's route: each broker with queues read and write
// queues and perm 6.
func (ns *fakeNamesrv) setRoute(topic string, queues int, brokers ...*fakeBroker) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	ns.routes[topic] = routeJSON(queues, 6, brokers...)
}

func (ns *fakeNamesrv) queryCount(topic string) int {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return ns.queries[topic]
}

// routeJSON writes a TopicRouteData body in the Java name server's form.
func routeJSON(queues int, perm int32, brokers ...*fakeBroker) string {
	var qds, bds []string
	for _, b := range brokers {
		qds = append(qds, fmt.Sprintf(`{"brokerName":%q,"readQueueNums":%d,"writeQueueNums":%d,"perm":%d,"topicSysFlag":0}`, b.name, queues, queues, perm))
		bds = append(bds, fmt.Sprintf(`{"cluster":"DefaultCluster","brokerName":%q,"brokerAddrs":{"0":%q}}`, b.name, b.addr))
	}
	return `{"queueDatas":[` + strings.Join(qds, ",") + `],"brokerDatas":[` + strings.Join(bds, ",") + `]}`
}

// fakeBroker records the requests it gets and answers sends with the code
// sendCode returns (SUCCESS by default), pulls with pullAnswer.
type fakeBroker struct {
	name string
	addr string
	srv  *remoting.Server

	mu         sync.Mutex
	sends      []*remoting.Command
	heartbeats []*remoting.HeartbeatData
	pulls      []*remoting.Command
	sendCode   func(n int) int32 // n counts the sends so far, from 1; -1 answers nothing
	pullAnswer func(req *remoting.Command) *remoting.Command
	other      map[int32]func(req *remoting.Command) *remoting.Command
}

func (r *rig) broker(name string) *fakeBroker {
	b := &fakeBroker{name: name, srv: r.server(), other: map[int32]func(*remoting.Command) *remoting.Command{}}
	b.addr = b.srv.Addr()
	send := func(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
		b.mu.Lock()
		b.sends = append(b.sends, req)
		n := len(b.sends)
		code := remoting.ResSuccess
		if b.sendCode != nil {
			code = b.sendCode(n)
		}
		b.mu.Unlock()
		if code < 0 {
			return
		}
		resp := remoting.NewResponse(req, code, "scripted answer")
		if code == remoting.ResSuccess || code == remoting.ResFlushDiskTimeout {
			queueID := req.ExtFields["queueId"]
			if req.Code == remoting.ReqSendBatchMessage {
				queueID = req.ExtFields["e"]
			}
			resp.ExtFields = map[string]string{
				"msgId":       commitlog.FormatOffsetMsgID(mustAddrPort(r.t, b.addr), int64(n)*1000),
				"queueId":     queueID,
				"queueOffset": strconv.Itoa(n - 1),
			}
		}
		reply(resp)
	}
	b.srv.Handle(remoting.ReqSendMessage, send)
	b.srv.Handle(remoting.ReqSendBatchMessage, send)
	b.srv.Handle(remoting.ReqHeartBeat, func(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
		hb, err := remoting.DecodeHeartbeatData(req.Body)
		require.NoError(r.t, err)
		b.mu.Lock()
		b.heartbeats = append(b.heartbeats, hb)
		b.mu.Unlock()
		reply(remoting.NewResponse(req, remoting.ResSuccess, ""))
	})
	b.srv.Handle(remoting.ReqPullMessage, func(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
		b.mu.Lock()
		b.pulls = append(b.pulls, req)
		answer := b.pullAnswer
		b.mu.Unlock()
		reply(answer(req))
	})
	b.srv.HandleDefault(func(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
		b.mu.Lock()
		h := b.other[req.Code]
		b.mu.Unlock()
		if h == nil {
			reply(remoting.NewResponse(req, remoting.ResRequestCodeNotSupported, "not faked"))
			return
		}
		reply(h(req))
	})
	return b
}

// sent returns the send requests so far.
func (b *fakeBroker) sent() []*remoting.Command {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.sends)
}

// beats returns the heartbeats so far.
func (b *fakeBroker) beats() []*remoting.HeartbeatData {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.heartbeats)
}

// answerSends makes the broker answer every send with code.
func (b *fakeBroker) answerSends(code int32) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sendCode = func(int) int32 { return code }
}

// handle fakes another request code.
func (b *fakeBroker) handle(code int32, h func(req *remoting.Command) *remoting.Command) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.other[code] = h
}

// sendHeader decodes a recorded send's header.
func sendHeader(t *testing.T, req *remoting.Command) remoting.SendMessageRequestHeader {
	t.Helper()
	h, err := remoting.DecodeSendMessageRequestHeaderFor(req.Code, req.ExtFields)
	require.NoError(t, err)
	return h
}

// mustAddrPort parses "ip:port".
func mustAddrPort(t *testing.T, addr string) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(addr)
	require.NoError(t, err)
	return ap
}
