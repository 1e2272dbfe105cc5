package sim

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// bugSeedBudget is how many seeds each planted bug gets to be caught in.
const bugSeedBudget = 200

// TestPlantedBugsAreCaught runs seeds with each planted bug until one run
// reports a violation; every bug must be caught within the budget.
func TestPlantedBugsAreCaught(t *testing.T) {
	for _, bug := range Bugs() {
		t.Run(bug, func(t *testing.T) {
			seed, ok := firstViolation(bug, bugSeedBudget)
			require.True(t, ok, "planted bug %s survived %d seeds", bug, bugSeedBudget)
			t.Logf("%s caught by seed %d: go run ./sim/cmd/apogee-sim -seed %d -inject-bug %s", bug, seed, seed, bug)
		})
	}
}

// firstViolation runs seeds 1..budget with bug on two workers and returns
// the smallest seed that found a violation.
func firstViolation(bug string, budget int) (uint64, bool) {
	const workers = 2
	var (
		mu    sync.Mutex
		best  uint64
		found bool
		next  uint64 = 1
		wg    sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				seed := next
				next++
				stop := seed > uint64(budget) || (found && seed > best)
				mu.Unlock()
				if stop {
					return
				}
				res := Run(seed, Options{Bug: bug, CheckTimeout: 5 * time.Second})
				if !res.OK() {
					mu.Lock()
					if !found || seed < best {
						best, found = seed, true
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return best, found
}
