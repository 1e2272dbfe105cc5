package linearizability

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
)

// DefaultCheckTimeout bounds the linearizability check of one queue when
// Config.CheckTimeout is zero. Histories of a few thousand operations per
// queue check in well under a second; a queue that takes a minute has an
// explosion of concurrent unknown outcomes, and an answer is due anyway.
const DefaultCheckTimeout = time.Minute

// maxHints bounds the quick explanations attached to a linearizability
// violation; the visualization has the rest.
const maxHints = 3

// Config says what a run promises.
type Config struct {
	// Durable: every acknowledged send must be delivered, even across
	// crashes (sync flush, or sync replication with a surviving slave).
	Durable bool
	// Groups are the subscribed consumer groups that must receive every
	// acknowledged send of their topics, by the end of the liveness phase.
	Groups []string
	// Topics maps a group to the topics it subscribes. A group of Groups
	// without an entry must receive every topic.
	Topics map[string][]string
	// CheckTimeout bounds the linearizability check of each queue (wall
	// clock, inside porcupine); zero means DefaultCheckTimeout.
	CheckTimeout time.Duration
	// EarlySlack is how early a promised message may be delivered before
	// its notBefore time without a violation: the most a broker's clock
	// ran ahead of the recorder's during the run (clock jumps).
	EarlySlack time.Duration
}

// Check runs every check over the history r recorded so far and reports.
// It does not change r.
func Check(r *Recorder, cfg Config) Report {
	h := r.snapshot()
	ix := newIndex(&h)
	rep := Report{Duplicates: map[string]int{}}
	rep.Stats = countStats(&h)

	perQueue := ix.queueHistories()
	queues := slices.SortedFunc(maps.Keys(perQueue), Queue.Compare)
	rep.Stats.Queues = len(queues)
	timeout := cmp.Or(cfg.CheckTimeout, DefaultCheckTimeout)
	for _, q := range queues {
		ops := perQueue[q]
		rep.Stats.Operations += len(ops)
		if v, bad := checkQueue(newModel(rulesFor(cfg, ops)), q, ops, timeout); bad {
			rep.Violations = append(rep.Violations, v)
		}
	}

	rep.Violations = append(rep.Violations, ix.phantoms()...)
	lostViolations, lost := ix.lost(cfg)
	rep.Lost = lost
	rep.Stats.LostAcked = len(lost)
	if cfg.Durable {
		rep.Violations = append(rep.Violations, lostViolations...)
	}
	rep.Violations = append(rep.Violations, ix.early(cfg.EarlySlack)...)
	rep.Violations = append(rep.Violations, ix.twice(cfg.Durable, rep.Duplicates)...)
	rep.Violations = append(rep.Violations, ix.order()...)
	rep.Violations = append(rep.Violations, ix.offsetRegressions(cfg.Durable)...)
	ix.duplicates(rep.Duplicates)

	slices.SortFunc(rep.Violations, compareViolations)
	rep.OK = len(rep.Violations) == 0
	return rep
}

// rulesFor specialises the model for one queue's operations.
func rulesFor(cfg Config, ops []porcupine.Operation) modelRules {
	var crashNs []int64
	for _, op := range ops {
		if op.Input.(modelInput).kind == opCrash {
			crashNs = append(crashNs, op.Call)
		}
	}
	slices.Sort(crashNs)
	rules := modelRules{durable: cfg.Durable, confined: map[claim]bool{}}
	for _, op := range ops {
		in := op.Input.(modelInput)
		if in.kind != opAppend {
			continue
		}
		after, _ := slices.BinarySearch(crashNs, op.Call)    // crashes strictly before the call
		upTo, _ := slices.BinarySearch(crashNs, op.Return+1) // crashes at or before the return
		if after == upTo {
			rules.confined[claim{in.offset, int32(after)}] = true
		}
	}
	return rules
}

func countStats(h *history) Stats {
	var s Stats
	for _, snd := range h.sends {
		switch {
		case !snd.ended:
			s.SendsUnknown++
			s.SendsUnended++
		case snd.result.Outcome == OutcomeOK:
			s.SendsOK++
		case snd.result.Outcome == OutcomeFailed:
			s.SendsFailed++
		default:
			s.SendsUnknown++
		}
	}
	for _, o := range h.offsets {
		if o.reset {
			s.Resets++
		} else {
			s.Commits++
		}
	}
	s.Reads = len(h.reads)
	s.Promises = len(h.promises)
	s.Crashes = len(h.crashes)
	s.Annotations = len(h.annotations)
	return s
}

// checkQueue checks one queue's operations against the model; it returns a
// violation and true when they are not linearizable or the check timed out.
func checkQueue(model porcupine.Model, q Queue, ops []porcupine.Operation, timeout time.Duration) (Violation, bool) {
	switch porcupine.CheckOperationsTimeout(model, ops, timeout) {
	case porcupine.Ok:
		return Violation{}, false
	case porcupine.Unknown:
		return Violation{Kind: KindLinearizability, Queue: q,
			Detail: fmt.Sprintf("undecided: the check of %d operations did not finish within %v", len(ops), timeout)}, true
	}
	detail := fmt.Sprintf("%d operations fit no FIFO log", len(ops))
	if hs := hints(ops); len(hs) > 0 {
		detail += ": " + strings.Join(hs, "; ")
	}
	return Violation{Kind: KindLinearizability, Queue: q, Detail: detail}, true
}

// hints finds simple reasons a queue history is not linearizable: an
// append at an offset that needs more sends than were invoked by its
// return and, on a queue whose broker never crashed (offsets are then
// handed out once), two definite appends claiming one offset or a read
// contradicting an acknowledged append. They explain most failures; the
// visualization explains the rest.
func hints(ops []porcupine.Operation) []string {
	var out []string
	claimedBy := map[int64]string{}
	ackedAt := map[int64]string{}
	var appendCalls []int64 // call times of every append or maybe-append
	crashed := false
	for _, op := range ops {
		switch op.Input.(modelInput).kind {
		case opAppend, opMaybeAppend:
			appendCalls = append(appendCalls, op.Call)
		case opCrash:
			crashed = true
		}
	}
	slices.Sort(appendCalls)
	for _, op := range ops {
		in := op.Input.(modelInput)
		if in.kind != opAppend {
			continue
		}
		if prev, ok := claimedBy[in.offset]; ok && !crashed {
			out = append(out, fmt.Sprintf("offset %d stored both %s and %s", in.offset, prev, in.msgID))
		} else {
			claimedBy[in.offset] = in.msgID
		}
		if in.source == sourceAcked {
			ackedAt[in.offset] = in.msgID
		}
		possible, _ := slices.BinarySearch(appendCalls, op.Return+1) // sends invoked by this return
		if in.offset >= int64(possible) {
			out = append(out, fmt.Sprintf("%s @%d but only %d sends were invoked by then", in.msgID, in.offset, possible))
		}
	}
	for _, op := range ops {
		in := op.Input.(modelInput)
		if in.kind == opRead && !crashed {
			for _, r := range append([]readAt{{in.offset, in.msgID}}, in.more...) {
				if acked, ok := ackedAt[r.offset]; ok && acked != r.msgID {
					out = append(out, fmt.Sprintf("read @%d returned %s but %s was acknowledged there", r.offset, r.msgID, acked))
				}
			}
		}
	}
	slices.Sort(out)
	return out[:min(len(out), maxHints)]
}
