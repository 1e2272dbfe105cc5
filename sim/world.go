package sim

import (
	"fmt"
	"hash"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/linearizability"
	"github.com/apogeemq/apogee/namesrv"
	"github.com/apogeemq/apogee/remoting"
)

// Ports every simulated server listens on, each on its own host.
const (
	nameServerPort = 9876
	brokerPort     = 10911
	// operatorHost runs the operator's tool that promotes slaves.
	operatorHost = "10.0.9.2"
	// simTopic is the workload's topic; simGroup the consumers' group.
	simTopic = "SimTopic"
	simGroup = "sim_group"
	// startTime is the virtual time every run starts at.
	startUnixSeconds = 1_700_000_000
)

// quiet discards the components' log lines: a run prints only its result.
var quiet = slog.New(slog.DiscardHandler)

// World is one simulated cluster: the shared virtual clock and network, the
// nodes, the workload and the recorder of client histories. Everything runs
// on the goroutine that calls Run, from the clock's timers.
type World struct {
	seed   uint64
	params Params
	bug    string

	clock *env.ManualClock
	net   *env.MemNetwork
	rng   env.Rand // the simulator's own choices (faults, workload pacing)
	rec   *linearizability.Recorder
	trace hash.Hash64

	nameServers []*nsNode
	// groups are the broker names; brokers every broker machine of them,
	// masters and slaves, in group order.
	groups    []*brokerGroup
	brokers   []*brokerNode
	producers []*producerNode
	consumers []*consumerNode
	// operator sends the promotions (UPDATE_BROKER_CONFIG), as mqadmin
	// does, from a host no fault touches.
	operator *remoting.Client

	events        int64
	timeline      []string // every note, with its virtual time
	recoveryFails []string
	// lossy says why acknowledged sends need not all survive this run
	// (empty: durable); see World.durable.
	lossy []string
	// findings are the simulator's own invariant violations found while
	// running (the replication monitor's).
	findings []string
	// promotions counts the slaves promoted.
	promotions    int
	stopWorkload  bool
	livenessStart int64 // virtual ns
	nextSeed      uint64
	// promised maps the ids of promised deliveries (committed
	// transactions) to their notBefore time; received holds every id a
	// consumer read.
	// midRecordUntil is set while a promote fault waits for a master to
	// die mid-record (crashMidRecord).
	midRecordUntil time.Time
	promised       map[string]int64
	received       map[string]bool
}

// newWorld builds the cluster of a seed, nothing started yet.
func newWorld(seed uint64, bug string) *World {
	rng := env.NewSeededRand(seed)
	w := &World{
		seed:     seed,
		params:   DrawParams(rng),
		bug:      bug,
		clock:    env.NewManualClock(time.Unix(startUnixSeconds, 0)),
		rng:      rng,
		rec:      linearizability.NewRecorder(),
		trace:    fnv.New64a(),
		nextSeed: seed*1_000_003 + 1,
	}
	drawStaleReplicaWeight(&w.params, seed)
	w.net = env.NewMemNetwork(w.clock)
	w.net.SetLatency(w.latency)
	for i := 0; i < w.params.NameServers; i++ {
		w.nameServers = append(w.nameServers, &nsNode{w: w, name: fmt.Sprintf("namesrv-%d", i), host: fmt.Sprintf("10.0.1.%d", i+1)})
	}
	for i := 0; i < w.params.Brokers; i++ {
		g := newBrokerGroup(w, i)
		w.groups = append(w.groups, g)
		w.brokers = append(w.brokers, g.nodes...)
	}
	for i := 0; i < w.params.Producers; i++ {
		w.producers = append(w.producers, &producerNode{w: w, id: i, name: fmt.Sprintf("producer-%d", i), host: fmt.Sprintf("10.0.3.%d", i+1)})
	}
	for i := 0; i < w.params.Consumers; i++ {
		w.consumers = append(w.consumers, &consumerNode{w: w, id: i, name: fmt.Sprintf("consumer-%d", i), host: fmt.Sprintf("10.0.4.%d", i+1)})
	}
	return w
}

// latency draws a one-way delay between two hosts.
func (w *World) latency(from, to string) time.Duration {
	p := w.params
	if p.LatencyMax <= p.LatencyMin {
		return p.LatencyMin
	}
	return p.LatencyMin + time.Duration(w.rng.Int63()%int64(p.LatencyMax-p.LatencyMin))
}

// splitSeed returns a fresh seed for a node's Rand or a crash.
func (w *World) splitSeed() uint64 {
	w.nextSeed = w.nextSeed*6364136223846793005 + 1442695040888963407
	return w.nextSeed
}

// now is the shared virtual time in nanoseconds, the recorder's time.
func (w *World) now() int64 { return w.clock.Now().UnixNano() }

// note records an event in the trace and, for faults, in the report.
func (w *World) note(node, format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	w.timeline = append(w.timeline, fmt.Sprintf("%12v %-12s %s", w.clock.Now().Sub(time.Unix(startUnixSeconds, 0)).Round(time.Microsecond), node, text))
	fmt.Fprintf(w.trace, "%d %s %s\n", w.now(), node, text)
	w.rec.Annotate(w.now(), node, text)
}

// hashEvent folds a client-visible event into the trace.
func (w *World) hashEvent(format string, args ...any) {
	fmt.Fprintf(w.trace, "%d ", w.now())
	fmt.Fprintf(w.trace, format, args...)
	w.trace.Write([]byte{'\n'})
}

// nodeEnv builds a node's view of the world.
func (w *World) nodeEnv(host string, clock *nodeClock, fs env.FS) env.Env {
	return env.Env{Clock: clock, FS: fs, Rand: env.NewSeededRand(w.splitSeed()), Net: w.net.Host(host)}
}

func (w *World) nameServerAddrs() []string {
	out := make([]string, len(w.nameServers))
	for i, n := range w.nameServers {
		out[i] = fmt.Sprintf("%s:%d", n.host, nameServerPort)
	}
	return out
}

// nsNode is one name server.
type nsNode struct {
	w     *World
	name  string
	host  string
	clock *nodeClock
	ns    *namesrv.NameServer
}

func (n *nsNode) start() {
	if n.clock == nil {
		n.clock = &nodeClock{base: n.w.clock}
	}
	e := n.w.nodeEnv(n.host, n.clock, nil)
	n.ns = namesrv.New(e, namesrv.Config{ListenAddr: fmt.Sprintf("%s:%d", n.host, nameServerPort), Logger: quiet})
	if err := n.ns.Start(); err != nil {
		panic(fmt.Sprintf("sim: %s: start: %v", n.name, err))
	}
}

func (n *nsNode) crash() {
	if n.ns == nil {
		return
	}
	n.w.net.CrashHost(n.host)
	n.ns.Close()
	n.ns = nil
}
