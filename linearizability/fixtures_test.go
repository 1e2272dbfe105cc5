package linearizability

import (
	"fmt"
	"math/rand/v2"
)

var (
	qa = Queue{Topic: "TopicTest", Broker: "broker-a", QueueID: 0}
	qb = Queue{Topic: "TopicTest", Broker: "broker-b", QueueID: 1}
)

const groupA = "group-a"

// send records one send from startNs to endNs that ended with res.
func send(r *Recorder, client int, id string, startNs, endNs int64, res SendResult) {
	r.SendStart(client, id, startNs).End(endNs, res)
}

// ack records an acknowledged send of id at q@off.
func ack(r *Recorder, id string, startNs, endNs int64, q Queue, off int64) {
	send(r, 0, id, startNs, endNs, SendResult{Outcome: OutcomeOK, Queue: q, Offset: off})
}

// read records client 1 of groupA receiving id at q@off.
func read(r *Recorder, id string, startNs, endNs int64, q Queue, off int64) {
	r.Read(1, groupA, q, off, id, startNs, endNs)
}

// durable requires groupA to receive every acknowledged send.
var durable = Config{Durable: true, Groups: []string{groupA}}

// kinds lists the kinds of a report's violations, in order.
func kinds(rep Report) []string {
	var out []string
	for _, v := range rep.Violations {
		out = append(out, v.Kind)
	}
	return out
}

// genHistory records a linearizable history on queues: sends at
// increasing linearization points, concurrent by up to spreadNs on either
// side, some with unknown outcomes (which may or may not take an offset)
// and some failed; reads by two groups, in offset order per queue with some
// redeliveries; commits that only move forward; then a liveness phase in
// which both groups read the rest. With crashEvery > 0, about one operation
// in crashEvery is instead a crash of a random broker that loses a random
// tail of each of its queues, as async flush may. It returns the number of
// sends and reads.
func genHistory(rng *rand.Rand, r *Recorder, queues []Queue, opsPerQueue int, crashEvery int) int {
	const spreadNs = 30
	logs := make([][]string, len(queues)) // per queue, the ids stored at each offset
	// cursors: per group and queue, the next offset to deliver first.
	cursors := map[string][]int64{"g1": make([]int64, len(queues)), "g2": make([]int64, len(queues))}
	records := 0
	nowNs := int64(1000)
	for n := 0; n < opsPerQueue*len(queues); n++ {
		nowNs += 10
		qi := rng.IntN(len(queues))
		q := queues[qi]
		if crashEvery > 0 && rng.IntN(crashEvery) == 0 {
			nowNs += spreadNs + 1 // after every operation in flight
			r.Crash(nowNs, q.Broker)
			for qj, other := range queues {
				if other.Broker != q.Broker {
					continue
				}
				logs[qj] = logs[qj][:rng.IntN(len(logs[qj])+1)]
				for _, c := range cursors {
					c[qj] = min(c[qj], int64(len(logs[qj])))
				}
			}
			nowNs += spreadNs + 1
			continue
		}
		if rng.IntN(3) > 0 || len(logs[qi]) == 0 { // a send
			id := fmt.Sprintf("m%d", n)
			h := r.SendStart(n%7, id, nowNs-rng.Int64N(spreadNs))
			endNs := nowNs + rng.Int64N(spreadNs)
			switch rng.IntN(20) {
			case 0:
				h.End(endNs, SendResult{Outcome: OutcomeFailed})
			case 1: // timeout after the broker stored it
				logs[qi] = append(logs[qi], id)
				h.End(endNs, SendResult{Outcome: OutcomeUnknown, Queue: q, Offset: NoOffset})
			case 2: // timeout before the broker got it
				h.End(endNs, SendResult{Outcome: OutcomeUnknown, Queue: q, Offset: NoOffset})
			case 3: // the client crashed: never ended, stored
				logs[qi] = append(logs[qi], id)
			default:
				logs[qi] = append(logs[qi], id)
				h.End(endNs, SendResult{Outcome: OutcomeOK, Queue: q, Offset: int64(len(logs[qi]) - 1)})
			}
			records++
			continue
		}
		group := []string{"g1", "g2"}[rng.IntN(2)]
		cur := &cursors[group][qi]
		off := *cur
		if off > 0 && (off >= int64(len(logs[qi])) || rng.IntN(10) == 0) {
			off = rng.Int64N(off) // a redelivery
		} else {
			*cur++
			r.Commit(group, q, *cur, nowNs+spreadNs)
		}
		r.Read(rng.IntN(3), group, q, off, logs[qi][off], nowNs-rng.Int64N(spreadNs), nowNs+rng.Int64N(spreadNs))
		records++
	}
	// The liveness phase: both groups read every stored message.
	for qi, q := range queues {
		for _, g := range []string{"g1", "g2"} {
			for off := cursors[g][qi]; off < int64(len(logs[qi])); off++ {
				nowNs += 10
				r.Read(0, g, q, off, logs[qi][off], nowNs, nowNs+1)
				records++
			}
		}
	}
	return records
}
