package env

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRealEnvHasTCPNetwork(t *testing.T) {
	_, ok := Real().Net.(*TCPNetwork)
	assert.True(t, ok)
}

func TestTCPDialTimeout(t *testing.T) {
	ln, err := (&TCPNetwork{}).Listen("127.0.0.1:0", func(c Conn) { c.Close() })
	require.NoError(t, err)
	defer ln.Close()
	// A deadline that has passed before the connect starts times out
	// without depending on how fast the loopback answers.
	got := make(chan error, 1)
	(&TCPNetwork{}).Dial(ln.Addr(), time.Nanosecond, func(c Conn, err error) {
		assert.Nil(t, c)
		got <- err
	})
	select {
	case err := <-got:
		assert.ErrorIs(t, err, ErrDialTimeout)
		assert.NotErrorIs(t, err, ErrConnRefused)
	case <-time.After(waitBound):
		t.Fatal("dial did not report")
	}
}

func TestTCPPeerResetIsAnError(t *testing.T) {
	r := &endRecorder{}
	ln, err := (&TCPNetwork{}).Listen("127.0.0.1:0", r.start)
	require.NoError(t, err)
	defer ln.Close()
	raw, err := net.DialTimeout("tcp", ln.Addr(), waitBound)
	require.NoError(t, err)
	_, err = raw.Write([]byte("x"))
	require.NoError(t, err)
	eventually(t, func() bool { return r.receivedLen() == 1 }, "the byte arrives")
	// SO_LINGER 0 makes close send RST instead of FIN.
	require.NoError(t, raw.(*net.TCPConn).SetLinger(0))
	require.NoError(t, raw.Close())
	eventually(t, r.closesNow, "the reset is reported")
	_, err = r.closed()
	assert.ErrorIs(t, err, ErrConnReset)
	assert.ErrorIs(t, err, syscall.ECONNRESET)
}

func TestTCPWritesBeforeStartLeaveOnStart(t *testing.T) {
	fx := fixtures["tcp"](t, 0)
	server := &endRecorder{}
	ln, err := fx.net.Listen("127.0.0.1:0", server.start)
	require.NoError(t, err)
	defer ln.Close()
	client := dial(t, fx, ln.Addr())
	defer client.Close()
	var dones doneLog
	client.Write([][]byte{[]byte("early")}, dones.cb(0))
	// Nothing can leave before Start: no writer runs yet. Wait a little to
	// give a wrong implementation the chance to send.
	time.Sleep(20 * time.Millisecond)
	assert.Zero(t, server.receivedLen())
	assert.Zero(t, dones.count())
	client.Start(func([]byte) {}, func(error) {})
	eventually(t, func() bool { return server.receivedLen() == 5 && dones.count() == 1 }, "sent on Start")
	_, errs := dones.snapshot()
	assert.Equal(t, []error{nil}, errs)
}

func TestTCPNoGoroutineLeak(t *testing.T) {
	baseline := runtime.NumGoroutine()
	func() {
		fx := fixtures["tcp"](t, 0)
		servers := make(chan *endRecorder, 10)
		ln, err := fx.net.Listen("127.0.0.1:0", func(c Conn) {
			r := &endRecorder{onBytes: echo}
			r.start(c)
			servers <- r
		})
		require.NoError(t, err)
		defer ln.Close()
		var clients []*endRecorder
		for i := range 5 {
			r := &endRecorder{}
			r.start(dial(t, fx, ln.Addr()))
			r.conn.Write([][]byte{fmt.Appendf(nil, "%d", i)}, nil)
			clients = append(clients, r)
		}
		for _, r := range clients {
			eventually(t, func() bool { return r.receivedLen() == 1 }, "echo")
		}
		// Close half from the client side and half from the server side,
		// one with writes still queued.
		for i, r := range clients {
			if i%2 == 0 {
				r.conn.Write([][]byte{make([]byte, 1<<20)}, nil)
				require.NoError(t, r.conn.Close())
			}
		}
		for range clients {
			s := <-servers
			require.NoError(t, s.conn.Close())
		}
		for _, r := range clients {
			eventually(t, r.closesNow, "every client end closes")
		}
		// A dial that fails and one never started leave nothing either.
		fx.net.Dial("127.0.0.1:1", time.Second, func(Conn, error) {})
		idle := dial(t, fx, ln.Addr())
		require.NoError(t, idle.Close())
	}()
	// Polled here rather than with require.Eventually, which evaluates its
	// condition on goroutines of its own.
	deadline := time.Now().Add(waitBound)
	for runtime.NumGoroutine() > baseline && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), baseline, "goroutines return to the baseline")
}

func TestTransientAcceptErrors(t *testing.T) {
	tests := []struct {
		err       error
		transient bool
	}{
		{&net.OpError{Op: "accept", Err: syscall.EMFILE}, true},
		{&net.OpError{Op: "accept", Err: syscall.ENFILE}, true},
		{&net.OpError{Op: "accept", Err: syscall.ECONNABORTED}, true},
		{fmt.Errorf("wrapped: %w", syscall.ENOBUFS), true},
		{&net.OpError{Op: "accept", Err: syscall.EINVAL}, false},
		{net.ErrClosed, false},
		{errors.New("something else"), false},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			assert.Equal(t, tt.transient, transientAcceptError(tt.err))
		})
	}
}

// TestTCPHeldAnswersHandOffWhenTheSocketIsFull answers from inside onData
// while the peer reads nothing, so the socket's buffers fill: the reader's
// non-blocking send of the held answers comes back short and the writer
// finishes it, while later answers queue behind. Once the peer reads,
// everything arrives whole and in order and every done runs in order.
func TestTCPHeldAnswersHandOffWhenTheSocketIsFull(t *testing.T) {
	const answers = 200
	const answerBytes = 48 << 10 // under heldMaxBytes: each answer is held
	var dones doneLog
	answered := 0
	server := &endRecorder{onBytes: func(c Conn, b []byte) {
		for range b {
			a := pattern(answerBytes, byte(answered))
			c.Write([][]byte{a[:100], a[100:]}, dones.cb(answered))
			answered++
		}
	}}
	ln, err := (&TCPNetwork{}).Listen("127.0.0.1:0", server.start)
	require.NoError(t, err)
	defer ln.Close()
	raw, err := net.DialTimeout("tcp", ln.Addr(), waitBound)
	require.NoError(t, err)
	defer raw.Close()
	// 9.6 MiB of answers: far more than the loopback socket buffers hold
	// while nobody reads.
	for range answers {
		_, err := raw.Write([]byte{1})
		require.NoError(t, err)
	}
	eventually(t, func() bool { return server.receivedLen() == answers }, "every request delivered")

	got := make([]byte, answers*answerBytes)
	require.NoError(t, raw.SetReadDeadline(time.Now().Add(waitBound)))
	_, err = io.ReadFull(raw, got)
	require.NoError(t, err)
	for i := range answers {
		require.True(t, bytes.Equal(pattern(answerBytes, byte(i)), got[i*answerBytes:(i+1)*answerBytes]), "answer %d whole and in order", i)
	}
	eventually(t, func() bool { return dones.count() == answers }, "every done")
	order, errs := dones.snapshot()
	for i := range answers {
		require.Equal(t, i, order[i])
		require.NoError(t, errs[i])
	}
	assert.Zero(t, dones.violations)
	server.checkContract(t)
}
