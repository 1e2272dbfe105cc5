package env

import (
	"bytes"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The scenarios in network_test.go run against every Network implementation:
// TCP on 127.0.0.1, and the MemNetwork driven by a ManualClock or by the
// wall clock (whose callbacks run on their own goroutines, for the race
// detector).

// waitBound is the longest any scenario waits for the real network.
const waitBound = 20 * time.Second

// netFixture is one Network under test plus the way to let it make
// progress.
type netFixture struct {
	net Network
	// await lets the network run until cond holds, failing the test when
	// it cannot (no progress left, or waitBound passed).
	await func(t *testing.T, cond func() bool, what string)
}

// fixtureMaker builds a fixture whose connections bound their unsent bytes
// at queueBound (0 for the default).
type fixtureMaker func(t *testing.T, queueBound int) netFixture

// eventually waits on the wall clock, polling.
func eventually(t *testing.T, cond func() bool, what string) {
	t.Helper()
	require.Eventually(t, cond, waitBound, time.Millisecond, what)
}

// fixtures are the implementations every scenario runs against.
var fixtures = map[string]fixtureMaker{
	"tcp": func(t *testing.T, queueBound int) netFixture {
		return netFixture{net: &TCPNetwork{MaxQueuedWriteBytes: queueBound}, await: eventually}
	},
	"mem-manual": func(t *testing.T, queueBound int) netFixture {
		clock := NewManualClock(time.Unix(0, 0))
		n := NewMemNetwork(clock)
		if queueBound > 0 {
			n.queueBound = queueBound
		}
		return netFixture{net: n, await: func(t *testing.T, cond func() bool, what string) {
			t.Helper()
			for !cond() && clock.Pending() > 0 {
				clock.RunDue()
			}
			require.True(t, cond(), "%s (no callback left to run)", what)
		}}
	},
	"mem-wallclock": func(t *testing.T, queueBound int) netFixture {
		n := NewMemNetwork(Real().Clock)
		if queueBound > 0 {
			n.queueBound = queueBound
		}
		return netFixture{net: n, await: eventually}
	},
}

// forEachNetwork runs scenario once per implementation.
func forEachNetwork(t *testing.T, scenario func(t *testing.T, mk fixtureMaker)) {
	for _, name := range []string{"tcp", "mem-manual", "mem-wallclock"} {
		t.Run(name, func(t *testing.T) { scenario(t, fixtures[name]) })
	}
}

// endRecorder records what one connection end's handlers saw and checks
// the handler contract as it goes: onData calls never overlap and never
// follow onClose.
type endRecorder struct {
	mu         sync.Mutex
	data       []byte
	dataCalls  int
	closes     int
	closeErr   error
	violations []string
	inData     atomic.Bool
	onBytes    func(c Conn, b []byte) // optional reaction, called inside onData
	conn       Conn
}

func (r *endRecorder) start(c Conn) {
	r.mu.Lock()
	r.conn = c
	r.mu.Unlock()
	c.Start(r.onData, r.onClose)
}

func (r *endRecorder) onData(b []byte) {
	if !r.inData.CompareAndSwap(false, true) {
		r.violate("overlapping onData calls")
	}
	r.mu.Lock()
	if r.closes > 0 {
		r.violations = append(r.violations, "onData after onClose")
	}
	r.data = append(r.data, b...)
	r.dataCalls++
	react, c := r.onBytes, r.conn
	r.mu.Unlock()
	if react != nil {
		react(c, b)
	}
	r.inData.Store(false)
}

func (r *endRecorder) onClose(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.inData.Load() {
		r.violations = append(r.violations, "onClose during onData")
	}
	r.closes++
	r.closeErr = err
}

func (r *endRecorder) violate(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.violations = append(r.violations, msg)
}

func (r *endRecorder) received() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.data)
}

func (r *endRecorder) receivedLen() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.data)
}

func (r *endRecorder) closed() (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closes, r.closeErr
}

func (r *endRecorder) checkContract(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	assert.Empty(t, r.violations)
}

// doneLog records done callbacks by index and checks that they come in
// order and never overlap.
type doneLog struct {
	mu         sync.Mutex
	order      []int
	errs       []error
	busy       atomic.Bool
	violations int
}

func (d *doneLog) cb(i int) func(error) {
	return func(err error) {
		if !d.busy.CompareAndSwap(false, true) {
			d.mu.Lock()
			d.violations++
			d.mu.Unlock()
		}
		d.mu.Lock()
		d.order = append(d.order, i)
		d.errs = append(d.errs, err)
		d.mu.Unlock()
		d.busy.Store(false)
	}
}

func (d *doneLog) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.order)
}

func (d *doneLog) snapshot() ([]int, []error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]int(nil), d.order...), append([]error(nil), d.errs...)
}

// pair is a listener with one dialed connection, both ends started.
type pair struct {
	fx       netFixture
	ln       Listener
	client   Conn
	server   Conn
	clientR  *endRecorder
	serverR  *endRecorder
	accepted atomic.Int32
}

// connect listens on 127.0.0.1:0, dials it and starts both ends with
// recorders; serverReact, if not nil, runs on every chunk the server
// receives.
func connect(t *testing.T, fx netFixture, serverReact func(c Conn, b []byte)) *pair {
	t.Helper()
	p := &pair{fx: fx, clientR: &endRecorder{}, serverR: &endRecorder{onBytes: serverReact}}
	var mu sync.Mutex
	ln, err := fx.net.Listen("127.0.0.1:0", func(c Conn) {
		p.accepted.Add(1)
		mu.Lock()
		p.server = c
		mu.Unlock()
		p.serverR.start(c)
	})
	require.NoError(t, err)
	p.ln = ln
	t.Cleanup(func() { _ = ln.Close() })
	var dialErr error
	var dialed atomic.Bool
	fx.net.Dial(ln.Addr(), 5*time.Second, func(c Conn, err error) {
		mu.Lock()
		p.client, dialErr = c, err
		mu.Unlock()
		dialed.Store(true)
	})
	fx.await(t, func() bool { return dialed.Load() && p.accepted.Load() == 1 }, "dial and accept")
	mu.Lock()
	defer mu.Unlock()
	require.NoError(t, dialErr)
	p.clientR.start(p.client)
	t.Cleanup(func() { _ = p.client.Close(); _ = p.server.Close() })
	return p
}

// dial connects to addr and returns the idle client end.
func dial(t *testing.T, fx netFixture, addr string) Conn {
	t.Helper()
	var got atomic.Pointer[Conn]
	var dialErr atomic.Pointer[error]
	fx.net.Dial(addr, 5*time.Second, func(c Conn, err error) {
		if err != nil {
			dialErr.Store(&err)
			return
		}
		got.Store(&c)
	})
	fx.await(t, func() bool { return got.Load() != nil || dialErr.Load() != nil }, "dial")
	if e := dialErr.Load(); e != nil {
		require.NoError(t, *e)
	}
	return *got.Load()
}

// echo writes every chunk back (copied: the chunk is valid only during
// onData).
func echo(c Conn, b []byte) { c.Write([][]byte{bytes.Clone(b)}, nil) }

// pattern returns n deterministic bytes that differ from shifted copies of
// themselves, so a dropped or repeated chunk cannot go unnoticed.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	x := uint32(seed) + 1
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = byte(x >> 24)
	}
	return b
}

// closesNow reports whether onClose ran.
func (r *endRecorder) closesNow() bool {
	n, _ := r.closed()
	return n > 0
}
