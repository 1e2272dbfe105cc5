package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// campaignSeeds is the short campaign CI runs.
const campaignSeeds = 50

func TestSameSeedSameTrace(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		a := Run(seed, Options{MaxEvents: 30_000, CheckTimeout: time.Minute})
		b := Run(seed, Options{MaxEvents: 30_000, CheckTimeout: time.Minute})
		require.Equal(t, a.Trace, b.Trace, "seed %d", seed)
		require.Equal(t, a.Events, b.Events, "seed %d", seed)
	}
}

func TestCampaign(t *testing.T) {
	pairs, promotions, singles := 0, 0, 0
	for seed := uint64(1); seed <= campaignSeeds; seed++ {
		res := Run(seed, Options{CheckTimeout: time.Minute})
		require.True(t, res.OK(), "%s\n%s\n%v\nreplay: go run ./sim/cmd/apogee-sim -seed %d", res.Line(), res.Report, res.Findings, seed)
		if res.Params.Pairs {
			pairs++
			promotions += res.Promotions
		} else {
			singles++
		}
	}
	// The short campaign covers both shapes, and slaves taking over.
	require.GreaterOrEqual(t, pairs, campaignSeeds/4, "seeds with master/slave pairs")
	require.GreaterOrEqual(t, singles, campaignSeeds/4, "seeds with single brokers")
	require.GreaterOrEqual(t, promotions, 5, "promotions in the campaign")
	t.Logf("%d seeds with pairs (%d promotions), %d with single brokers", pairs, promotions, singles)
}
