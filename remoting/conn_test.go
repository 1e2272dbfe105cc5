package remoting

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

// fakeConn is an env.Conn that records what happens to it.
type fakeConn struct {
	writes [][]byte
	closed int
}

func (f *fakeConn) LocalAddr() string               { return "127.0.0.1:9876" }
func (f *fakeConn) RemoteAddr() string              { return "127.0.0.1:50000" }
func (f *fakeConn) Start(func([]byte), func(error)) {}
func (f *fakeConn) Close() error                    { f.closed++; return nil }
func (f *fakeConn) Write(b [][]byte, done func(error)) {
	f.writes = append(f.writes, bytes.Join(b, nil))
	if done != nil {
		done(nil)
	}
}

// streamResult is what a conn made of a byte stream.
type streamResult struct {
	commands []*Command
	closed   bool
	cause    error
}

// feed builds a conn over a fakeConn, delivers stream in chunks of the given
// sizes (cycled; the rest in one chunk when sizes is empty), and reports what
// it dispatched and whether it closed.
func feed(stream []byte, sizes []int, maxFrameBytes int) streamResult {
	var res streamResult
	logger, _ := newTestLogger()
	s := &side{
		clock:         env.NewManualClock(time.Unix(0, 0)),
		logger:        logger,
		maxFrameBytes: maxFrameBytes,
		maxPending:    DefaultMaxPending,
		onRequest:     func(_ *conn, req *Command) { res.commands = append(res.commands, req) },
		onClosed:      func(_ *conn, err error) { res.closed, res.cause = true, err },
	}
	c := newConn(s, 1, "127.0.0.1:50000", &fakeConn{}, DefaultMaxInflightPerConn)
	for i := 0; len(stream) > 0; i++ {
		n := len(stream)
		if len(sizes) > 0 {
			n = min(n, max(1, sizes[i%len(sizes)]))
		}
		// The Network reuses its buffer: hand a copy and scribble on it after.
		chunk := bytes.Clone(stream[:n])
		c.onData(chunk)
		for j := range chunk {
			chunk[j] = 0xEE
		}
		stream = stream[n:]
	}
	return res
}

func TestReassemblyIsIndependentOfChunking(t *testing.T) {
	var stream []byte
	var want []*Command
	for i, body := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("y"), 5000), []byte("last")} {
		req := NewRequest(testCodeEcho, map[string]string{"i": string(rune('a' + i))}, body)
		req.Opaque = int32(i + 1)
		if i%2 == 1 {
			req.Serialize = SerializeRocketMQ
		}
		want = append(want, req)
		stream = append(stream, mustFrame(t, req)...)
	}
	for _, sizes := range [][]int{nil, {1}, {2}, {3}, {4}, {7}, {4, 1, 4096}, {4095, 4097}} {
		got := feed(stream, sizes, DefaultMaxFrameBytes)
		require.False(t, got.closed, "chunk sizes %v", sizes)
		require.Len(t, got.commands, len(want), "chunk sizes %v", sizes)
		for i, c := range got.commands {
			assert.Equal(t, want[i].Opaque, c.Opaque)
			assert.Equal(t, want[i].ExtFields, c.ExtFields)
			assert.Equal(t, want[i].Serialize, c.Serialize)
			assert.Equal(t, len(want[i].Body), len(c.Body))
			assert.True(t, bytes.Equal(want[i].Body, c.Body), "body %d survives the reuse of the delivery buffer (chunks %v)", i, sizes)
		}
	}
}

func TestReassemblyRefusesBadLengths(t *testing.T) {
	good := mustFrame(t, NewRequest(testCodeEcho, nil, nil))
	tests := []struct {
		name   string
		stream []byte
		max    int
		want   error
	}{
		{"zero length", []byte{0, 0, 0, 0}, 0, ErrBadFrame},
		{"length below the header-length field", []byte{0, 0, 0, 3}, 0, ErrBadFrame},
		{"negative length", []byte{0xFF, 0xFF, 0xFF, 0xFE}, 0, ErrBadFrame},
		{"huge length", []byte{0x7F, 0xFF, 0xFF, 0xFF}, 0, ErrFrameTooLarge},
		{"over the configured max", binary.BigEndian.AppendUint32(nil, 2000), 1024, ErrFrameTooLarge},
		{"garbage", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0, ErrFrameTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stream := append(bytes.Clone(good), tt.stream...)
			stream = append(stream, good...)
			got := feed(stream, []int{3}, orDefault(tt.max, DefaultMaxFrameBytes))
			require.True(t, got.closed)
			assert.ErrorIs(t, got.cause, tt.want)
			assert.Len(t, got.commands, 1, "the frame before the bad one is served, nothing after it")
		})
	}
}

func TestReassemblyBufferGrowsWithReceivedBytes(t *testing.T) {
	logger, _ := newTestLogger()
	s := &side{clock: env.NewManualClock(time.Unix(0, 0)), logger: logger, maxFrameBytes: DefaultMaxFrameBytes,
		maxPending: 1, onRequest: func(*conn, *Command) {}, onClosed: func(*conn, error) {}}
	c := newConn(s, 1, "peer", &fakeConn{}, 1)
	// A peer announces a frame just under 16 MiB and sends 10 bytes of it.
	c.onData(binary.BigEndian.AppendUint32(nil, DefaultMaxFrameBytes-4))
	c.onData(make([]byte, 10))
	assert.Equal(t, DefaultMaxFrameBytes, c.frameLen)
	assert.LessOrEqual(t, cap(c.frame), initialFrameBufBytes, "nothing near the announced size is allocated up front")
	c.onData(make([]byte, 3*initialFrameBufBytes))
	assert.Equal(t, 4+10+3*initialFrameBufBytes, len(c.frame))
	assert.LessOrEqual(t, cap(c.frame), 2*len(c.frame))
}

func TestAppendBoundedNeverPassesLimit(t *testing.T) {
	dst := make([]byte, 0, 4)
	dst = appendBounded(dst, make([]byte, 4), 10)
	dst = appendBounded(dst, make([]byte, 5), 10)
	assert.Equal(t, 9, len(dst))
	assert.Equal(t, 9, cap(dst), "growth stops at what the frame needs so far")
	dst = appendBounded(dst, []byte{1}, 10)
	assert.Equal(t, 10, cap(dst))
}

func TestMalformedFrameLogsOneLine(t *testing.T) {
	logger, logs := newTestLogger()
	var cause error
	s := &side{clock: env.NewManualClock(time.Unix(0, 0)), logger: logger, maxFrameBytes: DefaultMaxFrameBytes,
		maxPending: 1, onRequest: func(*conn, *Command) {}, onClosed: func(_ *conn, err error) { cause = err }}
	nc := &fakeConn{}
	c := newConn(s, 7, "10.1.2.3:4567", nc, 1)
	c.onData([]byte{0, 0, 0, 0, 0, 0, 0, 0})
	c.onData([]byte{0, 0, 0, 0})
	c.shutdown(errors.New("the Network's onClose after ours"))
	assert.Equal(t, 1, nc.closed)
	require.ErrorIs(t, cause, ErrBadFrame)
	lines := logs.lines("malformed frame")
	require.Len(t, lines, 1)
	assert.Contains(t, lines[0], "remote=10.1.2.3:4567")
	assert.Contains(t, lines[0], "conn=7")
}

// FuzzConnStream feeds arbitrary bytes to a connection, whole and in small
// chunks. It must never panic, and the chunking must not change what is
// dispatched or whether the connection is closed.
func FuzzConnStream(f *testing.F) {
	req := NewRequest(testCodeEcho, map[string]string{"topic": "T"}, []byte("body"))
	req.Opaque = 3
	frame, err := AppendFrame(nil, req)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(frame, uint8(1))
	f.Add(append(bytes.Clone(frame), frame...), uint8(5))
	f.Add([]byte{0, 0, 0, 4, 0, 0, 0, 0}, uint8(2))
	f.Add([]byte{0, 0, 0, 0}, uint8(1))
	f.Fuzz(func(t *testing.T, stream []byte, chunk uint8) {
		whole := feed(stream, nil, 1<<16)
		split := feed(stream, []int{int(chunk%16) + 1, 1}, 1<<16)
		require.Equal(t, whole.closed, split.closed)
		require.Equal(t, len(whole.commands), len(split.commands))
		for i := range whole.commands {
			require.Equal(t, whole.commands[i].Opaque, split.commands[i].Opaque)
			require.Equal(t, whole.commands[i].Body, split.commands[i].Body)
		}
	})
}
