package env

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemNetworkHostListenAddresses(t *testing.T) {
	for _, tc := range []struct {
		addr    string
		want    string // the bound address; "" when Listen fails
		wantErr string
	}{
		{addr: ":10911", want: "10.0.0.3:10911"},
		{addr: "0.0.0.0:10911", want: "10.0.0.3:10911"},
		{addr: "[::]:10911", want: "10.0.0.3:10911"},
		{addr: "10.0.0.3:10911", want: "10.0.0.3:10911"},
		{addr: ":0", want: "10.0.0.3:10000"},
		{addr: "10.0.0.4:10911", wantErr: "can bind only 10.0.0.3"},
		{addr: "127.0.0.1:10911", wantErr: "can bind only 10.0.0.3"},
		{addr: "10.0.0.3", wantErr: "missing port"},
		{addr: "10.0.0.3:70000", wantErr: "port must be a number"},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			n := NewMemNetwork(NewManualClock(time.Unix(0, 0)))
			ln, err := n.Host(hostC).Listen(tc.addr, func(Conn) {})
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, ln.Addr())
		})
	}
}

func TestMemNetworkHostRefusesBadNames(t *testing.T) {
	n := NewMemNetwork(NewManualClock(time.Unix(0, 0)))
	for _, host := range []string{"", "0.0.0.0", "::", "localhost", "10.0.0.300", "010.0.0.1", "fe80::1%eth0", "2001:0db8::1"} {
		assert.Panics(t, func() { n.Host(host) }, "Host(%q)", host)
	}
	assert.NotPanics(t, func() { n.Host("2001:db8::1") })
}

func TestMemNetworkHostsSeeEachOthersAddresses(t *testing.T) {
	s := newMemScript()
	a, b, c := s.net.Host(hostA), s.net.Host(hostB), s.net.Host(hostC)
	lnA := s.listenTraced(t, a, ":10911", "A")
	lnB := s.listenTraced(t, b, "0.0.0.0:10911", "B")
	assert.Equal(t, "10.0.0.1:10911", lnA.Addr())
	assert.Equal(t, "10.0.0.2:10911", lnB.Addr(), "two hosts listen on one port")

	_, err := a.Listen(":10911", func(Conn) {})
	assert.ErrorIs(t, err, ErrAddrInUse)
	_, err = s.net.Listen("10.0.0.2:10911", func(Conn) {})
	assert.ErrorIs(t, err, ErrAddrInUse, "the network's own Listen sees the hosts' ports")
	_, err = s.net.Listen(":10911", func(Conn) {})
	assert.ErrorIs(t, err, ErrAddrInUse, "a wildcard clashes with every host")

	cToA, aFromC := s.connectTraced(t, c, lnA, "C-A", "A<-C")
	cToB, bFromC := s.connectTraced(t, c, lnB, "C-B", "B<-C")
	aToB, bFromA := s.connectTraced(t, a, lnB, "A-B", "B<-A")
	local, localFromA := s.connectTraced(t, s.net, lnA, "local-A", "A<-local")

	for _, tc := range []struct {
		name                string
		client, server      Conn
		clientAddr, srvAddr string
	}{
		{"C to A", cToA, aFromC, "10.0.0.3:49152", "10.0.0.1:10911"},
		{"C to B", cToB, bFromC, "10.0.0.3:49153", "10.0.0.2:10911"},
		{"A to B: A's own ephemeral ports", aToB, bFromA, "10.0.0.1:49152", "10.0.0.2:10911"},
		{"the network's own Dial", local, localFromA, "127.0.0.1:49152", "10.0.0.1:10911"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.clientAddr, tc.client.LocalAddr())
			assert.Equal(t, tc.clientAddr, tc.server.RemoteAddr())
			assert.Equal(t, tc.srvAddr, tc.server.LocalAddr())
			assert.Equal(t, tc.srvAddr, tc.client.RemoteAddr())
		})
	}

	s.drain()
	s.write("C-A", cToA, "for A")
	s.write("B<-A", bFromA, "for A too")
	s.clock.RunDue()
	assert.Equal(t, []string{
		`0s A<-C data "for A"`,
		`0s C-A done "for A" nil`,
		`0s A-B data "for A too"`,
		`0s B<-A done "for A too" nil`,
	}, s.drain(), "bytes reach only the end they were sent to")
}

func TestMemNetworkHostPortZeroSharesTheListenCursor(t *testing.T) {
	n := NewMemNetwork(NewManualClock(time.Unix(0, 0)))
	accept := func(Conn) {}
	first, err := n.Listen("127.0.0.1:0", accept)
	require.NoError(t, err)
	_, err = n.Host(hostB).Listen(":10001", accept)
	require.NoError(t, err)
	onA, err := n.Host(hostA).Listen(":0", accept)
	require.NoError(t, err)
	onB, err := n.Host(hostB).Listen(":0", accept)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:10000", first.Addr())
	assert.Equal(t, "10.0.0.1:10001", onA.Addr(), "a port taken on another host is free here")
	assert.Equal(t, "10.0.0.2:10002", onB.Addr(), "the cursor is shared and skips this host's ports")
}
