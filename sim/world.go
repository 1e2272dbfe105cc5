package sim

import (
	"fmt"
	"hash"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/linearizability"
	"github.com/apogeemq/apogee/namesrv"
)

// Ports every simulated server listens on, each on its own host.
const (
	nameServerPort = 9876
	brokerPort     = 10911
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
	brokers     []*brokerNode
	producers   []*producerNode
	consumers   []*consumerNode

	events        int64
	timeline      []string // every note, with its virtual time
	machineCrash  bool     // some broker lost its page cache
	recoveryFails []string
	stopWorkload  bool
	livenessStart int64 // virtual ns
	nextSeed      uint64
	// promised maps the ids of promised deliveries (committed
	// transactions) to their notBefore time; received holds every id a
	// consumer read.
	promised map[string]int64
	received map[string]bool
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
	w.net = env.NewMemNetwork(w.clock)
	w.net.SetLatency(w.latency)
	for i := 0; i < w.params.NameServers; i++ {
		w.nameServers = append(w.nameServers, &nsNode{w: w, name: fmt.Sprintf("namesrv-%d", i), host: fmt.Sprintf("10.0.1.%d", i+1)})
	}
	for i := 0; i < w.params.Brokers; i++ {
		w.brokers = append(w.brokers, &brokerNode{w: w, name: fmt.Sprintf("broker-%c", 'a'+i), host: fmt.Sprintf("10.0.2.%d", i+1)})
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

// storedWithin bounds when the record at physOffset of broker b, stamped
// storeMs by its clock and read now, was stored: through the offsets its
// clock has had, and through every machine crash it recovered from (a
// record below the cut survived the crash, one above it came after).
func (b *brokerNode) storedWithin(physOffset, storeMs int64) (lo, hi int64) {
	stored := time.UnixMilli(storeMs)
	from, to := b.clock.sharedTimes(stored, stored.Add(time.Millisecond))
	lo, hi = from.UnixNano(), to.UnixNano()
	for _, l := range b.losses {
		if physOffset < l.cutOffset {
			hi = min(hi, l.crashNs)
		} else {
			lo = max(lo, l.restartNs)
		}
	}
	return lo, max(lo, hi)
}

// brokerNamed returns the broker called name, or nil.
func (w *World) brokerNamed(name string) *brokerNode {
	for _, b := range w.brokers {
		if b.name == name {
			return b
		}
	}
	return nil
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

// brokerNode is one broker with its own disk.
type brokerNode struct {
	w     *World
	name  string
	host  string
	clock *nodeClock
	fs    *env.MemFS
	b     *broker.Broker
	// lastStartErr is why the last start failed.
	lastStartErr error
	// losses are the machine crashes the broker recovered from, with
	// where recovery cut its CommitLog.
	losses []loss
	// lostAt is the time of a machine crash not yet recovered from.
	lostAt int64
}

// loss is a machine crash of a broker and what recovery kept: every record
// below cutOffset was stored before crashNs, every record at or above it
// after restartNs.
type loss struct {
	crashNs, restartNs int64
	cutOffset          int64
}

func (n *brokerNode) config() broker.Config {
	cfg := broker.DefaultConfig("/store")
	cfg.BrokerName = n.name
	cfg.ListenAddr = fmt.Sprintf("%s:%d", n.host, brokerPort)
	cfg.BrokerIP1 = mustAddr(n.host)
	cfg.NamesrvAddrs = n.w.nameServerAddrs()
	cfg.Logger = quiet.With("node", n.name)
	cfg.RegisterPeriod = 5 * time.Second
	cfg.Store.Logger = quiet
	cfg.Store.CommitLog.SegmentSizeBytes = 256 << 10
	cfg.Store.ConsumeQueueUnitsPerFile = 1000
	cfg.Store.IndexHashSlots = 64
	cfg.Store.IndexMaxEntries = 256
	// The schedule service finds, through the index, what it delivered
	// before a crash (exactly once); the index must then survive machine
	// crashes as the CommitLog does.
	cfg.Store.MessageIndexSafe = true
	// Under disk pressure RocketMQ deletes the oldest CommitLog segments
	// whether or not they were consumed (diskMaxUsedSpaceRatio). That is
	// policy, not loss the checkers should hunt, and the disk-full fault
	// would trigger it every time a cleaning tick fell inside: the
	// simulated brokers never delete for space, only refuse puts.
	cfg.Store.DiskMaxUsedSpaceRatio = 1
	if n.w.params.SyncFlush {
		cfg.Store.CommitLog.FlushMode = commitlog.FlushSync
	}
	cfg.Store.PlantedBug = n.w.bug
	cfg.Transaction.CheckInterval = txCheckInterval
	cfg.Transaction.Timeout = txTimeout
	return cfg
}

// start opens the broker's store (recovering it) and serves. A failure is
// noted; it is a finding only if the broker cannot start once every fault is
// healed (a full disk may legitimately stop it before).
func (n *brokerNode) start() bool {
	if n.fs == nil {
		n.clock = &nodeClock{base: n.w.clock}
		n.fs = env.NewMemFS(n.clock)
	}
	b, err := broker.New(n.w.nodeEnv(n.host, n.clock, n.fs), n.config())
	if err == nil {
		if n.lostAt != 0 {
			n.losses = append(n.losses, loss{crashNs: n.lostAt, restartNs: n.w.now(), cutOffset: b.Store().CommitLogMaxOffset()})
			n.lostAt = 0
		}
		err = b.Start()
	}
	if err != nil {
		n.lastStartErr = err
		n.w.note(n.name, "start failed: %v", err)
		return false
	}
	n.b = b
	return true
}

// crash kills the broker's process; with machine, the machine too.
func (n *brokerNode) crash(machine bool) {
	if n.b == nil {
		return
	}
	n.w.net.CrashHost(n.host)
	if machine {
		n.fs.CrashMachine(n.w.splitSeed(), env.CrashOptions{TornPage: n.w.params.TornPages})
		if n.lostAt == 0 {
			n.lostAt = n.w.now()
		}
		n.w.machineCrash = true
	} else {
		n.fs.CrashProcess()
	}
	n.b.Abandon()
	n.b = nil
}
