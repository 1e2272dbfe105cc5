package linearizability

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/anishathalye/porcupine"
)

// ErrNoHistory is returned by VisualizeQueue for a queue without recorded
// operations.
var ErrNoHistory = errors.New("linearizability: no operations recorded for the queue")

// crashColor marks crashes among the annotations.
const crashColor = "#f4b6b6"

// VisualizeQueue writes porcupine's HTML visualization of queue q's history
// to w: the operations in lanes, the longest (partial) linearizations found
// under cfg's model, and every annotation and crash of the run. Writing the
// file is the caller's business (this package does no I/O).
func VisualizeQueue(rec *Recorder, cfg Config, q Queue, w io.Writer) error {
	h := rec.snapshot()
	ix := newIndex(&h)
	ops, ok := ix.queueHistories()[q]
	if !ok {
		return fmt.Errorf("visualize %s: %w", q, ErrNoHistory)
	}
	assignLanes(ops)
	model := newModel(rulesFor(cfg, ops))
	_, info := porcupine.CheckOperationsVerbose(model, ops, cmp.Or(cfg.CheckTimeout, DefaultCheckTimeout))
	info.AddAnnotations(annotations(&h))
	if err := porcupine.Visualize(model, info, w); err != nil {
		return fmt.Errorf("visualize %s: %w", q, err)
	}
	return nil
}

// assignLanes sets each operation's ClientId to a visualization lane such
// that no two operations of a lane overlap: recorded clients overlap with
// themselves (asynchronous sends, unknown outcomes that stay open to the end
// of the history), and porcupine draws one row per ClientId. The client is
// kept in the operation's metadata.
func assignLanes(ops []porcupine.Operation) {
	order := make([]int, len(ops))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(ops[a].Call, ops[b].Call), cmp.Compare(ops[a].Return, ops[b].Return))
	})
	var laneFreeAfter []int64 // per lane, the return of its last operation
	for _, i := range order {
		lane := slices.IndexFunc(laneFreeAfter, func(ret int64) bool { return ret < ops[i].Call })
		if lane < 0 {
			lane = len(laneFreeAfter)
			laneFreeAfter = append(laneFreeAfter, 0)
		}
		laneFreeAfter[lane] = ops[i].Return
		ops[i].ClientId = lane
	}
}

// annotations turns the recorded annotations and crashes into porcupine's,
// one row per node.
func annotations(h *history) []porcupine.Annotation {
	out := make([]porcupine.Annotation, 0, len(h.annotations)+len(h.crashes))
	for _, n := range h.annotations {
		out = append(out, porcupine.Annotation{Tag: n.node, Start: n.atNs, Description: n.text,
			Details: fmt.Sprintf("%s at %d ns", n.node, n.atNs)})
	}
	for _, n := range h.crashes {
		out = append(out, porcupine.Annotation{Tag: n.node, Start: n.atNs, Description: n.text,
			Details: fmt.Sprintf("%s at %d ns", n.node, n.atNs), BackgroundColor: crashColor})
	}
	return out
}
