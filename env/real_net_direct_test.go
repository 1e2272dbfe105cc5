package env

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tcpPair is a started TCPNetwork client end and the raw server socket it
// is connected to, which the test reads (or does not read) itself.
type tcpPair struct {
	client *tcpConn
	events *endRecorder
	peer   net.Conn
}

// newTCPPair dials a plain listener with TCPNetwork and starts the client
// end; the test owns the accepted socket.
func newTCPPair(t *testing.T) *tcpPair {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
		close(accepted)
	}()
	c := dial(t, fixtures["tcp"](t, 0), ln.Addr().String())
	peer, ok := <-accepted
	require.True(t, ok, "the listener accepted the dial")
	t.Cleanup(func() { _ = peer.Close() })
	tc, ok := c.(*tcpConn)
	require.True(t, ok)
	p := &tcpPair{client: tc, events: &endRecorder{}, peer: peer}
	p.events.start(tc)
	t.Cleanup(func() { _ = tc.Close() })
	return p
}

// readAll reads n bytes from the peer socket.
func (p *tcpPair) readAll(t *testing.T, n int) []byte {
	t.Helper()
	got := make([]byte, n)
	require.NoError(t, p.peer.SetReadDeadline(time.Now().Add(waitBound)))
	_, err := io.ReadFull(p.peer, got)
	require.NoError(t, err)
	return got
}

// TestTCPDirectWriteFinishesInsideWrite: a request made outside onData on
// an idle connection, as the first write since the last delivery (the
// answer to the previous request), is handed to the kernel by the caller,
// and its done runs with nil before Write returns, as the Conn contract
// allows.
func TestTCPDirectWriteFinishesInsideWrite(t *testing.T) {
	p := newTCPPair(t)
	for i := range 3 {
		var inside atomic.Bool
		var doneErr error
		called := false
		inside.Store(true)
		p.client.Write([][]byte{[]byte("req-"), {byte('0' + i)}}, func(err error) {
			called, doneErr = true, err
			assert.True(t, inside.Load(), "done runs inside Write")
		})
		inside.Store(false)
		require.True(t, called, "write %d finished inside Write", i)
		require.NoError(t, doneErr)
		assert.Equal(t, []byte{'r', 'e', 'q', '-', byte('0' + i)}, p.readAll(t, 5))
		p.answer(t, i+1)
	}
	p.events.checkContract(t)
}

// answer has the peer send one byte and waits until the client end has
// delivered it and left onData: the next write is the first since a
// delivery, as a request following its answer is.
func (p *tcpPair) answer(t *testing.T, delivered int) {
	t.Helper()
	_, err := p.peer.Write([]byte{'a'})
	require.NoError(t, err)
	eventually(t, func() bool {
		return p.events.receivedLen() == delivered && !p.client.delivering.Load()
	}, "the answer is delivered")
}

// TestTCPBurstAfterDirectWriteGoesToTheWriter: of writes made one after
// the other with no delivery in between (a goroutine streaming requests),
// only the first is sent by its caller; the others queue for the writer,
// which coalesces them, so the producer does not pay a system call per
// write. Everything arrives in order, and the done callbacks run in order.
func TestTCPBurstAfterDirectWriteGoesToTheWriter(t *testing.T) {
	p := newTCPPair(t)
	const writes = 50
	var dones doneLog
	var nested atomic.Int32
	var want []byte
	for i := range writes {
		record := dones.cb(i)
		msg := []byte{'w', byte(i)}
		want = append(want, msg...)
		var inside atomic.Bool // this write's own Write call runs
		inside.Store(true)
		p.client.Write([][]byte{msg}, func(err error) {
			if inside.Load() {
				nested.Add(1)
			}
			record(err)
		})
		inside.Store(false)
	}
	assert.Equal(t, want, p.readAll(t, len(want)))
	eventually(t, func() bool { return dones.count() == writes }, "every done")
	assert.Equal(t, int32(1), nested.Load(), "only the first write of the burst finished inside its Write")
	order, errs := dones.snapshot()
	for i := range writes {
		require.Equal(t, i, order[i])
		require.NoError(t, errs[i])
	}
	assert.Zero(t, dones.violations)
	p.events.checkContract(t)
}

// TestTCPDirectWritesRaceQueuedWritesInOrder has many goroutines write
// records on one connection at once: some writes go out directly from
// their caller, the others queue behind a batch in flight and leave with
// the writer, coalesced. Every record must arrive whole, each goroutine's
// records in its own order, and the stream must list the records in the
// order their done callbacks ran, since both follow Write order.
func TestTCPDirectWritesRaceQueuedWritesInOrder(t *testing.T) {
	const writers = 8
	const perWriter = 400
	const recordBytes = 64
	p := newTCPPair(t)

	var dones doneLog
	var doneMu sync.Mutex
	var doneOrder []uint32 // record ids in done order
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				id := uint32(w<<16 | i)
				rec := make([]byte, recordBytes)
				binary.BigEndian.PutUint32(rec, id)
				copy(rec[4:], pattern(recordBytes-4, byte(id)))
				// Split into a head and a body, the shape of a frame.
				record := dones.cb(int(id))
				p.client.Write([][]byte{rec[:10], rec[10:]}, func(err error) {
					doneMu.Lock()
					doneOrder = append(doneOrder, id)
					doneMu.Unlock()
					record(err)
				})
			}
		})
	}
	got := p.readAll(t, writers*perWriter*recordBytes)
	wg.Wait()
	eventually(t, func() bool { return dones.count() == writers*perWriter }, "every done")

	next := make([]int, writers)
	var streamOrder []uint32
	for off := 0; off < len(got); off += recordBytes {
		rec := got[off : off+recordBytes]
		id := binary.BigEndian.Uint32(rec)
		w, i := int(id>>16), int(id&0xffff)
		require.Less(t, w, writers, "record at %d names a writer", off)
		require.Equal(t, next[w], i, "writer %d's records in order", w)
		require.True(t, bytes.Equal(pattern(recordBytes-4, byte(id)), rec[4:]), "record %x arrived whole", id)
		next[w]++
		streamOrder = append(streamOrder, id)
	}
	doneMu.Lock()
	assert.Equal(t, streamOrder, doneOrder, "done callbacks ran in the order the bytes went out")
	doneMu.Unlock()
	_, errs := dones.snapshot()
	for _, err := range errs {
		require.NoError(t, err)
	}
	assert.Zero(t, dones.violations, "done callbacks never overlap")
	p.events.checkContract(t)
}

// TestTCPPartialDirectWriteContinues writes far more than the socket
// buffers hold while the peer reads nothing: the direct send comes back
// short, Write still returns at once, and the writer finishes the rest
// while later writes queue behind it. Once the peer reads, everything
// arrives whole and in order, and the done callbacks run in order, none of
// them inside Write.
func TestTCPPartialDirectWriteContinues(t *testing.T) {
	const bigBytes = 32 << 20 // more than loopback's socket buffers together
	p := newTCPPair(t)
	big := pattern(bigBytes, 3)
	var dones doneLog
	var nested atomic.Int32
	// write makes one Write and counts its done if it runs inside it.
	write := func(i int, bufs [][]byte) {
		record := dones.cb(i)
		var inside atomic.Bool
		inside.Store(true)
		p.client.Write(bufs, func(err error) {
			if inside.Load() {
				nested.Add(1)
			}
			record(err)
		})
		inside.Store(false)
	}
	start := time.Now()
	write(0, [][]byte{big[:100], big[100:]})
	assert.Less(t, time.Since(start), waitBound/2, "Write does not wait for the peer")
	assert.Zero(t, dones.count(), "the big write cannot have finished: nobody reads")
	tail := [][]byte{[]byte("after-1"), []byte("after-2")}
	for i, b := range tail {
		write(i+1, [][]byte{b})
	}

	got := p.readAll(t, bigBytes+len("after-1")+len("after-2"))
	require.True(t, bytes.Equal(big, got[:bigBytes]), "the big write arrived whole")
	assert.Equal(t, "after-1after-2", string(got[bigBytes:]))
	eventually(t, func() bool { return dones.count() == 3 }, "every done")
	order, errs := dones.snapshot()
	assert.Equal(t, []int{0, 1, 2}, order)
	assert.Equal(t, []error{nil, nil, nil}, errs)
	assert.Zero(t, nested.Load(), "no done ran inside a Write that could not finish at once")
	assert.Zero(t, dones.violations)
	p.events.checkContract(t)
}

// failingRawConn is a RawConn whose writes fail as a broken socket's do.
type failingRawConn struct{ syscall.RawConn }

func (failingRawConn) Write(func(fd uintptr) bool) error { return syscall.EPIPE }

// TestTCPDirectWriteErrorIsNeverReportedInsideWrite breaks the socket under
// a direct write: the connection closes, and the error reaches done later,
// from the writer, never from inside Write.
func TestTCPDirectWriteErrorIsNeverReportedInsideWrite(t *testing.T) {
	p := newTCPPair(t)
	p.client.raw = failingRawConn{p.client.raw}
	got := make(chan error, 1)
	var inWrite atomic.Bool
	inWrite.Store(true)
	p.client.Write([][]byte{[]byte("lost")}, func(err error) {
		assert.False(t, inWrite.Load(), "the error is not reported inside Write")
		got <- err
	})
	inWrite.Store(false)
	select {
	case err := <-got:
		assert.ErrorIs(t, err, ErrConnClosed)
		assert.ErrorIs(t, err, ErrConnReset, "the close names the broken socket")
	case <-time.After(waitBound):
		t.Fatal("done was never called")
	}
	eventually(t, p.events.closesNow, "onClose reports the broken socket")
	_, closeErr := p.events.closed()
	assert.ErrorIs(t, closeErr, syscall.EPIPE)
	p.events.checkContract(t)
}

// TestTCPWriteDuringDeliveryIsHeldNotDirect: a write made from inside
// onData is held for the end of the delivery, not sent from inside the
// call, so done never runs inside onData.
func TestTCPWriteDuringDeliveryIsHeldNotDirect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	c := dial(t, fixtures["tcp"](t, 0), ln.Addr().String())
	defer c.Close()
	peer := <-accepted
	defer peer.Close()

	var inData atomic.Bool
	doneInData := make(chan bool, 1)
	c.Start(func(b []byte) {
		inData.Store(true)
		c.Write([][]byte{bytes.Clone(b)}, func(error) { doneInData <- inData.Load() })
		inData.Store(false)
	}, func(error) {})
	_, err = peer.Write([]byte("ping"))
	require.NoError(t, err)
	select {
	case in := <-doneInData:
		assert.False(t, in, "done ran after onData returned")
	case <-time.After(waitBound):
		t.Fatal("done was never called")
	}
	got := make([]byte, 4)
	require.NoError(t, peer.SetReadDeadline(time.Now().Add(waitBound)))
	_, err = io.ReadFull(peer, got)
	require.NoError(t, err)
	assert.Equal(t, "ping", string(got))
}
