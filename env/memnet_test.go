package env

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memScript is a MemNetwork on a ManualClock with an event log, for tests
// that check exactly what happens at each RunDue.
type memScript struct {
	clock *ManualClock
	net   *MemNetwork
	log   []string
}

func newMemScript() *memScript {
	clock := NewManualClock(time.Unix(0, 0))
	return &memScript{clock: clock, net: NewMemNetwork(clock)}
}

func (s *memScript) logf(format string, args ...any) {
	s.log = append(s.log, fmt.Sprintf(format, args...))
}

// drain returns the events logged so far and forgets them.
func (s *memScript) drain() []string {
	out := s.log
	s.log = nil
	return out
}

// start starts c with handlers that log under name.
func (s *memScript) start(name string, c Conn) {
	c.Start(
		func(b []byte) { s.logf("%s data %q", name, b) },
		func(err error) { s.logf("%s closed %v", name, err) },
	)
}

// dialPair listens on addr, dials it (at 127.0.0.1 for a wildcard host) and returns both ends, unstarted.
func (s *memScript) dialPair(t *testing.T, addr string) (client, server Conn) {
	t.Helper()
	ln, err := s.net.Listen(addr, func(c Conn) {
		server = c
		s.logf("accept %s from %s", c.LocalAddr(), c.RemoteAddr())
	})
	require.NoError(t, err)
	target := ln.Addr()
	if host, port, _ := splitAddr(target); wildcardHost(host) {
		target = fmt.Sprintf("127.0.0.1:%d", port)
	}
	s.net.Dial(target, time.Second, func(c Conn, err error) {
		require.NoError(t, err)
		client = c
		s.logf("dialed %s from %s", c.RemoteAddr(), c.LocalAddr())
	})
	assert.Empty(t, s.drain(), "nothing happens before the clock runs")
	s.clock.RunDue()
	require.NotNil(t, client)
	require.NotNil(t, server)
	return client, server
}

func TestMemNetworkAssignsPortsDeterministically(t *testing.T) {
	s := newMemScript()
	accept := func(c Conn) {}
	a, err := s.net.Listen("127.0.0.1:0", accept)
	require.NoError(t, err)
	b, err := s.net.Listen("10.0.0.2:0", accept)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:10000", a.Addr())
	assert.Equal(t, "10.0.0.2:10001", b.Addr())

	// An explicit port ahead of the cursor is skipped when its turn comes.
	c, err := s.net.Listen("127.0.0.1:10002", accept)
	require.NoError(t, err)
	d, err := s.net.Listen("127.0.0.1:0", accept)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:10003", d.Addr())

	// A closed listener's port is not handed out again until the range
	// goes round.
	require.NoError(t, a.Close())
	e, err := s.net.Listen("127.0.0.1:0", accept)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:10004", e.Addr())

	// Same port, other host: fine; wildcard against a bound port: refused.
	_, err = s.net.Listen("10.0.0.3:10002", accept)
	require.NoError(t, err)
	_, err = s.net.Listen(":10002", accept)
	assert.ErrorIs(t, err, ErrAddrInUse)
	_, err = s.net.Listen("127.0.0.1:10002", accept)
	assert.ErrorIs(t, err, ErrAddrInUse)
	require.NoError(t, c.Close())
	_, err = s.net.Listen("127.0.0.1:10002", accept)
	assert.NoError(t, err, "a closed listener frees its address")

	_, err = s.net.Listen("127.0.0.1:65536", accept)
	assert.Error(t, err)
	_, err = s.net.Listen("no-port", accept)
	assert.Error(t, err)
}

func TestMemNetworkPortCursorWrapsAndRunsOut(t *testing.T) {
	n := NewMemNetwork(NewManualClock(time.Unix(0, 0)))
	used := map[int]bool{}
	cursor := 3
	free := func(p int) bool { return !used[p] }
	for _, want := range []int{3, 4, 1, 2} {
		p, err := n.nextPortLocked(&cursor, 1, 4, free)
		require.NoError(t, err)
		assert.Equal(t, want, p)
		used[p] = true
	}
	_, err := n.nextPortLocked(&cursor, 1, 4, free)
	assert.ErrorContains(t, err, "all 4 ports")
	delete(used, 3)
	p, err := n.nextPortLocked(&cursor, 1, 4, free)
	require.NoError(t, err)
	assert.Equal(t, 3, p)
}

func TestMemNetworkDeliversOnlyFromTheClockAndCoalesces(t *testing.T) {
	s := newMemScript()
	client, server := s.dialPair(t, "127.0.0.1:0")
	assert.Equal(t, []string{
		"accept 127.0.0.1:10000 from 127.0.0.1:49152",
		"dialed 127.0.0.1:10000 from 127.0.0.1:49152",
	}, s.drain())
	s.start("client", client)
	s.start("server", server)

	for i := range 3 {
		client.Write([][]byte{[]byte("ab"), []byte("c")}, func(err error) { s.logf("done %d %v", i, err) })
	}
	assert.Empty(t, s.drain(), "Write returns before any callback")
	s.clock.RunDue()
	assert.Equal(t, []string{
		`server data "abcabcabc"`,
		"done 0 <nil>", "done 1 <nil>", "done 2 <nil>",
	}, s.drain(), "pending bytes arrive in one onData call")

	// The peer's dialing port is released when the client end closes.
	require.NoError(t, client.Close())
	s.clock.RunDue()
	assert.ElementsMatch(t, []string{"client closed <nil>", "server closed <nil>"}, s.drain())
	client2, _ := s.dialPair(t, "127.0.0.1:0")
	assert.Equal(t, "127.0.0.1:49153", client2.LocalAddr(), "the cursor moves on")
}

func TestMemNetworkCloseDeliversSentBytesThenEOF(t *testing.T) {
	s := newMemScript()
	client, server := s.dialPair(t, "0.0.0.0:7000")
	s.drain()
	assert.Equal(t, "127.0.0.1:7000", server.LocalAddr(), "a wildcard listener answers for the dialed host")
	s.start("client", client)
	s.start("server", server)

	server.Write([][]byte{[]byte("last words")}, func(err error) { s.logf("server done %v", err) })
	require.NoError(t, server.Close())
	client.Write([][]byte{[]byte("into the void")}, func(err error) { s.logf("client done %v", err) })
	s.clock.RunDue()
	assert.Equal(t, []string{
		`client data "last words"`,
		"server done <nil>",
		"server closed <nil>",
		"client done <nil>",
		"client closed <nil>",
	}, s.drain(), "the peer reads what was sent before the close, then EOF; bytes to a closed peer vanish")
}

func TestMemNetworkHeldWritesLeaveOnStart(t *testing.T) {
	s := newMemScript()
	client, server := s.dialPair(t, "127.0.0.1:0")
	s.drain()
	s.start("server", server)
	client.Write([][]byte{[]byte("early")}, func(err error) { s.logf("done %v", err) })
	s.clock.RunDue()
	assert.Empty(t, s.drain(), "nothing leaves before Start")
	s.start("client", client)
	s.clock.RunDue()
	assert.Equal(t, []string{`server data "early"`, "done <nil>"}, s.drain())

	// Bytes that reach an unstarted end wait for its Start.
	client2, server2 := s.dialPair(t, "127.0.0.1:0")
	s.drain()
	s.start("client2", client2)
	client2.Write([][]byte{[]byte("queued")}, nil)
	require.NoError(t, client2.Close())
	s.clock.RunDue()
	assert.Equal(t, []string{"client2 closed <nil>"}, s.drain())
	s.start("server2", server2)
	s.clock.RunDue()
	assert.Equal(t, []string{`server2 data "queued"`, "server2 closed <nil>"}, s.drain())
}

func TestMemNetworkDialRefusedAndBadAddress(t *testing.T) {
	s := newMemScript()
	for _, addr := range []string{"127.0.0.1:9876", "nonsense"} {
		s.net.Dial(addr, time.Second, func(c Conn, err error) {
			assert.Nil(t, c)
			s.logf("%v", err)
		})
	}
	s.clock.RunDue()
	log := s.drain()
	require.Len(t, log, 2)
	assert.Contains(t, log[0], ErrConnRefused.Error())
	assert.Contains(t, log[1], "nonsense")
}

// TestMemNetworkRunsAreReproducible plays the same exchange twice and
// requires identical logs: nothing depends on goroutine scheduling or map
// order.
func TestMemNetworkRunsAreReproducible(t *testing.T) {
	play := func() []string {
		s := newMemScript()
		var conns []Conn
		ln, err := s.net.Listen("127.0.0.1:0", func(c Conn) {
			name := "server " + c.RemoteAddr()
			c.Start(func(b []byte) {
				s.logf("%s data %q", name, b)
				c.Write([][]byte{[]byte(strings.ToUpper(string(b)))}, nil)
			}, func(err error) { s.logf("%s closed %v", name, err) })
		})
		require.NoError(t, err)
		for i := range 4 {
			s.net.Dial(ln.Addr(), time.Second, func(c Conn, err error) {
				require.NoError(t, err)
				conns = append(conns, c)
				s.start("client "+c.LocalAddr(), c)
				c.Write([][]byte{fmt.Appendf(nil, "hello %d", i)}, nil)
			})
		}
		s.clock.RunDue()
		for _, c := range conns[:2] {
			require.NoError(t, c.Close())
		}
		s.clock.RunDue()
		return s.drain()
	}
	first := play()
	require.NotEmpty(t, first)
	assert.Equal(t, first, play())
}
