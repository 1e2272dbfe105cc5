package sim

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestScriptedScenarios lets rapid draw the seed (which fixes the cluster
// and the workload) and the fault schedule: a failing run shrinks to a
// short list of labelled steps.
func TestScriptedScenarios(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64Range(1, 1<<32).Draw(t, "seed")
		n := rapid.IntRange(0, 6).Draw(t, "faults")
		steps := make([]Step, n)
		for i := range steps {
			steps[i] = Step{
				At:   time.Duration(rapid.IntRange(0, 9_000).Draw(t, fmt.Sprintf("step%d.ms", i))) * time.Millisecond,
				Kind: rapid.SampledFrom(FaultKinds()).Draw(t, fmt.Sprintf("step%d.kind", i)),
			}
		}
		sort.SliceStable(steps, func(i, j int) bool { return steps[i].At < steps[j].At })
		res := Run(seed, Options{Script: steps, MaxEvents: 200_000, CheckTimeout: time.Minute})
		if !res.OK() {
			t.Fatalf("%s\n%s\n%v", res.Line(), res.Report, res.Findings)
		}
	})
}
