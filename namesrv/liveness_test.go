package namesrv

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBrokerExpiresAfter120sWithoutRegistration(t *testing.T) {
	r, clock := newTestRegistry(t)
	mustRegister(t, r, reg("c", "b", 0, "h:1", body(1, topicsOf("T", "U")...)))

	clock.Advance(DefaultBrokerExpiry)
	assert.Empty(t, r.ScanNotActiveBrokers(clock.Now()), "exactly 120 s is not yet expired")
	clock.Advance(time.Millisecond)
	removed := r.ScanNotActiveBrokers(clock.Now())
	assert.Equal(t, []RemovedBroker{{Cluster: "c", BrokerName: "b", BrokerAddr: "h:1", LastUpdate: epoch}}, removed)
	assert.Empty(t, r.Topics())
	assert.Empty(t, r.ClusterInfo().Brokers)
	assert.Empty(t, r.ClusterInfo().Clusters)
}

func TestReRegistrationKeepsABrokerAlive(t *testing.T) {
	r, clock := newTestRegistry(t)
	br := reg("c", "b", 0, "h:1", body(1, topicsOf("T", "U")...))
	mustRegister(t, r, br)
	for range 20 { // 10 minutes of registrations every 30 s
		clock.Advance(30 * time.Second)
		mustRegister(t, r, br)
		assert.Empty(t, r.ScanNotActiveBrokers(clock.Now()))
	}
	assert.Equal(t, []string{"T", "U"}, r.Topics())
}

func TestExpiryKeepsTheRestOfTheBroker(t *testing.T) {
	r, clock := newTestRegistry(t)
	master := reg("c", "b", 0, "h:1", body(1, topicsOf("T", "U")...))
	mustRegister(t, r, master)
	mustRegister(t, r, reg("c", "b", 1, "h:2", body(1)))
	clock.Advance(100 * time.Second)
	mustRegister(t, r, master)
	clock.Advance(30 * time.Second)

	removed := r.ScanNotActiveBrokers(clock.Now())
	require.Len(t, removed, 1)
	assert.Equal(t, "h:2", removed[0].BrokerAddr)
	assert.Contains(t, routeJSON(t, r, "T"), `"brokerAddrs":{"0":"h:1"}`)
}

func TestHeartbeatTimeoutFromTheBroker(t *testing.T) {
	r, clock := newTestRegistry(t)
	short := reg("c", "a", 0, "h:1", body(1, topicsOf("T", "U")...))
	short.HeartbeatTimeout = 10 * time.Second
	mustRegister(t, r, short)
	mustRegister(t, r, reg("c", "b", 0, "h:2", body(1, topicsOf("T", "U")...)))

	clock.Advance(11 * time.Second)
	removed := r.ScanNotActiveBrokers(clock.Now())
	require.Len(t, removed, 1)
	assert.Equal(t, "a", removed[0].BrokerName)
	route, ok := r.Route("T")
	require.True(t, ok)
	assert.Len(t, route.BrokerDatas, 1)
}

func TestDefaultExpiryIsConfigurable(t *testing.T) {
	clock := newManualClock()
	r := NewRegistry(clock, 10*time.Second)
	_, err := r.RegisterBroker(reg("c", "b", 0, "h:1", body(1, topicsOf("T", "U")...)))
	require.NoError(t, err)
	clock.Advance(11 * time.Second)
	assert.Len(t, r.ScanNotActiveBrokers(clock.Now()), 1)
	require.NoError(t, r.checkInvariants())
}

func TestHeartbeatAndDataVersionQueryRenew(t *testing.T) {
	r, clock := newTestRegistry(t)
	b := body(3, topicsOf("T", "U")...)
	mustRegister(t, r, reg("c", "b", 0, "h:1", b))

	clock.Advance(100 * time.Second)
	assert.True(t, r.Heartbeat("c", "h:1"))
	assert.False(t, r.Heartbeat("other", "h:1"), "the cluster must match")
	assert.False(t, r.Heartbeat("c", "h:404"))

	clock.Advance(100 * time.Second)
	changed, recorded, known := r.QueryDataVersion("c", "h:1", b.DataVersion)
	assert.False(t, changed)
	assert.True(t, known)
	assert.Equal(t, b.DataVersion, recorded)
	changed, _, _ = r.QueryDataVersion("c", "h:1", DataVersion{Counter: 4})
	assert.True(t, changed)
	changed, _, known = r.QueryDataVersion("c", "h:404", b.DataVersion)
	assert.True(t, changed)
	assert.False(t, known)

	clock.Advance(100 * time.Second)
	assert.Empty(t, r.ScanNotActiveBrokers(clock.Now()), "renewed 100 s ago")
	clock.Advance(21 * time.Second)
	assert.Len(t, r.ScanNotActiveBrokers(clock.Now()), 1)
}

func TestConnectionCloseRemovesItsBrokers(t *testing.T) {
	r, _ := newTestRegistry(t)
	onConn := func(br BrokerRegistration, id uint64) BrokerRegistration { br.ConnID = id; return br }
	mustRegister(t, r, onConn(reg("c", "a", 0, "h:1", body(1, topicsOf("T", "U")...)), 7))
	mustRegister(t, r, onConn(reg("c", "a", 1, "h:2", body(1)), 7))
	mustRegister(t, r, onConn(reg("c", "b", 0, "h:3", body(1, topicsOf("T", "U")...)), 8))

	assert.Nil(t, r.ConnectionClosed(99), "a client connection that never registered")
	assert.Nil(t, r.ConnectionClosed(0))

	removed := r.ConnectionClosed(7)
	require.Len(t, removed, 2)
	assert.Equal(t, "h:1", removed[0].BrokerAddr)
	assert.Equal(t, "h:2", removed[1].BrokerAddr)
	assert.Equal(t, uint64(7), removed[0].ConnID)
	assert.Equal(t, `{"queueDatas":[{"brokerName":"b","readQueueNums":4,"writeQueueNums":4,"perm":6,"topicSysFlag":0}],`+
		`"brokerDatas":[{"cluster":"c","brokerName":"b","brokerAddrs":{"0":"h:3"}}],"filterServerTable":{}}`, routeJSON(t, r, "T"))
	assert.Nil(t, r.ConnectionClosed(7), "already gone")
}

func TestReRegistrationOnANewConnectionMovesTheIndex(t *testing.T) {
	r, _ := newTestRegistry(t)
	br := reg("c", "a", 0, "h:1", body(1, topicsOf("T", "U")...))
	br.ConnID = 1
	mustRegister(t, r, br)
	br.ConnID = 2 // the broker reconnected
	mustRegister(t, r, br)
	assert.Nil(t, r.ConnectionClosed(1), "the old connection no longer carries it")
	assert.Len(t, r.ConnectionClosed(2), 1)
	assert.Empty(t, r.Topics())
}
