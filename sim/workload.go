package sim

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/apogeemq/apogee/client"
	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/linearizability"
	"github.com/apogeemq/apogee/remoting"
)

// Workload pacing.
const (
	routeRefresh     = 2 * time.Second
	sendTimeout      = 3 * time.Second
	pullSuspend      = time.Second
	pullTimeout      = 5 * time.Second
	retryPause       = 500 * time.Millisecond
	commitEveryPulls = 4
)

// queueOf converts a client queue to the recorder's.
func queueOf(mq client.MessageQueue) linearizability.Queue {
	return linearizability.Queue{Topic: mq.Topic, Broker: mq.BrokerName, QueueID: mq.QueueID}
}

// writableQueues lists a route's writable queues, sorted.
func writableQueues(route *remoting.TopicRouteData) []client.MessageQueue {
	masters := map[string]bool{}
	for _, bd := range route.BrokerDatas {
		if _, ok := bd.BrokerAddrs[0]; ok {
			masters[bd.BrokerName] = true
		}
	}
	var out []client.MessageQueue
	for _, qd := range route.QueueDatas {
		if qd.Perm&2 == 0 || !masters[qd.BrokerName] {
			continue
		}
		for q := int32(0); q < qd.WriteQueueNums; q++ {
			out = append(out, client.MessageQueue{Topic: simTopic, BrokerName: qd.BrokerName, QueueID: q})
		}
	}
	slices.SortFunc(out, compareQueues)
	return out
}

func compareQueues(a, b client.MessageQueue) int {
	if c := strings.Compare(a.BrokerName, b.BrokerName); c != 0 {
		return c
	}
	return int(a.QueueID - b.QueueID)
}

// producerNode sends uniquely identified messages, each to a queue it picks,
// in one attempt, and records every send's outcome.
type producerNode struct {
	w     *World
	id    int
	name  string
	host  string
	clock *nodeClock
	epoch int // bumped by a crash: callbacks of an older epoch are dropped

	p      *client.Producer
	admin  *client.Admin
	queues []client.MessageQueue
	next   int // messages sent so far, the id counter
	rr     int
}

func (n *producerNode) start() {
	if n.clock == nil {
		n.clock = &nodeClock{base: n.w.clock}
	}
	n.epoch++
	e := n.w.nodeEnv(n.host, n.clock, nil)
	ip := mustAddr(n.host)
	n.p = client.NewProducer(e, client.ProducerConfig{NamesrvAddrs: n.w.nameServerAddrs(), Group: "sim_producer",
		SendTimeout: sendTimeout, MaxAttempts: 1, ClientIP: ip, InstanceName: n.name, Logger: quiet,
		// A broker checks a transaction only with a producer of its
		// group that heartbeat to it: soon after a restart.
		HeartbeatInterval: producerHeartbeat, RouteRefreshInterval: producerHeartbeat})
	n.admin = client.NewAdmin(e, client.AdminConfig{NamesrvAddrs: n.w.nameServerAddrs(), Logger: quiet})
	n.p.SetTransactionChecker(checkTransaction)
	if err := n.p.Start(); err != nil {
		panic(fmt.Sprintf("sim: %s: %v", n.name, err))
	}
	epoch := n.epoch
	n.refreshRoute(epoch)
	n.scheduleSend(epoch)
}

func (n *producerNode) crash() {
	if n.p == nil {
		return
	}
	n.epoch++
	n.w.net.CrashHost(n.host)
	n.p.Close()
	n.admin.Close()
	n.p, n.admin = nil, nil
}

func (n *producerNode) refreshRoute(epoch int) {
	n.admin.TopicRouteAsync(simTopic, func(route *remoting.TopicRouteData, err error) {
		if epoch != n.epoch {
			return
		}
		if err == nil {
			n.queues = writableQueues(route)
		}
		n.w.clock.AfterFunc(routeRefresh, func() {
			if epoch == n.epoch {
				n.refreshRoute(epoch)
			}
		})
	})
}

func (n *producerNode) scheduleSend(epoch int) {
	mean := int64(n.w.params.SendInterval)
	d := time.Duration(mean/2 + n.w.rng.Int63()%(mean+1))
	n.w.clock.AfterFunc(d, func() {
		if epoch != n.epoch || n.w.stopWorkload {
			return
		}
		n.sendOne(epoch)
		n.scheduleSend(epoch)
	})
}

func (n *producerNode) sendOne(epoch int) {
	if len(n.queues) == 0 {
		return
	}
	mq := n.queues[n.rr%len(n.queues)]
	n.rr++
	id := fmt.Sprintf("p%d-%d", n.id, n.next)
	n.next++
	switch roll := n.w.rng.Intn(100); {
	case roll < n.w.params.TxPercent:
		n.transact(epoch, id, mq)
		return
	case roll < n.w.params.TxPercent+n.w.params.DelayPercent:
		n.delay(epoch, id, mq)
		return
	}
	n.attempt(epoch, id, mq, true)
}

// attempt sends message id to mq once. When the outcome is unknown and
// retry is set, it sends the same message again, once, after a pause, as an
// application retrying after a timeout or a reset does: TCP cannot prevent
// that duplicate, and the checkers must count it, not fail on it.
func (n *producerNode) attempt(epoch int, id string, mq client.MessageQueue, retry bool) {
	msg := &client.Message{Topic: simTopic, Tags: "T", Keys: []string{id}, Body: []byte(id)}
	h := n.w.rec.SendStart(n.id, id, n.w.now())
	n.w.hashEvent("send %s %s/%d", id, mq.BrokerName, mq.QueueID)
	n.p.SendToQueueAsync(msg, mq, func(res client.SendResult, err error) {
		if epoch != n.epoch {
			return // the process died: the outcome stays unknown
		}
		r := sendOutcome(res, err)
		r.Queue = queueOf(mq)
		h.End(n.w.now(), r)
		n.w.hashEvent("sent %s %d %d", id, r.Outcome, r.Offset)
		if retry && r.Outcome == linearizability.OutcomeUnknown && !n.w.stopWorkload {
			n.w.clock.AfterFunc(retryPause, func() {
				if epoch == n.epoch && !n.w.stopWorkload {
					n.attempt(epoch, id, mq, false)
				}
			})
		}
	})
}

// sendOutcome classifies a send's answer: acknowledged, definitely not
// stored, or unknown (with the offset the answer named, if any).
func sendOutcome(res client.SendResult, err error) linearizability.SendResult {
	unknown := linearizability.SendResult{Outcome: linearizability.OutcomeUnknown, Offset: linearizability.NoOffset}
	if err == nil {
		if res.Status == client.SendOK {
			ok := linearizability.SendResult{Outcome: linearizability.OutcomeOK, Offset: res.QueueOffset}
			if _, phys, err := commitlog.ParseOffsetMsgID(res.OffsetMsgID); err == nil {
				ok.HasCopy, ok.CopyID = true, phys
			}
			return ok
		}
		// Stored, durability not confirmed (FLUSH_DISK_TIMEOUT, ...).
		unknown.Offset = res.QueueOffset
		return unknown
	}
	failed := linearizability.SendResult{Outcome: linearizability.OutcomeFailed, Offset: linearizability.NoOffset}
	var be *client.BrokerError
	if errors.As(err, &be) {
		switch be.Code {
		case remoting.ResMessageIllegal, remoting.ResTopicNotExist, remoting.ResNoPermission,
			remoting.ResServiceNotAvailable, remoting.ResSystemBusy:
			return failed
		}
		return unknown
	}
	// Nothing was written when no route was known or no connection could
	// be opened.
	if errors.Is(err, client.ErrNoRoute) || errors.Is(err, env.ErrConnRefused) || errors.Is(err, env.ErrDialTimeout) {
		return failed
	}
	return unknown
}

// consumerNode pulls its share of the queues (see World.owner), records
// every message it gets and commits its offsets.
type consumerNode struct {
	w     *World
	id    int
	name  string
	host  string
	clock *nodeClock
	epoch int

	c     *client.PullConsumer
	owned map[string]bool // queues being pulled, by key
	next  map[string]int64
	// caughtUp holds, per queue, when a pull last found nothing new with
	// no error or message since.
	caughtUp map[string]int64
}

// owner is the consumer that pulls a queue: queue q of the b-th broker is
// number b*queuesPerBroker+q, owned by that number modulo the consumers. It
// depends on the queue alone, never on which brokers a route lists at the
// moment, so two consumers never share a queue.
func (w *World) owner(mq client.MessageQueue) int {
	b := 0
	if g := w.groupNamed(mq.BrokerName); g != nil {
		b = g.index
	}
	return (b*w.params.QueuesPerBroker + int(mq.QueueID)) % len(w.consumers)
}

func mqKey(mq client.MessageQueue) string { return fmt.Sprintf("%s/%d", mq.BrokerName, mq.QueueID) }

func (n *consumerNode) start() {
	if n.clock == nil {
		n.clock = &nodeClock{base: n.w.clock}
	}
	n.epoch++
	n.owned, n.next, n.caughtUp = map[string]bool{}, map[string]int64{}, map[string]int64{}
	e := n.w.nodeEnv(n.host, n.clock, nil)
	n.c = client.NewPullConsumer(e, client.PullConsumerConfig{NamesrvAddrs: n.w.nameServerAddrs(), Group: simGroup,
		SuspendTimeout: pullSuspend, PullTimeout: pullTimeout, ClientIP: mustAddr(n.host), InstanceName: n.name, Logger: quiet})
	if err := n.c.Subscribe(simTopic, "*"); err != nil {
		panic(fmt.Sprintf("sim: %s: %v", n.name, err))
	}
	if err := n.c.Start(); err != nil {
		panic(fmt.Sprintf("sim: %s: %v", n.name, err))
	}
	n.discover(n.epoch)
}

func (n *consumerNode) crash() {
	if n.c == nil {
		return
	}
	n.epoch++
	n.w.net.CrashHost(n.host)
	n.c.Close()
	n.c = nil
}

// discover looks for queues of the topic and starts pulling the ones it owns.
func (n *consumerNode) discover(epoch int) {
	n.c.FetchQueuesAsync(simTopic, func(qs []client.MessageQueue, err error) {
		if epoch != n.epoch {
			return
		}
		if err == nil {
			for _, mq := range qs {
				if n.w.owner(mq) != n.id || n.owned[mqKey(mq)] {
					continue
				}
				n.owned[mqKey(mq)] = true
				n.resume(epoch, mq)
			}
		}
		n.w.clock.AfterFunc(routeRefresh, func() {
			if epoch == n.epoch {
				n.discover(epoch)
			}
		})
	})
}

// resume starts a queue from the group's committed offset (0 without one).
func (n *consumerNode) resume(epoch int, mq client.MessageQueue) {
	n.c.QueryOffsetAsync(mq, func(off int64, found bool, err error) {
		if epoch != n.epoch {
			return
		}
		if err != nil {
			n.w.clock.AfterFunc(retryPause, func() {
				if epoch == n.epoch {
					n.resume(epoch, mq)
				}
			})
			return
		}
		switch {
		case n.w.params.Pairs:
			// The answer may come from a slave (the consumer asks the
			// master only while its route lists one), whose copy of the
			// offsets is as old as its last sync, or missing: where the
			// consumer starts is a reset, not a commit.
			if !found {
				off = 0
			}
			n.w.rec.Reset(simGroup, queueOf(mq), off, n.w.now())
		case !found:
			off = 0
		default:
			n.w.rec.Commit(simGroup, queueOf(mq), off, n.w.now())
		}
		n.next[mqKey(mq)] = off
		n.pull(epoch, mq, 0)
	})
}

func (n *consumerNode) pull(epoch int, mq client.MessageQueue, pulls int) {
	key := mqKey(mq)
	offset := n.next[key]
	start := n.w.now()
	n.c.PullAsync(mq, offset, n.w.params.PullBatch, "*", func(res client.PullResult, err error) {
		if epoch != n.epoch {
			return
		}
		if err != nil {
			delete(n.caughtUp, key)
			n.w.clock.AfterFunc(retryPause, func() {
				if epoch == n.epoch {
					n.pull(epoch, mq, pulls)
				}
			})
			return
		}
		end := n.w.now()
		q := queueOf(mq)
		for _, m := range res.Messages {
			id := string(m.Body)
			if b := n.w.nodeAt(m.StoreHost.Addr()); b != nil && b.clock != nil {
				lo, hi := b.storedWithin(m.CommitLogOffset, m.StoreTimestampMs)
				n.w.rec.ReadCopy(n.id, simGroup, q, m.QueueOffset, id, start, end, linearizability.Copy{ID: m.CommitLogOffset, StoredFromNs: lo, StoredToNs: hi})
			} else {
				n.w.rec.Read(n.id, simGroup, q, m.QueueOffset, id, start, end)
			}
			if n.w.received == nil {
				n.w.received = map[string]bool{}
			}
			n.w.received[id] = true
			n.w.hashEvent("read %s %s %d", key, id, m.QueueOffset)
		}
		switch res.Status {
		case client.PullFound, client.PullNoMatchedMsg:
			n.next[key] = res.NextBeginOffset
		case client.PullOffsetIllegal:
			// The broker corrected the offset (OFFSET_MOVED): an explicit
			// reset, which may go backwards after a crash lost the tail.
			n.next[key] = res.NextBeginOffset
			n.w.rec.Reset(simGroup, q, res.NextBeginOffset, end)
		}
		if res.Status == client.PullNoNewMsg {
			n.caughtUp[key] = end
		} else {
			delete(n.caughtUp, key)
		}
		pulls++
		if pulls%commitEveryPulls == 0 || res.Status == client.PullNoNewMsg {
			n.commit(epoch, mq, n.next[key])
		}
		n.pull(epoch, mq, pulls)
	})
}

func (n *consumerNode) commit(epoch int, mq client.MessageQueue, off int64) {
	n.c.CommitOffsetAsync(mq, off, func(err error) {
		if epoch != n.epoch || err != nil {
			return
		}
		n.w.rec.Commit(simGroup, queueOf(mq), off, n.w.now())
	})
}

func mustAddr(host string) netip.Addr {
	a, err := netip.ParseAddr(host)
	if err != nil {
		panic(err)
	}
	return a
}
