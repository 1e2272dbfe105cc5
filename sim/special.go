package sim

import (
	"hash/fnv"
	"time"

	"github.com/apogeemq/apogee/client"
	"github.com/apogeemq/apogee/linearizability"
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
				n.w.promise(id, queueOf(mq), 0)
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
func (w *World) promise(id string, q linearizability.Queue, notBeforeNs int64) {
	w.rec.Promise(id, q, notBeforeNs, w.now())
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
