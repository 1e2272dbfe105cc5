package sim

import (
	"fmt"
	"time"

	"github.com/apogeemq/apogee/client"
	"github.com/apogeemq/apogee/linearizability"
)

// probeInterval is the pause between two write probes of a broker name in
// the liveness phase.
const probeInterval = time.Second

// probeWrites starts the liveness phase's write probes: producer 0 sends
// a message to queue 0 of every broker name, one at a time, until one is
// acknowledged. Each attempt is a send like any other (its own id), so
// the acknowledged probe must also reach the consumers. A broker name that
// acknowledges none by the end of the phase is a finding: healed, every
// broker name must take writes again (a promoted slave included).
func (w *World) probeWrites() {
	for _, g := range w.groups {
		w.probe(g)
	}
}

// probe sends one probe to g, and another after a pause unless it was
// acknowledged.
func (w *World) probe(g *brokerGroup) {
	p := w.producers[0]
	again := func() { w.clock.AfterFunc(probeInterval, func() { w.probe(g) }) }
	if p.p == nil {
		again()
		return
	}
	id := fmt.Sprintf("probe-%s-%d", g.name, g.probes)
	g.probes++
	mq := client.MessageQueue{Topic: simTopic, BrokerName: g.name, QueueID: 0}
	msg := &client.Message{Topic: simTopic, Tags: "T", Keys: []string{id}, Body: []byte(id)}
	h := w.rec.SendStart(p.id, id, w.now())
	w.hashEvent("probe %s", id)
	epoch := p.epoch
	p.p.SendToQueueAsync(msg, mq, func(res client.SendResult, err error) {
		if epoch != p.epoch {
			again()
			return
		}
		r := sendOutcome(res, err)
		r.Queue = queueOf(mq)
		h.End(w.now(), r)
		w.hashEvent("probed %s %d %d", id, r.Outcome, r.Offset)
		if r.Outcome == linearizability.OutcomeOK {
			g.probe, g.probeAckNs = id, w.now()
			return
		}
		again()
	})
}

// unprobed lists the broker names that acknowledged no probe.
func (w *World) unprobed() []string {
	var out []string
	for _, g := range w.groups {
		if g.probe == "" {
			out = append(out, fmt.Sprintf("liveness: %s acknowledged none of %d writes after healing", g.name, g.probes))
		}
	}
	return out
}
