package consumequeue

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeCommitLog answers store times for the records physOf(i): record i was
// stored at storeMs[i]; records below minPhys are gone.
type fakeCommitLog struct {
	storeMs []int64
	minPhys int64
	calls   int
}

func (c *fakeCommitLog) storeTimeOf(physOffset int64, sizeBytes int32) (int64, bool) {
	c.calls++
	if physOffset < c.minPhys || sizeBytes != recSize {
		return 0, false
	}
	return c.storeMs[(physOffset-1000)/100], true
}

// linearOffsetByTime is the obvious answer: the first offset in [min, max)
// whose record is readable and stored at or after ts.
func linearOffsetByTime(q *Queue, c *fakeCommitLog, ts int64) int64 {
	for off := q.MinOffset(); off < q.MaxOffset(); off++ {
		u, ok := q.Get(off)
		if !ok || u.IsFiller() {
			continue
		}
		if t, ok := c.storeTimeOf(u.PhysOffset, u.SizeBytes); ok && t >= ts {
			return off
		}
	}
	return q.MaxOffset()
}

func TestOffsetByTime(t *testing.T) {
	e, _ := memEnv(t)
	q := openQueue(t, e, testConfig())
	defer q.Close()
	c := &fakeCommitLog{}
	require.Zero(t, q.OffsetByTime(5, c.storeTimeOf), "empty queue")

	// 25 records, stored at 10_000 + 10*i, with offsets 10..12 sharing one
	// millisecond.
	for i := int64(0); i < 25; i++ {
		ms := 10_000 + 10*i
		if i >= 10 && i <= 12 {
			ms = 10_100
		}
		c.storeMs = append(c.storeMs, ms)
	}
	appendRange(t, q, 0, 25)

	cases := []struct {
		name string
		ts   int64
		want int64
	}{
		{"before everything", 0, 0},
		{"exactly the first", 10_000, 0},
		{"exact match", 10_050, 5},
		{"between two records", 10_055, 6},
		{"first of equal times", 10_100, 10},
		{"after the equal run", 10_101, 13},
		{"exactly the last", 10_240, 24},
		{"after everything", 10_241, 25},
	}
	for _, tc := range cases {
		c.calls = 0
		require.Equal(t, tc.want, q.OffsetByTime(tc.ts, c.storeTimeOf), tc.name)
		require.LessOrEqual(t, c.calls, 6, "%s: bisection, not a scan", tc.name)
	}

	// Records deleted from the CommitLog count as older; the minimum bounds
	// the search.
	c.minPhys = physOf(8)
	require.EqualValues(t, 8, q.OffsetByTime(0, c.storeTimeOf))
	q.CorrectMinOffset(physOf(15))
	require.EqualValues(t, 15, q.OffsetByTime(0, c.storeTimeOf))
	require.EqualValues(t, 20, q.OffsetByTime(10_200, c.storeTimeOf))
}

func TestOffsetByTimeAcrossFillers(t *testing.T) {
	e, _ := memEnv(t)
	q := openQueue(t, e, testConfig())
	defer q.Close()
	c := &fakeCommitLog{}
	for i := int64(0); i < 40; i++ {
		c.storeMs = append(c.storeMs, 1_000+i)
	}
	// Pre-blank at 3, then a gap 9..16 filled with fillers.
	appendRange(t, q, 3, 9)
	appendRange(t, q, 17, 30)
	for ts := int64(990); ts <= 1_035; ts++ {
		require.Equal(t, linearOffsetByTime(q, c, ts), q.OffsetByTime(ts, c.storeTimeOf), "ts %d", ts)
	}
	require.EqualValues(t, 17, q.OffsetByTime(1_009, c.storeTimeOf), "a time inside the gap finds the unit after it")
}

func TestOffsetByTimeMatchesLinearSearch(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for round := 0; round < 20; round++ {
		e, _ := memEnv(t)
		q := openQueue(t, e, testConfig())
		c := &fakeCommitLog{}
		n := int64(1 + r.IntN(60))
		ms := int64(5_000)
		for i := int64(0); i < n; i++ {
			ms += int64(r.IntN(3)) // non-decreasing, with repeats
			c.storeMs = append(c.storeMs, ms)
		}
		appendRange(t, q, 0, n)
		if r.IntN(2) == 0 {
			q.CorrectMinOffset(physOf(r.Int64N(n)))
		}
		for ts := int64(4_999); ts <= ms+1; ts++ {
			require.Equal(t, linearOffsetByTime(q, c, ts), q.OffsetByTime(ts, c.storeTimeOf), "round %d ts %d", round, ts)
		}
		require.NoError(t, q.Close())
	}
}
