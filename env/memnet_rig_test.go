package env

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Hosts of the multi-host tests.
const (
	hostA = "10.0.0.1"
	hostB = "10.0.0.2"
	hostC = "10.0.0.3"
)

// errClass names the network errors err matches, so that traces show what
// callers can rely on (errors.Is) rather than message text.
func errClass(err error) string {
	if err == nil {
		return "nil"
	}
	var names []string
	for _, s := range []struct {
		name string
		err  error
	}{
		{"closed", ErrConnClosed}, {"reset", ErrConnReset}, {"queue-full", ErrWriteQueueFull},
		{"refused", ErrConnRefused}, {"timeout", ErrDialTimeout}, {"in-use", ErrAddrInUse},
	} {
		if errors.Is(err, s.err) {
			names = append(names, s.name)
		}
	}
	if len(names) == 0 {
		return "other: " + err.Error()
	}
	return strings.Join(names, "+")
}

// tracef logs an event with the virtual time since the script began.
func (s *memScript) tracef(format string, args ...any) {
	s.logf("%v %s", s.clock.Now().Sub(time.Unix(0, 0)), fmt.Sprintf(format, args...))
}

// startTraced starts c with handlers that trace under name.
func (s *memScript) startTraced(name string, c Conn) {
	c.Start(
		func(b []byte) { s.tracef("%s data %q", name, b) },
		func(err error) { s.tracef("%s closed %s", name, errClass(err)) },
	)
}

// write writes text on c and traces its done under name.
func (s *memScript) write(name string, c Conn, text string) {
	c.Write([][]byte{[]byte(text)}, func(err error) { s.tracef("%s done %q %s", name, text, errClass(err)) })
}

// tracedListener is a listener that keeps the ends it accepts, unstarted,
// in order.
type tracedListener struct {
	Listener
	accepted []Conn
}

// listenTraced listens on addr through nw and traces every accept under
// name.
func (s *memScript) listenTraced(t *testing.T, nw Network, addr, name string) *tracedListener {
	t.Helper()
	tl := &tracedListener{}
	ln, err := nw.Listen(addr, func(c Conn) {
		s.tracef("%s accept %s at %s", name, c.RemoteAddr(), c.LocalAddr())
		tl.accepted = append(tl.accepted, c)
	})
	require.NoError(t, err)
	tl.Listener = ln
	return tl
}

// dialTraced dials addr through nw, fires timers until done has run,
// traces the outcome under name and returns it.
func (s *memScript) dialTraced(t *testing.T, nw Network, addr, name string, timeout time.Duration) (Conn, error) {
	t.Helper()
	var got Conn
	var gotErr error
	called := false
	nw.Dial(addr, timeout, func(c Conn, err error) {
		called = true
		got, gotErr = c, err
		s.tracef("%s dialed %s", name, errClass(err))
	})
	s.runUntil(t, func() bool { return called })
	return got, gotErr
}

// connectTraced dials ln from nw and returns both ends, each started and
// traced as clientName and serverName.
func (s *memScript) connectTraced(t *testing.T, nw Network, ln *tracedListener, clientName, serverName string) (client, server Conn) {
	t.Helper()
	before := len(ln.accepted)
	client, err := s.dialTraced(t, nw, ln.Addr(), clientName, time.Second)
	require.NoError(t, err)
	require.Len(t, ln.accepted, before+1)
	server = ln.accepted[before]
	s.startTraced(clientName, client)
	s.startTraced(serverName, server)
	return client, server
}

// runUntil fires timers one at a time, moving the clock, until cond holds.
func (s *memScript) runUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for !cond() {
		require.True(t, s.clock.FireNext(), "no timer left to fire")
	}
}

// latencyScript hands out scripted delays per "from>to" link, in order;
// a link with no delay left draws zero.
type latencyScript map[string][]time.Duration

func (ls latencyScript) draw(from, to string) time.Duration {
	key := from + ">" + to
	q := ls[key]
	if len(q) == 0 {
		return 0
	}
	ls[key] = q[1:]
	return q[0]
}

// fixedLatency returns a latency function that gives every chunk from
// host from to host to delay, and zero elsewhere.
func fixedLatency(from, to string, delay time.Duration) func(string, string) time.Duration {
	return func(f, t string) time.Duration {
		if f == from && t == to {
			return delay
		}
		return 0
	}
}
