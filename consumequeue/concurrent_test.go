package consumequeue

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConcurrentReadersWriterAndCleaner runs the dispatcher, the retention
// cleaner, the flusher and pull readers at once. MemFS poisons a file's
// memory when its last mapping goes, so a reader that touched a deleted
// file's bytes would see garbage, and the race detector watches the rest.
func TestConcurrentReadersWriterAndCleaner(t *testing.T) {
	const total = 3000
	e, _ := memEnv(t)
	q := openQueue(t, e, testConfig())
	defer q.Close()

	var done atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // dispatcher
		defer wg.Done()
		defer done.Store(true)
		for i := int64(0); i < total; i++ {
			if !assert.NoError(t, q.Append(i, physOf(i), recSize, tagOf(i))) {
				return
			}
		}
	}()
	wg.Add(1)
	go func() { // cleaner and flusher: keep roughly the newest 200 records
		defer wg.Done()
		for !done.Load() {
			if maxOffset := q.MaxOffset(); maxOffset > 200 {
				_, err := q.DeleteBelowPhysOffset(physOf(maxOffset - 200))
				assert.NoError(t, err)
			}
			assert.NoError(t, q.Flush(0))
		}
	}()
	var reads atomic.Int64
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() { // pull readers
			defer wg.Done()
			dst := make([]Unit, 16)
			// Until the writer is done, and at least until something was
			// read: on a loaded machine the writer may finish before a
			// reader is first scheduled.
			for !done.Load() || reads.Load() == 0 {
				minOffset, maxOffset := q.MinOffset(), q.MaxOffset()
				if !assert.LessOrEqual(t, minOffset, maxOffset) {
					return
				}
				n := q.Units(minOffset, dst)
				for i := 0; i < n; i++ {
					if !assert.Equal(t, unitOf(minOffset+int64(i)), dst[i]) {
						return
					}
				}
				if u, ok := q.Get(maxOffset - 1); ok {
					assert.Equal(t, unitOf(maxOffset-1), u)
				}
				got := q.OffsetByTime(physOf(maxOffset/2), func(physOffset int64, _ int32) (int64, bool) {
					return physOffset, true // store time = CommitLog offset
				})
				assert.GreaterOrEqual(t, got, min(minOffset, maxOffset/2))
				reads.Add(int64(n))
			}
		}()
	}
	wg.Wait()
	require.EqualValues(t, total, q.MaxOffset())
	require.Positive(t, reads.Load())
	_, err := q.DeleteBelowPhysOffset(physOf(total - 200))
	require.NoError(t, err)
	require.LessOrEqual(t, q.FileCount(), 21)
	requireUnits(t, q, total-200, total)
}
