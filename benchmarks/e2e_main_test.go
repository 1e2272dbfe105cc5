package benchmarks

// End-to-end benchmarks (BenchmarkE2E*): Apogee's client over loopback TCP
// to the all-in-one server (cmd/apogee) running as a separate process,
// with the store's default asynchronous flush.
//
//   - BenchmarkE2EBaselineRoundTrip: the floor. A raw TCP ping-pong, a 1 KiB
//     request answered by a baselineReplyBytes reply, one connection, one
//     exchange at a time, against an echo server that is also a separate
//     process: this test binary started again with echoModeEnv set, which
//     makes TestMain serve instead of testing.
//   - BenchmarkE2ESyncSend1KiB/senders=1 and /senders=64: Producer.Send of a
//     1 KiB body in a loop from one goroutine, or from 64 sharing one
//     Producer.
//   - BenchmarkE2EAsyncSend1KiB/inflight=256: Producer.SendAsync with 256
//     sends outstanding.
//   - BenchmarkE2EPull32: PullConsumer.Pull of 32 messages at a time through a
//     queue pre-filled with pullPrefillMsgs 1 KiB messages, from offset 0 to
//     the end and around again.
//
// Each reports msgs/s (round trips/s for the baseline) and the p50 and p99
// latency of one operation in µs, from a latencyHistogram. The sends report
// ratio_to_baseline: their rate over the baseline's round trips/s. The
// one-sender variant, whose goal is a ratio of at least 0.80, makes as many
// baseline exchanges as sends itself, in short chunks alternating with its
// own, so that both figures come from the same moments of a shared
// machine; the others divide by a baseline measured once per process.
//
// Nothing is built or started unless an end-to-end benchmark runs: the
// first one builds cmd/apogee with the go command (skipping, with the
// reason, only when there is no Go toolchain on PATH) and starts the server
// and the echo server; later ones share them. A server that has stored
// maxStoredBytesPerServer is replaced by a fresh one between benchmarks,
// which bounds the disk and page cache a long -count run takes. TestMain
// stops both children with SIGTERM after the run and fails it unless they
// exit with status 0.

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
)

// echoModeEnv, set in the environment of this test binary, makes TestMain
// run the baseline's echo server instead of the tests.
const echoModeEnv = "APOGEE_BENCH_ECHO_SERVER"

// quietLogger drops the clients' log lines, which would otherwise
// interleave with the benchmark output.
var quietLogger = slog.New(slog.DiscardHandler)

// e2e holds what the end-to-end benchmarks share within one process. The
// benchmarks run one at a time; the mutex keeps that assumption from
// mattering.
var e2e struct {
	mu sync.Mutex
	// dir holds the server binary, the data directories and the children's
	// stderr files; removed when the run ends.
	dir string
	// skip, when set, is why the end-to-end benchmarks cannot run.
	skip string
	// binPath is the built cmd/apogee, empty until the first build.
	binPath string
	// server is the running apogee process, nil before the first use.
	server *apogeeServer
	// servers counts the servers started, to name their directories.
	servers int
	// echo is the baseline's echo server, nil before the first use.
	echo *echoServer
}

// TestMain runs the echo server when echoModeEnv is set, else the tests
// and benchmarks, then stops the children they started.
func TestMain(m *testing.M) {
	if os.Getenv(echoModeEnv) != "" {
		os.Exit(runEchoServer(os.Stdout, os.Stderr))
	}
	code := m.Run()
	if err := stopE2E(); err != nil {
		fmt.Fprintln(os.Stderr, "benchmarks: end-to-end teardown:", err)
		code = max(code, 1)
	}
	os.Exit(code)
}

// e2eDir returns the directory of this run's end-to-end files, creating it
// on first use. The caller holds e2e.mu.
func e2eDir(b *testing.B) string {
	if e2e.dir == "" {
		dir, err := os.MkdirTemp("", "apogee-e2e-bench-")
		if err != nil {
			b.Fatalf("creating the end-to-end directory: %v", err)
		}
		e2e.dir = dir
	}
	return e2e.dir
}

// stopE2E stops the children the benchmarks started and removes their
// files, reporting every failure.
func stopE2E() error {
	e2e.mu.Lock()
	defer e2e.mu.Unlock()
	var errs []error
	if e2e.server != nil {
		errs = append(errs, e2e.server.stop())
		e2e.server = nil
	}
	if e2e.echo != nil {
		errs = append(errs, e2e.echo.proc.stop())
		e2e.echo = nil
	}
	if e2e.dir != "" {
		errs = append(errs, os.RemoveAll(e2e.dir))
		e2e.dir = ""
	}
	return errors.Join(errs...)
}
