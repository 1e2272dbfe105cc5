package sim

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/ha"
	"github.com/apogeemq/apogee/store"
)

// slaveBrokerID is the brokerId of a pair's slave.
const slaveBrokerID = 1

// brokerGroup is one broker name: a master alone, or (Params.Pairs) a
// master and a slave on two machines. Its queues are (SimTopic, name, id)
// whichever machine serves them.
type brokerGroup struct {
	w     *World
	name  string
	index int
	// role is the master's brokerRole (a promoted slave takes it too).
	role  broker.Role
	nodes []*brokerNode
	// promoting is set while a promotion request is unanswered.
	promoting bool
	// lastMaster is the machine that served as master last, lastEpoch the
	// newest epoch it began ("epoch-startOffset", as HAState lists it).
	lastMaster *brokerNode
	lastEpoch  string
	// probe is the id of the liveness phase's write that the group
	// acknowledged, "" before, and probeAckNs when; probes counts the
	// attempts.
	probe      string
	probeAckNs int64
	probes     int
}

// newBrokerGroup builds the i-th broker name and its machines: machine 1
// on 10.0.2.(i+1) starts as the master, machine 2 (pairs only) on
// 10.0.5.(i+1) as its slave.
func newBrokerGroup(w *World, i int) *brokerGroup {
	g := &brokerGroup{w: w, name: fmt.Sprintf("broker-%c", 'a'+i), index: i, role: broker.RoleAsyncMaster}
	if w.params.Pairs && w.params.SyncMaster {
		g.role = broker.RoleSyncMaster
	}
	g.nodes = append(g.nodes, &brokerNode{w: w, g: g, name: g.name, label: g.name, host: fmt.Sprintf("10.0.2.%d", i+1), role: g.role})
	if w.params.Pairs {
		g.nodes[0].label = g.name + "@1"
		g.nodes = append(g.nodes, &brokerNode{w: w, g: g, name: g.name, label: g.name + "@2",
			host: fmt.Sprintf("10.0.5.%d", i+1), role: broker.RoleSlave})
	}
	return g
}

// serving returns the machine serving as the group's master now, or nil.
func (g *brokerGroup) serving() *brokerNode {
	for _, n := range g.nodes {
		if n.isMaster() {
			return n
		}
	}
	return nil
}

// peer returns the group's other machine (nil for a master alone).
func (g *brokerGroup) peer(n *brokerNode) *brokerNode {
	for _, o := range g.nodes {
		if o != n {
			return o
		}
	}
	return nil
}

// servedBy records that machine n serves as g's master now, in the epoch
// it began last.
func (g *brokerGroup) servedBy(n *brokerNode) {
	g.lastMaster = n
	epochs := n.b.HAState().Epochs
	if len(epochs) == 0 {
		panic(fmt.Sprintf("sim: %s serves as master without an epoch", n.label))
	}
	g.lastEpoch = epochs[len(epochs)-1]
}

// brokerNode is one broker machine with its own disk.
type brokerNode struct {
	w     *World
	g     *brokerGroup
	name  string // the broker name, shared by a pair
	label string // the machine, in notes: broker-a, or broker-a@1 in a pair
	host  string
	// role is what the machine's broker.conf says: its group's master role
	// or SLAVE. A promotion changes it, as RocketMQ's updateBrokerConfig
	// persists it, and the operator makes a demoted master come back as a
	// slave.
	role  broker.Role
	clock *nodeClock
	fs    *env.MemFS
	b     *broker.Broker
	// lastStartErr is why the last start failed.
	lastStartErr error
	// sessions are the stretches in which this machine wrote records as a
	// master (see storedWithin).
	sessions []session
	// lostAt is the time of a machine crash not yet recovered from.
	lostAt int64
	// endAtDown is the CommitLog's end just before the last crash.
	endAtDown int64
	// monitored is set once the replication monitor reported the machine.
	monitored bool
	// catchUpTo, when positive, is an offset this machine must hold again
	// before it vouches for what its master acknowledged: a machine crash
	// took bytes a SYNC_MASTER may have counted on (see World.vouches).
	catchUpTo int64
}

// session is a stretch in which a machine served as master: the records
// it wrote then lie at or past fromOffset and below endOffset (-1 while
// it serves), and were stored within [beganNs, endNs].
type session struct {
	fromOffset, endOffset int64
	beganNs, endNs        int64
	// floorMs is the store-time floor when the session began
	// (Store.LastStoreTimestampMs): a record the session stamped at or
	// below it may carry the floor rather than the machine's clock (the
	// log's last record came from a master whose clock ran ahead), so its
	// stamp bounds nothing (seed 461).
	floorMs int64
}

// isMaster reports whether the machine is up and serving as a master.
func (n *brokerNode) isMaster() bool { return n.b != nil && n.b.Role() != broker.RoleSlave }

// isSlave reports whether the machine is up and serving as a slave.
func (n *brokerNode) isSlave() bool { return n.b != nil && n.b.Role() == broker.RoleSlave }

// storeBug, haBug and brokerBug route a planted bug to its owner.
func storeBug(bug string) string {
	if bug == store.BugAckBeforeFlush || bug == store.BugReuseQueueOffset {
		return bug
	}
	return ""
}

func haBug(bug string) string {
	if bug == ha.BugTrustSlaveOffset || bug == broker.BugPromoteWithoutTruncation {
		return bug
	}
	return ""
}

func (n *brokerNode) config() broker.Config {
	cfg := broker.DefaultConfig("/store")
	cfg.BrokerName = n.name
	cfg.Role = n.role
	if n.role == broker.RoleSlave {
		cfg.BrokerID = slaveBrokerID
	}
	cfg.ListenAddr = fmt.Sprintf("%s:%d", n.host, brokerPort)
	cfg.BrokerIP1 = mustAddr(n.host)
	cfg.NamesrvAddrs = n.w.nameServerAddrs()
	cfg.Logger = quiet.With("node", n.label)
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
	// The body CRC does not cover a record's header, topic and
	// properties: a machine crash that keeps the first page of a record
	// and loses the next leaves a record whose body checks and whose
	// properties are zeros, which recovery would keep (and a slave's log
	// would then differ from its master's). The property CRC covers the
	// whole record (RocketMQ 5's enabledAppendPropCRC and
	// forceVerifyPropCRC).
	cfg.Store.CommitLog.AppendPropCRC = true
	cfg.Store.CommitLog.VerifyPropCRC = true
	if n.w.params.SyncFlush {
		cfg.Store.CommitLog.FlushMode = commitlog.FlushSync
	}
	cfg.Store.PlantedBug = storeBug(n.w.bug)
	cfg.Transaction.CheckInterval = txCheckInterval
	cfg.Transaction.Timeout = txTimeout
	if n.w.params.Pairs {
		cfg.HA.TransferBatchBytes = n.w.params.TransferBatchBytes
		cfg.HA.ReconnectDelay = n.w.params.ReconnectDelay
		cfg.HA.PlantedBug = haBug(n.w.bug)
	}
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
		err = b.Start()
		if err != nil {
			b.Abandon()
		}
	}
	if err != nil {
		n.lastStartErr = err
		n.w.note(n.label, "start failed: %v", err)
		return false
	}
	n.b = b
	end := b.Store().CommitLogMaxOffset()
	if !n.w.params.Pairs && n.lostAt != 0 && len(n.sessions) > 0 {
		// A master alone: what its last session wrote past the cut is
		// gone from every copy.
		last := &n.sessions[len(n.sessions)-1]
		last.endOffset = min(last.endOffset, end)
	}
	if n.role != broker.RoleSlave {
		n.g.servedBy(n)
		n.sessions = append(n.sessions, session{fromOffset: end, endOffset: -1, beganNs: n.w.now(), endNs: -1,
			floorMs: b.Store().LastStoreTimestampMs()})
		if n.lostAt != 0 && !n.w.params.SyncFlush {
			n.w.notDurable("%s restarted as master after a machine crash under ASYNC_FLUSH", n.label)
		}
	}
	n.lostAt = 0
	return true
}

// crash kills the broker's process; with machine, the machine too. It
// returns whether the machine was serving as a master.
func (n *brokerNode) crash(machine bool) bool {
	if n.b == nil {
		return false
	}
	wasMaster := n.isMaster()
	// The role the machine serves in is what its broker.conf says from
	// now on (a promotion persists it).
	n.role = n.b.Role()
	if wasMaster && n.g.role != n.role {
		panic(fmt.Sprintf("sim: %s serves as %s, its group as %s", n.label, n.role, n.g.role))
	}
	n.endAtDown = n.b.Store().CommitLogMaxOffset()
	if wasMaster {
		if n.g.lastMaster != n {
			// Promoted since the simulator last looked: its epoch is
			// the group's newest.
			n.g.servedBy(n)
		}
		n.endSession()
	}
	n.w.net.CrashHost(n.host)
	if machine {
		n.fs.CrashMachine(n.w.splitSeed(), env.CrashOptions{TornPage: n.w.params.TornPages})
		if n.lostAt == 0 {
			n.lostAt = n.w.now()
		}
	} else {
		n.fs.CrashProcess()
	}
	n.b.Abandon()
	n.b = nil
	return wasMaster
}

// endSession closes the machine's open session as it goes down.
func (n *brokerNode) endSession() {
	last := &n.sessions[len(n.sessions)-1]
	if last.endOffset >= 0 {
		panic(fmt.Sprintf("sim: %s serves as master without a session", n.label))
	}
	last.endOffset, last.endNs = n.b.Store().CommitLogMaxOffset(), n.w.now()
}

// storedWithin bounds when the record at physOffset that node n wrote
// (its STOREHOST), stamped storeMs by n's clock, was stored: through the
// offsets n's clock has had, and through n's sessions as a master that
// can hold that offset (a record below a session's start was stored
// before it began, one at or past it after). A stamp at or below its
// session's floor says nothing: the session's window alone bounds it.
func (n *brokerNode) storedWithin(physOffset, storeMs int64) (lo, hi int64) {
	stored := time.UnixMilli(storeMs)
	from, to := n.clock.sharedTimes(stored, stored.Add(time.Millisecond))
	lo, hi = from.UnixNano(), to.UnixNano()
	found, floored := false, false
	var wlo, whi int64
	for _, s := range n.sessions {
		if physOffset < s.fromOffset || (s.endOffset >= 0 && physOffset >= s.endOffset) {
			continue
		}
		floored = floored || storeMs <= s.floorMs
		end := s.endNs
		if end < 0 {
			end = n.w.now()
		}
		if !found {
			wlo, whi, found = s.beganNs, end, true
			continue
		}
		wlo, whi = min(wlo, s.beganNs), max(whi, end)
	}
	switch {
	case floored:
		lo, hi = wlo, whi
	case found:
		lo, hi = max(lo, wlo), min(hi, whi)
	}
	return lo, max(lo, hi)
}

// nodeAt returns the broker machine whose address is addr, or nil.
func (w *World) nodeAt(addr netip.Addr) *brokerNode {
	for _, n := range w.brokers {
		if mustAddr(n.host) == addr {
			return n
		}
	}
	return nil
}

// groupNamed returns the broker group called name, or nil.
func (w *World) groupNamed(name string) *brokerGroup {
	for _, g := range w.groups {
		if g.name == name {
			return g
		}
	}
	return nil
}
