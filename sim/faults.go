package sim

import (
	"fmt"
	"time"

	"github.com/apogeemq/apogee/linearizability"
)

// Fault durations.
const (
	minDowntime     = 200 * time.Millisecond
	maxDowntime     = 8 * time.Second
	maxPartition    = 10 * time.Second
	maxClockJump    = 30 * time.Second
	faultRetryDelay = time.Second
)

// scheduleFaults arms the next fault of the safety phase.
func (w *World) scheduleFaults(until time.Time) {
	mean := int64(w.params.FaultInterval)
	d := time.Duration(mean/2 + w.rng.Int63()%(mean+1))
	w.clock.AfterFunc(d, func() {
		if !w.clock.Now().Before(until) {
			return
		}
		w.injectFault()
		w.scheduleFaults(until)
	})
}

// downtime draws how long a crashed node stays down.
func (w *World) downtime() time.Duration {
	return minDowntime + time.Duration(w.rng.Int63()%int64(maxDowntime-minDowntime))
}

// hosts lists every node's host, servers first.
func (w *World) hosts() []string {
	var out []string
	for _, n := range w.nameServers {
		out = append(out, n.host)
	}
	for _, n := range w.brokers {
		out = append(out, n.host)
	}
	for _, n := range w.producers {
		out = append(out, n.host)
	}
	for _, n := range w.consumers {
		out = append(out, n.host)
	}
	return out
}

// Fault kinds, as scripted steps name them.
const (
	FaultBrokerProcessCrash = "broker-process-crash"
	FaultBrokerMachineCrash = "broker-machine-crash"
	FaultNameServerCrash    = "namesrv-crash"
	FaultConsumerCrash      = "consumer-crash"
	FaultProducerCrash      = "producer-crash"
	FaultPartition          = "partition"
	FaultAsymmetricCut      = "asymmetric-cut"
	FaultConnectionReset    = "connection-reset"
	FaultClockJump          = "clock-jump"
	FaultDiskFull           = "disk-full"
	FaultDiskErrors         = "disk-errors"
	FaultSlowDisk           = "slow-disk"
	FaultPromote            = "promote"
	FaultStaleReplica       = "stale-replica"
)

// FaultKinds lists every fault kind.
func FaultKinds() []string {
	return []string{FaultBrokerProcessCrash, FaultBrokerMachineCrash, FaultNameServerCrash, FaultConsumerCrash,
		FaultProducerCrash, FaultPartition, FaultAsymmetricCut, FaultConnectionReset, FaultClockJump, FaultDiskFull,
		FaultDiskErrors, FaultSlowDisk, FaultPromote, FaultStaleReplica}
}

// faultWeights pairs each kind with its weight.
func (f FaultWeights) byKind() []int {
	return []int{f.BrokerProcessCrash, f.BrokerMachineCrash, f.NameServerCrash, f.ConsumerCrash,
		f.ProducerCrash, f.Partition, f.AsymmetricCut, f.ConnectionReset, f.ClockJump, f.DiskFull,
		f.DiskErrors, f.SlowDisk, f.Promote, f.StaleReplica}
}

// injectFault draws one fault by weight and applies it.
func (w *World) injectFault() {
	f := w.params.Faults
	pick := w.rng.Intn(f.total())
	for i, weight := range f.byKind() {
		if pick < weight {
			w.apply(FaultKinds()[i])
			return
		}
		pick -= weight
	}
}

// apply injects one fault of a kind.
func (w *World) apply(kind string) {
	switch kind {
	case FaultBrokerProcessCrash:
		w.crashBroker(false)
	case FaultBrokerMachineCrash:
		w.crashBroker(true)
	case FaultNameServerCrash:
		w.crashNameServer()
	case FaultConsumerCrash:
		w.crashConsumer()
	case FaultProducerCrash:
		w.crashProducer()
	case FaultPartition:
		w.partition(true)
	case FaultAsymmetricCut:
		w.partition(false)
	case FaultConnectionReset:
		w.resetConnections()
	case FaultClockJump:
		w.jumpClock()
	case FaultDiskFull:
		w.fillDisk()
	case FaultDiskErrors:
		w.failDisk()
	case FaultSlowDisk:
		w.slowDisk()
	case FaultPromote:
		w.promoteAny()
	case FaultStaleReplica:
		w.staleReplica()
	default:
		panic("sim: unknown fault kind " + kind)
	}
}

// Step is one scripted fault: kind, At after the safety phase starts.
type Step struct {
	At   time.Duration
	Kind string
}

// scheduleScript arms scripted faults instead of random ones.
func (w *World) scheduleScript(steps []Step) {
	for _, st := range steps {
		w.clock.AfterFunc(st.At, func() { w.apply(st.Kind) })
	}
}

func (w *World) crashBroker(machine bool) {
	n := w.brokers[w.rng.Intn(len(w.brokers))]
	if n.b == nil {
		return
	}
	kind := "process"
	if machine {
		kind = "machine"
	}
	w.note(n.label, "crash (%s)", kind)
	w.takeDown(n, machine)
}

// takeDown crashes a broker's process (with machine, its machine too),
// records what the crash may take back, and restarts it after a downtime.
// A pair's master may be replaced meanwhile: the operator promotes its
// slave (Params.FailoverPercent).
func (w *World) takeDown(n *brokerNode, machine bool) {
	wasMaster := n.crash(machine)
	if machine && wasMaster {
		// Only a machine crash loses written data; a process crash keeps
		// the page cache. A slave's loss hands out no queue offset again.
		w.rec.Crash(w.now(), n.name)
	}
	if machine && w.params.Pairs {
		w.lostReplica(n)
	}
	w.resetOffsets(n.g)
	downtime := w.downtime()
	w.clock.AfterFunc(downtime, func() { w.restartBroker(n) })
	if wasMaster && w.params.Pairs && w.rng.Intn(100) < w.params.FailoverPercent {
		react := time.Duration(w.rng.Int63() % int64(downtime))
		w.clock.AfterFunc(react, func() {
			if n.b == nil {
				w.promote(n.g)
			}
		})
	}
}

// resetOffsets records that the consumer offsets of g's queues may go
// back: a broker crash loses those committed since it last persisted
// them, as in RocketMQ, and a promoted slave has the copy of its last sync.
func (w *World) resetOffsets(g *brokerGroup) {
	for q := int32(0); q < int32(w.params.QueuesPerBroker); q++ {
		w.rec.Reset(simGroup, linearizability.Queue{Topic: simTopic, Broker: g.name, QueueID: q}, 0, w.now())
	}
}

func (w *World) restartBroker(n *brokerNode) {
	if n.b != nil {
		return
	}
	if n.start() {
		w.note(n.label, "restart as %s", n.role)
		return
	}
	// A supervisor keeps trying, as systemd's Restart=always does.
	w.clock.AfterFunc(w.downtime(), func() { w.restartBroker(n) })
}

func (w *World) crashNameServer() {
	n := w.nameServers[w.rng.Intn(len(w.nameServers))]
	if n.ns == nil {
		return
	}
	w.note(n.name, "crash")
	n.crash()
	w.clock.AfterFunc(w.downtime(), func() {
		if n.ns == nil {
			n.start()
			w.note(n.name, "restart")
		}
	})
}

func (w *World) crashConsumer() {
	n := w.consumers[w.rng.Intn(len(w.consumers))]
	if n.c == nil {
		return
	}
	w.note(n.name, "crash")
	n.crash()
	w.clock.AfterFunc(w.downtime(), func() {
		if n.c == nil {
			n.start()
			w.note(n.name, "restart")
		}
	})
}

func (w *World) crashProducer() {
	n := w.producers[w.rng.Intn(len(w.producers))]
	if n.p == nil {
		return
	}
	w.note(n.name, "crash")
	n.crash()
	w.clock.AfterFunc(w.downtime(), func() {
		if n.p == nil && !w.stopWorkload {
			n.start()
			w.note(n.name, "restart")
		}
	})
}

// partition cuts two hosts apart, both ways or one way, for a while.
func (w *World) partition(symmetric bool) {
	hosts := w.hosts()
	a := hosts[w.rng.Intn(len(hosts))]
	b := hosts[w.rng.Intn(len(hosts))]
	if a == b {
		return
	}
	d := minDowntime + time.Duration(w.rng.Int63()%int64(maxPartition))
	if symmetric {
		w.note("net", "partition %s <-> %s for %v", a, b, d)
		w.net.SetBlocked(a, b, true)
		w.net.SetBlocked(b, a, true)
	} else {
		w.note("net", "cut %s -> %s for %v", a, b, d)
		w.net.SetBlocked(a, b, true)
	}
	w.clock.AfterFunc(d, func() {
		w.net.SetBlocked(a, b, false)
		w.net.SetBlocked(b, a, false)
		w.note("net", "heal %s <-> %s", a, b)
	})
}

func (w *World) resetConnections() {
	hosts := w.hosts()
	a := hosts[w.rng.Intn(len(hosts))]
	b := hosts[w.rng.Intn(len(hosts))]
	if a == b {
		return
	}
	if n := w.net.ResetBetween(a, b); n > 0 {
		w.note("net", "reset %d connections %s <-> %s", n, a, b)
	}
}

// jumpClock steps one node's clock forwards or backwards.
func (w *World) jumpClock() {
	var clocks []*nodeClock
	var names []string
	for _, n := range w.brokers {
		if n.clock != nil {
			clocks, names = append(clocks, n.clock), append(names, n.label)
		}
	}
	for _, n := range w.nameServers {
		if n.clock != nil {
			clocks, names = append(clocks, n.clock), append(names, n.name)
		}
	}
	if len(clocks) == 0 {
		return
	}
	i := w.rng.Intn(len(clocks))
	d := time.Duration(w.rng.Int63()%int64(2*maxClockJump)) - maxClockJump
	w.note(names[i], "clock jump %v", d)
	clocks[i].jump(d)
}

// fillDisk makes a broker's disk full for a while: nothing may grow.
func (w *World) fillDisk() {
	n := w.brokers[w.rng.Intn(len(w.brokers))]
	if n.fs == nil {
		return
	}
	u, err := n.fs.Usage("/")
	if err != nil {
		return
	}
	d := minDowntime + time.Duration(w.rng.Int63()%int64(maxPartition))
	w.note(n.label, "disk full for %v", d)
	n.fs.SetCapacity(max(int64(u.TotalBytes-u.FreeBytes), 1))
	w.clock.AfterFunc(d, func() {
		n.fs.SetCapacity(0)
		w.note(n.label, "disk space back")
	})
}

// heal ends every fault: links open, every node up.
func (w *World) heal() {
	hosts := w.hosts()
	for _, n := range w.brokers {
		if n.fs != nil {
			n.fs.SetCapacity(0)
			n.fs.SetRule(nil)
		}
	}
	for _, a := range hosts {
		for _, b := range hosts {
			if a != b {
				w.net.SetBlocked(a, b, false)
			}
		}
	}
	for _, n := range w.nameServers {
		if n.ns == nil {
			n.start()
			w.note(n.name, "restart (heal)")
		}
	}
	for _, n := range w.brokers {
		if n.b == nil {
			if n.start() {
				w.note(n.label, "restart as %s (heal)", n.role)
			} else {
				w.recoveryFails = append(w.recoveryFails, fmt.Sprintf("%s: does not start after healing: %v", n.label, n.lastStartErr))
			}
		}
	}
	// A pair left without a master (a promotion that failed after its old
	// master was configured as a slave) gets one.
	for _, g := range w.groups {
		if len(g.nodes) > 1 && g.serving() == nil {
			w.promote(g)
		}
	}
	for _, n := range w.consumers {
		if n.c == nil {
			n.start()
			w.note(n.name, "restart (heal)")
		}
	}
	// Producers send nothing more, but they are back to answer the
	// brokers' transaction checks.
	for _, n := range w.producers {
		if n.p == nil {
			n.start()
			w.note(n.name, "restart (heal)")
		}
	}
}
