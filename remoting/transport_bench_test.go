package remoting

import (
	"bufio"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apogeemq/apogee/env"
)

// benchBodyBytes is the body of every benchmark request and response: a
// small message, where the transport's own cost shows most.
const benchBodyBytes = 256

// benchPipelineDepth is the number of requests the pipelined variants keep
// outstanding, about what a busy producer or a consumer with many queues
// has in flight on one connection.
const benchPipelineDepth = 64

// BenchmarkRoundTrip measures request/response through our Client and
// Server over TCP loopback, and in the same run a raw TCP ping-pong of the
// same frame sizes (plain net.Conn, no decoding, no handlers), the floor
// the transport is compared with. It reports ops/s for both and
// x-baseline, our rate over the baseline's (the goal is at least 0.8).
func BenchmarkRoundTrip(b *testing.B) {
	for _, bc := range []struct {
		name  string
		depth int
	}{
		{"sequential", 1},
		{"pipelined", benchPipelineDepth},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := NewRequest(testCodeEcho, map[string]string{"topic": "BenchTopic", "queueId": "3"}, make([]byte, benchBodyBytes))
			req.Opaque = 1
			reqFrame, err := AppendFrame(nil, req)
			if err != nil {
				b.Fatal(err)
			}
			resp := NewResponse(req, ResSuccess, "")
			resp.ExtFields, resp.Body = req.ExtFields, req.Body
			respFrame, err := AppendFrame(nil, resp)
			if err != nil {
				b.Fatal(err)
			}

			b.StopTimer()
			baseline := rawPingPong(b, b.N, bc.depth, len(reqFrame), len(respFrame))
			b.StartTimer()
			ours := transportRoundTrips(b, b.N, bc.depth)
			b.ReportMetric(ours, "ops/s")
			b.ReportMetric(baseline, "baseline-ops/s")
			b.ReportMetric(ours/baseline, "x-baseline")
		})
	}
}

// transportRoundTrips runs n request/response round trips through our
// Client and Server, depth of them outstanding at a time, and returns the
// rate. The timer covers the round trips only.
func transportRoundTrips(b *testing.B, n, depth int) float64 {
	b.StopTimer()
	e := env.Real()
	logger, _ := newTestLogger()
	server := NewServer(e, ServerConfig{ListenAddr: "127.0.0.1:0", Logger: logger})
	server.Handle(testCodeEcho, echo)
	if err := server.Start(); err != nil {
		b.Fatal(err)
	}
	defer server.Close()
	client := NewClient(e, ClientConfig{Logger: logger})
	defer client.Close()
	addr := server.Addr()
	ext := map[string]string{"topic": "BenchTopic", "queueId": "3"}
	body := make([]byte, benchBodyBytes)
	if _, err := client.InvokeSync(addr, NewRequest(testCodeEcho, ext, body), 5*time.Second); err != nil {
		b.Fatal(err) // connects before the clock starts
	}

	// depth chains of requests, each callback sending its chain's next
	// request, as a callback-driven component does: no goroutine waits on
	// a response.
	var issued atomic.Int64
	var chains sync.WaitGroup
	var failMu sync.Mutex
	var fail error
	var next func(*Command, error)
	send := func() {
		client.Invoke(addr, NewRequest(testCodeEcho, ext, body), 5*time.Second, next)
	}
	next = func(_ *Command, err error) {
		if err != nil {
			failMu.Lock()
			fail = err
			failMu.Unlock()
		}
		if issued.Add(1) > int64(n) {
			chains.Done()
			return
		}
		send()
	}
	depth = min(depth, n)
	b.ReportAllocs()
	b.StartTimer()
	start := time.Now()
	issued.Store(int64(depth))
	chains.Add(depth)
	for range depth {
		send()
	}
	chains.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if fail != nil {
		b.Fatal(fail)
	}
	return float64(n) / elapsed.Seconds()
}

// rawPingPong runs n exchanges of a reqBytes message answered by a
// respBytes message over a plain TCP loopback connection, depth of them
// outstanding at a time, and returns the rate.
func rawPingPong(b *testing.B, n, depth, reqBytes, respBytes int) float64 {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReaderSize(c, 64<<10)
		w := bufio.NewWriterSize(c, 64<<10)
		in := make([]byte, reqBytes)
		out := make([]byte, respBytes)
		for {
			if _, err := io.ReadFull(r, in); err != nil {
				return
			}
			if _, err := w.Write(out); err != nil {
				return
			}
			// Flush once no more requests are buffered: one write per burst.
			if r.Buffered() < reqBytes {
				if err := w.Flush(); err != nil {
					return
				}
			}
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	req := make([]byte, reqBytes)
	resp := make([]byte, respBytes)

	start := time.Now()
	if depth == 1 {
		for range n {
			if _, err := c.Write(req); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(c, resp); err != nil {
				b.Fatal(err)
			}
		}
		return float64(n) / time.Since(start).Seconds()
	}
	// Pipelined: a writer keeps up to depth requests outstanding while this
	// goroutine reads the responses.
	slots := make(chan struct{}, depth)
	writeErr := make(chan error, 1)
	go func() {
		for range n {
			slots <- struct{}{}
			if _, err := c.Write(req); err != nil {
				writeErr <- err
				return
			}
		}
		writeErr <- nil
	}()
	r := bufio.NewReaderSize(c, 64<<10)
	for range n {
		if _, err := io.ReadFull(r, resp); err != nil {
			b.Fatal(err)
		}
		<-slots
	}
	elapsed := time.Since(start)
	if err := <-writeErr; err != nil {
		b.Fatal(err)
	}
	return float64(n) / elapsed.Seconds()
}
