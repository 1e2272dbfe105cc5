package sim

import (
	"fmt"
	"time"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/ha"
)

// Faults aimed at replication: a master that dies while a record is on its
// way to its slave, and a stale replica that claims more than it was sent.

// midRecordWait bounds how long a promote fault that found every master
// up waits for one to die mid-record.
const midRecordWait = 5 * time.Second

// crashMidRecord runs between two events while a promote fault waits
// (World.midRecordUntil): the first time a pair's slave holds part of a
// record — the master's frames cut records anywhere, and the rest is on
// its way — the master's process dies and the operator promotes the
// slave. Such a promotion must drop the partial record (step 2 of a
// promotion; planted bug promote-without-truncation); left to chance,
// a crash lands in that window rarely.
func (w *World) crashMidRecord() {
	if w.midRecordUntil.IsZero() {
		return
	}
	if w.livenessStart != 0 || w.clock.Now().After(w.midRecordUntil) {
		w.midRecordUntil = time.Time{}
		return
	}
	for _, g := range w.groups {
		m := g.serving()
		if m == nil || g.promoting {
			continue
		}
		for _, s := range g.nodes {
			if s == m || !s.isSlave() || s.b.Store().ReplicaEnd() <= s.b.Store().CommitLogMaxOffset() {
				continue
			}
			w.midRecordUntil = time.Time{}
			w.note(m.label, "crash (process) while %s holds part of a record", s.label)
			w.takeDown(m, false)
			w.promote(g)
			return
		}
	}
}

// Stale replicas.
const (
	// staleReplicaHost is the machine of a stale replica.
	staleReplicaHost = "10.0.6.1"
	// maxStaleClaimBytes bounds how far past the master's end a stale
	// replica claims its log reaches.
	maxStaleClaimBytes = 1 << 20
	// maxStaleStay bounds how long a stale replica stays connected.
	maxStaleStay = 5 * time.Second
)

// staleReplica connects a stale replica to the HA port of a serving
// master: a slave restored from an old disk, or one that compares no
// epochs (a RocketMQ 4.x slave), whose log reaches past everything the
// master holds. It reports that end, discards what the master streams,
// and leaves after a while. A master must never count the claim as an
// acknowledgement (apache/rocketmq#3015): the replication monitor reports
// one that does, and under SYNC_MASTER the claim would answer sends that
// no slave holds. Apogee's own slaves compare epochs before they stream,
// so without this fault nothing in the swarm claims more than it was sent.
func (w *World) staleReplica() {
	var masters []*brokerNode
	for _, g := range w.groups {
		if m := g.serving(); m != nil && len(g.nodes) > 1 {
			masters = append(masters, m)
		}
	}
	if len(masters) == 0 {
		return
	}
	m := masters[w.rng.Intn(len(masters))]
	claim := m.b.Store().CommitLogMaxOffset() + 1 + w.rng.Int63()%maxStaleClaimBytes
	stay := time.Duration(w.rng.Int63() % int64(maxStaleStay))
	addr := fmt.Sprintf("%s:%d", m.host, brokerPort+1)
	w.note(m.label, "stale replica %s connects claiming offset %d", staleReplicaHost, claim)
	w.nodeEnv(staleReplicaHost, &nodeClock{base: w.clock}, nil).Net.Dial(addr, time.Second, func(nc env.Conn, err error) {
		if err != nil {
			return
		}
		nc.Start(func([]byte) {}, func(error) {})
		report := make([]byte, ha.ReportSizeBytes)
		ha.EncodeReport(report, claim)
		nc.Write([][]byte{report}, nil)
		w.clock.AfterFunc(stay, func() { _ = nc.Close() })
	})
}
