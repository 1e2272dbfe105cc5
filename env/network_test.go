package env

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNetworkEchoRoundTrip(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, mk fixtureMaker) {
		p := connect(t, mk(t, 0), echo)
		assert.Equal(t, p.ln.Addr(), p.client.RemoteAddr())
		assert.Equal(t, p.client.LocalAddr(), p.server.RemoteAddr())
		assert.Equal(t, p.client.RemoteAddr(), p.server.LocalAddr())

		var dones doneLog
		p.client.Write([][]byte{[]byte("hel"), []byte("lo")}, dones.cb(0))
		p.client.Write([][]byte{[]byte(", world")}, dones.cb(1))
		p.fx.await(t, func() bool { return p.clientR.receivedLen() == 12 && dones.count() == 2 }, "echo")
		assert.Equal(t, "hello, world", string(p.clientR.received()))
		order, errs := dones.snapshot()
		assert.Equal(t, []int{0, 1}, order)
		assert.Equal(t, []error{nil, nil}, errs)
		p.clientR.checkContract(t)
		p.serverR.checkContract(t)
	})
}

func TestNetworkPipelinedSmallWritesArriveInOrder(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, mk fixtureMaker) {
		p := connect(t, mk(t, 0), nil)
		const writes = 10_000
		stream := make([]byte, 8*writes)
		var dones doneLog
		for i := range writes {
			rec := stream[8*i : 8*i+8]
			binary.BigEndian.PutUint64(rec, uint64(i))
			p.client.Write([][]byte{rec}, dones.cb(i))
		}
		p.fx.await(t, func() bool { return p.serverR.receivedLen() == len(stream) && dones.count() == writes }, "all writes")
		assert.Equal(t, stream, p.serverR.received())
		order, errs := dones.snapshot()
		for i := range writes {
			require.Equal(t, i, order[i], "done callbacks in Write order")
			require.NoError(t, errs[i])
		}
		assert.Zero(t, dones.violations, "done callbacks never overlap")
		p.serverR.checkContract(t)
	})
}

func TestNetworkLargeWrites(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, mk fixtureMaker) {
		p := connect(t, mk(t, 0), nil)
		const size = 8 << 20
		a, b := pattern(size, 1), pattern(size, 2)
		var dones doneLog
		p.client.Write([][]byte{a}, dones.cb(0))
		p.client.Write([][]byte{b[:1], b[1 : size/2], b[size/2:]}, dones.cb(1))
		p.fx.await(t, func() bool { return p.serverR.receivedLen() == 2*size && dones.count() == 2 }, "16 MiB")
		got := p.serverR.received()
		assert.True(t, bytes.Equal(a, got[:size]), "first 8 MiB intact")
		assert.True(t, bytes.Equal(b, got[size:]), "second 8 MiB intact")
		_, errs := dones.snapshot()
		assert.Equal(t, []error{nil, nil}, errs)
	})
}

func TestNetworkConcurrentWritersKeepEachWriteWhole(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, mk fixtureMaker) {
		p := connect(t, mk(t, 0), nil)
		const writers, perWriter = 8, 500
		// A record is three bufs: a 4-byte head (writer, seq), a 20-byte
		// body and a 4-byte tail, each filled with the same (writer, seq)
		// stamp so that interleaving inside a Write shows up.
		const recBytes = 28
		var wg sync.WaitGroup
		var dones atomic.Int32
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for seq := range perWriter {
					stamp := []byte{byte(w), byte(seq >> 8), byte(seq), 0xA5}
					body := bytes.Repeat(stamp, 5)
					p.client.Write([][]byte{bytes.Clone(stamp), body, bytes.Clone(stamp)}, func(err error) {
						if err == nil {
							dones.Add(1)
						}
					})
				}
			}()
		}
		wg.Wait()
		total := writers * perWriter * recBytes
		p.fx.await(t, func() bool {
			return p.serverR.receivedLen() == total && dones.Load() == writers*perWriter
		}, "every record and done")
		got := p.serverR.received()
		next := make([]int, writers)
		for off := 0; off < len(got); off += recBytes {
			rec := got[off : off+recBytes]
			stamp := rec[:4]
			require.Equal(t, bytes.Repeat(stamp, 7), rec, "record at %d is whole", off)
			w, seq := int(stamp[0]), int(stamp[1])<<8|int(stamp[2])
			require.Less(t, w, writers)
			require.Equal(t, next[w], seq, "writer %d's records in order", w)
			next[w]++
		}
		for w := range writers {
			assert.Equal(t, perWriter, next[w])
		}
	})
}

func TestNetworkCloseFromClient(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, mk fixtureMaker) {
		p := connect(t, mk(t, 0), echo)
		p.client.Write([][]byte{[]byte("ping")}, nil)
		p.fx.await(t, func() bool { return p.clientR.receivedLen() == 4 }, "echo before close")
		require.NoError(t, p.client.Close())
		require.NoError(t, p.client.Close(), "a second Close is harmless")
		p.fx.await(t, func() bool {
			c, _ := p.clientR.closed()
			s, _ := p.serverR.closed()
			return c == 1 && s == 1
		}, "both ends closed")
		n, err := p.clientR.closed()
		assert.Equal(t, 1, n)
		assert.NoError(t, err, "closing our own end is not an error")
		n, err = p.serverR.closed()
		assert.Equal(t, 1, n)
		assert.NoError(t, err, "the peer's clean close reads as EOF")

		var dones doneLog
		p.client.Write([][]byte{[]byte("late")}, dones.cb(0))
		p.server.Write([][]byte{[]byte("late")}, dones.cb(1))
		p.fx.await(t, func() bool { return dones.count() == 2 }, "late writes fail")
		_, errs := dones.snapshot()
		for _, err := range errs {
			assert.ErrorIs(t, err, ErrConnClosed)
		}
		n, _ = p.clientR.closed()
		assert.Equal(t, 1, n, "onClose exactly once")
		p.clientR.checkContract(t)
		p.serverR.checkContract(t)
	})
}

func TestNetworkCloseFromServerInsideOnData(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, mk fixtureMaker) {
		p := connect(t, mk(t, 0), func(c Conn, b []byte) {
			if bytes.Contains(b, []byte("bye")) {
				require.NoError(t, c.Close())
			}
		})
		p.client.Write([][]byte{[]byte("bye")}, nil)
		p.fx.await(t, func() bool {
			c, _ := p.clientR.closed()
			s, _ := p.serverR.closed()
			return c == 1 && s == 1
		}, "both ends closed")
		_, err := p.clientR.closed()
		assert.NoError(t, err)
		_, err = p.serverR.closed()
		assert.NoError(t, err)
		p.clientR.checkContract(t)
		p.serverR.checkContract(t)
	})
}

func TestNetworkCloseFailsQueuedWrites(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, mk fixtureMaker) {
		fx := mk(t, 0)
		ln, err := fx.net.Listen("127.0.0.1:0", func(c Conn) { c.Start(func([]byte) {}, func(error) {}) })
		require.NoError(t, err)
		defer ln.Close()
		client := dial(t, fx, ln.Addr())

		// Not started yet: writes are held, and Close drops them.
		var dones doneLog
		client.Write([][]byte{[]byte("held")}, dones.cb(0))
		client.Write([][]byte{[]byte("held too")}, dones.cb(1))
		require.NoError(t, client.Close())
		fx.await(t, func() bool { return dones.count() == 2 }, "queued writes fail")
		order, errs := dones.snapshot()
		assert.Equal(t, []int{0, 1}, order)
		for _, err := range errs {
			assert.ErrorIs(t, err, ErrConnClosed)
		}

		// Starting a closed connection still reports its end, once.
		r := &endRecorder{}
		r.start(client)
		fx.await(t, func() bool { n, _ := r.closed(); return n == 1 }, "onClose after Start")
		_, err = r.closed()
		assert.NoError(t, err)
		assert.Empty(t, r.received())
	})
}

func TestNetworkDialRefused(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, mk fixtureMaker) {
		fx := mk(t, 0)
		ln, err := fx.net.Listen("127.0.0.1:0", func(c Conn) { c.Close() })
		require.NoError(t, err)
		addr := ln.Addr()
		require.NoError(t, ln.Close())
		require.NoError(t, ln.Close(), "a second Close is harmless")

		var got error
		var called atomic.Int32
		fx.net.Dial(addr, 5*time.Second, func(c Conn, err error) {
			assert.Nil(t, c)
			got = err
			called.Add(1)
		})
		fx.await(t, func() bool { return called.Load() == 1 }, "dial reports")
		assert.ErrorIs(t, got, ErrConnRefused)
		assert.Contains(t, got.Error(), addr)
	})
}

func TestNetworkListenerCloseKeepsAcceptedConnections(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, mk fixtureMaker) {
		p := connect(t, mk(t, 0), echo)
		require.NoError(t, p.ln.Close())

		p.client.Write([][]byte{[]byte("still here")}, nil)
		p.fx.await(t, func() bool { return p.clientR.receivedLen() == 10 }, "echo after listener close")
		assert.Equal(t, "still here", string(p.clientR.received()))

		var got error
		var called atomic.Bool
		p.fx.net.Dial(p.ln.Addr(), 5*time.Second, func(c Conn, err error) {
			got = err
			called.Store(true)
		})
		p.fx.await(t, func() bool { return called.Load() }, "dial after close")
		assert.ErrorIs(t, got, ErrConnRefused)
		assert.EqualValues(t, 1, p.accepted.Load())
	})
}

func TestNetworkListenAddressInUse(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, mk fixtureMaker) {
		fx := mk(t, 0)
		ln, err := fx.net.Listen("127.0.0.1:0", func(c Conn) { c.Close() })
		require.NoError(t, err)
		defer ln.Close()
		_, err = fx.net.Listen(ln.Addr(), func(c Conn) { c.Close() })
		assert.ErrorIs(t, err, ErrAddrInUse)
		_, err = fx.net.Listen("127.0.0.1:notaport", func(c Conn) { c.Close() })
		assert.Error(t, err)
	})
}

func TestNetworkWriteQueueBound(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, mk fixtureMaker) {
		const bound = 1 << 20
		fx := mk(t, bound)
		// The server never starts its end, so nothing reads: the bytes pile
		// up in the kernel's buffers (or the peer's inbound) and then in the
		// write queue.
		var server atomic.Pointer[Conn]
		ln, err := fx.net.Listen("127.0.0.1:0", func(c Conn) { server.Store(&c) })
		require.NoError(t, err)
		defer ln.Close()
		client := dial(t, fx, ln.Addr())
		fx.await(t, func() bool { return server.Load() != nil }, "accept")
		defer func() { (*server.Load()).Close() }()
		r := &endRecorder{}
		r.start(client)

		chunk := pattern(256<<10, 3)
		const chunks = 1024 // 256 MiB in all: far past any kernel buffer
		var dones doneLog
		for i := range chunks {
			client.Write([][]byte{chunk}, dones.cb(i))
		}
		fx.await(t, func() bool { return dones.count() == chunks }, "every write completes or fails")
		var failed error
		order, errs := dones.snapshot()
		for i, err := range errs {
			require.Equal(t, i, order[i], "done callbacks in Write order")
			if failed == nil {
				failed = err
			} else {
				require.Error(t, err, "every write after the failing one fails too")
			}
		}
		require.Error(t, failed, "a peer that never reads must hit the bound")
		assert.ErrorIs(t, failed, ErrWriteQueueFull)
		assert.ErrorIs(t, failed, ErrConnClosed)
		fx.await(t, func() bool { return r.closesNow() }, "the connection closes")
		_, err = r.closed()
		assert.ErrorIs(t, err, ErrWriteQueueFull)
	})
}

func TestNetworkStartTwicePanics(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, mk fixtureMaker) {
		p := connect(t, mk(t, 0), nil)
		assert.Panics(t, func() { p.client.Start(func([]byte) {}, func(error) {}) })
	})
}

func TestNetworkManyConnections(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, mk fixtureMaker) {
		fx := mk(t, 0)
		ln, err := fx.net.Listen("127.0.0.1:0", func(c Conn) {
			r := &endRecorder{onBytes: echo}
			r.start(c)
		})
		require.NoError(t, err)
		defer ln.Close()
		const conns = 20
		recs := make([]*endRecorder, conns)
		var ready atomic.Int32
		for i := range conns {
			recs[i] = &endRecorder{}
			fx.net.Dial(ln.Addr(), 5*time.Second, func(c Conn, err error) {
				if !assert.NoError(t, err) {
					return
				}
				recs[i].start(c)
				c.Write([][]byte{fmt.Appendf(nil, "conn %02d", i)}, nil)
				ready.Add(1)
			})
		}
		fx.await(t, func() bool {
			if ready.Load() != conns {
				return false
			}
			for _, r := range recs {
				if r.receivedLen() != 7 {
					return false
				}
			}
			return true
		}, "every connection echoes")
		for i, r := range recs {
			assert.Equal(t, fmt.Sprintf("conn %02d", i), string(r.received()))
			r.mu.Lock()
			c := r.conn
			r.mu.Unlock()
			require.NoError(t, c.Close())
		}
		fx.await(t, func() bool {
			for _, r := range recs {
				if !r.closesNow() {
					return false
				}
			}
			return true
		}, "every connection closes")
	})
}

// TestNetworkRepliesFromInsideOnData is the request/response pattern of the
// remoting transport: each end answers from inside its onData, so the
// writes are made while a delivery is in progress (TCP holds them and
// sends them when onData returns). One answer is far larger than any
// socket buffer, so that sending it cannot finish at once.
func TestNetworkRepliesFromInsideOnData(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, mk fixtureMaker) {
		const rounds = 200
		const bigRound = rounds / 2
		big := pattern(4<<20, 9)
		var serverDones doneLog
		var nest nesting
		var got, answered int
		p := connect(t, mk(t, 0), func(c Conn, b []byte) {
			defer nest.enter("onData")()
			// Each 8-byte message is answered by its own 8 bytes, or by
			// big for the bigRound-th, in two writes.
			for got += len(b); got >= 8*(answered+1); answered++ {
				msg := binary.BigEndian.AppendUint64(nil, uint64(answered))
				c.Write([][]byte{msg[:3], msg[3:]}, nest.wrap(serverDones.cb(2*answered)))
				var extra []byte
				if answered == bigRound {
					extra = big
				}
				c.Write([][]byte{extra}, nest.wrap(serverDones.cb(2*answered+1)))
			}
		})
		var clientDones doneLog
		var sent, seen atomic.Int64
		want := func(i int64) int {
			if i == bigRound {
				return 8 + len(big)
			}
			return 8
		}
		expected := 0
		for i := range int64(rounds) {
			expected += want(i)
		}
		// The client sends the next message from inside its onData once
		// the answer to the previous one is complete.
		p.clientR.mu.Lock()
		p.clientR.onBytes = func(c Conn, b []byte) {
			defer nest.enter("onData")()
			for seen.Add(int64(len(b))); ; {
				n := sent.Load()
				if n >= rounds || seen.Load() < int64(prefixBytes(n, want)) {
					return
				}
				sent.Add(1)
				c.Write([][]byte{binary.BigEndian.AppendUint64(nil, uint64(n))}, nest.wrap(clientDones.cb(int(n))))
			}
		}
		p.clientR.mu.Unlock()
		sent.Add(1)
		p.client.Write([][]byte{binary.BigEndian.AppendUint64(nil, 0)}, clientDones.cb(0))

		p.fx.await(t, func() bool {
			return p.clientR.receivedLen() == expected && serverDones.count() == 2*rounds && clientDones.count() == rounds
		}, "every answer and done")
		var wantStream []byte
		for i := range uint64(rounds) {
			wantStream = binary.BigEndian.AppendUint64(wantStream, i)
			if i == bigRound {
				wantStream = append(wantStream, big...)
			}
		}
		require.True(t, bytes.Equal(wantStream, p.clientR.received()), "answers arrive whole and in order")
		for _, d := range []*doneLog{&serverDones, &clientDones} {
			order, errs := d.snapshot()
			for i := range order {
				require.Equal(t, i, order[i], "done callbacks in Write order")
				require.NoError(t, errs[i])
			}
			assert.Zero(t, d.violations, "done callbacks never overlap")
		}
		nest.checkNone(t)
		p.clientR.checkContract(t)
		p.serverR.checkContract(t)
	})
}

// prefixBytes is the sum of want(i) for i < n.
func prefixBytes(n int64, want func(int64) int) int {
	total := 0
	for i := range n {
		total += want(i)
	}
	return total
}

// TestNetworkDoneCallbacksMayWriteAndClose chains writes through done
// callbacks, the way a component sends the next part of a stream when the
// previous one left, and closes the connection from the last done. Done
// callbacks may run on the goroutine that delivers onData (TCP runs them
// there after a send made from inside onData), so a write or a close from
// one must neither deadlock nor reorder anything.
func TestNetworkDoneCallbacksMayWriteAndClose(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, mk fixtureMaker) {
		const links = 1000
		var dones doneLog
		var nest nesting
		var server atomic.Pointer[Conn]
		var writeNext func(c Conn, i int) func(error)
		writeNext = func(c Conn, i int) func(error) {
			record := dones.cb(i)
			return nest.wrap(func(err error) {
				record(err)
				switch {
				case err != nil:
				case i+1 < links:
					leave := nest.enter("Write")
					c.Write([][]byte{binary.BigEndian.AppendUint32(nil, uint32(i+1))}, writeNext(c, i+1))
					leave()
				default:
					assert.NoError(t, c.Close())
				}
			})
		}
		// The server starts the chain from inside onData, on the first
		// byte the client sends.
		p := connect(t, mk(t, 0), func(c Conn, b []byte) {
			defer nest.enter("onData")()
			if server.CompareAndSwap(nil, &c) {
				c.Write([][]byte{binary.BigEndian.AppendUint32(nil, 0)}, writeNext(c, 0))
			}
		})
		p.client.Write([][]byte{[]byte("go")}, nil)
		p.fx.await(t, func() bool { return dones.count() == links && p.clientR.closesNow() }, "the chain ends with a close")
		var want []byte
		for i := range uint32(links) {
			want = binary.BigEndian.AppendUint32(want, i)
		}
		assert.Equal(t, want, p.clientR.received())
		order, errs := dones.snapshot()
		for i := range links {
			require.Equal(t, i, order[i])
			require.NoError(t, errs[i])
		}
		assert.Zero(t, dones.violations)
		nest.checkNone(t)
		_, err := p.clientR.closed()
		assert.NoError(t, err, "the server closed cleanly")
		p.clientR.checkContract(t)
		p.serverR.checkContract(t)
	})
}

// TestNetworkAnswersWhileOthersWrite mixes the two sources of writes on one
// end: answers made from inside onData and pushes made by other goroutines
// at the same time. Each source's writes arrive whole and in order.
func TestNetworkAnswersWhileOthersWrite(t *testing.T) {
	forEachNetwork(t, func(t *testing.T, mk fixtureMaker) {
		const requests, pushers, pushes = 2000, 3, 300
		// Records are 8 bytes: the source (0 for answers, 1.. for
		// pushers), 3 zero bytes, and a sequence number.
		record := func(source, seq int) []byte {
			r := []byte{byte(source), 0, 0, 0}
			return binary.BigEndian.AppendUint32(r, uint32(seq))
		}
		var got, answered int
		var serverConn atomic.Pointer[Conn]
		var answeredDones atomic.Int32
		p := connect(t, mk(t, 0), func(c Conn, b []byte) {
			serverConn.CompareAndSwap(nil, &c)
			for got += len(b); got >= 4*(answered+1); answered++ {
				c.Write([][]byte{record(0, answered)}, func(err error) {
					if err == nil {
						answeredDones.Add(1)
					}
				})
			}
		})
		p.client.Write([][]byte{make([]byte, 4)}, nil)
		p.fx.await(t, func() bool { return serverConn.Load() != nil }, "first request")
		server := *serverConn.Load()

		var wg sync.WaitGroup
		for s := 1; s <= pushers; s++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range pushes {
					server.Write([][]byte{record(s, i)[:5], record(s, i)[5:]}, nil)
				}
			}()
		}
		for range requests - 1 {
			p.client.Write([][]byte{make([]byte, 4)}, nil)
		}
		wg.Wait()
		total := 8 * (requests + pushers*pushes)
		p.fx.await(t, func() bool { return p.clientR.receivedLen() == total && answeredDones.Load() == requests }, "every record")
		next := make([]int, pushers+1)
		stream := p.clientR.received()
		for off := 0; off < len(stream); off += 8 {
			source, seq := int(stream[off]), int(binary.BigEndian.Uint32(stream[off+4:]))
			require.LessOrEqual(t, source, pushers)
			require.Equal(t, []byte{0, 0, 0}, stream[off+1:off+4], "record at %d is whole", off)
			require.Equal(t, next[source], seq, "source %d in order", source)
			next[source]++
		}
		p.clientR.checkContract(t)
		p.serverR.checkContract(t)
	})
}

// nesting tracks which goroutines are inside an onData or a Write, so that
// a done callback can check it runs inside neither, as the contract says.
type nesting struct {
	mu         sync.Mutex
	inside     map[int64]string
	violations []string
}

// enter marks the calling goroutine as inside what until leave is called.
func (n *nesting) enter(what string) (leave func()) {
	id := goroutineID()
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.inside == nil {
		n.inside = map[int64]string{}
	}
	n.inside[id] = what
	return func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		delete(n.inside, id)
	}
}

// check records a violation if the calling goroutine is inside anything.
func (n *nesting) check(what string) {
	id := goroutineID()
	n.mu.Lock()
	defer n.mu.Unlock()
	if in, ok := n.inside[id]; ok {
		n.violations = append(n.violations, what+" inside "+in)
	}
}

// checkNone asserts that no done callback ran nested.
func (n *nesting) checkNone(t *testing.T) {
	t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	assert.Empty(t, n.violations)
}

// wrap returns done, checked not to run nested.
func (n *nesting) wrap(done func(error)) func(error) {
	return func(err error) {
		n.check("done")
		done(err)
	}
}

// goroutineID returns the calling goroutine's id, read from its stack
// header ("goroutine 42 [running]:").
func goroutineID() int64 {
	var buf [64]byte
	stack := buf[:runtime.Stack(buf[:], false)]
	fields := bytes.Fields(bytes.TrimPrefix(stack, []byte("goroutine ")))
	id, err := strconv.ParseInt(string(fields[0]), 10, 64)
	if err != nil {
		panic("env: cannot read a goroutine id from " + string(stack))
	}
	return id
}
