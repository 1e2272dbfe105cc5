package sim

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/client"
	"github.com/apogeemq/apogee/linearizability"
	"github.com/apogeemq/apogee/remoting"
)

// Options tune a run beyond its seed.
type Options struct {
	// MaxEvents bounds the timer callbacks a run may fire (0: no bound
	// beyond the phases' virtual time).
	MaxEvents int64
	// Bug names a planted bug to switch on (Bugs; "" for none).
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
	// NotDurable says why acknowledged sends need not all survive this
	// run (empty: every one must); the Report then counts what was lost.
	NotDurable []string
	// Promotions counts the slaves promoted to master.
	Promotions int
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
	return fmt.Sprintf("seed=%d events=%d trace=%016x durable=%t lost=%d result=%s", r.Seed, r.Events, r.Trace, len(r.NotDurable) == 0, r.Report.Stats.LostAcked, verdict)
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

	// Liveness: every fault healed, producers stop, consumers drain,
	// slaves catch up, every broker name takes a write.
	w.note("sim", "liveness phase")
	w.stopWorkload = true
	w.heal()
	w.livenessStart = w.now()
	w.probeWrites()
	livenessEnd := w.clock.Now().Add(w.params.Liveness)
	for w.clock.Now().Before(livenessEnd) {
		w.runUntil(w.clock.Now().Add(time.Second), opts.MaxEvents)
		if w.settled() {
			break
		}
	}
	res := Result{Seed: seed, Params: w.params, Events: w.events, Recorder: w.rec, Timeline: w.timeline, NotDurable: w.lossy, Promotions: w.promotions}
	res.Findings = append(res.Findings, w.recoveryFails...)
	res.Findings = append(res.Findings, w.findings...)
	for _, n := range w.brokers {
		if n.b == nil {
			continue
		}
		st := n.b.Store()
		if err := st.CheckConsistency(); err != nil {
			res.Findings = append(res.Findings, fmt.Sprintf("%s: %v", n.label, err))
		}
		if d, m := st.DispatchedOffset(), st.CommitLogMaxOffset(); d < m {
			res.Findings = append(res.Findings, fmt.Sprintf("%s: dispatch stopped at CommitLog offset %d of %d after healing (disk full: %t)", n.label, d, m, st.DiskFull()))
		}
	}
	res.Findings = append(res.Findings, w.compareReplicas()...)
	res.Findings = append(res.Findings, w.unprobed()...)
	if why := w.undrained(); why != "" {
		res.Findings = append(res.Findings, "liveness: the consumers did not drain every queue after healing: "+why)
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
// With pairs, the replication monitor looks after every event.
func (w *World) runUntil(t time.Time, maxEvents int64) {
	for {
		due, ok := w.clock.NextDue()
		if !ok || due.After(t) || (maxEvents > 0 && w.events >= maxEvents) {
			break
		}
		w.clock.FireNext()
		w.events++
		if w.params.Pairs {
			w.monitorReplication()
			w.crashMidRecord()
		}
	}
	if w.clock.Now().Before(t) {
		w.clock.Advance(t.Sub(w.clock.Now()))
	}
}

// setup starts the servers, creates the topic on every master and starts
// the clients. Slaves copy the topic from their masters.
func (w *World) setup() {
	w.note("sim", "params %s", w.params)
	for _, n := range w.nameServers {
		n.start()
	}
	for _, n := range w.brokers {
		if !n.start() {
			panic(fmt.Sprintf("sim: %s did not start on an empty disk", n.label))
		}
	}
	w.operator = remoting.NewClient(w.nodeEnv(operatorHost, &nodeClock{base: w.clock}, nil), remoting.ClientConfig{Logger: quiet})
	w.runUntil(w.clock.Now().Add(time.Second), 0)
	adminNode := &nodeClock{base: w.clock}
	adm := client.NewAdmin(w.nodeEnv("10.0.9.1", adminNode, nil), client.AdminConfig{NamesrvAddrs: w.nameServerAddrs(), Logger: quiet})
	pending := len(w.groups)
	for _, g := range w.groups {
		m := g.serving()
		tc := client.TopicConfig{Name: simTopic, ReadQueueNums: int32(w.params.QueuesPerBroker), WriteQueueNums: int32(w.params.QueuesPerBroker), Perm: 6}
		adm.CreateTopicAsync(m.b.Addr(), tc, func(err error) {
			if err != nil {
				panic(fmt.Sprintf("sim: creating the topic on %s: %v", m.label, err))
			}
			pending--
		})
	}
	for pending > 0 && w.clock.FireNext() {
		w.events++
	}
	adm.Close()
	settle := time.Second
	if w.params.Pairs {
		// Slaves copy the topic at their next sync: a slave promoted
		// before it would serve the topic with the default topic's
		// queue count.
		settle += broker.DefaultSlaveSyncInterval
	}
	w.runUntil(w.clock.Now().Add(settle), 0)
	for _, n := range w.consumers {
		n.start()
	}
	for _, n := range w.producers {
		n.start()
	}
	w.clock.AfterFunc(supervisePeriod, w.supervise)
}

// settled reports whether the liveness phase is done: the queues drained,
// every broker name took a write, and every slave caught up.
func (w *World) settled() bool {
	return w.drained() && len(w.unprobed()) == 0 && w.caughtUp()
}

// drained reports whether every consumer has pulled every queue it owns to
// the broker's end since the liveness phase began (a pull found nothing new,
// with no error or message since), with every broker up, and received
// every probe and promise.
func (w *World) drained() bool { return w.undrained() == "" }

// undrained says what keeps the queues from counting as drained, "" when
// nothing does.
func (w *World) undrained() string {
	for _, b := range w.brokers {
		if b.b == nil {
			return b.label + " is down"
		}
		// Everything written must be dispatched, so that consumers can
		// have seen it.
		if st := b.b.Store(); st.DispatchedOffset() < st.CommitLogMaxOffset() {
			return fmt.Sprintf("%s dispatched up to %d of %d", b.label, st.DispatchedOffset(), st.CommitLogMaxOffset())
		}
	}
	for _, g := range w.groups {
		if g.probe == "" || w.received[g.probe] {
			continue
		}
		// Without durability a consumer whose offset was past the end of
		// a queue that lost its tail is moved to the queue's end
		// (OFFSET_MOVED) and may skip the probe: it must at least have
		// pulled the queue to its end since the probe was stored.
		mq := client.MessageQueue{Topic: simTopic, BrokerName: g.name, QueueID: 0}
		c := w.consumers[w.owner(mq)]
		if t, ok := c.caughtUp[mqKey(mq)]; w.durable() || !ok || t < g.probeAckNs {
			return fmt.Sprintf("probe %s not received", g.probe)
		}
	}
	owned := 0
	for _, c := range w.consumers {
		if c.c == nil {
			return c.name + " is down"
		}
		for _, key := range slices.Sorted(maps.Keys(c.owned)) {
			owned++
			if t, ok := c.caughtUp[key]; !ok || t < w.livenessStart {
				return fmt.Sprintf("%s has not pulled %s to its end", c.name, key)
			}
		}
	}
	if want := len(w.groups) * w.params.QueuesPerBroker; owned != want {
		var keys []string
		for _, c := range w.consumers {
			keys = append(keys, slices.Sorted(maps.Keys(c.owned))...)
		}
		return fmt.Sprintf("the consumers pull %d queues of %d: %v", owned, want, keys)
	}
	if !w.promisesKept(w.durable()) {
		return "promised messages not received"
	}
	return ""
}

// durable reports whether every acknowledged send must survive this run:
// nothing happened that may take an acknowledged send back (a master
// restarted after a machine crash under ASYNC_FLUSH, a promotion under
// ASYNC_MASTER or of a slave that lost bytes it had acknowledged).
func (w *World) durable() bool { return len(w.lossy) == 0 }

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
	w.operator.Close()
}
