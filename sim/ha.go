package sim

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/remoting"
	"github.com/apogeemq/apogee/store"
)

// Replication bounds.
const (
	// promoteTimeout bounds the operator's wait for a promotion's answer:
	// a promotion waits for the reads in flight, which a slow disk can
	// stall for seconds; and since the simulator runs on one goroutine,
	// a slow disk anywhere holds the whole world back while its syncs
	// last (one flush of many files can take tens of seconds), so the
	// request itself can arrive that late. An operator that gave up
	// earlier would take a promotion still under way for a failed one
	// (seed 15).
	promoteTimeout = 60 * time.Second
	// compareChunkBytes is how much of two CommitLogs the end-of-run
	// comparison reads at a time.
	compareChunkBytes = 64 << 10
)

// promoteAny is the promote fault: it promotes the slave of a pair whose
// master is down, if there is one.
func (w *World) promoteAny() {
	var candidates []*brokerGroup
	for _, g := range w.groups {
		if w.promotable(g) != nil {
			candidates = append(candidates, g)
		}
	}
	if len(candidates) == 0 {
		// Every pair has its master: the operator's next chance comes
		// when one dies while its slave holds part of a record.
		w.midRecordUntil = w.clock.Now().Add(midRecordWait)
		return
	}
	w.promote(candidates[w.rng.Intn(len(candidates))])
}

// promotable returns the machine to promote in g: a pair with no master
// serving and no promotion under way, and a slave up that holds the
// history of the group's last master — that master itself, back as a
// slave, or a slave whose epoch list has the epoch the last master began
// (it compared its log with that master's since then and cut what
// differed). Of two, the one holding more. Nil when there is none.
//
// The operator never promotes a slave that was not copying the last
// master's history (an "unclean" promotion, which RocketMQ 5's controller
// refuses by default): such a slave's log ends in a tail of an older
// history — a master that restarted after a machine crash began a new
// epoch over the tail it lost, and its slave keeps that tail until its
// next comparison — and its promotion would bring that tail back over what
// the last master wrote at the same offsets.
func (w *World) promotable(g *brokerGroup) *brokerNode {
	if len(g.nodes) < 2 || g.promoting || g.serving() != nil || g.lastMaster == nil {
		return nil
	}
	var best *brokerNode
	for _, n := range g.nodes {
		if !n.isSlave() || (n != g.lastMaster && !slices.Contains(n.b.HAState().Epochs, g.lastEpoch)) {
			continue
		}
		if best == nil || n.b.Store().ReplicaEnd() > best.b.Store().ReplicaEnd() {
			best = n
		}
	}
	return best
}

// promote makes the operator promote g's slave, as mqadmin
// updateBrokerConfig -k brokerRole -v <role> does, when g has no master
// serving. The old master's broker.conf says SLAVE from now on, so that
// it rejoins as a slave of the new one, whenever it restarts.
//
// For the recorder a promotion is a failover, a loss window on g's
// queues, opened when the request leaves: the new master continues each
// queue where its copy ends, and hands out again the offsets of whatever
// the old master stored that the slave never received. Under SYNC_MASTER that tail was
// never acknowledged, as long as the slave holds everything it
// acknowledged (World.vouches); otherwise the run is not durable and
// what was lost is reported.
func (w *World) promote(g *brokerGroup) {
	s := w.promotable(g)
	if s == nil {
		return
	}
	old := g.peer(s)
	oldRole := old.role
	old.role = broker.RoleSlave
	g.promoting = true
	sentNs := w.now()
	w.note(s.label, "promote to %s (whole records up to %d, replica end %d)", g.role, s.b.Store().CommitLogMaxOffset(), s.b.Store().ReplicaEnd())
	w.rec.Failover(sentNs, g.name)
	// Should it serve as master, it writes past its last whole record
	// (the promotion drops the one still arriving), from now on.
	s.sessions = append(s.sessions, session{fromOffset: s.b.Store().CommitLogMaxOffset(), endOffset: -1, beganNs: sentNs, endNs: -1,
		floorMs: s.b.Store().LastStoreTimestampMs()})
	w.resetOffsets(g)
	switch {
	case g.role != broker.RoleSyncMaster:
		w.notDurable("%s promoted under %s: the old master's acknowledged tail may not have reached it", s.label, g.role)
	case !w.vouches(s):
		w.notDurable("%s promoted before it held again the %d bytes a machine crash took from it", s.label, s.catchUpTo)
	}
	req := remoting.NewRequest(remoting.ReqUpdateBrokerConfig, nil, []byte("brokerRole="+string(g.role)+"\n"))
	addr := fmt.Sprintf("%s:%d", s.host, brokerPort)
	target := s.b
	w.operator.Invoke(addr, req, promoteTimeout, func(resp *remoting.Command, err error) {
		g.promoting = false
		if err == nil && resp.Code != remoting.ResSuccess {
			err = fmt.Errorf("%s: %s", remoting.ResponseCodeName(resp.Code), resp.Remark)
		}
		switch {
		case s.b == target && s.isMaster():
			s.role = g.role
			g.servedBy(s)
			w.promotions++
			w.note(s.label, "promoted: serves as %s", g.role)
		case s.role == g.role:
			// The machine went down after its promotion (crash noted
			// its epoch) and comes back as the master.
			w.promotions++
			w.note(s.label, "promoted, then went down (answer: %v)", err)
		default:
			w.note(s.label, "promotion failed: %v", err)
			if last := len(s.sessions) - 1; s.sessions[last].endOffset < 0 {
				s.sessions = s.sessions[:last]
			}
			if old.b == nil {
				// Nothing changed: the old master comes back as one.
				old.role = oldRole
			}
		}
	})
}

// lostReplica records a pair machine's machine crash: until it holds
// again everything it and its peer held then, it does not vouch for what
// a SYNC_MASTER acknowledged on its word.
func (w *World) lostReplica(n *brokerNode) {
	end := n.endAtDown
	if p := n.g.peer(n); p != nil {
		if p.b != nil {
			end = max(end, p.b.Store().CommitLogMaxOffset())
		} else {
			end = max(end, p.endAtDown)
		}
	}
	n.catchUpTo = max(n.catchUpTo, end)
}

// vouches reports whether machine n holds every byte a SYNC_MASTER may
// have acknowledged on its word: it lost none to a machine crash, or has
// copied them again since.
func (w *World) vouches(n *brokerNode) bool {
	if n.catchUpTo > 0 && n.b != nil && n.b.Store().CommitLogMaxOffset() >= n.catchUpTo {
		n.catchUpTo = 0
	}
	return n.catchUpTo == 0
}

// notDurable records why acknowledged sends need not all survive this
// run: from then on the loss is measured and reported, not failed.
func (w *World) notDurable(format string, args ...any) {
	reason := fmt.Sprintf(format, args...)
	w.lossy = append(w.lossy, reason)
	w.note("sim", "not durable: %s", reason)
}

// monitorReplication checks, between two events, that no master counts a
// slave as holding bytes it never sent it (package ha's first invariant:
// an acknowledgement is a report no further than what the connection
// carried, apache/rocketmq#3015). The breach is what a SYNC_MASTER would
// acknowledge sends on; it is reported once per machine.
func (w *World) monitorReplication() {
	for _, n := range w.brokers {
		if !n.isMaster() || n.monitored {
			continue
		}
		for _, s := range n.b.HAState().Slaves {
			if s.AckOffset > s.SentOffset {
				n.monitored = true
				w.findings = append(w.findings, fmt.Sprintf("%s: counts slave %s as holding CommitLog offset %d, but sent it only up to %d (reported %d)",
					n.label, s.RemoteAddr, s.AckOffset, s.SentOffset, s.ReportedOffset))
				w.note(n.label, "acknowledgement %d beyond what was sent (%d)", s.AckOffset, s.SentOffset)
				break
			}
		}
	}
}

// caughtUp reports whether every pair's slave holds, and has dispatched,
// all its master has written.
func (w *World) caughtUp() bool {
	for _, g := range w.groups {
		m := g.serving()
		if m == nil {
			return false
		}
		end := m.b.Store().CommitLogMaxOffset()
		for _, n := range g.nodes {
			if n == m {
				continue
			}
			if !n.isSlave() {
				return false
			}
			st := n.b.Store()
			if st.ReplicaEnd() != end || st.DispatchedOffset() != end {
				return false
			}
		}
	}
	return true
}

// compareReplicas compares, byte for byte, every pair's CommitLogs up to
// the offset the master counts as acknowledged by its slave, once the
// slave has caught up, and names the first offset where they differ.
func (w *World) compareReplicas() []string {
	var out []string
	for _, g := range w.groups {
		m := g.serving()
		if m == nil {
			if len(g.nodes) > 1 {
				out = append(out, fmt.Sprintf("%s: no master serves after healing", g.name))
			}
			continue
		}
		ms := m.b.Store()
		for _, n := range g.nodes {
			if n == m {
				continue
			}
			if !n.isSlave() {
				out = append(out, fmt.Sprintf("%s: %s does not serve as a slave after healing", g.name, n.label))
				continue
			}
			ss := n.b.Store()
			if ss.ReplicaEnd() != ms.CommitLogMaxOffset() {
				out = append(out, fmt.Sprintf("%s: slave %s did not catch up after healing: it ends at %d, its master %s at %d",
					g.name, n.label, ss.ReplicaEnd(), m.label, ms.CommitLogMaxOffset()))
				continue
			}
			acked := ackedBy(m, n)
			if acked < 0 {
				out = append(out, fmt.Sprintf("%s: slave %s caught up but %s counts no acknowledgement from it", g.name, n.label, m.label))
				continue
			}
			from := max(ms.CommitLogMinOffset(), ss.CommitLogMinOffset())
			if off, err := firstDifference(ms, ss, from, acked); err != nil {
				out = append(out, fmt.Sprintf("%s: comparing %s with %s: %v", g.name, m.label, n.label, err))
			} else if off >= 0 {
				out = append(out, fmt.Sprintf("%s: the CommitLogs of %s and its slave %s differ at offset %d (compared [%d, %d))",
					g.name, m.label, n.label, off, from, acked))
			}
		}
	}
	return out
}

// ackedBy returns what master m counts as acknowledged by slave n, -1
// when n is not connected to it.
func ackedBy(m, n *brokerNode) int64 {
	best := int64(-1)
	for _, s := range m.b.HAState().Slaves {
		if ap, err := netip.ParseAddrPort(s.RemoteAddr); err == nil && ap.Addr() == mustAddr(n.host) {
			best = max(best, s.AckOffset)
		}
	}
	return best
}

// firstDifference returns the first offset in [from, to) where the two
// CommitLogs differ, -1 when they agree.
func firstDifference(a, b *store.Store, from, to int64) (int64, error) {
	for off := from; off < to; {
		x, rx, err := a.ReadCommitLog(off, int(min(compareChunkBytes, to-off)))
		if err != nil {
			return 0, fmt.Errorf("reading the master at %d: %w", off, err)
		}
		y, ry, err := b.ReadCommitLog(off, len(x))
		if err != nil {
			rx.Release()
			return 0, fmt.Errorf("reading the slave at %d: %w", off, err)
		}
		n := min(len(x), len(y))
		diff := -1
		if !bytes.Equal(x[:n], y[:n]) {
			for i := range n {
				if x[i] != y[i] {
					diff = i
					break
				}
			}
		}
		rx.Release()
		ry.Release()
		if diff >= 0 {
			return off + int64(diff), nil
		}
		if n == 0 {
			return 0, fmt.Errorf("no bytes at %d", off)
		}
		off += int64(n)
	}
	return -1, nil
}
