package sim

import (
	"hash/fnv"
	"strconv"
	"time"

	"github.com/apogeemq/apogee/client"
	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/linearizability"
	"github.com/apogeemq/apogee/store"
)

// Transactions in the workload. Whether a transaction commits is a function
// of its id, so a producer restarted after a crash answers the broker's
// check as the first one decided, and the checker knows the verdict of
// every transaction whether or not its END ever arrived.
const (
	// maxEndPause bounds the pause between a half message's answer and
	// the producer's END_TRANSACTION (the "local transaction").
	maxEndPause = time.Second
	// txCheckInterval and txTimeout are the brokers' transaction check
	// period and the age of a half message before its first check: short,
	// so checks happen within a run, yet with the 15 checks a broker makes
	// before it discards a half message spanning 30 s, longer than any
	// fault keeps a producer away (RocketMQ's 60 s period spans 15 min).
	txCheckInterval = 2 * time.Second
	txTimeout       = 2 * time.Second
	// producerHeartbeat is the producers' heartbeat and route refresh
	// period: a broker can check transactions once a producer of the group
	// heartbeat to it, which takes a route that lists it. Scaled down with
	// the check period (RocketMQ: 30 s routes, 60 s checks).
	producerHeartbeat = time.Second
)

// txPlan is what happens to one transaction.
type txPlan uint8

const (
	txCommit        txPlan = iota // the producer commits
	txRollback                    // the producer rolls back
	txCheckCommit                 // the producer says nothing; the check commits
	txCheckRollback               // the producer says nothing; the check rolls back
)

// planOf is the plan of the transaction of message id.
func planOf(id string) txPlan {
	h := fnv.New32a()
	h.Write([]byte(id))
	return txPlan(h.Sum32() % 4)
}

// commits reports whether the transaction is committed in the end.
func (p txPlan) commits() bool { return p == txCommit || p == txCheckCommit }

// state is what the producer answers to a check.
func (p txPlan) state() client.TransactionState {
	if p.commits() {
		return client.TransactionCommit
	}
	return client.TransactionRollback
}

// checkTransaction answers a broker's check of a half message.
func checkTransaction(half *client.MessageExt) client.TransactionState {
	return planOf(string(half.Body)).state()
}

// transact sends message id to mq as a transaction. A rolled-back one is
// recorded as a send that definitely stored nothing, so any delivery of it
// is a phantom; a committed one whose half message was acknowledged is a
// promise on mq (the consumers must get it, at an offset nobody names).
func (n *producerNode) transact(epoch int, id string, mq client.MessageQueue) {
	msg := &client.Message{Topic: simTopic, Tags: "T", Keys: []string{id}, Body: []byte(id)}
	plan := planOf(id)
	h := n.w.rec.SendStart(n.id, id, n.w.now())
	if !plan.commits() {
		h.End(n.w.now(), linearizability.SendResult{Outcome: linearizability.OutcomeFailed})
	}
	n.w.hashEvent("half %s %s/%d plan %d", id, mq.BrokerName, mq.QueueID, plan)
	n.p.SendHalfToQueueAsync(msg, mq, func(res client.SendResult, err error) {
		if epoch != n.epoch {
			return // the process died: the outcome stays unknown
		}
		r := sendOutcome(res, err)
		n.w.hashEvent("half sent %s %d", id, r.Outcome)
		if plan.commits() {
			switch r.Outcome {
			case linearizability.OutcomeFailed:
				h.End(n.w.now(), r)
			default:
				// The committed message takes an offset of mq that
				// no answer names, whenever the commit happens.
				h.End(n.w.now(), linearizability.SendResult{Outcome: linearizability.OutcomeUnknown, Queue: queueOf(mq), Offset: linearizability.NoOffset})
			}
			if r.Outcome == linearizability.OutcomeOK {
				n.w.promise(id, queueOf(mq), linearizability.Terms{})
			}
		}
		if r.Outcome != linearizability.OutcomeOK || (plan != txCommit && plan != txRollback) {
			return // the broker's check decides
		}
		pause := time.Duration(n.w.rng.Int63() % int64(maxEndPause))
		n.w.clock.AfterFunc(pause, func() {
			if epoch != n.epoch {
				return
			}
			n.p.EndTransactionAsync(res, plan.state(), func(err error) {
				if epoch == n.epoch {
					n.w.hashEvent("ended %s %t", id, err == nil)
				}
			})
		})
	})
}

// promise records a promised delivery and keeps it for drained.
func (w *World) promise(id string, q linearizability.Queue, t linearizability.Terms) {
	notBeforeNs := t.NotBeforeNs
	w.rec.Promise(id, q, t, w.now())
	if w.promised == nil {
		w.promised = map[string]int64{}
	}
	w.promised[id] = max(w.promised[id], notBeforeNs)
}

// promisesKept reports whether the consumers received every promised
// message. Without durability a promise may be lost for good; then it only
// waits for the promises to fall due and the brokers to check their
// transactions a few times.
func (w *World) promisesKept(durable bool) bool {
	now := w.now()
	for id, due := range w.promised {
		if w.received[id] {
			continue
		}
		if durable {
			return false
		}
		settle := max(due, w.livenessStart) + (4 * txCheckInterval).Nanoseconds() + txTimeout.Nanoseconds()
		if now < settle {
			return false
		}
	}
	return true
}

// Delayed messages in the workload use the first levels of RocketMQ's
// messageDelayLevel, which the simulated brokers keep.
const maxSimDelayLevel = 3

// simDelayLevels are the brokers' delay levels.
var simDelayLevels = func() []time.Duration {
	levels, err := store.ParseDelayLevels(store.DefaultDelayLevels)
	if err != nil {
		panic("sim: " + err.Error())
	}
	return levels
}()

// delayLevelSlack is how early a delayed message may be delivered after
// its broker's clock stepped back: RocketMQ (and Apogee) deliver at once
// a parked message whose delivery time is more than its level's delay
// ahead, so by up to the longest level the workload uses.
var delayLevelSlack = simDelayLevels[maxSimDelayLevel-1]

// delay sends message id to mq delayed by a drawn level. The answer names
// the offset of the parked copy in SCHEDULE_TOPIC_XXXX, not of the message
// consumers will see, so the send is recorded with an unknown outcome on
// mq; an acknowledged one is a promise: delivered once on mq, and not
// before its delay has passed since the send began. An unknown outcome is
// not sent again: a second copy would be a second delivery.
func (n *producerNode) delay(epoch int, id string, mq client.MessageQueue) {
	level := 1 + n.w.rng.Intn(maxSimDelayLevel)
	msg := &client.Message{Topic: simTopic, Tags: "T", Keys: []string{id}, Body: []byte(id),
		Properties: map[string]string{commitlog.PropertyDelayLevel: strconv.Itoa(level)}}
	start := n.w.now()
	h := n.w.rec.SendStart(n.id, id, start)
	n.w.hashEvent("delay %s %s/%d level %d", id, mq.BrokerName, mq.QueueID, level)
	n.p.SendToQueueAsync(msg, mq, func(res client.SendResult, err error) {
		if epoch != n.epoch {
			return // the process died: the outcome stays unknown
		}
		r := sendOutcome(res, err)
		n.w.hashEvent("delayed %s %d", id, r.Outcome)
		if r.Outcome == linearizability.OutcomeFailed {
			h.End(n.w.now(), r)
			return
		}
		h.End(n.w.now(), linearizability.SendResult{Outcome: linearizability.OutcomeUnknown, Queue: queueOf(mq), Offset: linearizability.NoOffset})
		if r.Outcome == linearizability.OutcomeOK {
			n.w.promise(id, queueOf(mq), linearizability.Terms{NotBeforeNs: start + simDelayLevels[level-1].Nanoseconds(), Once: true})
		}
	})
}

// earlySlack is how early a delayed message may come, by the shared
// clock: by a millisecond, since the delivery time is the millisecond
// store timestamp plus the delay, and, given the brokers' clock jumps, by
// as much as a clock ran ahead, and by a whole level after a clock stepped
// back.
func (w *World) earlySlack() time.Duration {
	slack := time.Millisecond
	for _, b := range w.brokers {
		if b.clock == nil {
			continue
		}
		ahead, stepBack := b.clock.jumpSpan()
		slack = max(slack, time.Millisecond+ahead)
		if stepBack {
			slack = max(slack, time.Millisecond+ahead+delayLevelSlack)
		}
	}
	return slack
}
