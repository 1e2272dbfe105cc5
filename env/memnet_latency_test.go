package env

import (
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const ms = time.Millisecond

func TestMemNetworkLatencyDelaysAndKeepsOrder(t *testing.T) {
	s := newMemScript()
	lat := latencyScript{
		hostA + ">" + hostB: {5 * ms /* SYN */, 30 * ms /* "a" */, 10 * ms /* "b" */, 50 * ms /* "c" */, 0 /* FIN */},
		hostB + ">" + hostA: {7 * ms /* answer */, 3 * ms /* "z" */},
	}
	s.net.SetLatency(lat.draw)
	ln := s.listenTraced(t, s.net.Host(hostB), ":9000", "B")
	client, server := s.connectTraced(t, s.net.Host(hostA), ln, "A", "B<-A")
	assert.Equal(t, []string{
		"5ms B accept 10.0.0.1:49152 at 10.0.0.2:9000",
		"12ms A dialed nil",
	}, s.drain(), "the handshake takes one delay each way")

	s.write("A", client, "a")
	s.write("A", client, "b")
	s.write("B<-A", server, "z")
	s.clock.Advance(29 * ms)
	assert.Equal(t, []string{
		`12ms A done "a" nil`,
		`12ms A done "b" nil`,
		`12ms B<-A done "z" nil`,
		`15ms A data "z"`,
	}, s.drain(), "done reports when the bytes left; b, drawn 10ms, waits behind a, drawn 30ms")
	s.clock.Advance(ms)
	assert.Equal(t, []string{`42ms B<-A data "ab"`}, s.drain())

	s.write("A", client, "c")
	require.NoError(t, client.Close())
	s.clock.Advance(49 * ms)
	assert.Equal(t, []string{`42ms A done "c" nil`, "42ms A closed nil"}, s.drain())
	s.clock.Advance(ms)
	assert.Equal(t, []string{`92ms B<-A data "c"`, "92ms B<-A closed nil"}, s.drain(),
		"the end of stream, drawn no delay, follows the bytes before it")
	assert.Empty(t, lat[hostA+">"+hostB], "every scripted delay was drawn")
	assert.Empty(t, lat[hostB+">"+hostA])

	s.net.SetLatency(nil)
	client2, server2 := s.connectTraced(t, s.net.Host(hostA), ln, "A2", "B<-A2")
	s.write("A2", client2, "now")
	s.clock.RunDue()
	assert.Equal(t, []string{
		"92ms B accept 10.0.0.1:49153 at 10.0.0.2:9000",
		"92ms A2 dialed nil",
		`92ms B<-A2 data "now"`,
		`92ms A2 done "now" nil`,
	}, s.drain(), "nil restores zero delay")
	require.NoError(t, server2.Close())
}

func TestMemNetworkBlockedLinkHoldsBytesInOrder(t *testing.T) {
	s := newMemScript()
	ln := s.listenTraced(t, s.net.Host(hostB), ":9000", "B")
	client, server := s.connectTraced(t, s.net.Host(hostA), ln, "A", "B<-A")
	s.drain()

	s.net.SetBlocked(hostA, hostB, true)
	s.write("A", client, "1")
	s.write("A", client, "2")
	s.write("B<-A", server, "x")
	s.clock.Advance(time.Second)
	assert.Equal(t, []string{
		`0s A done "1" nil`,
		`0s A done "2" nil`,
		`0s A data "x"`,
		`0s B<-A done "x" nil`,
	}, s.drain(), "the other direction flows; the writer is told its bytes left")

	require.NoError(t, client.Close())
	s.clock.Advance(time.Second)
	assert.Equal(t, []string{"1s A closed nil"}, s.drain(), "the end of stream is held too")

	s.net.SetBlocked(hostA, hostB, false)
	assert.Empty(t, s.drain(), "nothing is delivered from inside SetBlocked")
	s.clock.RunDue()
	assert.Equal(t, []string{`2s B<-A data "12"`, "2s B<-A closed nil"}, s.drain())
}

func TestMemNetworkBlockedChunkLandsAtTheLaterOfItsTimeAndTheUnblock(t *testing.T) {
	const delay = 100 * ms
	for _, tc := range []struct {
		name               string
		blockAt, unblockAt time.Duration // the write is at 0
		wantLand           time.Duration
	}{
		{"written into a cut, held past its time", 0, 200 * ms, 200 * ms},
		{"written into a cut, restored before its time", 0, 50 * ms, 100 * ms},
		{"cut while in flight, held past its time", 50 * ms, 150 * ms, 150 * ms},
		{"cut while in flight, restored before its time", 50 * ms, 70 * ms, 100 * ms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newMemScript()
			ln := s.listenTraced(t, s.net.Host(hostB), ":9000", "B")
			client, _ := s.connectTraced(t, s.net.Host(hostA), ln, "A", "B<-A")
			s.drain()
			s.net.SetLatency(fixedLatency(hostA, hostB, delay))
			s.clock.AfterFunc(tc.blockAt, func() { s.net.SetBlocked(hostA, hostB, true) })
			s.clock.AfterFunc(tc.unblockAt, func() { s.net.SetBlocked(hostA, hostB, false) })
			if tc.blockAt == 0 {
				s.clock.RunDue()
			}
			client.Write([][]byte{[]byte("p")}, nil)
			s.clock.Advance(time.Second)
			assert.Equal(t, []string{fmt.Sprintf(`%v B<-A data "p"`, tc.wantLand)}, s.drain())
		})
	}
}

func TestMemNetworkCutLinkStillBoundsUnsentBytes(t *testing.T) {
	s := newMemScript()
	s.net.queueBound = 10
	ln := s.listenTraced(t, s.net.Host(hostB), ":9000", "B")
	client, _ := s.connectTraced(t, s.net.Host(hostA), ln, "A", "B<-A")
	s.drain()
	s.net.SetBlocked(hostA, hostB, true)
	s.write("A", client, "123456")
	s.write("A", client, "789012")
	s.clock.RunDue()
	assert.Equal(t, []string{
		`0s A done "123456" nil`,
		`0s A done "789012" closed+queue-full`,
		"0s A closed queue-full",
	}, s.drain(), "bytes held by a cut count against the bound")
	s.net.SetBlocked(hostA, hostB, false)
	s.clock.RunDue()
	assert.Equal(t, []string{`0s B<-A data "123456"`, "0s B<-A closed nil"}, s.drain())
}

func TestMemNetworkDialAcrossACutTimesOut(t *testing.T) {
	type linkEvent struct {
		at       time.Duration
		from, to string
		blocked  bool
	}
	for _, tc := range []struct {
		name       string
		delay      time.Duration // each way of the handshake
		events     []linkEvent
		noListener bool
		timeout    time.Duration
		want       []string
	}{
		{
			name:    "cut towards the listener",
			events:  []linkEvent{{0, hostA, hostB, true}},
			timeout: 3 * time.Second, want: []string{"3s A dialed timeout"},
		},
		{
			name:    "cut on the way back",
			events:  []linkEvent{{0, hostB, hostA, true}},
			timeout: 3 * time.Second, want: []string{"3s A dialed timeout"},
		},
		{
			name:    "restoring the link does not save the dial",
			events:  []linkEvent{{0, hostA, hostB, true}, {time.Second, hostA, hostB, false}},
			timeout: 3 * time.Second, want: []string{"3s A dialed timeout"},
		},
		{
			name:    "no timeout gives up as Linux does",
			events:  []linkEvent{{0, hostA, hostB, true}},
			timeout: 0, want: []string{"2m7s A dialed timeout"},
		},
		{
			name:    "cut while the SYN travels",
			delay:   time.Second,
			events:  []linkEvent{{500 * ms, hostB, hostA, true}},
			timeout: 3 * time.Second, want: []string{"3s A dialed timeout"},
		},
		{
			name:    "a handshake slower than the timeout",
			delay:   2 * time.Second,
			timeout: 3 * time.Second, want: []string{"3s A dialed timeout"},
		},
		{
			name:    "a slow handshake within the timeout",
			delay:   time.Second,
			timeout: 3 * time.Second,
			want:    []string{"1s B accept 10.0.0.1:49152 at 10.0.0.2:9000", "2s A dialed nil"},
		},
		{
			name:       "nothing listens: refused after the way back",
			delay:      time.Second,
			noListener: true,
			timeout:    3 * time.Second,
			want:       []string{"2s A dialed refused"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newMemScript()
			if !tc.noListener {
				s.listenTraced(t, s.net.Host(hostB), ":9000", "B")
			}
			s.net.SetLatency(func(string, string) time.Duration { return tc.delay })
			for _, e := range tc.events {
				if e.at == 0 {
					s.net.SetBlocked(e.from, e.to, e.blocked)
					continue
				}
				s.clock.AfterFunc(e.at, func() { s.net.SetBlocked(e.from, e.to, e.blocked) })
			}
			calls := 0
			s.net.Host(hostA).Dial("10.0.0.2:9000", tc.timeout, func(c Conn, err error) {
				calls++
				s.tracef("A dialed %s", errClass(err))
			})
			s.clock.Advance(200 * time.Second)
			assert.Equal(t, tc.want, s.drain())
			assert.Equal(t, 1, calls)
		})
	}
}

// TestMemNetworkSteadyStreamThroughRandomDelays writes while earlier
// chunks are still in flight, for long enough that the flight queue's
// arrays must be reused rather than grown, and checks the stream arrives
// whole and in order.
func TestMemNetworkSteadyStreamThroughRandomDelays(t *testing.T) {
	s := newMemScript()
	r := NewSeededRand(11)
	ln := s.listenTraced(t, s.net.Host(hostB), ":9000", "B")
	client, err := s.dialTraced(t, s.net.Host(hostA), ln.Addr(), "A", time.Second)
	require.NoError(t, err)
	var got []byte
	ln.accepted[0].Start(func(b []byte) { got = append(got, b...) }, func(error) {})
	client.Start(func([]byte) {}, func(error) {})
	s.net.SetLatency(func(string, string) time.Duration { return time.Duration(r.Intn(5000)) * time.Microsecond })

	const writes = 5000
	var sent []byte
	for i := range writes {
		rec := binary.BigEndian.AppendUint32(nil, uint32(i))
		sent = append(sent, rec...)
		client.Write([][]byte{rec}, nil)
		s.clock.Advance(500 * time.Microsecond)
	}
	s.clock.Advance(10 * ms)
	assert.Equal(t, sent, got)
	server := ln.accepted[0].(*memConn)
	assert.True(t, server.flight.empty())
	assert.LessOrEqual(t, cap(server.flight.chunks), 64, "the queue holds about ten chunks at a time")
}
