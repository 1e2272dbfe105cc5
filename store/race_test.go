package store

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
)

// Shape of the concurrent test: enough records to roll over a dozen 64 KiB
// segments while staying well under a second with -race.
const (
	racePutters      = 4
	raceReaders      = 2
	racePutsEach     = 300
	raceBodyBytes    = 600
	raceSegmentBytes = 64 * 1024
)

// raceBody is the body of the i-th message of queue q.
func raceBody(q int32, i int) []byte {
	return newMessage("Race", q, fmt.Sprintf("q%d/m%d|", q, i), raceBodyBytes).Body
}

// checkRaceRecord returns why raw is not message queueOffset of queue q.
func checkRaceRecord(raw []byte, q int32, queueOffset int64) error {
	rec, err := commitlog.Decode(raw, true)
	if err != nil {
		return err
	}
	if string(rec.Topic) != "Race" || rec.QueueID != q || rec.QueueOffset != queueOffset {
		return fmt.Errorf("read %s/%d@%d at Race/%d@%d", rec.Topic, rec.QueueID, rec.QueueOffset, q, queueOffset)
	}
	if !bytes.Equal(rec.Body, raceBody(q, int(queueOffset))) {
		return fmt.Errorf("body of Race/%d@%d differs", q, queueOffset)
	}
	return nil
}

// readQueueFrom reads queue q from next on and returns where it stopped.
func readQueueFrom(st *Store, q int32, next int64) (int64, error) {
	for {
		r := st.Get("Race", q, next, 16, nil)
		if r.Status != GetFound {
			r.Release()
			return next, nil
		}
		for i, raw := range r.Messages {
			if err := checkRaceRecord(raw, q, r.QueueOffsets[i]); err != nil {
				r.Release()
				return next, err
			}
			if r.QueueOffsets[i] != next+int64(i) {
				r.Release()
				return next, fmt.Errorf("queue %d: offset %d, want %d", q, r.QueueOffsets[i], next+int64(i))
			}
		}
		next = r.NextBeginOffset
		r.Release()
	}
}

func TestConcurrentPutAndGetOnRealEnv(t *testing.T) {
	cfg := DefaultConfig(t.TempDir())
	cfg.CommitLog.SegmentSizeBytes = raceSegmentBytes
	cfg.ConsumeQueueUnitsPerFile = 64
	cfg.IndexHashSlots = testIndexHashSlots
	cfg.IndexMaxEntries = 512
	e := env.Real()
	st, err := Open(e, cfg)
	require.NoError(t, err)

	var putters sync.WaitGroup
	var putsDone atomic.Bool
	putErrs := make(chan error, racePutters)
	for p := range racePutters {
		q := int32(p)
		putters.Go(func() {
			for i := range racePutsEach {
				msg := newMessage("Race", q, "", raceBodyBytes, commitlog.PropertyKeys, fmt.Sprintf("k-%d-%d", q, i))
				msg.Body = raceBody(q, i)
				var res PutResult
				st.Put(msg, func(r PutResult) { res = r })
				if res.Status != PutOK || res.QueueOffset != int64(i) {
					putErrs <- fmt.Errorf("put %d of queue %d: %v at %d: %v", i, q, res.Status, res.QueueOffset, res.Err)
					return
				}
			}
		})
	}

	var readers sync.WaitGroup
	readErrs := make(chan error, raceReaders)
	for range raceReaders {
		readers.Go(func() {
			var next [racePutters]int64
			for {
				finished := putsDone.Load() // read before the pass: a pass after it sees everything
				for q := range next {
					n, err := readQueueFrom(st, int32(q), next[q])
					if err != nil {
						readErrs <- err
						return
					}
					next[q] = n
				}
				if finished {
					break
				}
			}
			for q, n := range next {
				if n != racePutsEach {
					readErrs <- fmt.Errorf("reader saw %d messages of queue %d, want %d", n, q, racePutsEach)
					return
				}
			}
		})
	}
	putters.Wait()
	putsDone.Store(true)
	readers.Wait()
	close(putErrs)
	close(readErrs)
	for err := range putErrs {
		require.NoError(t, err)
	}
	for err := range readErrs {
		require.NoError(t, err)
	}
	require.Greater(t, st.CommitLogMaxOffset(), int64(10*raceSegmentBytes))
	require.NoError(t, st.CheckConsistency())
	require.NoError(t, st.Close())

	st, err = Open(e, cfg)
	require.NoError(t, err)
	defer st.Close()
	require.False(t, st.Report().Abnormal)
	for q := range int32(racePutters) {
		require.Equal(t, int64(racePutsEach), st.MaxOffsetInQueue("Race", q))
		n, err := readQueueFrom(st, q, 0)
		require.NoError(t, err)
		require.Equal(t, int64(racePutsEach), n)
	}
	res, err := st.QueryByKey("Race", "k-2-17", 64, 0, e.Clock.Now().UnixMilli())
	require.NoError(t, err)
	require.Len(t, res.Messages, 1)
	require.NoError(t, checkRaceRecord(res.Messages[0], 2, 17))
	res.Release()
	require.NoError(t, st.CheckConsistency())
}
