package sim

import (
	"fmt"
	"time"

	"github.com/apogeemq/apogee/client"
	"github.com/apogeemq/apogee/linearizability"
)

// Options tune a run beyond its seed.
type Options struct {
	// MaxEvents bounds the timer callbacks a run may fire (0: no bound
	// beyond the phases' virtual time).
	MaxEvents int64
	// Bug names a planted bug to switch on in the store ("" for none).
	Bug string
	// CheckTimeout bounds the linearizability check of one run.
	CheckTimeout time.Duration
	// Script, when not nil, replaces the random faults of the safety
	// phase by these steps (a scenario drawn by rapid, say).
	Script []Step
}

// Result is the outcome of one run.
type Result struct {
	Seed   uint64
	Params Params
	// Events is the number of timer callbacks fired.
	Events int64
	// Trace is a hash of every fault and client-visible event, in order:
	// two runs of one seed give the same trace.
	Trace uint64
	// Report is the checkers' verdict; Findings adds the simulator's own
	// (a store that failed to recover, an inconsistent ConsumeQueue).
	Report   linearizability.Report
	Findings []string
	// Timeline lists the faults, crashes, restarts and phases, with their
	// virtual times.
	Timeline []string
	// Recorder holds the histories, and Check the promises they were
	// checked against, for visualization.
	Recorder *linearizability.Recorder
	Check    linearizability.Config
}

// OK reports whether the run found nothing wrong.
func (r Result) OK() bool { return r.Report.OK && len(r.Findings) == 0 }

// Line is the one-line summary the command prints per seed.
func (r Result) Line() string {
	verdict := "ok"
	if !r.OK() {
		verdict = "violation"
	}
	return fmt.Sprintf("seed=%d events=%d trace=%016x result=%s", r.Seed, r.Events, r.Trace, verdict)
}

// Run simulates one seed: a setup, a safety phase with faults, a liveness
// phase that heals everything and drains the queues, and the checks.
func Run(seed uint64, opts Options) Result {
	w := newWorld(seed, opts.Bug)
	w.setup()
	safetyEnd := w.clock.Now().Add(w.params.Safety)
	if opts.Script != nil {
		w.scheduleScript(opts.Script)
	} else {
		w.scheduleFaults(safetyEnd)
	}
	w.runUntil(safetyEnd, opts.MaxEvents)

	// Liveness: every fault healed, producers stop, consumers drain.
	w.note("sim", "liveness phase")
	w.stopWorkload = true
	w.heal()
	w.livenessStart = w.now()
	livenessEnd := w.clock.Now().Add(w.params.Liveness)
	for w.clock.Now().Before(livenessEnd) {
		w.runUntil(w.clock.Now().Add(time.Second), opts.MaxEvents)
		if w.drained() {
			break
		}
	}
	res := Result{Seed: seed, Params: w.params, Events: w.events, Recorder: w.rec, Timeline: w.timeline}
	res.Findings = append(res.Findings, w.recoveryFails...)
	for _, n := range w.brokers {
		if n.b == nil {
			continue
		}
		st := n.b.Store()
		if err := st.CheckConsistency(); err != nil {
			res.Findings = append(res.Findings, fmt.Sprintf("%s: %v", n.name, err))
		}
		if d, m := st.DispatchedOffset(), st.CommitLogMaxOffset(); d < m {
			res.Findings = append(res.Findings, fmt.Sprintf("%s: dispatch stopped at CommitLog offset %d of %d after healing (disk full: %t)", n.name, d, m, st.DiskFull()))
		}
	}
	if !w.drained() {
		res.Findings = append(res.Findings, "liveness: the consumers did not drain every queue after healing")
	}
	durable := w.durable()
	res.Check = linearizability.Config{
		Durable:      durable,
		Groups:       []string{simGroup},
		Topics:       map[string][]string{simGroup: {simTopic}},
		CheckTimeout: opts.CheckTimeout,
		EarlySlack:   w.earlySlack(),
	}
	res.Report = linearizability.Check(w.rec, res.Check)
	res.Trace = w.trace.Sum64()
	w.shutdown()
	return res
}

// runUntil fires timers until virtual time reaches t (or the event bound).
func (w *World) runUntil(t time.Time, maxEvents int64) {
	for {
		due, ok := w.clock.NextDue()
		if !ok || due.After(t) || (maxEvents > 0 && w.events >= maxEvents) {
			break
		}
		w.clock.FireNext()
		w.events++
	}
	if w.clock.Now().Before(t) {
		w.clock.Advance(t.Sub(w.clock.Now()))
	}
}

// setup starts the servers, creates the topic on every broker and starts
// the clients.
func (w *World) setup() {
	w.note("sim", "params %s", w.params)
	for _, n := range w.nameServers {
		n.start()
	}
	for _, n := range w.brokers {
		if !n.start() {
			panic(fmt.Sprintf("sim: %s did not start on an empty disk", n.name))
		}
	}
	w.runUntil(w.clock.Now().Add(time.Second), 0)
	adminNode := &nodeClock{base: w.clock}
	adm := client.NewAdmin(w.nodeEnv("10.0.9.1", adminNode, nil), client.AdminConfig{NamesrvAddrs: w.nameServerAddrs(), Logger: quiet})
	pending := len(w.brokers)
	for _, n := range w.brokers {
		tc := client.TopicConfig{Name: simTopic, ReadQueueNums: int32(w.params.QueuesPerBroker), WriteQueueNums: int32(w.params.QueuesPerBroker), Perm: 6}
		adm.CreateTopicAsync(n.b.Addr(), tc, func(err error) {
			if err != nil {
				panic(fmt.Sprintf("sim: creating the topic on %s: %v", n.name, err))
			}
			pending--
		})
	}
	for pending > 0 && w.clock.FireNext() {
		w.events++
	}
	adm.Close()
	w.runUntil(w.clock.Now().Add(time.Second), 0)
	for _, n := range w.consumers {
		n.start()
	}
	for _, n := range w.producers {
		n.start()
	}
	w.clock.AfterFunc(supervisePeriod, w.supervise)
}

// drained reports whether every consumer has pulled every queue it owns to
// the broker's end since the liveness phase began (a pull found nothing new,
// with no error or message since), with every broker up.
func (w *World) drained() bool {
	for _, b := range w.brokers {
		if b.b == nil {
			return false
		}
		// Everything written must be dispatched, so that consumers can
		// have seen it.
		if st := b.b.Store(); st.DispatchedOffset() < st.CommitLogMaxOffset() {
			return false
		}
	}
	owned := 0
	for _, c := range w.consumers {
		if c.c == nil {
			return false
		}
		for key := range c.owned {
			owned++
			if t, ok := c.caughtUp[key]; !ok || t < w.livenessStart {
				return false
			}
		}
	}
	return owned == len(w.brokers)*w.params.QueuesPerBroker && w.promisesKept(w.durable())
}

// durable reports whether every acknowledged send must survive this run:
// under sync flush, or with no machine crash.
func (w *World) durable() bool { return w.params.SyncFlush || !w.machineCrash }

// shutdown closes whatever is running, without running its callbacks.
func (w *World) shutdown() {
	for _, n := range w.producers {
		n.crash()
	}
	for _, n := range w.consumers {
		n.crash()
	}
	for _, n := range w.brokers {
		if n.b != nil {
			n.b.Abandon()
			n.b = nil
		}
	}
	for _, n := range w.nameServers {
		n.crash()
	}
}
