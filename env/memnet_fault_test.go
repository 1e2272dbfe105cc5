package env

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemNetworkResetBetween(t *testing.T) {
	s := newMemScript()
	a, b, c := s.net.Host(hostA), s.net.Host(hostB), s.net.Host(hostC)
	lnB := s.listenTraced(t, b, ":9000", "B")
	lnA := s.listenTraced(t, a, ":9000", "A")
	c1A, c1B := s.connectTraced(t, a, lnB, "c1.A", "c1.B")
	c2B, err := s.dialTraced(t, b, lnA.Addr(), "c2.B", time.Second) // left unstarted
	require.NoError(t, err)
	s.startTraced("c2.A", lnA.accepted[0])
	c3C, _ := s.connectTraced(t, c, lnB, "c3.C", "c3.B")
	s.drain()

	s.net.SetLatency(fixedLatency(hostA, hostB, time.Second))
	s.write("c1.A", c1A, "flying") // in flight to B for a second
	s.write("c1.B", c1B, "unread") // landed at A, not delivered yet
	s.write("c2.B", c2B, "held")   // held until Start
	assert.Equal(t, 2, s.net.ResetBetween(hostB, hostA), "c1 and c2, either way round; c3 is not between them")
	s.write("c1.A", c1A, "too late") // after the reset
	s.clock.Advance(2 * time.Second)
	assert.Equal(t, []string{
		`0s c1.A done "flying" nil`, // it had left the sender
		`0s c1.A done "too late" closed+reset`,
		"0s c1.A closed reset", // "unread" is dropped
		`0s c1.B done "unread" nil`,
		"0s c1.B closed reset", // "flying" is dropped
		`0s c2.B done "held" closed+reset`,
		"0s c2.A closed reset",
	}, s.drain())

	s.startTraced("c2.B", c2B)
	s.write("c3.C", c3C, "still up")
	s.clock.RunDue()
	assert.Equal(t, []string{
		"2s c2.B closed reset",
		`2s c3.B data "still up"`,
		`2s c3.C done "still up" nil`,
	}, s.drain(), "an end started after the reset learns of it; other hosts are untouched")
	assert.Zero(t, s.net.ResetBetween(hostA, hostB), "nothing left to reset")
}

func TestMemNetworkCrashHost(t *testing.T) {
	s := newMemScript()
	a, b, c := s.net.Host(hostA), s.net.Host(hostB), s.net.Host(hostC)
	lnA := s.listenTraced(t, a, ":10911", "A")
	s.listenTraced(t, b, ":9000", "B")
	lnC := s.listenTraced(t, c, ":9000", "C")
	_, c1A := s.connectTraced(t, b, lnA, "c1.B", "c1.A")
	s.connectTraced(t, c, lnA, "c2.C", "c2.A")
	c3A, _ := s.connectTraced(t, a, lnC, "c3.A", "c3.C")
	_, c4A := s.connectTraced(t, b, lnA, "c4.B", "c4.A")
	s.drain()

	s.write("c4.A", c4A, "bye")
	require.NoError(t, c4A.Close()) // closed cleanly before the crash
	s.write("c1.A", c1A, "x")
	s.write("c3.A", c3A, "y")
	s.net.SetLatency(fixedLatency(hostA, hostB, time.Second))
	a.Dial("10.0.0.2:9000", 5*time.Second, func(Conn, error) { s.tracef("A's dial finished") })
	assert.Equal(t, 3, s.net.CrashHost(hostA), "c1, c2, c3; c4's end on A had closed")
	s.clock.Advance(10 * time.Second)
	assert.Equal(t, []string{
		`0s c4.B data "bye"`,
		"0s c1.B closed reset",
		"0s c3.C closed reset", // "y" is dropped
		"0s c2.C closed reset",
		"0s c4.B closed nil",
	}, s.drain(), "peers see resets; nothing of the crashed process runs: no done, no onClose, no dial")

	s.write("c1.A", c1A, "ghost")
	require.NoError(t, c1A.Close())
	s.clock.RunDue()
	assert.Empty(t, s.drain(), "a crashed end stays silent")

	s.net.SetLatency(nil)
	_, err := s.dialTraced(t, b, "10.0.0.1:10911", "B", time.Second)
	assert.ErrorIs(t, err, ErrConnRefused, "the crashed process's listener is gone")
	lnA2 := s.listenTraced(t, a, ":10911", "A2")
	assert.Equal(t, "10.0.0.1:10911", lnA2.Addr(), "the restarted process binds again")
	c5B, _ := s.connectTraced(t, b, lnA2, "c5.B", "c5.A")
	c6A, _ := s.connectTraced(t, a, lnC, "c6.A", "c6.C")
	assert.Equal(t, "10.0.0.1:49153", c6A.LocalAddr(), "the host's ephemeral cursor moves on")
	s.drain()
	s.write("c5.B", c5B, "hello again")
	s.clock.RunDue()
	assert.Equal(t, []string{`10s c5.A data "hello again"`, `10s c5.B done "hello again" nil`}, s.drain())
	assert.Equal(t, 2, s.net.CrashHost(hostA))
}

// TestMemNetworkScriptsAreReproducible plays one script of connections,
// random delays, a partition, a reset and a crash twice and requires the
// same trace of callbacks each time.
func TestMemNetworkScriptsAreReproducible(t *testing.T) {
	play := func(seed uint64) []string {
		s := newMemScript()
		r := NewSeededRand(seed)
		s.net.SetLatency(func(string, string) time.Duration { return time.Duration(r.Intn(20)) * ms })
		hosts := []string{hostA, hostB, hostC}
		listen := func(h string) {
			_, err := s.net.Host(h).Listen(":9000", func(c Conn) {
				name := h + "<" + c.RemoteAddr()
				c.Start(func(b []byte) {
					s.tracef("%s data %q", name, b)
					c.Write([][]byte{bytes.ToUpper(b)}, nil)
				}, func(err error) { s.tracef("%s closed %s", name, errClass(err)) })
			})
			require.NoError(t, err)
		}
		for _, h := range hosts {
			listen(h)
		}
		for _, from := range hosts {
			for _, to := range hosts {
				if from == to {
					continue
				}
				s.net.Host(from).Dial(to+":9000", time.Second, func(c Conn, err error) {
					s.tracef("%s>%s dialed %s", from, to, errClass(err))
					if err != nil {
						return
					}
					s.startTraced(c.LocalAddr()+">"+to, c)
					var tick func(i int)
					tick = func(i int) {
						s.write(c.LocalAddr(), c, fmt.Sprintf("m%d", i))
						if i < 10 {
							s.clock.AfterFunc(7*ms, func() { tick(i + 1) })
						}
					}
					tick(0)
				})
			}
		}
		s.clock.AfterFunc(15*ms, func() { s.net.SetBlocked(hostA, hostB, true) })
		s.clock.AfterFunc(40*ms, func() { s.net.SetBlocked(hostA, hostB, false) })
		s.clock.AfterFunc(50*ms, func() { s.tracef("reset B-C: %d", s.net.ResetBetween(hostB, hostC)) })
		s.clock.AfterFunc(60*ms, func() { s.tracef("crash C: %d", s.net.CrashHost(hostC)) })
		s.clock.AfterFunc(70*ms, func() { listen(hostC) })
		s.clock.Advance(time.Second)
		return s.drain()
	}
	first := play(1)
	require.Greater(t, len(first), 50)
	trace := strings.Join(first, "\n")
	for _, want := range []string{"dialed timeout", "reset B-C: 2", "crash C: 2", "closed reset"} {
		assert.Contains(t, trace, want, "the script exercises every fault")
	}
	assert.Equal(t, first, play(1))
	assert.NotEqual(t, first, play(2), "the trace depends on the drawn delays")
}

// TestMemNetworkLatencyOnTheWallClock sends a pipelined stream through
// random delays with the real clock, whose callbacks run on their own
// goroutines (for the race detector), and checks it arrives whole and in
// order.
func TestMemNetworkLatencyOnTheWallClock(t *testing.T) {
	n := NewMemNetwork(Real().Clock)
	r := NewSeededRand(3)
	n.SetLatency(func(string, string) time.Duration { return time.Duration(r.Intn(2000)) * time.Microsecond })
	server := &endRecorder{}
	_, err := n.Host(hostB).Listen(":9000", server.start)
	require.NoError(t, err)
	var mu sync.Mutex
	var client Conn
	n.Host(hostA).Dial("10.0.0.2:9000", 5*time.Second, func(c Conn, err error) {
		mu.Lock()
		defer mu.Unlock()
		assert.NoError(t, err)
		client = c
	})
	eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return client != nil }, "dial")
	clientR := &endRecorder{}
	clientR.start(client)

	const writes = 2000
	stream := make([]byte, 8*writes)
	var dones doneLog
	for i := range writes {
		rec := stream[8*i : 8*i+8]
		binary.BigEndian.PutUint64(rec, uint64(i))
		client.Write([][]byte{rec}, dones.cb(i))
	}
	require.NoError(t, client.Close())
	eventually(t, func() bool { return server.closesNow() && dones.count() == writes }, "stream and close")
	assert.Equal(t, stream, server.received())
	_, closeErr := server.closed()
	assert.NoError(t, closeErr)
	order, _ := dones.snapshot()
	for i := range writes {
		require.Equal(t, i, order[i])
	}
	server.checkContract(t)
	clientR.checkContract(t)
}
