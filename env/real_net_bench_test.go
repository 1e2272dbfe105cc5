package env

import (
	"io"
	"net"
	"testing"
	"time"
)

// benchMessageBytes is the size of each ping-pong message: about a small
// remoting frame (a JSON header and a 256-byte body).
const benchMessageBytes = 400

// BenchmarkTCPPingPong measures one-at-a-time exchanges over TCPNetwork
// connections, the server answering from inside onData and the client
// sending the next message from inside its onData, as the remoting
// transport does. The same exchanges over plain net.Conns with blocking
// reads and writes, measured in the same run, are the floor; x-baseline is
// the TCPNetwork rate over the plain rate. The messages go out as one
// buffer, or as a head and a body (two buffers, one writev), the shape of a
// remoting frame.
func BenchmarkTCPPingPong(b *testing.B) {
	for _, bc := range []struct {
		name  string
		split int // bytes of the first buffer; 0 for a single buffer
	}{
		{"one-buffer", 0},
		{"head-and-body", benchMessageBytes - 256},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.StopTimer()
			raw := rawTCPPingPong(b, b.N)
			ours := envTCPPingPong(b, b.N, bc.split)
			b.ReportMetric(ours, "ops/s")
			b.ReportMetric(raw, "baseline-ops/s")
			b.ReportMetric(ours/raw, "x-baseline")
		})
	}
}

// messageBufs returns msg as Write buffers: whole, or cut at split.
func messageBufs(msg []byte, split int) [][]byte {
	if split == 0 {
		return [][]byte{msg}
	}
	return [][]byte{msg[:split], msg[split:]}
}

// envTCPPingPong runs n exchanges through TCPNetwork and returns the rate.
// The timer runs during the exchanges only.
func envTCPPingPong(b *testing.B, n, split int) float64 {
	tn := &TCPNetwork{}
	msg := make([]byte, benchMessageBytes)
	ln, err := tn.Listen("127.0.0.1:0", func(c Conn) {
		got := 0
		c.Start(func(p []byte) {
			for got += len(p); got >= benchMessageBytes; got -= benchMessageBytes {
				c.Write(messageBufs(msg, split), nil)
			}
		}, func(error) {})
	})
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	dialed := make(chan Conn, 1)
	tn.Dial(ln.Addr(), waitBound, func(c Conn, err error) {
		if err != nil {
			b.Error(err)
		}
		dialed <- c
	})
	c := <-dialed
	if c == nil {
		b.FailNow()
	}
	defer c.Close()
	finished := make(chan struct{})
	got, sent := 0, 1
	c.Start(func(p []byte) {
		for got += len(p); got >= benchMessageBytes; got -= benchMessageBytes {
			if sent == n {
				close(finished)
				return
			}
			sent++
			c.Write(messageBufs(msg, split), nil)
		}
	}, func(error) {})
	b.StartTimer()
	start := time.Now()
	c.Write(messageBufs(msg, split), nil)
	<-finished
	elapsed := time.Since(start)
	b.StopTimer()
	return float64(n) / elapsed.Seconds()
}

// rawTCPPingPong runs n exchanges over plain net.Conns and returns the rate.
func rawTCPPingPong(b *testing.B, n int) float64 {
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
		buf := make([]byte, benchMessageBytes)
		for {
			if _, err := io.ReadFull(c, buf); err != nil {
				return
			}
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, benchMessageBytes)
	start := time.Now()
	for range n {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			b.Fatal(err)
		}
	}
	return float64(n) / time.Since(start).Seconds()
}
