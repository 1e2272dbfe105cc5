package broker_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/namesrv"
	"github.com/apogeemq/apogee/remoting"
)

// quiet discards log lines.
var quiet = slog.New(slog.DiscardHandler)

// cluster is a name server and a broker on loopback, and a raw remoting
// client to talk to them.
type cluster struct {
	t      *testing.T
	e      env.Env
	ns     *namesrv.NameServer
	broker *broker.Broker
	cfg    broker.Config
	cl     *remoting.Client
}

// startCluster starts a name server and a broker over real TCP and files
// under a temporary directory; tweak adjusts the broker config.
func startCluster(t *testing.T, tweak func(*broker.Config)) *cluster {
	t.Helper()
	e := env.Real()
	ns := namesrv.New(e, namesrv.Config{ListenAddr: "127.0.0.1:0", Logger: quiet})
	require.NoError(t, ns.Start())
	t.Cleanup(func() { ns.Close() })
	cfg := broker.DefaultConfig(t.TempDir())
	cfg.ListenAddr = "127.0.0.1:0"
	// A restart listens on the port first picked; its HA port (listenPort
	// + 1 by default) may be anyone's by then.
	cfg.HAListenAddr = "127.0.0.1:0"
	cfg.NamesrvAddrs = []string{ns.Addr()}
	cfg.Logger = quiet
	cfg.Store.CommitLog.SegmentSizeBytes = 64 << 20
	cfg.Store.ConsumeQueueUnitsPerFile = 10_000
	cfg.Store.IndexHashSlots = 1000
	cfg.Store.IndexMaxEntries = 4000
	if tweak != nil {
		tweak(&cfg)
	}
	c := &cluster{t: t, e: e, ns: ns, cfg: cfg}
	c.startBroker()
	c.cl = remoting.NewClient(e, remoting.ClientConfig{Logger: quiet})
	t.Cleanup(func() { c.cl.Close() })
	return c
}

func (c *cluster) startBroker() {
	c.t.Helper()
	b, err := broker.New(c.e, c.cfg)
	require.NoError(c.t, err)
	require.NoError(c.t, b.Start())
	c.broker = b
	c.t.Cleanup(func() { b.Close() })
	// Registration is asynchronous: clients started before the name
	// server knows the broker would find no route, not even TBW102's.
	require.Eventually(c.t, func() bool {
		r, ok := c.ns.Registry().Route(c.cfg.BrokerName)
		return ok && len(r.BrokerDatas) == 1 && r.BrokerDatas[0].Addrs[0] == b.Addr()
	}, 10*time.Second, time.Millisecond, "the broker registers with the name server")
}

// restartBroker closes the broker cleanly and starts it again on the same
// port and store.
func (c *cluster) restartBroker() {
	c.t.Helper()
	addr := c.broker.ListenAddr()
	require.NoError(c.t, c.broker.Close())
	c.cfg.ListenAddr = addr
	c.startBroker()
}

// invoke sends a request to the broker and waits for the answer.
func (c *cluster) invoke(code int32, ext map[string]string, body []byte) *remoting.Command {
	c.t.Helper()
	resp, err := c.cl.InvokeSync(c.broker.Addr(), remoting.NewRequest(code, ext, body), 5*time.Second)
	require.NoError(c.t, err)
	return resp
}

// sendHeader is a SEND_MESSAGE header for topic and queue.
func sendHeader(topic string, queueID int32, props map[string]string) remoting.SendMessageRequestHeader {
	return remoting.SendMessageRequestHeader{
		ProducerGroup:         "pg",
		Topic:                 topic,
		DefaultTopic:          broker.DefaultTopic,
		DefaultTopicQueueNums: 4,
		QueueID:               queueID,
		BornTimestamp:         1_700_000_000_000,
		Properties:            string(commitlog.EncodeProperties(props)),
		MaxReconsumeTimes:     remoting.MaxReconsumeTimesUnset,
	}
}

// pullHeader is a PULL_MESSAGE header that filters with expr and does not
// wait.
func pullHeader(group, topic string, queueID int32, offset int64, expr string) remoting.PullMessageRequestHeader {
	return remoting.PullMessageRequestHeader{
		ConsumerGroup:  group,
		Topic:          topic,
		QueueID:        queueID,
		QueueOffset:    offset,
		MaxMsgNums:     32,
		SysFlag:        remoting.PullFlagSubscription,
		Subscription:   expr,
		ExpressionType: "TAG",
	}
}

// decodeRecords splits a pull body into records.
func decodeRecords(t *testing.T, body []byte) []commitlog.Record {
	t.Helper()
	var out []commitlog.Record
	for len(body) > 0 {
		r, err := commitlog.Decode(body, true)
		require.NoError(t, err)
		out = append(out, r)
		body = body[r.TotalSize:]
	}
	return out
}
