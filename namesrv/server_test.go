package namesrv

import (
	"bytes"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/remoting"
)

// nsRig is a name server and remoting clients on a MemNetwork driven by a
// ManualClock: nothing happens until the test runs the clock.
type nsRig struct {
	t      *testing.T
	clock  *env.ManualClock
	env    env.Env
	ns     *NameServer
	client *remoting.Client
}

func newNSRig(t *testing.T) *nsRig {
	t.Helper()
	clock := env.NewManualClock(epoch)
	e := env.Env{Clock: clock, Net: env.NewMemNetwork(clock), Rand: env.NewSeededRand(1)}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	rig := &nsRig{t: t, clock: clock, env: e}
	rig.ns = New(e, Config{ListenAddr: "127.0.0.1:0", Logger: logger})
	require.NoError(t, rig.ns.Start())
	rig.client = rig.newClient()
	t.Cleanup(func() {
		require.NoError(t, rig.ns.Registry().checkInvariants())
		_ = rig.ns.Close()
		clock.RunDue()
	})
	return rig
}

func (rig *nsRig) newClient() *remoting.Client {
	cl := remoting.NewClient(rig.env, remoting.ClientConfig{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	rig.t.Cleanup(func() { _ = cl.Close(); rig.clock.RunDue() })
	return cl
}

// callWith sends a request through cl and runs the clock until the answer.
func (rig *nsRig) callWith(cl *remoting.Client, req *remoting.Command) *remoting.Command {
	rig.t.Helper()
	var resp *remoting.Command
	var err error
	done := false
	cl.Invoke(rig.ns.Addr(), req, 3*time.Second, func(r *remoting.Command, e error) { resp, err, done = r, e, true })
	for range 100 {
		if done {
			break
		}
		rig.clock.RunDue()
	}
	require.True(rig.t, done, "no answer to request code %d", req.Code)
	require.NoError(rig.t, err)
	return resp
}

func (rig *nsRig) call(code int32, ext map[string]string, body []byte) *remoting.Command {
	rig.t.Helper()
	return rig.callWith(rig.client, remoting.NewRequest(code, ext, body))
}

// register sends REGISTER_BROKER with a JSON body and its CRC.
func (rig *nsRig) register(cl *remoting.Client, cluster, name string, id int64, addr string, b *RegisterBody) *remoting.Command {
	rig.t.Helper()
	text := AppendRegisterBodyJSON(nil, b)
	h := remoting.RegisterBrokerRequestHeader{
		BrokerName: name, BrokerAddr: addr, ClusterName: cluster, HAServerAddr: addr + "0",
		BrokerID: id, BodyCRC32: BodyCRC32(text),
	}
	ext := h.ToExtFields()
	delete(ext, "enableActingMaster") // as a 4.x broker sends it
	return rig.callWith(cl, remoting.NewRequest(remoting.ReqRegisterBroker, ext, text))
}

func requireCode(t *testing.T, want int32, resp *remoting.Command) {
	t.Helper()
	require.Equal(t, remoting.ResponseCodeName(want), remoting.ResponseCodeName(resp.Code), "remark: %s", resp.Remark)
}

func (rig *nsRig) route(topic string) *remoting.Command {
	return rig.call(remoting.ReqGetRouteInfoByTopic, remoting.GetRouteInfoRequestHeader{Topic: topic}.ToExtFields(), nil)
}

func TestServeRegistrationRoutesAndExpiry(t *testing.T) {
	rig := newNSRig(t)
	resp := rig.register(rig.client, "DefaultCluster", "broker-a", 0, "10.0.0.1:10911", body(1, topicsOf("TopicA", "TopicB")...))
	requireCode(t, remoting.ResSuccess, resp)
	assert.Empty(t, resp.Body, "no ordered-topic settings to hand out")

	resp = rig.route("TopicA")
	requireCode(t, remoting.ResSuccess, resp)
	assert.Equal(t, `{"queueDatas":[{"brokerName":"broker-a","readQueueNums":4,"writeQueueNums":4,"perm":6,"topicSysFlag":0}],`+
		`"brokerDatas":[{"cluster":"DefaultCluster","brokerName":"broker-a","brokerAddrs":{"0":"10.0.0.1:10911"}}],"filterServerTable":{}}`, string(resp.Body))

	resp = rig.call(remoting.ReqGetAllTopicListFromNameserver, nil, nil)
	requireCode(t, remoting.ResSuccess, resp)
	assert.Equal(t, `{"topicList":["TopicA","TopicB"]}`, string(resp.Body))

	resp = rig.call(remoting.ReqGetBrokerClusterInfo, nil, nil)
	requireCode(t, remoting.ResSuccess, resp)
	assert.Equal(t, `{"brokerAddrTable":{"broker-a":{"cluster":"DefaultCluster","brokerName":"broker-a","brokerAddrs":{"0":"10.0.0.1:10911"}}},`+
		`"clusterAddrTable":{"DefaultCluster":["broker-a"]}}`, string(resp.Body))

	// 120 s without registration, then the next 5 s scan removes it.
	rig.clock.Advance(DefaultBrokerExpiry)
	requireCode(t, remoting.ResSuccess, rig.route("TopicA"))
	rig.clock.Advance(DefaultScanInterval)
	resp = rig.route("TopicA")
	requireCode(t, remoting.ResTopicNotExist, resp)
	assert.Empty(t, resp.Body)
	assert.Contains(t, resp.Remark, "TopicA")
	assert.Equal(t, `{"topicList":[]}`, string(rig.call(remoting.ReqGetAllTopicListFromNameserver, nil, nil).Body))
}

func TestServeReRegistrationKeepsTheBrokerAlive(t *testing.T) {
	rig := newNSRig(t)
	for range 10 { // five minutes
		requireCode(t, remoting.ResSuccess, rig.register(rig.client, "c", "b", 0, "h:1", body(1, topicsOf("T", "U")...)))
		rig.clock.Advance(30 * time.Second)
	}
	requireCode(t, remoting.ResSuccess, rig.route("T"))
}

func TestServeSlaveLearnsItsMaster(t *testing.T) {
	rig := newNSRig(t)
	requireCode(t, remoting.ResSuccess, rig.register(rig.client, "c", "b", 0, "h:1", body(1, topicsOf("T", "U")...)))
	resp := rig.register(rig.client, "c", "b", 1, "h:2", body(1, topicsOf("T", "U")...))
	requireCode(t, remoting.ResSuccess, resp)
	h, err := remoting.DecodeRegisterBrokerResponseHeader(resp.ExtFields)
	require.NoError(t, err)
	assert.Equal(t, remoting.RegisterBrokerResponseHeader{HAServerAddr: "h:10", MasterAddr: "h:1"}, h)
}

func TestServeConnectionCloseRemovesItsBrokers(t *testing.T) {
	rig := newNSRig(t)
	broker := rig.newClient()
	requireCode(t, remoting.ResSuccess, rig.register(broker, "c", "b", 0, "h:1", body(1, topicsOf("T", "U")...)))
	requireCode(t, remoting.ResSuccess, rig.route("T"))
	broker.CloseConn(rig.ns.Addr())
	rig.clock.RunDue()
	requireCode(t, remoting.ResTopicNotExist, rig.route("T"))
}

func TestServeExpiredBrokerConnectionIsClosed(t *testing.T) {
	rig := newNSRig(t)
	broker := rig.newClient()
	short := map[string]string{}
	text := AppendRegisterBodyJSON(nil, body(1, topicsOf("T", "U")...))
	for k, v := range (remoting.RegisterBrokerRequestHeader{BrokerName: "b", BrokerAddr: "h:1", ClusterName: "c",
		HAServerAddr: "h:2", HeartbeatTimeoutMillis: 10_000}).ToExtFields() {
		short[k] = v
	}
	requireCode(t, remoting.ResSuccess, rig.callWith(broker, remoting.NewRequest(remoting.ReqRegisterBroker, short, text)))

	// A heartbeat (5.x) renews it.
	rig.clock.Advance(8 * time.Second)
	requireCode(t, remoting.ResSuccess, rig.callWith(broker, remoting.NewRequest(remoting.ReqBrokerHeartbeat,
		map[string]string{"clusterName": "c", "brokerAddr": "h:1", "brokerName": "b", "brokerId": "0"}, nil)))
	rig.clock.Advance(8 * time.Second)
	requireCode(t, remoting.ResSuccess, rig.route("T"))

	rig.clock.Advance(10 * time.Second)
	requireCode(t, remoting.ResTopicNotExist, rig.route("T"))
	rig.ns.mu.Lock()
	peers := len(rig.ns.peers)
	rig.ns.mu.Unlock()
	assert.Zero(t, peers, "the expired broker's connection was closed")
}

func TestServeCompressedBodyAndCRC(t *testing.T) {
	rig := newNSRig(t)
	z := deflate(t, inflatedBody(`{"counter":1}`, []string{"T 4 4 6 SINGLE_TAG", "U 2 2 6 SINGLE_TAG"}, "[]", nil))
	h := remoting.RegisterBrokerRequestHeader{BrokerName: "b", BrokerAddr: "h:1", ClusterName: "c", HAServerAddr: "h:2",
		Compressed: true, BodyCRC32: BodyCRC32(z)}
	requireCode(t, remoting.ResSuccess, rig.call(remoting.ReqRegisterBroker, h.ToExtFields(), z))
	assert.Contains(t, string(rig.route("U").Body), `"readQueueNums":2`)

	h.BodyCRC32++
	resp := rig.call(remoting.ReqRegisterBroker, h.ToExtFields(), z)
	requireCode(t, remoting.ResSystemError, resp)
	assert.Contains(t, resp.Remark, "CRC")
}

func TestServeBadRequests(t *testing.T) {
	rig := newNSRig(t)
	goodReg := remoting.RegisterBrokerRequestHeader{BrokerName: "b", BrokerAddr: "h:1", ClusterName: "c", HAServerAddr: "h:2"}.ToExtFields()
	with := func(base map[string]string, k, v string) map[string]string {
		m := map[string]string{}
		for kk, vv := range base {
			m[kk] = vv
		}
		m[k] = v
		return m
	}
	for _, tc := range []struct {
		name   string
		code   int32
		ext    map[string]string
		body   []byte
		want   int32
		remark string
	}{
		{"route without topic", remoting.ReqGetRouteInfoByTopic, nil, nil, remoting.ResSystemError, `"topic": missing`},
		{"register with a garbled id", remoting.ReqRegisterBroker, with(goodReg, "brokerId", "x"), nil, remoting.ResSystemError, `"brokerId"`},
		{"register with a garbled body", remoting.ReqRegisterBroker, goodReg, []byte(`{"topicConfigSerializeWrapper":[`), remoting.ResSystemError, "bad register broker body"},
		{"register with a comma address", remoting.ReqRegisterBroker, with(goodReg, "brokerAddr", "h:1,h:2"), nil, remoting.ResInvalidParameter, "brokerAddr"},
		{"register with a negative timeout", remoting.ReqRegisterBroker, with(goodReg, "heartbeatTimeoutMillis", "-5"), nil, remoting.ResInvalidParameter, "heartbeatTimeoutMillis"},
		{"register a single topic first", remoting.ReqRegisterBroker, goodReg, AppendRegisterBodyJSON(nil, body(1, topicsOf("T")...)), remoting.ResSystemError, "register broker failed"},
		{"unregister without id", remoting.ReqUnregisterBroker, map[string]string{"brokerName": "b", "brokerAddr": "h:1", "clusterName": "c"}, nil, remoting.ResSystemError, `"brokerId"`},
		{"wipe without broker", remoting.ReqWipeWritePermOfBroker, nil, nil, remoting.ResSystemError, `"brokerName"`},
		{"add without broker", remoting.ReqAddWritePermOfBroker, nil, nil, remoting.ResSystemError, `"brokerName"`},
		{"put kv without value", remoting.ReqPutKVConfig, map[string]string{"namespace": "n", "key": "k"}, nil, remoting.ResSystemError, `"value"`},
		{"get kv without key", remoting.ReqGetKVConfig, map[string]string{"namespace": "n"}, nil, remoting.ResSystemError, `"key"`},
		{"delete kv without namespace", remoting.ReqDeleteKVConfig, map[string]string{"key": "k"}, nil, remoting.ResSystemError, `"namespace"`},
		{"kv list without namespace", remoting.ReqGetKVListByNamespace, nil, nil, remoting.ResSystemError, `"namespace"`},
		{"topics by cluster without cluster", remoting.ReqGetTopicsByCluster, nil, nil, remoting.ResSystemError, `"cluster"`},
		{"delete topic without topic", remoting.ReqDeleteTopicInNamesrv, nil, nil, remoting.ResSystemError, `"topic"`},
		{"heartbeat without address", remoting.ReqBrokerHeartbeat, map[string]string{"clusterName": "c", "brokerName": "b"}, nil, remoting.ResSystemError, `"brokerAddr"`},
		{"data version query with a bad body", remoting.ReqQueryDataVersion, map[string]string{"brokerName": "b", "brokerAddr": "h:1", "clusterName": "c", "brokerId": "0"}, []byte("[]"), remoting.ResSystemError, "not a JSON object"},
		{"a broker's code", remoting.ReqSendMessage, nil, nil, remoting.ResRequestCodeNotSupported, "10"},
		{"an unknown code", 9999, nil, nil, remoting.ResRequestCodeNotSupported, "9999"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := rig.call(tc.code, tc.ext, tc.body)
			requireCode(t, tc.want, resp)
			assert.Contains(t, resp.Remark, tc.remark)
		})
	}
	// The server still serves.
	requireCode(t, remoting.ResSuccess, rig.register(rig.client, "c", "b", 0, "h:1", body(1, topicsOf("T", "U")...)))
	requireCode(t, remoting.ResSuccess, rig.route("T"))
}

func TestServeAdminCalls(t *testing.T) {
	rig := newNSRig(t)
	requireCode(t, remoting.ResSuccess, rig.register(rig.client, "c1", "a", 0, "h:1", body(1, topicsOf("T", "U", "V")...)))
	requireCode(t, remoting.ResSuccess, rig.register(rig.client, "c2", "b", 0, "h:2", body(1, topicsOf("T", "W")...)))

	resp := rig.call(remoting.ReqGetTopicsByCluster, remoting.GetTopicsByClusterRequestHeader{Cluster: "c2"}.ToExtFields(), nil)
	requireCode(t, remoting.ResSuccess, resp)
	assert.Equal(t, `{"topicList":["T","W"]}`, string(resp.Body))

	resp = rig.call(remoting.ReqWipeWritePermOfBroker, remoting.WipeWritePermOfBrokerRequestHeader{BrokerName: "a"}.ToExtFields(), nil)
	requireCode(t, remoting.ResSuccess, resp)
	assert.Equal(t, map[string]string{"wipeTopicCount": "3"}, resp.ExtFields)
	assert.Contains(t, string(rig.route("U").Body), `"perm":4`)
	resp = rig.call(remoting.ReqAddWritePermOfBroker, remoting.AddWritePermOfBrokerRequestHeader{BrokerName: "a"}.ToExtFields(), nil)
	requireCode(t, remoting.ResSuccess, resp)
	assert.Equal(t, map[string]string{"addTopicCount": "3"}, resp.ExtFields)
	assert.Contains(t, string(rig.route("U").Body), `"perm":6`)

	resp = rig.call(remoting.ReqDeleteTopicInNamesrv, remoting.DeleteTopicFromNamesrvRequestHeader{Topic: "T", ClusterName: "c1"}.ToExtFields(), nil)
	requireCode(t, remoting.ResSuccess, resp)
	assert.NotContains(t, string(rig.route("T").Body), `"brokerName":"a"`)
	requireCode(t, remoting.ResSuccess, rig.call(remoting.ReqDeleteTopicInNamesrv, remoting.DeleteTopicFromNamesrvRequestHeader{Topic: "T"}.ToExtFields(), nil))
	requireCode(t, remoting.ResTopicNotExist, rig.route("T"))

	// KV config, and the ordered-topic setting in routes and registrations.
	put := remoting.PutKVConfigRequestHeader{Namespace: NamespaceOrderTopicConfig, Key: "U", Value: "a:4"}
	requireCode(t, remoting.ResSuccess, rig.call(remoting.ReqPutKVConfig, put.ToExtFields(), nil))
	resp = rig.call(remoting.ReqGetKVConfig, remoting.GetKVConfigRequestHeader{Namespace: NamespaceOrderTopicConfig, Key: "U"}.ToExtFields(), nil)
	requireCode(t, remoting.ResSuccess, resp)
	assert.Equal(t, map[string]string{"value": "a:4"}, resp.ExtFields)
	assert.Equal(t, `{"orderTopicConf":"a:4","queueDatas":[{"brokerName":"a","readQueueNums":4,"writeQueueNums":4,"perm":6,"topicSysFlag":0}],`+
		`"brokerDatas":[{"cluster":"c1","brokerName":"a","brokerAddrs":{"0":"h:1"}}],"filterServerTable":{}}`, string(rig.route("U").Body))
	resp = rig.call(remoting.ReqGetKVListByNamespace, map[string]string{"namespace": NamespaceOrderTopicConfig}, nil)
	requireCode(t, remoting.ResSuccess, resp)
	assert.Equal(t, `{"table":{"U":"a:4"}}`, string(resp.Body))
	resp = rig.register(rig.client, "c1", "a", 0, "h:1", body(1, topicsOf("T", "U", "V")...))
	requireCode(t, remoting.ResSuccess, resp)
	assert.Equal(t, `{"table":{"U":"a:4"}}`, string(resp.Body), "brokers learn the ordered-topic settings")

	requireCode(t, remoting.ResSuccess, rig.call(remoting.ReqDeleteKVConfig, remoting.DeleteKVConfigRequestHeader{Namespace: NamespaceOrderTopicConfig, Key: "U"}.ToExtFields(), nil))
	resp = rig.call(remoting.ReqGetKVConfig, remoting.GetKVConfigRequestHeader{Namespace: NamespaceOrderTopicConfig, Key: "U"}.ToExtFields(), nil)
	requireCode(t, remoting.ResQueryNotFound, resp)
	assert.Equal(t, "No config item, Namespace: ORDER_TOPIC_CONFIG Key: U", resp.Remark)
	resp = rig.call(remoting.ReqGetKVListByNamespace, map[string]string{"namespace": NamespaceOrderTopicConfig}, nil)
	requireCode(t, remoting.ResQueryNotFound, resp)
	assert.NotContains(t, string(rig.route("U").Body), "orderTopicConf")

	// Unregistering the last address removes the broker's routes.
	requireCode(t, remoting.ResSuccess, rig.call(remoting.ReqUnregisterBroker,
		remoting.UnregisterBrokerRequestHeader{BrokerName: "a", BrokerAddr: "h:1", ClusterName: "c1"}.ToExtFields(), nil))
	requireCode(t, remoting.ResTopicNotExist, rig.route("U"))
}

func TestServeQueryDataVersion(t *testing.T) {
	rig := newNSRig(t)
	b := body(7, topicsOf("T", "U")...)
	requireCode(t, remoting.ResSuccess, rig.register(rig.client, "c", "b", 0, "h:1", b))
	ext := map[string]string{"brokerName": "b", "brokerAddr": "h:1", "clusterName": "c", "brokerId": "0"}

	resp := rig.call(remoting.ReqQueryDataVersion, ext, AppendDataVersionJSON(nil, b.DataVersion))
	requireCode(t, remoting.ResSuccess, resp)
	assert.Equal(t, map[string]string{"changed": "false"}, resp.ExtFields)
	assert.Equal(t, `{"counter":7,"stateVersion":0,"timestamp":1700000000000}`, string(resp.Body))

	resp = rig.call(remoting.ReqQueryDataVersion, ext, []byte(`{"counter":8,"stateVersion":0,"timestamp":1700000000000}`))
	assert.Equal(t, map[string]string{"changed": "true"}, resp.ExtFields)

	ext["brokerAddr"] = "h:404"
	resp = rig.call(remoting.ReqQueryDataVersion, ext, AppendDataVersionJSON(nil, b.DataVersion))
	requireCode(t, remoting.ResSuccess, resp)
	assert.Equal(t, map[string]string{"changed": "true"}, resp.ExtFields)
	assert.Empty(t, resp.Body)
}

func TestServeAnswersInTheRequestsSerialization(t *testing.T) {
	rig := newNSRig(t)
	requireCode(t, remoting.ResSuccess, rig.register(rig.client, "c", "b", 0, "h:1", body(1, topicsOf("T", "U")...)))
	req := remoting.NewRequest(remoting.ReqGetRouteInfoByTopic, remoting.GetRouteInfoRequestHeader{Topic: "T"}.ToExtFields(), nil)
	req.Serialize = remoting.SerializeRocketMQ
	resp := rig.callWith(rig.client, req)
	requireCode(t, remoting.ResSuccess, resp)
	assert.Equal(t, remoting.SerializeRocketMQ, resp.Serialize)
	assert.True(t, bytes.HasPrefix(resp.Body, []byte(`{"queueDatas":[`)))

	resp = rig.route("T")
	assert.Equal(t, remoting.SerializeJSON, resp.Serialize)
}

func TestStartAndCloseLifecycle(t *testing.T) {
	clock := env.NewManualClock(epoch)
	e := env.Env{Clock: clock, Net: env.NewMemNetwork(clock), Rand: env.NewSeededRand(1)}
	ns := New(e, Config{ListenAddr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	assert.Equal(t, "", ns.Addr())
	require.NoError(t, ns.Start())
	assert.NotEmpty(t, ns.Addr())
	require.Error(t, ns.Start(), "twice")
	assert.Equal(t, 1, clock.Pending(), "one scan scheduled")
	clock.Advance(DefaultScanInterval)
	assert.Equal(t, 1, clock.Pending(), "the scan rescheduled itself")
	require.NoError(t, ns.Close())
	require.NoError(t, ns.Close(), "idempotent")
	clock.RunDue()
	assert.Equal(t, 0, clock.Pending(), "no scan after close")
	require.Error(t, ns.Start(), "after close")
}

func TestServeOverTCP(t *testing.T) {
	e := env.Real()
	ns := New(e, Config{ListenAddr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, ns.Start())
	t.Cleanup(func() { _ = ns.Close() })
	cl := remoting.NewClient(e, remoting.ClientConfig{})
	t.Cleanup(func() { _ = cl.Close() })

	text := AppendRegisterBodyJSON(nil, body(1, topicsOf("TopicA", "TopicB")...))
	h := remoting.RegisterBrokerRequestHeader{BrokerName: "broker-a", BrokerAddr: "127.0.0.1:10911", ClusterName: "DefaultCluster",
		HAServerAddr: "127.0.0.1:10912", BodyCRC32: BodyCRC32(text)}
	resp, err := cl.InvokeSync(ns.Addr(), remoting.NewRequest(remoting.ReqRegisterBroker, h.ToExtFields(), text), 5*time.Second)
	require.NoError(t, err)
	requireCode(t, remoting.ResSuccess, resp)

	resp, err = cl.InvokeSync(ns.Addr(), remoting.NewRequest(remoting.ReqGetRouteInfoByTopic,
		remoting.GetRouteInfoRequestHeader{Topic: "TopicB"}.ToExtFields(), nil), 5*time.Second)
	require.NoError(t, err)
	requireCode(t, remoting.ResSuccess, resp)
	assert.Equal(t, `{"queueDatas":[{"brokerName":"broker-a","readQueueNums":4,"writeQueueNums":4,"perm":6,"topicSysFlag":0}],`+
		`"brokerDatas":[{"cluster":"DefaultCluster","brokerName":"broker-a","brokerAddrs":{"0":"127.0.0.1:10911"}}],"filterServerTable":{}}`, string(resp.Body))

	resp, err = cl.InvokeSync(ns.Addr(), remoting.NewRequest(remoting.ReqGetAllTopicListFromNameserver, nil, nil), 5*time.Second)
	require.NoError(t, err)
	requireCode(t, remoting.ResSuccess, resp)
	assert.Equal(t, `{"topicList":["TopicA","TopicB"]}`, string(resp.Body))
}

func TestServeOnewayRequestsGetNoReply(t *testing.T) {
	rig := newNSRig(t)
	requireCode(t, remoting.ResSuccess, rig.register(rig.client, "c", "b", 0, "h:1", body(1, topicsOf("T", "U")...)))
	for _, topic := range []string{"T", "missing"} {
		req := remoting.NewRequest(remoting.ReqGetRouteInfoByTopic, remoting.GetRouteInfoRequestHeader{Topic: topic}.ToExtFields(), nil)
		require.NoError(t, rig.client.InvokeOneway(rig.ns.Addr(), req))
		rig.clock.RunDue()
	}
	resp := rig.route("T")
	requireCode(t, remoting.ResSuccess, resp)
	assert.Contains(t, string(resp.Body), `"brokerName":"b"`)
}

// lazyNetwork wraps a Network so that the connections it accepts send
// their writes later, from the clock, holding the caller's buffers until
// then as a real connection's writer does (MemNetwork copies them at once,
// which would hide a buffer reused too early).
type lazyNetwork struct {
	env.Network
	clock env.Clock
}

func (n lazyNetwork) Listen(addr string, accept func(env.Conn)) (env.Listener, error) {
	return n.Network.Listen(addr, func(c env.Conn) { accept(lazyConn{Conn: c, clock: n.clock}) })
}

type lazyConn struct {
	env.Conn
	clock env.Clock
}

func (c lazyConn) Write(bufs [][]byte, done func(error)) {
	c.clock.AfterFunc(0, func() { c.Conn.Write(bufs, done) })
}

func TestServePipelinedRouteRepliesKeepTheirBodies(t *testing.T) {
	clock := env.NewManualClock(epoch)
	mem := env.NewMemNetwork(clock)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ns := New(env.Env{Clock: clock, Net: lazyNetwork{Network: mem, clock: clock}}, Config{ListenAddr: "127.0.0.1:0", Logger: quiet})
	require.NoError(t, ns.Start())
	t.Cleanup(func() { _ = ns.Close(); clock.RunDue() })
	rig := &nsRig{t: t, clock: clock, env: env.Env{Clock: clock, Net: mem}, ns: ns}
	rig.client = rig.newClient()

	const n = 50
	topics := make([]TopicConfig, n)
	for i := range topics {
		topics[i] = TopicConfig{TopicName: "T" + strconv.Itoa(i), ReadQueueNums: int32(i + 1), WriteQueueNums: 1, Perm: 6}
	}
	requireCode(t, remoting.ResSuccess, rig.register(rig.client, "c", "b", 0, "h:1", body(1, topics...)))

	// All requests are answered before any reply is written, so a buffer
	// reused too early would show up as another topic's body.
	resps := make([]*remoting.Command, n)
	for i := range n {
		req := remoting.NewRequest(remoting.ReqGetRouteInfoByTopic, remoting.GetRouteInfoRequestHeader{Topic: "T" + strconv.Itoa(i)}.ToExtFields(), nil)
		rig.client.Invoke(ns.Addr(), req, 3*time.Second, func(r *remoting.Command, err error) {
			assert.NoError(t, err)
			resps[i] = r
		})
	}
	for range 100 {
		clock.RunDue()
	}
	for i, resp := range resps {
		require.NotNil(t, resp, "reply %d", i)
		requireCode(t, remoting.ResSuccess, resp)
		assert.Contains(t, string(resp.Body), `"readQueueNums":`+strconv.Itoa(i+1)+`,`)
	}
}
