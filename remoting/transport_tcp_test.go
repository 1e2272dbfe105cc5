package remoting

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

// tcpRig is a server and a client over real TCP on 127.0.0.1.
type tcpRig struct {
	server *Server
	client *Client
	logs   *syncBuffer

	mu   sync.Mutex
	gone []uint64 // connections the server saw end, by ID
}

func newTCPRig(t *testing.T) *tcpRig {
	t.Helper()
	e := env.Real()
	logger, logs := newTestLogger()
	r := &tcpRig{logs: logs}
	r.server = NewServer(e, ServerConfig{ListenAddr: "127.0.0.1:0", Logger: logger})
	r.server.Handle(testCodeEcho, echo)
	r.server.OnDisconnect(func(p Peer) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.gone = append(r.gone, p.ID())
	})
	require.NoError(t, r.server.Start())
	r.client = NewClient(e, ClientConfig{Logger: logger})
	t.Cleanup(func() {
		_ = r.client.Close()
		_ = r.server.Close()
	})
	return r
}

// disconnected returns the IDs of the connections that ended so far.
func (r *tcpRig) disconnected() []uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]uint64(nil), r.gone...)
}

// connTo returns the client's current connection to addr, or nil.
func (cl *Client) connTo(addr string) *conn {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.conns[addr]
}

// readFrame reads one frame from a raw connection.
func readFrame(t *testing.T, c net.Conn) *Command {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	prefix := make([]byte, 4)
	_, err := io.ReadFull(c, prefix)
	require.NoError(t, err)
	n, err := FrameLength(prefix, DefaultMaxFrameBytes)
	require.NoError(t, err)
	frame := make([]byte, n)
	copy(frame, prefix)
	_, err = io.ReadFull(c, frame[4:])
	require.NoError(t, err)
	cmd, err := DecodeFrame(frame)
	require.NoError(t, err)
	return cmd
}

// requireClosedByPeer reads until the connection ends and fails if data
// arrives or it does not end. A reset counts as closed: a server closing a
// socket with unread input makes the kernel send RST.
func requireClosedByPeer(t *testing.T, c net.Conn) {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	data, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		require.NoError(t, err, "the server did not close the connection")
	}
	require.Empty(t, data, "the server answered instead of closing")
}

// rawFrame builds a frame from its parts: the total length is computed
// unless total is given.
func rawFrame(serType byte, header []byte, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(4+len(header)+len(body)))
	b = binary.BigEndian.AppendUint32(b, uint32(serType)<<24|uint32(len(header)))
	b = append(b, header...)
	return append(b, body...)
}

func TestBadInputOverTCPClosesOnlyThatConnection(t *testing.T) {
	r := newTCPRig(t)
	addr := r.server.Addr()

	// A well-behaved client connected all along.
	resp, err := r.client.InvokeSync(addr, NewRequest(testCodeEcho, map[string]string{"n": "0"}, nil), 5*time.Second)
	require.NoError(t, err)
	require.Equal(t, "0", resp.ExtFields["n"])
	healthyConn := r.client.connTo(addr)
	require.NotNil(t, healthyConn)

	nested := `{"code":105,"opaque":1,"extFields":{"a":` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + `}}`
	cases := []struct {
		name  string
		bytes []byte
	}{
		{"garbage", []byte("GET / HTTP/1.1\r\nHost: apogee\r\n\r\n")},
		{"zero length", []byte{0, 0, 0, 0, 0, 0, 0, 0}},
		{"negative length", []byte{0x80, 0, 0, 0, 0, 0, 0, 0}},
		{"huge length", []byte{0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 2, '{', '}'}},
		{"just over 16 MiB", binary.BigEndian.AppendUint32(nil, DefaultMaxFrameBytes-3)},
		{"header length beyond the frame", append(binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 4+2), 1000), '{', '}')},
		{"unknown serialization type", rawFrame(5, []byte(`{"code":105}`), nil)},
		{"invalid JSON", rawFrame(0, []byte(`{"code":105,"opaque":`), nil)},
		{"JSON that is not an object", rawFrame(0, []byte(`[1,2,3]`), nil)},
		{"deeply nested JSON", rawFrame(0, []byte(nested), nil)},
		{"deeply nested unknown member", rawFrame(0, []byte(`{"x":`+strings.Repeat(`{"x":`, 50_000)+`1`+strings.Repeat("}", 50_001)+`}`), nil)},
		{"extFields value object", rawFrame(0, []byte(`{"code":105,"opaque":1,"extFields":{"a":{"b":"c"}}}`), nil)},
		{"extFields value array", rawFrame(0, []byte(`{"code":105,"opaque":1,"extFields":{"a":["b"]}}`), nil)},
		{"extFields value null", rawFrame(0, []byte(`{"code":105,"opaque":1,"extFields":{"a":null}}`), nil)},
		{"binary header cut short", rawFrame(1, []byte{0, 105, 9, 1, 61, 0, 0, 0, 1}, nil)},
	}
	for i, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			before := len(r.logs.lines("malformed frame"))
			c, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			defer c.Close()
			_, err = c.Write(tt.bytes)
			require.NoError(t, err)
			requireClosedByPeer(t, c)
			require.Eventually(t, func() bool { return len(r.disconnected()) == i+1 }, 5*time.Second, time.Millisecond)
			assert.Len(t, r.logs.lines("malformed frame"), before+1, "one log line per bad connection")

			// The other client is still served, on the same connection.
			resp, err := r.client.InvokeSync(addr, NewRequest(testCodeEcho, map[string]string{"n": strconv.Itoa(i + 1)}, nil), 5*time.Second)
			require.NoError(t, err)
			assert.Equal(t, strconv.Itoa(i+1), resp.ExtFields["n"])
			assert.Same(t, healthyConn, r.client.connTo(addr))
		})
	}
	assert.NotContains(t, r.disconnected(), uint64(1), "the healthy connection never ended")
}

func TestErrorResponsesOverTCPKeepTheConnection(t *testing.T) {
	r := newTCPRig(t)
	c, err := net.Dial("tcp", r.server.Addr())
	require.NoError(t, err)
	defer c.Close()

	// An unknown request code: REQUEST_CODE_NOT_SUPPORTED naming it.
	_, err = c.Write(rawFrame(0, []byte(`{"code":9999,"language":"JAVA","version":1,"opaque":5,"flag":0}`), nil))
	require.NoError(t, err)
	resp := readFrame(t, c)
	assert.Equal(t, ResRequestCodeNotSupported, resp.Code)
	assert.Equal(t, int32(5), resp.Opaque)
	assert.True(t, resp.IsResponse())
	assert.Contains(t, resp.Remark, "9999")

	// extFields numbers and booleans are taken as their text, as RocketMQ's
	// server takes them; the reply is JSON like the request.
	_, err = c.Write(rawFrame(0, []byte(`{"code":105,"opaque":6,"extFields":{"n":5,"b":true,"s":"x"}}`), []byte("body")))
	require.NoError(t, err)
	resp = readFrame(t, c)
	assert.Equal(t, ResSuccess, resp.Code)
	assert.Equal(t, int32(6), resp.Opaque)
	assert.Equal(t, SerializeJSON, resp.Serialize)
	assert.Equal(t, map[string]string{"n": "5", "b": "true", "s": "x"}, resp.ExtFields)
	assert.Equal(t, []byte("body"), resp.Body)

	// A ROCKETMQ binary request gets a binary reply.
	req := NewRequest(testCodeEcho, map[string]string{"topic": "T"}, nil)
	req.Opaque, req.Serialize = 7, SerializeRocketMQ
	_, err = c.Write(mustFrame(t, req))
	require.NoError(t, err)
	resp = readFrame(t, c)
	assert.Equal(t, SerializeRocketMQ, resp.Serialize)
	assert.Equal(t, int32(7), resp.Opaque)
	assert.Equal(t, "T", resp.ExtFields["topic"])

	assert.Empty(t, r.disconnected())
	assert.Empty(t, r.logs.lines("malformed frame"))
}

func TestEndToEndOverTCP(t *testing.T) {
	r := newTCPRig(t)
	addr := r.server.Addr()
	pushed := make(chan Peer, 1)
	r.server.Handle(testCodeHold, func(p Peer, req *Command, reply func(*Command)) {
		select {
		case pushed <- p:
		default:
		}
		// Answer from a timer's goroutine, as a long-polling pull would.
		env.Real().Clock.AfterFunc(time.Millisecond, func() { echo(p, req, reply) })
	})
	r.server.Handle(ReqGetConsumerRunningInfo, func(p Peer, req *Command, _ func(*Command)) {
		p.ReplyParts(req, NewResponse(req, ResSuccess, ""), [][]byte{[]byte("part1"), []byte("part2")}, nil)
	})
	r.client.Handle(testCodePush, func(_ string, req *Command) *Command {
		resp := NewResponse(req, ResSuccess, "")
		resp.Body = []byte("rebalanced")
		return resp
	})

	// Many requests in flight at once, from many goroutines.
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		code := testCodeEcho
		if i%2 == 1 {
			code = testCodeHold
		}
		body := bytes.Repeat([]byte{byte(i)}, i*37)
		r.client.Invoke(addr, NewRequest(code, map[string]string{"i": strconv.Itoa(i)}, body), 10*time.Second,
			func(resp *Command, err error) {
				defer wg.Done()
				switch {
				case err != nil:
					errs <- err
				case resp.ExtFields["i"] != strconv.Itoa(i) || !bytes.Equal(resp.Body, body):
					errs <- errors.New("request " + strconv.Itoa(i) + " got another response")
				}
			})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	resp, err := r.client.InvokeSync(addr, NewRequest(ReqGetConsumerRunningInfo, nil, nil), 5*time.Second)
	require.NoError(t, err)
	assert.Equal(t, []byte("part1part2"), resp.Body)

	// The server pushes a request to the client and gets its reply.
	peer := <-pushed
	done := make(chan *Command, 1)
	peer.Invoke(NewRequest(testCodePush, map[string]string{"consumerGroup": "g"}, nil), 5*time.Second, func(resp *Command, err error) {
		assert.NoError(t, err)
		done <- resp
	})
	got := <-done
	require.NotNil(t, got)
	assert.Equal(t, []byte("rebalanced"), got.Body)

	// Closing the server fails what is pending on the client.
	arrived := make(chan struct{})
	r.server.Handle(testCodeEcho, func(Peer, *Command, func(*Command)) { close(arrived) })
	failed := make(chan error, 1)
	r.client.Invoke(addr, NewRequest(testCodeEcho, nil, nil), 10*time.Second, func(_ *Command, err error) { failed <- err })
	<-arrived
	require.NoError(t, r.server.Close())
	assert.ErrorIs(t, <-failed, ErrConnClosed)
}

// TestConcurrentInvokersOverTCP has many goroutines invoke at once on one
// connection, with bodies from empty to far larger than the socket
// buffers: requests leave directly from their callers when the connection
// is idle and queue behind the one in flight otherwise, and a large one
// leaves partly from its caller and partly from the writer. Every frame
// must arrive whole, so every caller gets its own echo.
func TestConcurrentInvokersOverTCP(t *testing.T) {
	r := newTCPRig(t)
	addr := r.server.Addr()
	const callers = 16
	const perCaller = 50
	sizes := []int{0, 1, 300, 5000, 70_000, 3 << 20}
	var wg sync.WaitGroup
	errs := make(chan error, callers*perCaller)
	for c := range callers {
		wg.Go(func() {
			for i := range perCaller {
				size := sizes[(c+i)%len(sizes)]
				if size > 1<<20 && i%10 != 0 {
					size = 100 // a few large ones per caller are enough
				}
				body := bytes.Repeat([]byte{byte(c*perCaller + i)}, size)
				key := strconv.Itoa(c) + "/" + strconv.Itoa(i)
				resp, err := r.client.InvokeSync(addr, NewRequest(testCodeEcho, map[string]string{"k": key}, body), 20*time.Second)
				switch {
				case err != nil:
					errs <- fmt.Errorf("%s: %w", key, err)
				case resp.ExtFields["k"] != key || !bytes.Equal(resp.Body, body):
					errs <- fmt.Errorf("%s: got the answer of %s (%d bytes)", key, resp.ExtFields["k"], len(resp.Body))
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Empty(t, r.disconnected())
	assert.Empty(t, r.logs.lines("malformed frame"))
}
