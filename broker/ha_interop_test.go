package broker_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/remoting"
	"github.com/apogeemq/apogee/store/configfile"
)

// haInteropSync is the slaves' SlaveSyncInterval in the interop tests:
// short, so that a topic or group created on the master reaches the slave
// within a test step.
const haInteropSync = 200 * time.Millisecond

// startSlave starts a slave of ic's broker group on loopback, with its own
// store, and waits until it streams from the master and the name server
// lists it.
func (ic *interopCluster) startSlave(t *testing.T) *broker.Broker {
	t.Helper()
	cfg := ic.cfg
	cfg.Role, cfg.BrokerID = broker.RoleSlave, 1
	cfg.ListenAddr = "127.0.0.1:0"
	cfg.HAListenAddr = ""
	cfg.Store.RootDir = t.TempDir()
	s, err := broker.New(ic.e, cfg)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	t.Cleanup(func() { s.Close() })
	eventually(t, func() (bool, string) {
		st := s.HAState()
		return st.Checked && st.Client.Connected, fmt.Sprintf("slave state %+v", st)
	})
	eventually(t, func() (bool, string) {
		r, ok := ic.ns.Registry().Route(cfg.BrokerName)
		return ok && r.BrokerDatas[0].Addrs[1] == s.Addr(), "the name server lists the slave"
	})
	return s
}

// invokeAt sends a request to addr and waits for the answer.
func (ic *interopCluster) invokeAt(addr string, code int32, ext map[string]string, body []byte) *remoting.Command {
	ic.t.Helper()
	resp, err := ic.cl.InvokeSync(addr, remoting.NewRequest(code, ext, body), interopWait)
	require.NoError(ic.t, err)
	return resp
}

// gate blocks a consumer's callback while it is shut.
type gate struct {
	mu     sync.Mutex
	ch     chan struct{}
	isOpen bool
}

func newGate() *gate {
	g := &gate{ch: make(chan struct{})}
	g.open()
	return g
}

func (g *gate) shut() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.isOpen {
		g.ch, g.isOpen = make(chan struct{}), false
	}
}

func (g *gate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.isOpen {
		close(g.ch)
		g.isOpen = true
	}
}

func (g *gate) wait() {
	g.mu.Lock()
	ch := g.ch
	g.mu.Unlock()
	<-ch
}

// The official client keeps consuming from the slave while the master is
// down, and after the slave's promotion a new producer sends to it and the
// same consumer goes on: every message a producer had acknowledged is
// consumed.
//
// The group reads from broker 1 (its subscription group config's brokerId,
// with slaveReadEnable), so the master's answers steer the consumer to the
// slave before the master is lost; the client's route keeps the slave,
// which answers the consumer's pulls alone once the master is closed.
// (Pulling from the master, the client reaches the slave only when its
// next route refresh, every 30 s, drops the master.) The master is a
// SYNC_MASTER: a send is acknowledged once the slave holds it.
func TestInteropConsumerFollowsTheSlaveThroughPromotion(t *testing.T) {
	ic := startInterop(t, func(c *broker.Config) {
		c.Role = broker.RoleSyncMaster
		c.HAListenAddr = "127.0.0.1:0"
		c.SlaveReadEnable = true
		c.SlaveSyncInterval = haInteropSync
	})
	master := ic.broker
	slave := ic.startSlave(t)

	// One queue: the client's flow control, which keeps the backlog on the
	// broker here, counts its rounds without synchronization across the
	// queues of a consumer (a race of the client itself).
	topic, group := uniqueName("Failover"), uniqueName("cg")
	ic.createTopic(topic, 1)
	cfg := configfile.NewSubscriptionGroupConfig(group)
	cfg.BrokerID = 1
	resp := ic.invoke(remoting.ReqUpdateAndCreateSubscriptionGroup, nil, remoting.AppendSubscriptionGroupConfigJSON(nil, &cfg))
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	eventually(t, func() (bool, string) {
		groups, err := configfile.ParseSubscriptionGroups(ic.invokeAt(slave.Addr(), remoting.ReqGetAllSubscriptionGroupConfig, nil, nil).Body)
		require.NoError(t, err)
		topics, err := configfile.ParseTopics(ic.invokeAt(slave.Addr(), remoting.ReqGetAllTopicConfig, nil, nil).Body)
		require.NoError(t, err)
		_, hasTopic := topics.Topics[topic]
		return hasTopic && groups.Groups[group].BrokerID == 1, "the slave copied the topic and the group"
	})

	g := newGate()
	var got collector
	consume := func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		g.wait()
		return got.consume(ctx, msgs...)
	}
	pc, err := consumer.NewPushConsumer(
		consumer.WithNsResolver(ic.resolver),
		consumer.WithGroupName(group),
		consumer.WithInstance(uniqueName("consumer")),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithPullBatchSize(1),
		consumer.WithPullThresholdForQueue(1),
		consumer.WithPullThresholdForTopic(1),
	)
	require.NoError(t, err)
	require.NoError(t, pc.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"}, consume))
	require.NoError(t, pc.Start())
	t.Cleanup(func() { pc.Shutdown() })

	p := ic.producer()
	send := func(prefix string, n int) []string {
		bodies := bodiesOf(prefix, n)
		for _, b := range bodies {
			res, err := p.SendSync(sendCtx(t), primitive.NewMessage(topic, []byte(b)))
			require.NoError(t, err)
			require.Equal(t, primitive.SendOK, res.Status, "a SYNC_MASTER with its slave")
		}
		return bodies
	}
	first := send("first", 8)
	got.waitBodies(t, first)
	pulledFromSlave := func() int64 {
		info := runtimeTable(t, ic.invokeAt(slave.Addr(), remoting.ReqGetBrokerRuntimeInfo, nil, nil))
		var n int64
		fmt.Sscan(info["msgGetTotalTodayNow"], &n)
		return n
	}
	require.Positive(t, pulledFromSlave(), "the master steered the consumer to the slave")

	// A backlog builds while the consumer is stuck, then the master is
	// lost: the backlog is only on the slave.
	g.shut()
	backlog := send("backlog", 40)
	eventually(t, func() (bool, string) {
		end := master.Store().CommitLogMaxOffset()
		return slave.Store().DispatchedOffset() == end, "the slave holds the backlog"
	})
	require.NoError(t, master.Close())
	eventually(t, func() (bool, string) {
		r, ok := ic.ns.Registry().Route(ic.cfg.BrokerName)
		_, hasMaster := r.BrokerDatas[0].Addrs[0]
		return ok && !hasMaster, "the name server dropped the master"
	})
	before := pulledFromSlave()
	g.open()
	got.waitBodies(t, backlog)
	require.Greater(t, pulledFromSlave(), before, "the backlog came from the slave")

	// Promotion: the slave becomes the master; a new producer finds it.
	resp = ic.invokeAt(slave.Addr(), remoting.ReqUpdateBrokerConfig, nil, []byte("brokerRole=ASYNC_MASTER\n"))
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	eventually(t, func() (bool, string) {
		r, ok := ic.ns.Registry().Route(topic)
		return ok && r.BrokerDatas[0].Addrs[0] == slave.Addr(), "the name server lists the promoted slave as master"
	})
	p = ic.producer()
	after := send("after", 12)
	got.waitBodies(t, after)

	all := append(append(first, backlog...), after...)
	counts := got.bodies()
	for _, b := range all {
		require.Positive(t, counts[b], "%s was acknowledged and must be consumed", b)
	}
	require.Equal(t, broker.RoleAsyncMaster, slave.Role())
}
