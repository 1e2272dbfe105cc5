package linearizability

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// TestLogMatchesSlice drives the persistent log and a plain slice with the
// same pushes and truncations, keeping every version alive, and checks that
// indexing, prefixes and equality agree.
func TestLogMatchesSlice(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		type version struct {
			log   *logEntry
			model []string
		}
		versions := []version{{emptyLog, nil}}
		steps := rapid.IntRange(1, 200).Draw(t, "steps")
		for range steps {
			base := versions[rapid.IntRange(0, len(versions)-1).Draw(t, "base")]
			var next version
			if base.log.depth > 0 && rapid.IntRange(0, 4).Draw(t, "op") == 0 {
				k := rapid.Int64Range(0, base.log.depth-1).Draw(t, "truncate")
				next = version{base.log.prefix(k), append([]string(nil), base.model[:k]...)}
			} else {
				id := rapid.SampledFrom([]string{"", "a", "b", "c"}).Draw(t, "id")
				next = version{base.log.push(id, hashID(id), id == "a"), append(append([]string(nil), base.model...), id)}
			}
			versions = append(versions, next)
		}
		for i, v := range versions {
			require.Equal(t, int64(len(v.model)), v.log.depth)
			for off, id := range v.model {
				require.Equal(t, id, v.log.at(int64(off)).msgID, "version %d offset %d", i, off)
			}
			for j, w := range versions {
				same := slices.Equal(v.model, w.model)
				require.Equal(t, same, sameLog(v.log, w.log), "versions %d and %d", i, j)
				if same {
					require.Equal(t, v.log.hash, w.log.hash)
				}
			}
		}
	})
}

func TestLogLastAckedFollowsPushes(t *testing.T) {
	log := emptyLog.push("a", hashID("a"), true).push("b", hashID("b"), false)
	assert.Equal(t, int64(1), log.lastAcked)
	log = log.push("c", hashID("c"), true)
	assert.Equal(t, int64(3), log.lastAcked)
	assert.Equal(t, int64(1), log.prefix(2).lastAcked)
	assert.Equal(t, int64(0), log.prefix(0).lastAcked)
}

func TestLogPrefixOutOfRangePanics(t *testing.T) {
	log := emptyLog.push("a", hashID("a"), true)
	assert.Panics(t, func() { log.prefix(2) })
	assert.Panics(t, func() { log.prefix(-1) })
}

// TestLogIndexIsLogarithmic bounds the steps of a lookup on a long log: the
// jump pointers must keep it far below the log's length.
func TestLogIndexIsLogarithmic(t *testing.T) {
	const n = 1 << 16
	log := emptyLog
	for i := range n {
		id := fmt.Sprint(i)
		log = log.push(id, hashID(id), false)
	}
	worst := 0
	for _, target := range []int64{0, 1, n / 3, n / 2, n - 2} {
		steps := 0
		for e := log; e.depth > target+1; steps++ {
			if e.jump.depth >= target+1 {
				e = e.jump
			} else {
				e = e.parent
			}
		}
		worst = max(worst, steps)
		assert.Equal(t, fmt.Sprint(target), log.at(target).msgID)
	}
	assert.Less(t, worst, 4*17, "a lookup walked %d steps on a log of %d", worst, n)
}
