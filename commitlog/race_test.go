package commitlog

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

// TestConcurrentAppendersAndReaders runs sync-flush appenders and lock-free
// readers together on the real environment (real timers on their own
// goroutines): run it with -race.
func TestConcurrentAppendersAndReaders(t *testing.T) {
	e := env.Real()
	cfg := DefaultConfig()
	cfg.SegmentSizeBytes = 64 << 10
	cfg.FlushMode = FlushSync
	cfg.FlushInterval = 5 * time.Millisecond
	cfg.Logger = slog.New(slog.DiscardHandler)
	l, err := Open(e, t.TempDir(), cfg)
	require.NoError(t, err)
	_, err = l.Recover(RecoverOptions{}, nil)
	require.NoError(t, err)

	const appenders, perAppender, queues = 4, 150, 3
	var wg sync.WaitGroup
	var stop atomic.Bool
	errs := make(chan error, appenders+2)
	for a := range appenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perAppender {
				m := testMsg(fmt.Sprintf("T%d", a%2), int32(i%queues), 10+(a*31+i*17)%700, i)
				r, err := l.Append(&m)
				if err != nil {
					errs <- err
					return
				}
				done := make(chan error, 1)
				l.Durable(r.EndOffset, func(err error) { done <- err })
				if err := <-done; err != nil {
					errs <- err
					return
				}
				if l.FlushedOffset() < r.EndOffset {
					errs <- fmt.Errorf("durable at %d but flushed only %d", r.EndOffset, l.FlushedOffset())
					return
				}
			}
		}()
	}
	var readers sync.WaitGroup
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for !stop.Load() {
				if err := checkLog(l); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	stop.Store(true)
	readers.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.NoError(t, checkLog(l))
	total := int64(0)
	for topic := range 2 {
		for q := range queues {
			total += l.QueueOffset(fmt.Sprintf("T%d", topic), int32(q))
		}
	}
	require.Equal(t, int64(appenders*perAppender), total)
	require.NoError(t, l.Close())
}

// checkLog walks the published log: every record CRC-checks and the queue
// offsets of each queue run 0, 1, 2, ... in log order.
func checkLog(l *Log) error {
	next := map[string]int64{}
	end := l.MaxOffset()
	for off := l.MinOffset(); off < end; {
		rec, ref, err := l.ReadRecord(off)
		if errors.Is(err, ErrBlank) {
			off = l.NextSegmentStart(off)
			continue
		}
		if err != nil {
			return err
		}
		if got := BodyCRC(rec.Body); got != rec.BodyCRC {
			ref.Release()
			return fmt.Errorf("crc mismatch at %d", off)
		}
		key := fmt.Sprintf("%s-%d", rec.Topic, rec.QueueID)
		if rec.QueueOffset != next[key] {
			ref.Release()
			return fmt.Errorf("queue %s: offset %d, want %d", key, rec.QueueOffset, next[key])
		}
		next[key]++
		off = rec.EndOffset()
		ref.Release()
	}
	return nil
}
