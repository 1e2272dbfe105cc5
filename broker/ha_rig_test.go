package broker_test

import (
	"log/slog"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/namesrv"
	"github.com/apogeemq/apogee/remoting"
)

// The replication rig: a name server and brokers of one broker group, each
// on its own host of a MemNetwork with its own MemFS, all on one
// ManualClock. Nothing moves unless the test delivers or advances the
// clock.
const (
	haNSHost     = "10.0.0.100"
	haClientHost = "10.0.0.99"
	haHostA      = "10.0.0.1"
	haHostB      = "10.0.0.2"
	haHostC      = "10.0.0.3"
	haPort       = "10911"
	haHAPort     = "10912"
	// haDeliverRounds bounds the rounds of due callbacks deliver runs
	// before it gives up: a settled exchange takes a few dozen.
	haDeliverRounds = 20_000
)

// haRigEpoch is the rig clock's start.
var haRigEpoch = time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)

type haNode struct {
	host string
	fs   *env.MemFS
	e    env.Env
	cfg  broker.Config
	b    *broker.Broker
}

// addr is the node's remoting address.
func (n *haNode) addr() string { return n.host + ":" + haPort }

type haRig struct {
	t     *testing.T
	clock *env.ManualClock
	net   *env.MemNetwork
	ns    *namesrv.NameServer
	cl    *remoting.Client
	seed  uint64
}

func newHARig(t *testing.T) *haRig {
	t.Helper()
	clock := env.NewManualClock(haRigEpoch)
	r := &haRig{t: t, clock: clock, net: env.NewMemNetwork(clock), seed: 1}
	nsEnv := env.Env{Clock: clock, FS: env.NewMemFS(clock), Net: r.net.Host(haNSHost), Rand: env.NewSeededRand(99)}
	r.ns = namesrv.New(nsEnv, namesrv.Config{ListenAddr: haNSHost + ":9876", Logger: quiet})
	require.NoError(t, r.ns.Start())
	t.Cleanup(func() { r.ns.Close() })
	r.cl = remoting.NewClient(env.Env{Clock: clock, Net: r.net.Host(haClientHost), Rand: env.NewSeededRand(98)},
		remoting.ClientConfig{Logger: quiet})
	t.Cleanup(func() { r.cl.Close() })
	return r
}

// node makes a broker of group broker-a on host, with a fresh file system;
// start starts it.
func (r *haRig) node(host string, role broker.Role, id int64, tweak func(*broker.Config)) *haNode {
	r.seed++
	fs := env.NewMemFS(r.clock)
	n := &haNode{host: host, fs: fs, e: env.Env{Clock: r.clock, FS: fs, Net: r.net.Host(host), Rand: env.NewSeededRand(r.seed)}}
	cfg := broker.DefaultConfig("/store")
	cfg.Role, cfg.BrokerID = role, id
	cfg.ListenAddr = host + ":" + haPort
	cfg.HAListenAddr = host + ":" + haHAPort
	cfg.BrokerIP1 = netip.MustParseAddr(host)
	cfg.NamesrvAddrs = []string{haNSHost + ":9876"}
	cfg.Logger = haTestLogger(host)
	cfg.Store.Logger = quiet
	cfg.Store.CommitLog.SegmentSizeBytes = 1 << 20
	cfg.Store.CommitLog.PreallocateNext = false
	cfg.Store.ConsumeQueueUnitsPerFile = 1000
	cfg.Store.IndexHashSlots = 64
	cfg.Store.IndexMaxEntries = 1024
	cfg.HA.TransferBatchBytes = 4096
	if tweak != nil {
		tweak(&cfg)
	}
	n.cfg = cfg
	return n
}

// start opens and starts the node's broker and lets its registration
// settle.
func (r *haRig) start(n *haNode) {
	r.t.Helper()
	b, err := broker.New(n.e, n.cfg)
	require.NoError(r.t, err)
	require.NoError(r.t, b.Start())
	n.b = b
	r.t.Cleanup(func() { b.Close() })
	r.settle()
}

// restart closes the node's broker cleanly and starts it again with cfg
// changed by tweak (its store and metadata stay).
func (r *haRig) restart(n *haNode, tweak func(*broker.Config)) {
	r.t.Helper()
	require.NoError(r.t, n.b.Close())
	r.settle()
	if tweak != nil {
		tweak(&n.cfg)
	}
	r.start(n)
}

// settle runs everything due now, and what that makes due, until nothing
// is left at this instant.
func (r *haRig) settle() {
	for i := 0; i < haDeliverRounds; i++ {
		next, ok := r.clock.NextDue()
		if !ok || next.After(r.clock.Now()) {
			return
		}
		r.clock.RunDue()
	}
	require.FailNow(r.t, "the rig did not settle")
}

// deliver runs due callbacks until done reports true, without moving the
// clock.
func (r *haRig) deliver(what string, done func() bool) {
	r.t.Helper()
	for i := 0; !done() && i < haDeliverRounds; i++ {
		r.clock.RunDue()
	}
	require.True(r.t, done(), "%s, without the clock moving", what)
}

// advance moves the clock by d in steps of at most a second, settling at
// each step.
func (r *haRig) advance(d time.Duration) {
	for d > 0 {
		step := min(d, time.Second)
		r.clock.Advance(step)
		r.settle()
		d -= step
	}
}

// call sends a request to addr and delivers until it is answered.
func (r *haRig) call(addr string, code int32, ext map[string]string, body []byte) *remoting.Command {
	r.t.Helper()
	var (
		mu   sync.Mutex
		resp *remoting.Command
		err  error
	)
	r.cl.Invoke(addr, remoting.NewRequest(code, ext, body), time.Minute, func(c *remoting.Command, e error) {
		mu.Lock()
		defer mu.Unlock()
		resp, err = c, e
	})
	r.deliver(remoting.RequestCodeName(code)+" answered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return resp != nil || err != nil
	})
	require.NoError(r.t, err)
	return resp
}

// createTopic creates topic on the broker at addr.
func (r *haRig) createTopic(addr, topic string, queues int32) {
	r.t.Helper()
	resp := r.call(addr, remoting.ReqUpdateAndCreateTopic, remoting.CreateTopicRequestHeader{
		Topic: topic, DefaultTopic: broker.DefaultTopic, ReadQueueNums: queues, WriteQueueNums: queues,
		Perm: 6, TopicFilterType: "SINGLE_TAG",
	}.ToExtFields(), nil)
	require.Equal(r.t, remoting.ResSuccess, resp.Code, resp.Remark)
}

// send sends body to queueID of topic at addr and returns the answer.
func (r *haRig) send(addr, topic string, queueID int32, body string) *remoting.Command {
	r.t.Helper()
	h := sendHeader(topic, queueID, map[string]string{commitlog.PropertyKeys: body})
	h.BornTimestamp = r.clock.Now().UnixMilli()
	return r.call(addr, remoting.ReqSendMessage, h.ToExtFields(), []byte(body))
}

// sendOK sends and requires SEND_OK; it returns the queue offset.
func (r *haRig) sendOK(addr, topic string, queueID int32, body string) int64 {
	r.t.Helper()
	resp := r.send(addr, topic, queueID, body)
	require.Equal(r.t, remoting.ResSuccess, resp.Code, resp.Remark)
	h, err := remoting.DecodeSendMessageResponseHeader(resp.ExtFields)
	require.NoError(r.t, err)
	return h.QueueOffset
}

// pull pulls queueID of topic from offset at addr for group, with the
// expression in the request.
func (r *haRig) pull(addr, group, topic string, queueID int32, offset int64) (*remoting.Command, remoting.PullMessageResponseHeader, []commitlog.Record) {
	r.t.Helper()
	resp := r.call(addr, remoting.ReqPullMessage, pullHeader(group, topic, queueID, offset, "*").ToExtFields(), nil)
	h, err := remoting.DecodePullMessageResponseHeader(resp.ExtFields)
	require.NoError(r.t, err, "code %d %s", resp.Code, resp.Remark)
	var recs []commitlog.Record
	if resp.Code == remoting.ResSuccess {
		recs = decodeRecords(r.t, resp.Body)
	}
	return resp, h, recs
}

// bodies pulls a whole queue and returns its bodies in queue order.
func (r *haRig) bodies(addr, group, topic string, queueID int32) []string {
	r.t.Helper()
	var out []string
	for offset := int64(0); ; {
		resp, h, recs := r.pull(addr, group, topic, queueID, offset)
		if resp.Code == remoting.ResPullNotFound {
			return out
		}
		require.Equal(r.t, remoting.ResSuccess, resp.Code, resp.Remark)
		for _, rec := range recs {
			out = append(out, string(rec.Body))
		}
		offset = h.NextBeginOffset
	}
}

// caughtUp delivers until slave's log ends where master's does and is
// dispatched.
func (r *haRig) caughtUp(master, slave *haNode) {
	r.t.Helper()
	r.deliver("the slave caught up", func() bool {
		end := master.b.Store().CommitLogMaxOffset()
		return slave.b.Store().ReplicaEnd() == end && slave.b.Store().DispatchedOffset() == end
	})
}

// streaming delivers until the slave streams from its master.
func (r *haRig) streaming(slave *haNode) {
	r.t.Helper()
	r.deliver("the slave streams from its master", func() bool {
		st := slave.b.HAState()
		return st.Checked && st.Client.Connected
	})
}

// masterOf returns the address the name server lists as broker-a's
// master, "" when none.
func (r *haRig) masterOf() string {
	route, ok := r.ns.Registry().Route(broker.DefaultBrokerName)
	if !ok {
		return ""
	}
	for _, bd := range route.BrokerDatas {
		if a, ok := bd.Addrs[0]; ok {
			return a
		}
	}
	return ""
}

// haTestLogger is the nodes' logger: silent, unless HA_DEBUG is set in the
// environment, when every node's lines go to stderr tagged with its host.
func haTestLogger(host string) *slog.Logger {
	if os.Getenv("HA_DEBUG") == "" {
		return quiet
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("node", host)
}
