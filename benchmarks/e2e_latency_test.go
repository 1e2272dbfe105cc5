package benchmarks

import (
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// latencyHistogram counts latencies in log-linear buckets, as HDR
// histograms do: values below latencySubBuckets nanoseconds get a bucket
// each, and every power-of-two range above is cut into latencySubBuckets
// equal buckets, so a quantile read back is within 1/(2·latencySubBuckets)
// (0.8%) of a recorded value. Its memory is fixed whatever the number of
// samples, and Record is safe for concurrent use (one atomic add), so the
// callbacks of many senders record into one histogram.
type latencyHistogram struct {
	counts [latencyBuckets]atomic.Uint64
}

const (
	// latencySubBucketBits makes 64 buckets per power of two: 1.6% wide,
	// finer than the run-to-run noise of a loopback benchmark.
	latencySubBucketBits = 6
	latencySubBuckets    = 1 << latencySubBucketBits
	// latencyMaxBits bounds the values tracked to 2^40 ns (18 minutes);
	// anything longer is counted at the bound. No request of a benchmark
	// lives that long: the client's timeouts are seconds.
	latencyMaxBits = 40
	latencyMaxNs   = 1<<latencyMaxBits - 1
	// latencyBuckets is latencySubBuckets exact buckets below
	// latencySubBuckets, then latencySubBuckets buckets for each shift from
	// 0 to latencyMaxBits-latencySubBucketBits-1.
	latencyBuckets = latencySubBuckets * (latencyMaxBits - latencySubBucketBits + 1)
)

// latencyBucket returns the bucket of ns, clamped to [0, latencyMaxNs].
func latencyBucket(ns int64) int {
	v := uint64(max(ns, 0))
	v = min(v, latencyMaxNs)
	if v < latencySubBuckets {
		return int(v)
	}
	shift := bits.Len64(v) - latencySubBucketBits - 1
	sub := v >> shift // in [latencySubBuckets, 2·latencySubBuckets)
	return latencySubBuckets*shift + int(sub)
}

// latencyBucketMidNs returns the middle of bucket i in nanoseconds.
func latencyBucketMidNs(i int) float64 {
	if i < latencySubBuckets {
		return float64(i)
	}
	shift := i/latencySubBuckets - 1
	sub := uint64(i%latencySubBuckets + latencySubBuckets)
	low := sub << shift
	return float64(low) + float64(uint64(1)<<shift-1)/2
}

// Record counts one latency.
func (h *latencyHistogram) Record(d time.Duration) {
	h.counts[latencyBucket(d.Nanoseconds())].Add(1)
}

// Count returns how many latencies were recorded.
func (h *latencyHistogram) Count() uint64 {
	var n uint64
	for i := range h.counts {
		n += h.counts[i].Load()
	}
	return n
}

// Quantile returns the latency at quantile q in [0, 1]: the middle of the
// bucket holding the ⌈q·n⌉-th smallest sample, or 0 when nothing was
// recorded. It must not run while samples are still being recorded.
func (h *latencyHistogram) Quantile(q float64) time.Duration {
	n := h.Count()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	rank = min(max(rank, 1), n)
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return time.Duration(latencyBucketMidNs(i))
		}
	}
	panic("latencyHistogram: the counts changed while a quantile was read")
}

// reportLatency adds the p50 and p99 of h in microseconds to b's metrics.
func reportLatency(b *testing.B, h *latencyHistogram) {
	if h.Count() == 0 {
		return
	}
	b.ReportMetric(float64(h.Quantile(0.50).Nanoseconds())/1e3, "p50_us")
	b.ReportMetric(float64(h.Quantile(0.99).Nanoseconds())/1e3, "p99_us")
}

func TestLatencyBucketRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ns     int64
		wantNs float64 // the value the bucket reads back as
		exact  bool
	}{
		{"zero", 0, 0, true},
		{"negative clamps to zero", -5, 0, true},
		{"one", 1, 1, true},
		{"last exact", latencySubBuckets - 1, latencySubBuckets - 1, true},
		{"first shifted", latencySubBuckets, latencySubBuckets, true},
		{"second range", 2*latencySubBuckets + 1, 2*latencySubBuckets + 0.5, false},
		{"a microsecond", 1000, 1000, false},
		{"50 µs", 50_000, 50_000, false},
		{"1.234567 ms", 1_234_567, 1_234_567, false},
		{"the bound", latencyMaxNs, latencyMaxNs, false},
		{"beyond the bound clamps", latencyMaxNs * 4, latencyMaxNs, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := latencyBucket(tc.ns)
			require.GreaterOrEqual(t, i, 0)
			require.Less(t, i, latencyBuckets)
			got := latencyBucketMidNs(i)
			if tc.exact {
				assert.Equal(t, tc.wantNs, got)
				return
			}
			assert.InDelta(t, tc.wantNs, got, tc.wantNs/(2*latencySubBuckets)+0.5)
		})
	}
}

func TestLatencyBucketsAreOrdered(t *testing.T) {
	prev := latencyBucket(0)
	for v := int64(1); v <= latencyMaxNs; v += 1 + v/97 {
		i := latencyBucket(v)
		require.GreaterOrEqual(t, i, prev, "bucket of %d ns", v)
		require.LessOrEqual(t, latencyBucketMidNs(i), float64(v)*(1+1.0/latencySubBuckets), "bucket of %d ns", v)
		prev = i
	}
	assert.Equal(t, latencyBuckets-1, latencyBucket(latencyMaxNs))
}

func TestLatencyHistogramQuantiles(t *testing.T) {
	var empty latencyHistogram
	assert.Zero(t, empty.Count())
	assert.Zero(t, empty.Quantile(0.5))

	var h latencyHistogram
	const samples = 10_000
	for i := 1; i <= samples; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	require.Equal(t, uint64(samples), h.Count())
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{
		{0, time.Microsecond},
		{0.5, 5000 * time.Microsecond},
		{0.99, 9900 * time.Microsecond},
		{1, samples * time.Microsecond},
	} {
		got := h.Quantile(tc.q)
		assert.InDelta(t, float64(tc.want), float64(got), float64(tc.want)/(2*latencySubBuckets)+1, "q=%v", tc.q)
	}
}

func TestLatencyHistogramConcurrentRecord(t *testing.T) {
	var h latencyHistogram
	const writers, each = 8, 1000
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				h.Record(time.Duration(w*each+i) * time.Nanosecond)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, uint64(writers*each), h.Count())
	assert.InDelta(t, float64(writers*each/2), float64(h.Quantile(0.5)), writers*each/(2*latencySubBuckets)+1)
}
