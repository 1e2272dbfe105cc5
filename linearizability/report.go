package linearizability

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Violation kinds.
const (
	// KindLinearizability: a queue's history fits no FIFO log, or its check
	// did not finish (the Detail says "undecided").
	KindLinearizability = "linearizability"
	// KindPhantom: a delivered id that no send can explain.
	KindPhantom = "phantom"
	// KindLost: an acknowledged id a required group never received, under
	// Config.Durable.
	KindLost = "lost"
	// KindOrder: first deliveries of a queue to one client went backwards.
	KindOrder = "order"
	// KindOffsetRegression: a committed consumer offset moved backwards
	// without a reset.
	KindOffsetRegression = "offset-regression"
	// KindEarly: a promised message (Recorder.Promise) delivered before
	// its delivery time.
	KindEarly = "early"
	// KindTwice: a message promised once stored twice on its queue.
	KindTwice = "twice"
)

// Duplicate causes: the keys of Report.Duplicates.
const (
	// CauseProducerRetry: one id stored at two (queue, offset) places, as a
	// producer retry after an unknown outcome does.
	CauseProducerRetry = "producer retry (same id at two offsets)"
	// CauseRedeliveryReset: a group received a message again after an
	// explicit reset of its offset.
	CauseRedeliveryReset = "redelivery after reset"
	// CauseRedeliveryCrash: again, after the queue's broker crashed.
	CauseRedeliveryCrash = "redelivery after broker crash"
	// CauseRedeliveryRebalance: again, by another client of the group.
	CauseRedeliveryRebalance = "redelivery to another client (rebalance)"
	// CausePromisedAgain: a promised message stored again on its queue (a
	// transaction committed again, a delayed message delivered again after
	// a machine crash took the first copy).
	CausePromisedAgain = "promised message stored again"
	// CauseRedeliverySameClient: again, by the same client (a restart, or a
	// pull from an offset that was not yet committed).
	CauseRedeliverySameClient = "redelivery to the same client (restart or retry)"
)

// Report limits for String: the full lists stay in the Report fields, the
// text stays readable in a test log.
const (
	maxShownViolations = 20
	maxShownLost       = 10
)

// Violation is one broken invariant.
type Violation struct {
	Kind   string // one of the Kind constants
	Queue  Queue  // the queue concerned
	Detail string
}

// String formats v on one line.
func (v Violation) String() string {
	return fmt.Sprintf("%s %s: %s", v.Kind, v.Queue, v.Detail)
}

func compareViolations(a, b Violation) int {
	if c := cmp.Compare(a.Kind, b.Kind); c != 0 {
		return c
	}
	if c := a.Queue.Compare(b.Queue); c != 0 {
		return c
	}
	return cmp.Compare(a.Detail, b.Detail)
}

// Stats sums up what was recorded and checked.
type Stats struct {
	SendsOK      int
	SendsFailed  int
	SendsUnknown int // including SendsUnended
	SendsUnended int // never ended: the client crashed or the run ended
	Reads        int // messages delivered, counting every redelivery
	Commits      int
	Resets       int
	Crashes      int
	Annotations  int
	Queues       int // queues checked for linearizability
	Operations   int // porcupine operations over all queues
	LostAcked    int // acknowledged ids some required group never received
	Promises     int // deliveries promised without an offset (Recorder.Promise)
}

// Report is the outcome of Check.
type Report struct {
	OK         bool        // no violations
	Violations []Violation // sorted by kind, queue, detail
	// Duplicates counts extra copies by cause (the Cause constants).
	Duplicates map[string]int
	// Lost lists, sorted, the acknowledged ids that some required group never
	// received: violations under Config.Durable, measured loss otherwise.
	Lost  []string
	Stats Stats
}

// String renders the report compactly: a verdict, the counts, the first
// violations and lost ids.
func (r Report) String() string {
	var b strings.Builder
	if r.OK {
		b.WriteString("check: OK\n")
	} else {
		fmt.Fprintf(&b, "check: FAILED, %d violations\n", len(r.Violations))
	}
	s := r.Stats
	fmt.Fprintf(&b, "sends ok=%d failed=%d unknown=%d (unended=%d) promised=%d; reads=%d commits=%d resets=%d crashes=%d annotations=%d; queues=%d ops=%d\n",
		s.SendsOK, s.SendsFailed, s.SendsUnknown, s.SendsUnended, s.Promises, s.Reads, s.Commits, s.Resets, s.Crashes, s.Annotations, s.Queues, s.Operations)
	if len(r.Violations) > 0 {
		perKind := map[string]int{}
		for _, v := range r.Violations {
			perKind[v.Kind]++
		}
		b.WriteString("violations:")
		for _, k := range slices.Sorted(maps.Keys(perKind)) {
			fmt.Fprintf(&b, " %s=%d", k, perKind[k])
		}
		b.WriteString("\n")
		for _, v := range r.Violations[:min(len(r.Violations), maxShownViolations)] {
			fmt.Fprintf(&b, "  %s\n", v)
		}
		if len(r.Violations) > maxShownViolations {
			fmt.Fprintf(&b, "  ... %d more\n", len(r.Violations)-maxShownViolations)
		}
	}
	if len(r.Duplicates) > 0 {
		b.WriteString("duplicates:")
		for _, c := range slices.Sorted(maps.Keys(r.Duplicates)) {
			fmt.Fprintf(&b, " %s=%d;", c, r.Duplicates[c])
		}
		b.WriteString("\n")
	}
	if len(r.Lost) > 0 {
		fmt.Fprintf(&b, "lost acknowledged: %d: %s", len(r.Lost), strings.Join(r.Lost[:min(len(r.Lost), maxShownLost)], " "))
		if len(r.Lost) > maxShownLost {
			b.WriteString(" ...")
		}
		b.WriteString("\n")
	}
	return b.String()
}
