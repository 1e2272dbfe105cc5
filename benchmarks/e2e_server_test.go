package benchmarks

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apogeemq/apogee/client"
	"github.com/apogeemq/apogee/env"
)

const (
	// maxStoredBytesPerServer is how much a server stores before the next
	// benchmark gets a fresh one: 1 GiB keeps a -count 5 run from filling
	// the disk and the page cache of a shared machine with bodies nobody
	// reads again, while a restart every few benchmarks costs little.
	maxStoredBytesPerServer = 1 << 30

	// sendTopic takes the sends, on sendTopicQueues queues: the official
	// admin's default, spread round-robin by the producer.
	sendTopic       = "E2EBenchSend"
	sendTopicQueues = 8
	// pullTopic has one queue, pre-filled for the pull benchmark.
	pullTopic = "E2EBenchPull"

	// topicRouteTimeout bounds the wait for a created topic to show in the
	// name server's routes: the broker registers it at once, so this only
	// guards against a broken server.
	topicRouteTimeout = 10 * time.Second
	// topicRoutePoll is the pause between two route lookups while waiting.
	topicRoutePoll = 10 * time.Millisecond
)

// The lines cmd/apogee prints on start (see its package doc), in order.
var (
	nameServerLine = regexp.MustCompile(`^apogee: name server listening on (\S+)$`)
	brokerLine     = regexp.MustCompile(`^apogee: broker (\S+) listening on (\S+)`)
	readyLine      = regexp.MustCompile(`^apogee: point clients at NAMESRV_ADDR=\S+$`)
)

// apogeeServer is one cmd/apogee process with its own data directory, and
// the topics the benchmarks use already created.
type apogeeServer struct {
	proc       *childProcess
	dir        string
	nsAddr     string
	brokerName string
	brokerAddr string
	// storedBytes counts the body bytes the benchmarks sent to it.
	storedBytes atomic.Int64
	// pullQueueEnd is the queue offset after the pre-filled messages of
	// pullTopic, 0 until they are sent.
	pullQueueEnd int64
}

// acquireServer returns the shared server, building cmd/apogee and
// starting a server on first use and replacing a server that has stored
// maxStoredBytesPerServer. It skips b when there is no Go toolchain.
func acquireServer(b *testing.B) *apogeeServer {
	b.Helper()
	e2e.mu.Lock()
	defer e2e.mu.Unlock()
	if s := e2e.server; s != nil && s.storedBytes.Load() >= maxStoredBytesPerServer {
		e2e.server = nil
		if err := s.stop(); err != nil {
			b.Fatal(err)
		}
		if err := os.RemoveAll(s.dir); err != nil {
			b.Fatalf("removing the data of a replaced server: %v", err)
		}
	}
	if e2e.server == nil {
		s, err := startApogee(apogeeBinary(b), filepath.Join(e2eDir(b), "server-"+strconv.Itoa(e2e.servers)))
		if err != nil {
			b.Fatal(err)
		}
		e2e.servers++
		e2e.server = s
	}
	return e2e.server
}

// apogeeBinary builds cmd/apogee once per process and returns its path.
// The caller holds e2e.mu.
func apogeeBinary(b *testing.B) string {
	if e2e.skip != "" {
		b.Skip(e2e.skip)
	}
	if e2e.binPath != "" {
		return e2e.binPath
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		e2e.skip = fmt.Sprintf("end-to-end benchmarks need the go command to build cmd/apogee: %v", err)
		b.Skip(e2e.skip)
	}
	root, err := moduleRoot()
	if err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(e2eDir(b), "apogee")
	cmd := exec.Command(goTool, "build", "-o", bin, "./cmd/apogee")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("building cmd/apogee in %s: %v\n%s", root, err, out)
	}
	e2e.binPath = bin
	return bin
}

// moduleRoot returns the directory holding go.mod, searching up from the
// working directory, which go test sets to the package's.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("finding the module root: %w", err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("finding the module root: no go.mod above the working directory")
		}
		dir = parent
	}
}

// startApogee starts bin with its data, logs and home under dir, on
// loopback ports the kernel picks, and creates the benchmarks' topics.
func startApogee(bin, dir string) (*apogeeServer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the server directory: %w", err)
	}
	cmd := exec.Command(bin, "-data", filepath.Join(dir, "data"), "-namesrv-addr", "127.0.0.1:0", "-broker-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "HOME="+dir) // nothing strays into the real home
	proc, m, err := startChild("apogee", cmd, filepath.Join(dir, "stderr.log"), nameServerLine, brokerLine, readyLine)
	if err != nil {
		return nil, err
	}
	s := &apogeeServer{proc: proc, dir: dir, nsAddr: m[0][1], brokerName: m[1][1], brokerAddr: m[1][2]}
	if err := s.createTopic(client.TopicConfig{Name: sendTopic, ReadQueueNums: sendTopicQueues, WriteQueueNums: sendTopicQueues}); err != nil {
		return nil, errors.Join(err, s.stop())
	}
	if err := s.createTopic(client.TopicConfig{Name: pullTopic, ReadQueueNums: 1, WriteQueueNums: 1}); err != nil {
		return nil, errors.Join(err, s.stop())
	}
	return s, nil
}

// createTopic creates tc on the broker and waits until the name server's
// route has it, so that clients started afterwards find it.
func (s *apogeeServer) createTopic(tc client.TopicConfig) error {
	admin := client.NewAdmin(env.Real(), client.AdminConfig{NamesrvAddrs: []string{s.nsAddr}, Logger: quietLogger})
	defer admin.Close()
	if err := admin.CreateTopic(s.brokerAddr, tc); err != nil {
		return fmt.Errorf("creating topic %s: %w", tc.Name, err)
	}
	deadline := time.Now().Add(topicRouteTimeout)
	for {
		route, err := admin.TopicRoute(tc.Name)
		if err == nil && len(route.QueueDatas) > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("topic %s has no route %v after its creation (last lookup: %v)", tc.Name, topicRouteTimeout, err)
		}
		time.Sleep(topicRoutePoll)
	}
}

// stop stops the server: SIGTERM, then a clean exit.
func (s *apogeeServer) stop() error { return s.proc.stop() }

// stored counts msgs 1 KiB messages sent to the server.
func (s *apogeeServer) stored(msgs int) {
	s.storedBytes.Add(int64(msgs) * bodySizeBytes)
}

// newProducer starts a producer on s, closed when b ends, and warms it
// up outside the timer: the route lookup and the broker connection happen
// on its first send.
func (s *apogeeServer) newProducer(b *testing.B, msg *client.Message) *client.Producer {
	b.Helper()
	p := client.NewProducer(env.Real(), client.ProducerConfig{NamesrvAddrs: []string{s.nsAddr}, Group: "E2EBenchProducer", Logger: quietLogger})
	if err := p.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.Close)
	for range warmupSends {
		if _, err := p.Send(msg); err != nil {
			b.Fatalf("warm-up send: %v", err)
		}
	}
	s.stored(warmupSends)
	return p
}

// warmupSends is the sends a producer makes before the timer starts: one
// to each queue of sendTopic, so that every path of the broker has run.
const warmupSends = sendTopicQueues
