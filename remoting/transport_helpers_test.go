package remoting

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

// Request codes the transport tests use. The transport gives codes no
// meaning; the tests borrow real ones for realism.
const (
	testCodeEcho   = ReqGetRouteInfoByTopic      // answered with the request's extFields and body
	testCodeHold   = ReqPullMessage              // answered only when the test says so
	testCodePush   = ReqNotifyConsumerIdsChanged // server-to-client request
	testCodeAbsent = int32(9999)                 // served by nobody
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the lines written so far that contain substr.
func (b *syncBuffer) lines(substr string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, l := range strings.Split(b.buf.String(), "\n") {
		if l != "" && strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return out
}

// newTestLogger returns a logger writing every level to the returned buffer.
func newTestLogger() (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// echo answers a request with SUCCESS, its extFields and its body.
func echo(_ Peer, req *Command, reply func(*Command)) {
	resp := NewResponse(req, ResSuccess, "")
	resp.ExtFields = req.ExtFields
	resp.Body = req.Body
	reply(resp)
}

// memRig is a server and a client on a MemNetwork driven by a ManualClock:
// nothing happens until run (or advance) is called, and every run is the
// same.
type memRig struct {
	t      *testing.T
	clock  *env.ManualClock
	net    *env.MemNetwork
	env    env.Env
	server *Server
	client *Client
	logs   *syncBuffer
}

// newMemRig starts a server listening on a MemNetwork, with the echo
// handler for testCodeEcho, and a client for it. Configs may be zero.
func newMemRig(t *testing.T, scfg ServerConfig, ccfg ClientConfig) *memRig {
	t.Helper()
	clock := env.NewManualClock(time.Unix(1_700_000_000, 0))
	mnet := env.NewMemNetwork(clock)
	e := env.Env{Clock: clock, Net: mnet, Rand: env.NewSeededRand(1)}
	logger, logs := newTestLogger()
	if scfg.ListenAddr == "" {
		scfg.ListenAddr = "127.0.0.1:0"
	}
	scfg.Logger = logger
	ccfg.Logger = logger
	r := &memRig{t: t, clock: clock, net: mnet, env: e, logs: logs}
	r.server = NewServer(e, scfg)
	r.server.Handle(testCodeEcho, echo)
	require.NoError(t, r.server.Start())
	r.client = NewClient(e, ccfg)
	t.Cleanup(func() {
		_ = r.client.Close()
		_ = r.server.Close()
		r.run()
	})
	return r
}

// run fires everything due, without moving time.
func (r *memRig) run() { r.clock.RunDue() }

// advance moves time by d, firing what falls due.
func (r *memRig) advance(d time.Duration) { r.clock.Advance(d) }

// call is the outcome of one Invoke, filled in by its callback.
type call struct {
	resp  *Command
	err   error
	calls int
}

// invoke starts a request from the rig's client to its server; the returned
// call is filled in when the callback runs.
func (r *memRig) invoke(req *Command, timeout time.Duration) *call {
	c := &call{}
	r.client.Invoke(r.server.Addr(), req, timeout, func(resp *Command, err error) {
		c.resp, c.err = resp, err
		c.calls++
	})
	return c
}

// rawConn is the client end of a connection opened directly on the
// Network, bypassing the Client, for writing arbitrary bytes.
type rawConn struct {
	conn     env.Conn
	received bytes.Buffer
	closed   bool
	closeErr error
}

// dialRaw opens a raw connection to the rig's server.
func (r *memRig) dialRaw() *rawConn {
	r.t.Helper()
	rc := &rawConn{}
	var dialErr error
	r.net.Dial(r.server.Addr(), time.Second, func(c env.Conn, err error) {
		rc.conn, dialErr = c, err
	})
	r.run()
	require.NoError(r.t, dialErr)
	require.NotNil(r.t, rc.conn)
	rc.conn.Start(func(p []byte) { rc.received.Write(p) }, func(err error) {
		rc.closed, rc.closeErr = true, err
	})
	return rc
}

// write sends raw bytes.
func (rc *rawConn) write(p []byte) { rc.conn.Write([][]byte{p}, nil) }

// frames decodes the complete frames received so far.
func (rc *rawConn) frames(t *testing.T) []*Command {
	t.Helper()
	var out []*Command
	data := rc.received.Bytes()
	for len(data) >= 4 {
		n, err := FrameLength(data, DefaultMaxFrameBytes)
		require.NoError(t, err)
		if len(data) < n {
			break
		}
		cmd, err := DecodeFrame(bytes.Clone(data[:n]))
		require.NoError(t, err)
		out = append(out, cmd)
		data = data[n:]
	}
	return out
}

// mustFrame encodes c as a whole frame.
func mustFrame(t *testing.T, c *Command) []byte {
	t.Helper()
	b, err := AppendFrame(nil, c)
	require.NoError(t, err)
	return b
}
