package namesrv

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

var epoch = time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)

func newManualClock() *env.ManualClock { return env.NewManualClock(epoch) }

func newTestRegistry(t *testing.T) (*Registry, *env.ManualClock) {
	t.Helper()
	clock := newManualClock()
	r := NewRegistry(clock, 0)
	t.Cleanup(func() { require.NoError(t, r.checkInvariants()) })
	return r, clock
}

// topicsOf returns topics with 4 read and write queues and perm 6.
func topicsOf(names ...string) []TopicConfig {
	out := make([]TopicConfig, 0, len(names))
	for _, n := range names {
		out = append(out, TopicConfig{TopicName: n, ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6})
	}
	return out
}

func body(counter int64, topics ...TopicConfig) *RegisterBody {
	return &RegisterBody{DataVersion: DataVersion{Counter: counter, TimestampMs: 1_700_000_000_000}, Topics: topics}
}

func reg(cluster, name string, id int64, addr string, b *RegisterBody) BrokerRegistration {
	return BrokerRegistration{
		ClusterName:  cluster,
		BrokerName:   name,
		BrokerID:     id,
		BrokerAddr:   addr,
		HAServerAddr: addr[:len(addr)-1] + "2",
		Body:         b,
	}
}

func mustRegister(t *testing.T, r *Registry, br BrokerRegistration) RegisterResult {
	t.Helper()
	res, err := r.RegisterBroker(br)
	require.NoError(t, err)
	require.NoError(t, r.checkInvariants())
	return res
}

func routeJSON(t *testing.T, r *Registry, topic string) string {
	t.Helper()
	out, ok := r.AppendRouteJSON(nil, topic, "")
	require.True(t, ok, "topic %s has no route", topic)
	return string(out)
}

func TestRegisterMasterAndSlave(t *testing.T) {
	r, _ := newTestRegistry(t)
	res := mustRegister(t, r, reg("DefaultCluster", "broker-a", 0, "10.0.0.1:10911", body(1, topicsOf("TopicA", "TopicB")...)))
	assert.Equal(t, RegisterResult{}, res, "a master learns nothing")

	// The slave announces a topic of its own: slaves never write routes.
	res = mustRegister(t, r, reg("DefaultCluster", "broker-a", 1, "10.0.0.2:10911", body(7, topicsOf("TopicA", "SlaveOnly")...)))
	assert.Equal(t, RegisterResult{MasterAddr: "10.0.0.1:10911", HAServerAddr: "10.0.0.1:10912"}, res)

	assert.Equal(t, `{"queueDatas":[{"brokerName":"broker-a","readQueueNums":4,"writeQueueNums":4,"perm":6,"topicSysFlag":0}],`+
		`"brokerDatas":[{"cluster":"DefaultCluster","brokerName":"broker-a","brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"}}],`+
		`"filterServerTable":{}}`, routeJSON(t, r, "TopicA"))
	assert.Equal(t, []string{"TopicA", "TopicB"}, r.Topics())

	route, ok := r.Route("TopicB")
	require.True(t, ok)
	assert.Equal(t, TopicRoute{
		QueueDatas: []QueueData{{BrokerName: "broker-a", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6}},
		BrokerDatas: []BrokerData{{Cluster: "DefaultCluster", BrokerName: "broker-a",
			Addrs: map[int64]string{0: "10.0.0.1:10911", 1: "10.0.0.2:10911"}}},
	}, route)
}

func TestSlaveBeforeMasterLearnsNothing(t *testing.T) {
	r, _ := newTestRegistry(t)
	res := mustRegister(t, r, reg("c", "b", 2, "10.0.0.3:10911", body(1, topicsOf("T", "U")...)))
	assert.Equal(t, RegisterResult{}, res)
	assert.Empty(t, r.Topics(), "a 4.x slave never writes routes, even alone")
	info := r.ClusterInfo()
	assert.Equal(t, map[int64]string{2: "10.0.0.3:10911"}, info.Brokers["b"].Addrs)
}

func TestRouteJSONGolden(t *testing.T) {
	r, _ := newTestRegistry(t)
	mustRegister(t, r, reg("ClusterX", "broker-b", 0, "10.0.0.5:10911", body(1,
		TopicConfig{TopicName: "Orders", ReadQueueNums: 8, WriteQueueNums: 2, Perm: 4, TopicSysFlag: 1},
		TopicConfig{TopicName: "Other", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6})))
	mustRegister(t, r, reg("ClusterX", "broker-a", 0, "10.0.0.1:10911", body(1,
		TopicConfig{TopicName: "Orders", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6},
		TopicConfig{TopicName: "Other", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6})))
	mustRegister(t, r, reg("ClusterX", "broker-b", 3, "10.0.0.7:10911", body(1)))
	mustRegister(t, r, reg("ClusterX", "broker-b", 1, "10.0.0.6:10911", body(1)))

	want := `{"orderTopicConf":"broker-a:4;broker-b:2",` +
		`"queueDatas":[` +
		`{"brokerName":"broker-a","readQueueNums":4,"writeQueueNums":4,"perm":6,"topicSysFlag":0},` +
		`{"brokerName":"broker-b","readQueueNums":8,"writeQueueNums":2,"perm":4,"topicSysFlag":1}],` +
		`"brokerDatas":[` +
		`{"cluster":"ClusterX","brokerName":"broker-a","brokerAddrs":{"0":"10.0.0.1:10911"}},` +
		`{"cluster":"ClusterX","brokerName":"broker-b","brokerAddrs":{"0":"10.0.0.5:10911","1":"10.0.0.6:10911","3":"10.0.0.7:10911"}}],` +
		`"filterServerTable":{}}`
	out, ok := r.AppendRouteJSON([]byte("prefix:"), "Orders", "broker-a:4;broker-b:2")
	require.True(t, ok)
	assert.Equal(t, "prefix:"+want, string(out), "appends to dst")

	out, ok = r.AppendRouteJSON([]byte("prefix:"), "Missing", "x:1")
	assert.False(t, ok)
	assert.Equal(t, "prefix:", string(out), "dst unchanged for an unknown topic")
}

func TestRouteJSONEscapesNames(t *testing.T) {
	r, _ := newTestRegistry(t)
	mustRegister(t, r, reg("c\"1", "b\\<&>\u00e9", 0, "h:1", body(1, topicsOf("t\n\x01", "u")...)))
	assert.Equal(t, `{"queueDatas":[{"brokerName":"b\\<&>é","readQueueNums":4,"writeQueueNums":4,"perm":6,"topicSysFlag":0}],`+
		`"brokerDatas":[{"cluster":"c\"1","brokerName":"b\\<&>é","brokerAddrs":{"0":"h:1"}}],"filterServerTable":{}}`,
		routeJSON(t, r, "t\n\x01"))
}

func TestAppendString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", `""`},
		{"plain-name_1", `"plain-name_1"`},
		{`q"b\s`, `"q\"b\\s"`},
		{"\n\r\t\x00\x1f", `"\n\r\t\u0000\u001f"`},
		{"<&>", `"<&>"`},
		{"日本", `"日本"`},
		{"bad\xffutf8\xc3", `"bad\ufffdutf8\ufffd"`},
	} {
		assert.Equal(t, tc.want, string(appendString(nil, tc.in)), "input %q", tc.in)
	}
}

func TestDataVersionGatesQueueUpdates(t *testing.T) {
	r, _ := newTestRegistry(t)
	mustRegister(t, r, reg("c", "b", 0, "h:1", body(1, topicsOf("T", "U")...)))

	// Same data version, changed queue counts: a periodic re-registration
	// of an unchanged broker does not rewrite routes.
	changed := TopicConfig{TopicName: "T", ReadQueueNums: 16, WriteQueueNums: 16, Perm: 6}
	mustRegister(t, r, reg("c", "b", 0, "h:1", body(1, changed, topicsOf("U")[0])))
	route, _ := r.Route("T")
	assert.Equal(t, int32(4), route.QueueDatas[0].ReadQueueNums)

	// ... but a topic missing from the table is added anyway.
	mustRegister(t, r, reg("c", "b", 0, "h:1", body(1, append([]TopicConfig{changed}, topicsOf("New", "U")...)...)))
	_, ok := r.Route("New")
	assert.True(t, ok)

	// A new data version rewrites.
	mustRegister(t, r, reg("c", "b", 0, "h:1", body(2, changed, topicsOf("U")[0])))
	route, _ = r.Route("T")
	assert.Equal(t, int32(16), route.QueueDatas[0].ReadQueueNums)
	assert.Equal(t, []string{"New", "T", "U"}, r.Topics(), "a topic the broker stops announcing stays until it is deleted or the broker leaves")
}

func TestSlavePromotedToMasterReplacesItsOldID(t *testing.T) {
	r, _ := newTestRegistry(t)
	mustRegister(t, r, reg("c", "b", 0, "h:1", body(1, topicsOf("T", "U")...)))
	mustRegister(t, r, reg("c", "b", 1, "h:2", body(1)))
	require.True(t, r.UnregisterBroker("c", "h:1", "b", 0))
	mustRegister(t, r, reg("c", "b", 0, "h:2", body(2, topicsOf("T", "U")...)))
	assert.Equal(t, map[int64]string{0: "h:2"}, r.ClusterInfo().Brokers["b"].Addrs)
	assert.Contains(t, routeJSON(t, r, "T"), `"brokerAddrs":{"0":"h:2"}`)
}

func TestNewAddressTakesOverAnID(t *testing.T) {
	r, _ := newTestRegistry(t)
	mustRegister(t, r, reg("c", "b", 0, "h:1", body(1, topicsOf("T", "U")...)))
	mustRegister(t, r, reg("c", "b", 0, "h:9", body(1, topicsOf("T", "U")...)))
	assert.Equal(t, map[int64]string{0: "h:9"}, r.ClusterInfo().Brokers["b"].Addrs)
	assert.Empty(t, r.ScanNotActiveBrokers(epoch.Add(time.Minute)), "the displaced address has no live record left")
}

func TestHigherStateVersionKeepsTheID(t *testing.T) {
	r, _ := newTestRegistry(t)
	first := body(1, topicsOf("T", "U")...)
	first.DataVersion.StateVersion = 5
	mustRegister(t, r, reg("c", "b", 0, "h:1", first))
	res := mustRegister(t, r, reg("c", "b", 0, "h:9", body(1, topicsOf("T", "U")...)))
	assert.Equal(t, RegisterResult{}, res)
	assert.Equal(t, map[int64]string{0: "h:1"}, r.ClusterInfo().Brokers["b"].Addrs)
}

func TestAddressMovesToAnotherBrokerName(t *testing.T) {
	r, _ := newTestRegistry(t)
	mustRegister(t, r, reg("c", "old", 0, "h:1", body(1, topicsOf("T", "U")...)))
	mustRegister(t, r, reg("c", "new", 0, "h:1", body(1, topicsOf("V", "W")...)))
	info := r.ClusterInfo()
	assert.NotContains(t, info.Brokers, "old")
	assert.Equal(t, map[string][]string{"c": {"new"}}, info.Clusters)
	assert.Equal(t, []string{"V", "W"}, r.Topics(), "the old name's routes left with its last address")
}

func TestSingleTopicRegistrationNeedsAFullOneFirst(t *testing.T) {
	r, _ := newTestRegistry(t)
	_, err := r.RegisterBroker(reg("c", "b", 0, "h:1", body(1, topicsOf("T")...)))
	require.ErrorIs(t, err, ErrNotRegistered)
	assert.Empty(t, r.ClusterInfo().Brokers, "a refused registration changes nothing")
	assert.Empty(t, r.ClusterInfo().Clusters)

	mustRegister(t, r, reg("c", "b", 0, "h:1", body(1, topicsOf("T", "U")...)))
	mustRegister(t, r, reg("c", "b", 0, "h:1", body(2, topicsOf("V")...)))
	assert.Equal(t, []string{"T", "U", "V"}, r.Topics())
}

func TestInvalidRegistrations(t *testing.T) {
	long := string(make([]byte, 400))
	for _, tc := range []struct {
		name   string
		mutate func(*BrokerRegistration)
	}{
		{"empty cluster", func(b *BrokerRegistration) { b.ClusterName = "" }},
		{"empty broker name", func(b *BrokerRegistration) { b.BrokerName = "" }},
		{"empty address", func(b *BrokerRegistration) { b.BrokerAddr = "" }},
		{"comma in address", func(b *BrokerRegistration) { b.BrokerAddr = "h:1,h:2" }},
		{"quote in address", func(b *BrokerRegistration) { b.BrokerAddr = `h":1` }},
		{"space in address", func(b *BrokerRegistration) { b.BrokerAddr = " h:1" }},
		{"comma in HA address", func(b *BrokerRegistration) { b.HAServerAddr = "a,b" }},
		{"long address", func(b *BrokerRegistration) { b.BrokerAddr = long }},
		{"long name", func(b *BrokerRegistration) { b.BrokerName = long }},
		{"negative id", func(b *BrokerRegistration) { b.BrokerID = -1 }},
		{"negative timeout", func(b *BrokerRegistration) { b.HeartbeatTimeout = -time.Second }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := newTestRegistry(t)
			br := reg("c", "b", 0, "h:1", body(1, topicsOf("T", "U")...))
			tc.mutate(&br)
			_, err := r.RegisterBroker(br)
			require.ErrorIs(t, err, ErrInvalidRegistration)
			assert.Empty(t, r.Topics())
		})
	}
}

func TestRegistrationWithoutBody(t *testing.T) {
	r, _ := newTestRegistry(t)
	br := reg("c", "b", 0, "h:1", nil)
	mustRegister(t, r, br)
	assert.Empty(t, r.Topics())
	assert.Equal(t, map[string][]string{"c": {"b"}}, r.ClusterInfo().Clusters)
}

func TestActingMaster(t *testing.T) {
	r, _ := newTestRegistry(t)
	on := true
	m := reg("c", "b", 0, "h:1", body(1, topicsOf("T", "U")...))
	m.EnableActingMaster = &on
	mustRegister(t, r, m)
	s := reg("c", "b", 1, "h:2", body(1, topicsOf("T", "U")...))
	s.EnableActingMaster = &on
	mustRegister(t, r, s)

	// The master leaves: the slave is the acting master and serves reads only.
	require.True(t, r.UnregisterBroker("c", "h:1", "b", 0))
	route, ok := r.Route("T")
	require.True(t, ok)
	assert.Equal(t, PermRead, route.QueueDatas[0].Perm)

	// Its registrations write routes now, still without write permission.
	s.Body = body(2, topicsOf("T", "U", "W")...)
	mustRegister(t, r, s)
	route, ok = r.Route("W")
	require.True(t, ok)
	assert.Equal(t, PermRead, route.QueueDatas[0].Perm)
}

func TestPrimeSlaveWithoutActingMasterKeepsWritePerm(t *testing.T) {
	r, _ := newTestRegistry(t)
	off := false
	s := reg("c", "b", 1, "h:2", body(1, topicsOf("T", "U")...))
	s.EnableActingMaster = &off
	mustRegister(t, r, s)
	route, ok := r.Route("T")
	require.True(t, ok, "a 5.x slave with the smallest id writes routes while no master is registered")
	assert.Equal(t, int32(6), route.QueueDatas[0].Perm)
}

func TestUnregister(t *testing.T) {
	r, _ := newTestRegistry(t)
	mustRegister(t, r, reg("c", "a", 0, "h:1", body(1, topicsOf("Shared", "OnlyA")...)))
	mustRegister(t, r, reg("c", "a", 1, "h:2", body(1)))
	mustRegister(t, r, reg("c", "b", 0, "h:3", body(1, topicsOf("Shared", "OnlyB")...)))

	assert.False(t, r.UnregisterBroker("c", "h:2", "b", 1), "address registered under another name")
	assert.False(t, r.UnregisterBroker("c", "h:404", "a", 1), "unknown address")

	require.True(t, r.UnregisterBroker("c", "h:2", "a", 1))
	assert.Contains(t, routeJSON(t, r, "OnlyA"), `"brokerAddrs":{"0":"h:1"}`)

	require.True(t, r.UnregisterBroker("c", "h:1", "a", 0))
	assert.Equal(t, []string{"OnlyB", "Shared"}, r.Topics())
	assert.Equal(t, `{"queueDatas":[{"brokerName":"b","readQueueNums":4,"writeQueueNums":4,"perm":6,"topicSysFlag":0}],`+
		`"brokerDatas":[{"cluster":"c","brokerName":"b","brokerAddrs":{"0":"h:3"}}],"filterServerTable":{}}`, routeJSON(t, r, "Shared"))

	require.True(t, r.UnregisterBroker("c", "h:3", "b", 0))
	assert.Empty(t, r.Topics())
	assert.Equal(t, `{"brokerAddrTable":{},"clusterAddrTable":{}}`, string(r.AppendClusterInfoJSON(nil)))
	assert.False(t, r.UnregisterBroker("c", "h:3", "b", 0), "twice")
}

func TestClusterInfoJSON(t *testing.T) {
	r, _ := newTestRegistry(t)
	mustRegister(t, r, reg("DefaultCluster", "broker-b", 0, "h:3", body(1)))
	mustRegister(t, r, reg("DefaultCluster", "broker-a", 1, "h:2", body(1)))
	mustRegister(t, r, reg("DefaultCluster", "broker-a", 0, "h:1", body(1)))
	mustRegister(t, r, reg("Other", "broker-c", 0, "h:4", body(1)))
	assert.Equal(t, `{"brokerAddrTable":{`+
		`"broker-a":{"cluster":"DefaultCluster","brokerName":"broker-a","brokerAddrs":{"0":"h:1","1":"h:2"}},`+
		`"broker-b":{"cluster":"DefaultCluster","brokerName":"broker-b","brokerAddrs":{"0":"h:3"}},`+
		`"broker-c":{"cluster":"Other","brokerName":"broker-c","brokerAddrs":{"0":"h:4"}}},`+
		`"clusterAddrTable":{"DefaultCluster":["broker-a","broker-b"],"Other":["broker-c"]}}`,
		string(r.AppendClusterInfoJSON(nil)))
}

func TestTopicLists(t *testing.T) {
	r, _ := newTestRegistry(t)
	mustRegister(t, r, reg("c1", "a", 0, "h:1", body(1, topicsOf("Zeta", "Alpha", "Both")...)))
	mustRegister(t, r, reg("c2", "b", 0, "h:2", body(1, topicsOf("Both", "Mid")...)))
	assert.Equal(t, []string{"Alpha", "Both", "Mid", "Zeta"}, r.Topics())
	assert.Equal(t, []string{"Alpha", "Both", "Zeta"}, r.TopicsByCluster("c1"))
	assert.Equal(t, []string{"Both", "Mid"}, r.TopicsByCluster("c2"))
	assert.Equal(t, []string{}, r.TopicsByCluster("nope"))
	assert.Equal(t, `{"topicList":["Alpha","Both","Mid","Zeta"]}`, string(AppendTopicListJSON(nil, r.Topics())))
	assert.Equal(t, `{"topicList":[]}`, string(AppendTopicListJSON(nil, r.TopicsByCluster("nope"))))
}

func TestDeleteTopic(t *testing.T) {
	r, _ := newTestRegistry(t)
	mustRegister(t, r, reg("c1", "a", 0, "h:1", body(1, topicsOf("T", "U")...)))
	mustRegister(t, r, reg("c2", "b", 0, "h:2", body(1, topicsOf("T", "U")...)))

	assert.True(t, r.DeleteTopic("T", "c1"))
	route, ok := r.Route("T")
	require.True(t, ok)
	assert.Equal(t, "b", route.QueueDatas[0].BrokerName)
	assert.Len(t, route.QueueDatas, 1)
	assert.False(t, r.DeleteTopic("T", "c1"), "nothing left of c1")
	assert.False(t, r.DeleteTopic("T", "unknown"))
	assert.True(t, r.DeleteTopic("T", "c2"))
	_, ok = r.Route("T")
	assert.False(t, ok, "the topic goes with its last queue data")

	assert.True(t, r.DeleteTopic("U", ""))
	assert.False(t, r.DeleteTopic("U", ""))
	assert.Empty(t, r.Topics())

	// The broker brings a topic back when its data version changes.
	mustRegister(t, r, reg("c1", "a", 0, "h:1", body(2, topicsOf("T", "U")...)))
	assert.Equal(t, []string{"T", "U"}, r.Topics())
}

func TestWriteperm(t *testing.T) {
	r, _ := newTestRegistry(t)
	mustRegister(t, r, reg("c", "a", 0, "h:1", body(1,
		TopicConfig{TopicName: "T", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6},
		TopicConfig{TopicName: "U", ReadQueueNums: 4, WriteQueueNums: 4, Perm: PermRead | PermWrite | PermPriority},
		TopicConfig{TopicName: "V", ReadQueueNums: 4, WriteQueueNums: 4, Perm: PermRead})))
	mustRegister(t, r, reg("c", "b", 0, "h:2", body(1, topicsOf("T", "W")...)))

	perm := func(topic, broker string) int32 {
		route, ok := r.Route(topic)
		require.True(t, ok)
		for _, qd := range route.QueueDatas {
			if qd.BrokerName == broker {
				return qd.Perm
			}
		}
		t.Fatalf("no queue data of %s for %s", broker, topic)
		return 0
	}

	assert.Equal(t, 3, r.WipeWritePerm("a"))
	assert.Equal(t, PermRead, perm("T", "a"))
	assert.Equal(t, PermRead|PermPriority, perm("U", "a"))
	assert.Equal(t, PermRead, perm("V", "a"))
	assert.Equal(t, int32(6), perm("T", "b"), "other brokers keep theirs")

	assert.Equal(t, 3, r.AddWritePerm("a"))
	for _, topic := range []string{"T", "U", "V"} {
		assert.Equal(t, PermRead|PermWrite, perm(topic, "a"), "RocketMQ sets read+write, whatever was there")
	}
	assert.Equal(t, 0, r.WipeWritePerm("unknown"))
	assert.Equal(t, 2, r.WipeWritePerm("b"))
}
