package remoting

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

func TestServerPushesRequestToClient(t *testing.T) {
	r := newMemRig(t, ServerConfig{}, ClientConfig{})
	var peer Peer
	r.server.Handle(testCodeHold, func(p Peer, req *Command, reply func(*Command)) {
		peer = p
		reply(NewResponse(req, ResSuccess, ""))
	})
	var pushedFrom string
	r.client.Handle(testCodePush, func(addr string, req *Command) *Command {
		pushedFrom = addr
		resp := NewResponse(req, ResSuccess, "")
		resp.ExtFields = map[string]string{"consumerGroup": req.ExtFields["consumerGroup"]}
		return resp
	})
	first := r.invoke(NewRequest(testCodeHold, nil, nil), time.Second)
	r.run()
	require.NoError(t, first.err)
	require.NotNil(t, peer)
	assert.Equal(t, uint64(1), peer.ID())

	push := NewRequest(testCodePush, map[string]string{"consumerGroup": "cg"}, nil)
	var got *Command
	var gotErr error
	peer.Invoke(push, time.Second, func(resp *Command, err error) { got, gotErr = resp, err })
	r.run()
	require.NoError(t, gotErr)
	assert.Equal(t, ResSuccess, got.Code)
	assert.Equal(t, "cg", got.ExtFields["consumerGroup"])
	assert.Equal(t, push.Opaque, got.Opaque)
	assert.Equal(t, r.server.Addr(), pushedFrom)

	// A code the client has no handler for is answered
	// REQUEST_CODE_NOT_SUPPORTED, as RocketMQ's clients do.
	peer.Invoke(NewRequest(testCodeAbsent, nil, nil), time.Second, func(resp *Command, err error) { got, gotErr = resp, err })
	r.run()
	require.NoError(t, gotErr)
	assert.Equal(t, ResRequestCodeNotSupported, got.Code)

	// A handler that returns nil sends nothing: the push times out.
	r.client.Handle(testCodePush, func(string, *Command) *Command { return nil })
	gotErr = nil
	peer.Invoke(NewRequest(testCodePush, nil, nil), time.Second, func(resp *Command, err error) { got, gotErr = resp, err })
	r.run()
	require.NoError(t, gotErr)
	r.advance(time.Second)
	assert.ErrorIs(t, gotErr, ErrTimeout)

	// A oneway push runs the client handler without a reply.
	pushes := 0
	r.client.Handle(testCodePush, func(string, *Command) *Command { pushes++; return NewResponse(push, ResSuccess, "") })
	require.NoError(t, peer.InvokeOneway(NewRequest(testCodePush, nil, nil)))
	r.run()
	assert.Equal(t, 1, pushes)
	assert.Zero(t, r.server.side.pending.Load())

	require.NoError(t, peer.Close())
	r.run()
	assert.ErrorIs(t, peer.InvokeOneway(NewRequest(testCodePush, nil, nil)), ErrConnClosed)
	gotErr = nil
	peer.Invoke(NewRequest(testCodePush, nil, nil), time.Second, func(resp *Command, err error) { got, gotErr = resp, err })
	r.run()
	assert.ErrorIs(t, gotErr, ErrConnClosed)
}

func TestInvokeTimesOutAndDropsLateResponse(t *testing.T) {
	r := newMemRig(t, ServerConfig{}, ClientConfig{})
	var reply func()
	r.server.Handle(testCodeHold, func(_ Peer, req *Command, rep func(*Command)) {
		reply = func() { rep(NewResponse(req, ResSuccess, "late")) }
	})
	c := r.invoke(NewRequest(testCodeHold, nil, nil), 3*time.Second)
	r.run()
	require.NotNil(t, reply)
	r.advance(3*time.Second - time.Millisecond)
	require.Zero(t, c.calls, "not yet")
	r.advance(time.Millisecond)
	require.Equal(t, 1, c.calls)
	require.ErrorIs(t, c.err, ErrTimeout)
	assert.Contains(t, c.err.Error(), "request code 11")
	assert.Zero(t, r.client.side.pending.Load())

	// The late response finds no pending request and is dropped silently.
	reply()
	r.run()
	assert.Equal(t, 1, c.calls)
	assert.Empty(t, r.logs.lines("level=WARN"))

	// The connection still serves.
	ok := r.invoke(NewRequest(testCodeEcho, nil, nil), time.Second)
	r.run()
	require.NoError(t, ok.err)
}

func TestClosedConnectionFailsPendingRequests(t *testing.T) {
	r := newMemRig(t, ServerConfig{}, ClientConfig{})
	var peer Peer
	r.server.Handle(testCodeHold, func(p Peer, _ *Command, _ func(*Command)) { peer = p })
	var order []int
	calls := make([]*call, 3)
	for i := range calls {
		c := &call{}
		calls[i] = c
		r.client.Invoke(r.server.Addr(), NewRequest(testCodeHold, nil, nil), time.Minute, func(resp *Command, err error) {
			c.resp, c.err = resp, err
			c.calls++
			order = append(order, i)
		})
	}
	r.run()
	require.NotNil(t, peer)
	require.NoError(t, peer.Close())
	r.run()
	for i, c := range calls {
		require.Equal(t, 1, c.calls, "request %d", i)
		assert.ErrorIs(t, c.err, ErrConnClosed, "request %d", i)
	}
	assert.Equal(t, []int{0, 1, 2}, order, "pending requests fail in the order they were sent")
	assert.Zero(t, r.client.side.pending.Load())

	// No timer is left behind to fire later.
	r.advance(time.Hour)
	for _, c := range calls {
		assert.Equal(t, 1, c.calls)
	}
}

func TestClientCloseFailsPendingAndLaterRequests(t *testing.T) {
	r := newMemRig(t, ServerConfig{}, ClientConfig{})
	r.server.Handle(testCodeHold, func(Peer, *Command, func(*Command)) {})
	pending := r.invoke(NewRequest(testCodeHold, nil, nil), time.Minute)
	r.run()
	require.NoError(t, r.client.Close())
	require.Equal(t, 1, pending.calls)
	assert.ErrorIs(t, pending.err, ErrConnClosed)

	late := r.invoke(NewRequest(testCodeEcho, nil, nil), time.Second)
	require.Zero(t, late.calls, "the callback never runs inside Invoke")
	r.run()
	assert.ErrorIs(t, late.err, ErrClosed)
	assert.ErrorIs(t, r.client.InvokeOneway(r.server.Addr(), NewRequest(testCodeEcho, nil, nil)), ErrClosed)
	require.NoError(t, r.client.Close(), "Close is idempotent")
}

func TestTooManyPendingFailsAtOnce(t *testing.T) {
	r := newMemRig(t, ServerConfig{}, ClientConfig{MaxPending: 2})
	r.server.Handle(testCodeHold, func(Peer, *Command, func(*Command)) {})
	a := r.invoke(NewRequest(testCodeHold, nil, nil), time.Minute)
	b := r.invoke(NewRequest(testCodeHold, nil, nil), time.Minute)
	c := r.invoke(NewRequest(testCodeHold, nil, nil), time.Minute)
	r.run()
	assert.Zero(t, a.calls)
	assert.Zero(t, b.calls)
	require.Equal(t, 1, c.calls)
	assert.ErrorIs(t, c.err, ErrTooManyPending)

	r.advance(time.Minute)
	assert.ErrorIs(t, a.err, ErrTimeout)
	d := r.invoke(NewRequest(testCodeEcho, nil, nil), time.Minute)
	r.run()
	assert.NoError(t, d.err, "timed-out requests give their slots back")
}

func TestOnewayRequestsQueuedBehindDialAreBounded(t *testing.T) {
	r := newMemRig(t, ServerConfig{}, ClientConfig{MaxPending: 2})
	got := 0
	r.server.Handle(testCodeHold, func(Peer, *Command, func(*Command)) { got++ })
	addr := r.server.Addr()
	require.NoError(t, r.client.InvokeOneway(addr, NewRequest(testCodeHold, nil, nil)))
	require.NoError(t, r.client.InvokeOneway(addr, NewRequest(testCodeHold, nil, nil)))
	assert.ErrorIs(t, r.client.InvokeOneway(addr, NewRequest(testCodeHold, nil, nil)), ErrTooManyPending)
	r.run()
	assert.Equal(t, 2, got)
	require.NoError(t, r.client.InvokeOneway(addr, NewRequest(testCodeHold, nil, nil)), "once connected, oneways are not queued")
	require.NoError(t, r.client.InvokeOneway(addr, NewRequest(testCodeHold, nil, nil)))
	require.NoError(t, r.client.InvokeOneway(addr, NewRequest(testCodeHold, nil, nil)))
	r.run()
	assert.Equal(t, 5, got)
}

func TestInvalidTimeoutAndTooLargeRequest(t *testing.T) {
	r := newMemRig(t, ServerConfig{}, ClientConfig{MaxFrameBytes: 1024})
	zero := r.invoke(NewRequest(testCodeEcho, nil, nil), 0)
	big := r.invoke(NewRequest(testCodeEcho, nil, make([]byte, 2000)), time.Second)
	require.Zero(t, zero.calls)
	require.Zero(t, big.calls)
	r.run()
	assert.ErrorIs(t, zero.err, ErrInvalidTimeout)
	assert.ErrorIs(t, big.err, ErrFrameTooLarge)
	assert.Zero(t, r.client.side.pending.Load())
	assert.ErrorIs(t, r.client.InvokeOneway(r.server.Addr(), NewRequest(testCodeEcho, nil, make([]byte, 2000))), ErrFrameTooLarge)
	assert.Panics(t, func() { NewClient(r.env, ClientConfig{MaxFrameBytes: 2 << 30}) })
}

func TestDialFailureFailsQueuedRequestsAndRedials(t *testing.T) {
	r := newMemRig(t, ServerConfig{}, ClientConfig{})
	addr := "127.0.0.1:20001" // nothing listens there yet
	var a, b call
	r.client.Invoke(addr, NewRequest(testCodeEcho, nil, nil), time.Second, func(resp *Command, err error) { a.resp, a.err = resp, err; a.calls++ })
	require.NoError(t, r.client.InvokeOneway(addr, NewRequest(testCodeEcho, nil, nil)))
	r.client.Invoke(addr, NewRequest(testCodeEcho, nil, nil), time.Second, func(resp *Command, err error) { b.resp, b.err = resp, err; b.calls++ })
	r.run()
	require.Equal(t, 1, a.calls)
	require.Equal(t, 1, b.calls)
	assert.ErrorIs(t, a.err, ErrConnClosed)
	assert.ErrorIs(t, a.err, env.ErrConnRefused)
	assert.ErrorIs(t, b.err, env.ErrConnRefused)

	second := NewServer(r.env, ServerConfig{ListenAddr: addr})
	second.Handle(testCodeEcho, echo)
	require.NoError(t, second.Start())
	t.Cleanup(func() { _ = second.Close() })
	c, err := invokeAndRun(r, addr, NewRequest(testCodeEcho, nil, []byte("x")))
	require.NoError(t, err)
	assert.Equal(t, []byte("x"), c.Body)
}

// invokeAndRun invokes addr through the rig's client and runs the clock.
func invokeAndRun(r *memRig, addr string, req *Command) (*Command, error) {
	var resp *Command
	var err error
	r.client.Invoke(addr, req, time.Second, func(c *Command, e error) { resp, err = c, e })
	r.run()
	return resp, err
}

func TestRequestsQueuedBehindDialGoOutInOrder(t *testing.T) {
	r := newMemRig(t, ServerConfig{}, ClientConfig{})
	var seen []string
	r.server.Handle(testCodeHold, func(_ Peer, req *Command, reply func(*Command)) {
		seen = append(seen, req.ExtFields["i"])
		reply(NewResponse(req, ResSuccess, ""))
	})
	var calls []*call
	for i := range 5 {
		req := NewRequest(testCodeHold, map[string]string{"i": strconv.Itoa(i)}, nil)
		if i == 2 {
			require.NoError(t, r.client.InvokeOneway(r.server.Addr(), req))
			continue
		}
		calls = append(calls, r.invoke(req, time.Second))
	}
	r.run()
	assert.Equal(t, []string{"0", "1", "2", "3", "4"}, seen)
	for _, c := range calls {
		require.NoError(t, c.err)
	}
}

func TestDialTimeoutCountsAgainstRequestTimeout(t *testing.T) {
	// A Network whose dials never complete: the request's own timer still
	// fires.
	clock := env.NewManualClock(time.Unix(0, 0))
	e := env.Env{Clock: clock, Net: stalledNetwork{}}
	cl := NewClient(e, ClientConfig{})
	c := &call{}
	cl.Invoke("10.0.0.1:9876", NewRequest(testCodeEcho, nil, nil), 2*time.Second, func(resp *Command, err error) {
		c.resp, c.err = resp, err
		c.calls++
	})
	clock.Advance(2 * time.Second)
	require.Equal(t, 1, c.calls)
	assert.ErrorIs(t, c.err, ErrTimeout)
	require.NoError(t, cl.Close())
	assert.Equal(t, 1, c.calls)
}

// stalledNetwork is a Network whose dials never finish.
type stalledNetwork struct{}

func (stalledNetwork) Listen(string, func(env.Conn)) (env.Listener, error) {
	return nil, env.ErrAddrInUse
}
func (stalledNetwork) Dial(string, time.Duration, func(env.Conn, error)) {}

func TestTimeoutsFireInDeadlineOrder(t *testing.T) {
	r := newMemRig(t, ServerConfig{}, ClientConfig{})
	var replies []func()
	r.server.Handle(testCodeHold, func(_ Peer, req *Command, rep func(*Command)) {
		replies = append(replies, func() { rep(NewResponse(req, ResSuccess, "")) })
	})
	var order []string
	invoke := func(name string, timeout time.Duration) {
		r.client.Invoke(r.server.Addr(), NewRequest(testCodeHold, nil, nil), timeout, func(_ *Command, err error) {
			if errors.Is(err, ErrTimeout) {
				order = append(order, name+" timed out")
			} else {
				order = append(order, name+" answered")
			}
		})
	}
	// Each request's deadline is its own: a shorter one sent after a
	// longer one still fires first, and equal ones fire in send order.
	invoke("a", 5*time.Second)
	invoke("b", 2*time.Second)
	invoke("c", 2*time.Second)
	invoke("d", 8*time.Second)
	r.run()
	require.Len(t, replies, 4)
	r.advance(2*time.Second - time.Millisecond)
	assert.Empty(t, order)
	r.advance(time.Millisecond)
	assert.Equal(t, []string{"b timed out", "c timed out"}, order)
	r.advance(3 * time.Second)
	assert.Equal(t, []string{"b timed out", "c timed out", "a timed out"}, order)
	replies[3]() // d, answered before its deadline
	r.run()
	r.advance(time.Minute)
	assert.Equal(t, []string{"b timed out", "c timed out", "a timed out", "d answered"}, order)
	assert.Zero(t, r.client.side.pending.Load())
}

func TestAnsweredRequestsLeaveNothingToExpire(t *testing.T) {
	r := newMemRig(t, ServerConfig{}, ClientConfig{})
	var calls []*call
	for range 3 {
		calls = append(calls, r.invoke(NewRequest(testCodeEcho, nil, nil), time.Second))
		r.run()
		r.advance(300 * time.Millisecond)
	}
	// The connection's timer, armed for the first deadline, fires with
	// nothing due and is not armed again.
	r.advance(time.Minute)
	for _, c := range calls {
		assert.Equal(t, 1, c.calls)
		assert.NoError(t, c.err)
	}
	assert.Zero(t, r.clock.Pending(), "no timer left armed")

	// A request sent after that still times out on time.
	var hold func()
	r.server.Handle(testCodeHold, func(_ Peer, req *Command, rep func(*Command)) {
		hold = func() { rep(NewResponse(req, ResSuccess, "")) }
	})
	late := r.invoke(NewRequest(testCodeHold, nil, nil), 2*time.Second)
	r.run()
	r.advance(2 * time.Second)
	require.Equal(t, 1, late.calls)
	assert.ErrorIs(t, late.err, ErrTimeout)
	hold()
	r.run()
	assert.Equal(t, 1, late.calls)
}

func TestClosingAConnectionDisarmsItsTimer(t *testing.T) {
	r := newMemRig(t, ServerConfig{}, ClientConfig{})
	r.server.Handle(testCodeHold, func(Peer, *Command, func(*Command)) {})
	c := r.invoke(NewRequest(testCodeHold, nil, nil), time.Hour)
	r.run()
	require.Positive(t, r.clock.Pending(), "the request's timeout is armed")
	r.client.CloseConn(r.server.Addr())
	r.run()
	require.Equal(t, 1, c.calls)
	assert.ErrorIs(t, c.err, ErrConnClosed)
	assert.Zero(t, r.clock.Pending(), "nothing left to fire")
	r.advance(2 * time.Hour)
	assert.Equal(t, 1, c.calls)
}
