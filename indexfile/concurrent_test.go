package indexfile

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

// TestConcurrentWriterAndReaders runs one dispatcher against concurrent
// queries, flushes and deletions on the real env (real timers run the
// deferred flushes on their own goroutines). Run with -race.
func TestConcurrentWriterAndReaders(t *testing.T) {
	e := env.Real()
	dir := t.TempDir()
	var log flushLog
	s, err := Open(e, dir, Config{Geometry: Geometry{HashSlots: 16, MaxEntries: 64}, OnFullFileFlushed: log.record})
	require.NoError(t, err)

	const records = 2000
	var written atomic.Int64 // records fully indexed
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range int64(records) {
			key := fmt.Sprintf("k%d", i%10)
			if err := s.PutRecord("T", key+" all", "", 100*i, t0+i); err != nil {
				t.Errorf("PutRecord %d: %v", i, err)
				return
			}
			written.Store(i + 1)
		}
	}()
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for r := range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				got, err := s.Query("T", fmt.Sprintf("k%d", (r+n)%10), 64, 0, t0+records)
				if err != nil {
					t.Errorf("Query: %v", err)
					return
				}
				if !slices.IsSortedFunc(got, func(a, b int64) int { return int(b - a) }) {
					t.Errorf("results not newest first: %v", got)
					return
				}
			}
		}()
	}
	readers.Add(1)
	go func() {
		defer readers.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := s.Flush(); err != nil {
				t.Errorf("Flush: %v", err)
				return
			}
			if _, err := s.DeleteFilesBefore(100 * (written.Load() - 500)); err != nil {
				t.Errorf("DeleteFilesBefore: %v", err)
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	readers.Wait()

	// The newest 500 records survive deletion; k3 is every tenth record.
	got := setQuery(t, s, "T", "k3", 64, 0, t0+records)
	require.NotEmpty(t, got)
	require.EqualValues(t, 100*(records-7), got[0])
	require.NoError(t, s.Flush())
	vals := log.values()
	require.NotEmpty(t, vals)
	require.True(t, slices.IsSorted(vals), "indexMsgTimestamp only grows: %v", vals)
	require.NoError(t, s.Close())

	s, err = Open(e, dir, Config{Geometry: Geometry{HashSlots: 16, MaxEntries: 64}})
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	require.Equal(t, got, setQuery(t, s, "T", "k3", 64, 0, t0+records))
}
