package linearizability

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"
)

// TestPruningLosesNoLinearization checks the confined-offset rule against
// the model without it, on generated histories with crashes and random
// corruptions: pruning may only make the search faster, never change a
// verdict.
func TestPruningLosesNoLinearization(t *testing.T) {
	const timeout = 10 * time.Second
	verdicts := map[porcupine.CheckResult]int{}
	for seed := range uint64(60) {
		rng := rand.New(rand.NewPCG(seed, 5))
		r := NewRecorder()
		genHistory(rng, r, []Queue{qa, qb}, 30, 15)
		for range rng.IntN(3) { // corruptions
			q := []Queue{qa, qb}[rng.IntN(2)]
			off := rng.Int64N(20)
			id := fmt.Sprintf("m%d", rng.IntN(60))
			tNs := 1000 + rng.Int64N(800)
			if rng.IntN(2) == 0 {
				r.Read(9, "g1", q, off, id, tNs, tNs+20)
			} else {
				ack(r, id, tNs, tNs+20, q, off)
			}
		}
		h := r.snapshot()
		ix := newIndex(&h)
		for q, ops := range ix.queueHistories() {
			for _, durable := range []bool{false, true} {
				pruned := rulesFor(Config{Durable: durable}, ops)
				plain := modelRules{durable: durable}
				want := porcupine.CheckOperationsTimeout(newModel(plain), ops, timeout)
				got := porcupine.CheckOperationsTimeout(newModel(pruned), ops, timeout)
				require.Equal(t, want, got, "seed %d queue %s durable %v", seed, q, durable)
				verdicts[got]++
			}
		}
	}
	require.Positive(t, verdicts[porcupine.Ok])
	require.Positive(t, verdicts[porcupine.Illegal])
	t.Logf("verdicts: %v", verdicts)
}

// TestMaybeAppendAsPointLosesNothing checks that making a never-observed
// unknown send a point at its invocation gives the same verdicts as letting
// it take effect anywhere until the end of the history, on small generated
// histories with crashes and corruptions.
func TestMaybeAppendAsPointLosesNothing(t *testing.T) {
	const timeout = 10 * time.Second
	verdicts := map[porcupine.CheckResult]int{}
	for seed := range uint64(150) {
		rng := rand.New(rand.NewPCG(seed, 6))
		r := NewRecorder()
		genHistory(rng, r, []Queue{qa}, 14, 10)
		if rng.IntN(2) == 0 {
			tNs := 1000 + rng.Int64N(200)
			ack(r, "extra", tNs, tNs+20, qa, rng.Int64N(12))
		}
		h := r.snapshot()
		ix := newIndex(&h)
		ops, ok := ix.queueHistories()[qa]
		if !ok {
			continue
		}
		open := make([]porcupine.Operation, len(ops))
		for i, op := range ops {
			if op.Input.(modelInput).kind == opMaybeAppend {
				op.Return = ix.horizonNs
			}
			open[i] = op
		}
		model := newModel(modelRules{})
		want := porcupine.CheckOperationsTimeout(model, open, timeout)
		got := porcupine.CheckOperationsTimeout(model, ops, timeout)
		require.Equal(t, want, got, "seed %d", seed)
		verdicts[got]++
	}
	require.Positive(t, verdicts[porcupine.Ok])
	require.Positive(t, verdicts[porcupine.Illegal])
	t.Logf("verdicts: %v", verdicts)
}
