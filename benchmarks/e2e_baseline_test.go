package benchmarks

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// baselineRequestBytes is the ping: a 1 KiB message.
	baselineRequestBytes = bodySizeBytes
	// baselineReplyBytes is the pong, about a SEND_MESSAGE response frame
	// (a JSON header with the message ids, queue and offset, no body).
	baselineReplyBytes = 256

	// baselineProcessMeasureTime is how long the once-per-process baseline
	// (the ratio of the benchmarks other than one sync sender) runs: long
	// enough for thousands of round trips, short beside a benchmark.
	baselineProcessMeasureTime = 500 * time.Millisecond
	// echoDialTimeout bounds the connection to the echo server, a process
	// on the same machine that is already listening.
	echoDialTimeout = 5 * time.Second
)

// echoListeningLine is what the echo server prints once it listens.
var echoListeningLine = regexp.MustCompile(`^echo: listening on (\S+)$`)

// echoServer is the baseline's echo process.
type echoServer struct {
	proc *childProcess
	addr string
}

// runEchoServer is the echo process: it listens on a loopback port the
// kernel picks, prints it, answers every baselineRequestBytes read on a
// connection with baselineReplyBytes, and returns 0 on SIGTERM or SIGINT,
// 1 if it cannot listen.
func runEchoServer(stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(stderr, "echo:", err)
		return 1
	}
	fmt.Fprintf(stdout, "echo: listening on %s\n", ln.Addr())

	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed below
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				serveEcho(c)
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
				c.Close()
			}()
		}
	}()
	<-ctx.Done()
	ln.Close()
	mu.Lock()
	for c := range conns {
		c.Close()
	}
	mu.Unlock()
	wg.Wait()
	return 0
}

// serveEcho answers each request on c until c ends.
func serveEcho(c net.Conn) {
	req := make([]byte, baselineRequestBytes)
	reply := make([]byte, baselineReplyBytes)
	for {
		if _, err := io.ReadFull(c, req); err != nil {
			return
		}
		if _, err := c.Write(reply); err != nil {
			return
		}
	}
}

// acquireEcho returns the address of the shared echo process, starting it
// on first use: this test binary again, with echoModeEnv set.
func acquireEcho(b *testing.B) string {
	b.Helper()
	e2e.mu.Lock()
	defer e2e.mu.Unlock()
	if e2e.echo != nil {
		return e2e.echo.addr
	}
	exe, err := os.Executable()
	if err != nil {
		b.Fatalf("finding the test binary to start the echo server: %v", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), echoModeEnv+"=1")
	proc, m, err := startChild("echo server", cmd, filepath.Join(e2eDir(b), "echo-stderr.log"), echoListeningLine)
	if err != nil {
		b.Fatal(err)
	}
	e2e.echo = &echoServer{proc: proc, addr: m[0][1]}
	return e2e.echo.addr
}

// pingPong is one client connection to the echo server.
type pingPong struct {
	conn  net.Conn
	req   []byte
	reply []byte
}

// dialEcho connects to the echo server, closed when b ends, and makes one
// exchange outside the timer.
func dialEcho(b *testing.B) *pingPong {
	b.Helper()
	p, err := dialEchoAddr(acquireEcho(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.close)
	return p
}

// dialEchoAddr connects to the echo server at addr and makes one exchange.
func dialEchoAddr(addr string) (*pingPong, error) {
	conn, err := net.DialTimeout("tcp", addr, echoDialTimeout)
	if err != nil {
		return nil, fmt.Errorf("connecting to the echo server: %w", err)
	}
	p := &pingPong{conn: conn, req: makeBody(baselineRequestBytes), reply: make([]byte, baselineReplyBytes)}
	if err := p.exchange(); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

// close closes the connection.
func (p *pingPong) close() { p.conn.Close() }

// exchange sends one request and reads its reply.
func (p *pingPong) exchange() error {
	if _, err := p.conn.Write(p.req); err != nil {
		return fmt.Errorf("baseline request: %w", err)
	}
	if _, err := io.ReadFull(p.conn, p.reply); err != nil {
		return fmt.Errorf("baseline reply: %w", err)
	}
	return nil
}

// run makes n exchanges one after the other, recording each into h, and
// returns their rate in round trips per second.
func (p *pingPong) run(n int, h *latencyHistogram) (float64, error) {
	start := time.Now()
	for range n {
		t0 := time.Now()
		if err := p.exchange(); err != nil {
			return 0, err
		}
		h.Record(time.Since(t0))
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// processBaseline is the round-trip rate measured once per process, for
// the benchmarks that do not measure their own.
var processBaseline struct {
	once sync.Once
	rate float64
	err  error
}

// processBaselineRate returns the baseline's round trips per second,
// measured for baselineProcessMeasureTime on first use.
func processBaselineRate(b *testing.B) float64 {
	b.Helper()
	addr := acquireEcho(b)
	processBaseline.once.Do(func() {
		processBaseline.rate, processBaseline.err = measureBaselineFor(addr, baselineProcessMeasureTime)
	})
	if processBaseline.err != nil {
		b.Fatal(processBaseline.err)
	}
	return processBaseline.rate
}

// measureBaselineFor makes exchanges with the echo server at addr for at
// least d and returns their rate in round trips per second.
func measureBaselineFor(addr string, d time.Duration) (float64, error) {
	p, err := dialEchoAddr(addr)
	if err != nil {
		return 0, err
	}
	defer p.close()
	const chunk = 1000 // exchanges between two looks at the clock
	var h latencyHistogram
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		if _, err := p.run(chunk, &h); err != nil {
			return 0, err
		}
		n += chunk
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// BenchmarkE2EBaselineRoundTrip is the floor of the end-to-end figures:
// sequential 1 KiB ping / 256-byte pong exchanges on one loopback TCP
// connection with an echo server in another process.
func BenchmarkE2EBaselineRoundTrip(b *testing.B) {
	p := dialEcho(b)
	var h latencyHistogram
	b.SetBytes(baselineRequestBytes)
	b.ResetTimer()
	if _, err := p.run(b.N, &h); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "roundtrips/s")
	reportLatency(b, &h)
}
