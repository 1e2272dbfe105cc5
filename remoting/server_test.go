package remoting

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

func TestRequestResponse(t *testing.T) {
	r := newMemRig(t, ServerConfig{}, ClientConfig{})
	req := NewRequest(testCodeEcho, map[string]string{"topic": "TopicA"}, []byte("hello"))
	c := r.invoke(req, time.Second)
	require.Zero(t, c.calls, "nothing happens before the clock runs")
	r.run()

	require.Equal(t, 1, c.calls)
	require.NoError(t, c.err)
	assert.Equal(t, ResSuccess, c.resp.Code)
	assert.True(t, c.resp.IsResponse())
	assert.Equal(t, int32(1), req.Opaque, "the first opaque of a client is 1")
	assert.Equal(t, req.Opaque, c.resp.Opaque)
	assert.Equal(t, map[string]string{"topic": "TopicA"}, c.resp.ExtFields)
	assert.Equal(t, []byte("hello"), c.resp.Body)
	assert.Equal(t, SerializeJSON, c.resp.Serialize)

	second := r.invoke(NewRequest(testCodeEcho, nil, nil), time.Second)
	r.run()
	require.NoError(t, second.err)
	assert.Equal(t, int32(2), second.resp.Opaque, "opaques count up per client")
	assert.Empty(t, second.resp.Body)
}

func TestReplyUsesTheRequestSerialization(t *testing.T) {
	for name, ser := range map[string]SerializeType{"JSON": SerializeJSON, "ROCKETMQ": SerializeRocketMQ} {
		t.Run(name, func(t *testing.T) {
			r := newMemRig(t, ServerConfig{}, ClientConfig{})
			var seen SerializeType = 0xFF
			r.server.Handle(testCodeHold, func(_ Peer, req *Command, reply func(*Command)) {
				seen = req.Serialize
				// A handler that builds its reply without NewResponse still
				// gets the request's serialization, opaque and response bit.
				reply(&Command{Code: ResSuccess, Language: Language, Version: Version, Remark: "ok", Serialize: 1 - req.Serialize})
			})
			req := NewRequest(testCodeHold, map[string]string{"k": "v"}, nil)
			req.Serialize = ser
			c := r.invoke(req, time.Second)
			r.run()
			require.NoError(t, c.err)
			assert.Equal(t, ser, seen)
			assert.Equal(t, ser, c.resp.Serialize)
			assert.Equal(t, req.Opaque, c.resp.Opaque)
			assert.Equal(t, "ok", c.resp.Remark)
		})
	}
}

func TestPipelinedRepliesOutOfOrder(t *testing.T) {
	const n = 1000
	r := newMemRig(t, ServerConfig{}, ClientConfig{})
	var held []func()
	r.server.Handle(testCodeHold, func(_ Peer, req *Command, reply func(*Command)) {
		resp := NewResponse(req, ResSuccess, "")
		resp.ExtFields = map[string]string{"i": req.ExtFields["i"]}
		held = append(held, func() { reply(resp) })
	})
	calls := make([]*call, n)
	for i := range n {
		calls[i] = r.invoke(NewRequest(testCodeHold, map[string]string{"i": strconv.Itoa(i)}, nil), time.Minute)
	}
	r.run()
	require.Len(t, held, n, "all requests reach the handler before any is answered")
	for _, c := range calls {
		require.Zero(t, c.calls)
	}
	// Answer in a seeded random order.
	rnd := env.NewSeededRand(7)
	for len(held) > 0 {
		i := rnd.Intn(len(held))
		held[i]()
		held = append(held[:i], held[i+1:]...)
	}
	r.run()
	for i, c := range calls {
		require.Equal(t, 1, c.calls, "request %d", i)
		require.NoError(t, c.err, "request %d", i)
		require.Equal(t, strconv.Itoa(i), c.resp.ExtFields["i"], "request %d got another's response", i)
	}
	assert.Zero(t, r.client.side.pending.Load())
	for _, c := range r.server.conns {
		assert.Zero(t, c.inflight.Load(), "every request of connection %d was answered", c.id)
	}
}

func TestOnewayRequestRunsHandlerAndDropsReply(t *testing.T) {
	r := newMemRig(t, ServerConfig{}, ClientConfig{})
	var got []*Command
	r.server.Handle(testCodeHold, func(_ Peer, req *Command, reply func(*Command)) {
		got = append(got, req)
		reply(NewResponse(req, ResSuccess, ""))
	})

	require.NoError(t, r.client.InvokeOneway(r.server.Addr(), NewRequest(testCodeHold, map[string]string{"via": "client"}, nil)))
	r.run()
	require.Len(t, got, 1)
	assert.True(t, got[0].IsOneway())
	assert.Equal(t, "client", got[0].ExtFields["via"])

	// The reply to a oneway request never reaches the wire.
	raw := r.dialRaw()
	req := NewRequest(testCodeHold, nil, nil)
	req.Opaque, req.Flag = 77, FlagOneway
	raw.write(mustFrame(t, req))
	r.run()
	require.Len(t, got, 2)
	assert.Zero(t, raw.received.Len(), "nothing written back for a oneway request")

	// Without the flag the same request is answered, as the Go client
	// expects for its fire-and-forget calls.
	req.Flag = 0
	raw.write(mustFrame(t, req))
	r.run()
	frames := raw.frames(t)
	require.Len(t, frames, 1)
	assert.Equal(t, int32(77), frames[0].Opaque)
	assert.True(t, frames[0].IsResponse())
}

func TestUnknownCodeIsNotSupported(t *testing.T) {
	r := newMemRig(t, ServerConfig{}, ClientConfig{})
	c := r.invoke(NewRequest(testCodeAbsent, nil, nil), time.Second)
	r.run()
	require.NoError(t, c.err)
	assert.Equal(t, ResRequestCodeNotSupported, c.resp.Code)
	assert.Contains(t, c.resp.Remark, "9999")

	// The connection stays usable.
	ok := r.invoke(NewRequest(testCodeEcho, nil, nil), time.Second)
	r.run()
	require.NoError(t, ok.err)
	assert.Equal(t, ResSuccess, ok.resp.Code)
}

func TestHandleDefaultTakesUnregisteredCodes(t *testing.T) {
	r := newMemRig(t, ServerConfig{}, ClientConfig{})
	r.server.HandleDefault(func(_ Peer, req *Command, reply func(*Command)) {
		reply(NewResponse(req, ResSystemError, "default saw "+strconv.Itoa(int(req.Code))))
	})
	c := r.invoke(NewRequest(testCodeAbsent, nil, nil), time.Second)
	e := r.invoke(NewRequest(testCodeEcho, nil, nil), time.Second)
	r.run()
	require.NoError(t, c.err)
	assert.Equal(t, "default saw 9999", c.resp.Remark)
	require.NoError(t, e.err)
	assert.Equal(t, ResSuccess, e.resp.Code, "a registered handler wins over the default")
}

func TestInflightBoundAnswersSystemBusy(t *testing.T) {
	r := newMemRig(t, ServerConfig{MaxInflightPerConn: 2}, ClientConfig{})
	var held []func()
	handled := 0
	r.server.Handle(testCodeHold, func(_ Peer, req *Command, reply func(*Command)) {
		handled++
		held = append(held, func() { reply(NewResponse(req, ResSuccess, "")) })
	})
	calls := []*call{
		r.invoke(NewRequest(testCodeHold, nil, nil), time.Minute),
		r.invoke(NewRequest(testCodeHold, nil, nil), time.Minute),
		r.invoke(NewRequest(testCodeHold, nil, nil), time.Minute),
	}
	r.run()
	assert.Equal(t, 2, handled)
	require.Equal(t, 1, calls[2].calls)
	require.NoError(t, calls[2].err)
	assert.Equal(t, ResSystemBusy, calls[2].resp.Code)
	assert.Contains(t, calls[2].resp.Remark, "limit 2")

	held[0]()
	r.run()
	again := r.invoke(NewRequest(testCodeHold, nil, nil), time.Minute)
	r.run()
	assert.Equal(t, 3, handled, "an answer frees a slot")
	assert.Zero(t, again.calls)
}

func TestOnewayRequestsAreNotCountedInFlight(t *testing.T) {
	r := newMemRig(t, ServerConfig{MaxInflightPerConn: 1}, ClientConfig{})
	handled := 0
	r.server.Handle(testCodeHold, func(Peer, *Command, func(*Command)) { handled++ }) // never replies
	held := r.invoke(NewRequest(testCodeHold, nil, nil), time.Minute)
	for range 3 {
		require.NoError(t, r.client.InvokeOneway(r.server.Addr(), NewRequest(testCodeHold, nil, nil)))
	}
	r.run()
	assert.Equal(t, 4, handled, "oneway requests reach the handler past the bound")
	assert.Zero(t, held.calls)
	busy := r.invoke(NewRequest(testCodeHold, nil, nil), time.Minute)
	r.run()
	require.NoError(t, busy.err)
	assert.Equal(t, ResSystemBusy, busy.resp.Code, "the one held request fills the bound")
}

func TestReplyTwicePanics(t *testing.T) {
	r := newMemRig(t, ServerConfig{}, ClientConfig{})
	var reply func(*Command)
	var req *Command
	r.server.Handle(testCodeHold, func(_ Peer, q *Command, rep func(*Command)) { req, reply = q, rep })
	r.invoke(NewRequest(testCodeHold, nil, nil), time.Second)
	r.run()
	require.NotNil(t, reply)
	reply(NewResponse(req, ResSuccess, ""))
	assert.PanicsWithValue(t, "remoting: request code 11 (opaque 1) answered twice", func() {
		reply(NewResponse(req, ResSuccess, ""))
	})
}

func TestUnencodableReplyBecomesSystemError(t *testing.T) {
	r := newMemRig(t, ServerConfig{}, ClientConfig{})
	r.server.Handle(testCodeHold, func(_ Peer, req *Command, reply func(*Command)) {
		// 70000 does not fit the int16 code of a ROCKETMQ header.
		reply(NewResponse(req, 70000, ""))
	})
	req := NewRequest(testCodeHold, nil, nil)
	req.Serialize = SerializeRocketMQ
	c := r.invoke(req, time.Second)
	r.run()
	require.NoError(t, c.err)
	assert.Equal(t, ResSystemError, c.resp.Code)
	assert.Contains(t, c.resp.Remark, "could not be encoded")
	assert.Len(t, r.logs.lines("reply cannot be encoded"), 1)
}

func TestReplyPartsSendsBodyWithoutCopy(t *testing.T) {
	r := newMemRig(t, ServerConfig{}, ClientConfig{})
	segment := bytes.Repeat([]byte("0123456789abcdef"), 64) // stands in for a mapped CommitLog
	var released []error
	release := func(err error) { released = append(released, err) }
	r.server.Handle(testCodeHold, func(p Peer, req *Command, _ func(*Command)) {
		resp := NewResponse(req, ResSuccess, "")
		resp.ExtFields = map[string]string{"nextBeginOffset": "3"}
		resp.Body = []byte("head:")
		p.ReplyParts(req, resp, [][]byte{segment[0:100], segment[200:300], nil, segment[1000:1024]}, release)
	})
	c := r.invoke(NewRequest(testCodeHold, nil, nil), time.Second)
	r.run()
	require.NoError(t, c.err)
	want := append([]byte("head:"), segment[0:100]...)
	want = append(want, segment[200:300]...)
	want = append(want, segment[1000:1024]...)
	assert.Equal(t, want, c.resp.Body)
	assert.Equal(t, "3", c.resp.ExtFields["nextBeginOffset"])
	assert.Equal(t, []error{nil}, released, "release runs once, after the write")

	// A oneway request: nothing is written, release still runs.
	raw := r.dialRaw()
	req := NewRequest(testCodeHold, nil, nil)
	req.Flag = FlagOneway
	raw.write(mustFrame(t, req))
	r.run()
	assert.Zero(t, raw.received.Len())
	assert.Equal(t, []error{nil, nil}, released)
}

func TestReplyPartsTooLargeReleasesAndAnswersSystemError(t *testing.T) {
	r := newMemRig(t, ServerConfig{MaxFrameBytes: 4096}, ClientConfig{})
	var released []error
	r.server.Handle(testCodeHold, func(p Peer, req *Command, _ func(*Command)) {
		p.ReplyParts(req, NewResponse(req, ResSuccess, ""), [][]byte{make([]byte, 3000), make([]byte, 3000)},
			func(err error) { released = append(released, err) })
	})
	c := r.invoke(NewRequest(testCodeHold, nil, nil), time.Second)
	r.run()
	require.NoError(t, c.err)
	assert.Equal(t, ResSystemError, c.resp.Code)
	require.Len(t, released, 1)
	assert.ErrorIs(t, released[0], ErrFrameTooLarge)
}

func TestOnDisconnectRunsOncePerConnection(t *testing.T) {
	r := newMemRig(t, ServerConfig{}, ClientConfig{})
	var gone []uint64
	r.server.OnDisconnect(func(p Peer) { gone = append(gone, p.ID()) })
	c := r.invoke(NewRequest(testCodeEcho, nil, nil), time.Second)
	r.run()
	require.NoError(t, c.err)
	require.Empty(t, gone)

	r.client.CloseConn(r.server.Addr())
	r.run()
	assert.Equal(t, []uint64{1}, gone)

	// The next request dials a new connection.
	c = r.invoke(NewRequest(testCodeEcho, nil, nil), time.Second)
	r.run()
	require.NoError(t, c.err)
	require.NoError(t, r.server.Close())
	r.run()
	assert.Equal(t, []uint64{1, 2}, gone)
}

func TestServerStartAndCloseErrors(t *testing.T) {
	r := newMemRig(t, ServerConfig{}, ClientConfig{})
	require.Error(t, r.server.Start(), "a second Start fails")

	busy := NewServer(r.env, ServerConfig{ListenAddr: r.server.Addr()})
	err := busy.Start()
	require.ErrorIs(t, err, env.ErrAddrInUse)
	assert.Empty(t, busy.Addr())

	require.NoError(t, r.server.Close())
	require.NoError(t, r.server.Close(), "Close is idempotent")
	assert.ErrorIs(t, r.server.Start(), ErrClosed)

	assert.Panics(t, func() { NewServer(r.env, ServerConfig{MaxFrameBytes: 2 << 30}) })
}
