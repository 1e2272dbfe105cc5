package store

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

// ageSegments makes the segments starting at starts older than the default
// FileReservedTime of 72 hours.
func ageSegments(t *testing.T, m *memStore, starts ...int64) {
	t.Helper()
	for _, start := range starts {
		require.NoError(t, m.fs.SetModTime(segmentPath(m.cfg, start), testStart.Add(-100*time.Hour)))
	}
}

// survivorsFrom returns the messages at or after physOffset.
func survivorsFrom(msgs []sent, physOffset int64) []sent {
	var out []sent
	for _, s := range msgs {
		if s.physOffset >= physOffset {
			out = append(out, s)
		}
	}
	return out
}

func TestRetentionAtDeleteHour(t *testing.T) {
	cases := []struct {
		name    string
		aged    []int64 // segment starts made old
		deleted int
	}{
		{"every segment old: never the newest", []int64{0, testSegmentBytes, 2 * testSegmentBytes}, 2},
		{"stops at the first young segment", []int64{0, 2 * testSegmentBytes}, 1},
		{"nothing old", nil, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newMemStore(t, func(c *Config) { c.DeleteWhen = []int{testStart.Hour()} })
			msgs := putRoundRobin(t, m.st, "TopicA", 2, threeSegmentMessages)
			require.NoError(t, m.st.Flush())
			ageSegments(t, m, tc.aged...)

			deleted, err := m.st.RunRetention()
			require.NoError(t, err)
			require.Equal(t, tc.deleted, deleted)
			minPhys := int64(tc.deleted) * testSegmentBytes
			require.Equal(t, minPhys, m.st.CommitLogMinOffset())
			require.Len(t, listDir(t, m.fs, filepath.Join(testRoot, commitLogDirName)), 3-tc.deleted)

			kept := survivorsFrom(msgs, minPhys)
			requireReadable(t, m.st, kept)
			for _, qid := range []int32{0, 1} {
				for _, s := range kept {
					if s.queueID == qid {
						require.Equal(t, s.queueOffset, m.st.MinOffsetInQueue("TopicA", qid), "queue %d", qid)
						break
					}
				}
			}
			require.NoError(t, m.st.CheckConsistency())

			// A restart keeps the new minimum.
			st := m.reopen()
			require.Equal(t, minPhys, st.CommitLogMinOffset())
			requireReadable(t, st, kept)
			require.NoError(t, st.CheckConsistency())
		})
	}
}

func TestRetentionDeletesOnlyFlushedSegments(t *testing.T) {
	m := newMemStore(t, func(c *Config) { c.DeleteWhen = []int{testStart.Hour()} })
	putRoundRobin(t, m.st, "TopicA", 2, threeSegmentMessages)
	require.Equal(t, int64(0), m.st.CommitLogFlushedOffset())
	ageSegments(t, m, 0, testSegmentBytes)
	deleted, err := m.st.RunRetention()
	require.NoError(t, err)
	require.Equal(t, 0, deleted, "a segment not yet flushed is never deleted")
}

func TestRetentionOutsideDeleteHour(t *testing.T) {
	m := newMemStore(t, func(c *Config) { c.DeleteWhen = []int{(testStart.Hour() + 6) % 24} })
	msgs := putRoundRobin(t, m.st, "TopicA", 2, threeSegmentMessages)
	require.NoError(t, m.st.Flush())
	ageSegments(t, m, 0, testSegmentBytes, 2*testSegmentBytes)

	deleted, err := m.st.RunRetention()
	require.NoError(t, err)
	require.Equal(t, 0, deleted, "not the hour, disk not full, not asked")

	m.st.CleanExpiredFiles()
	deleted, err = m.st.RunRetention()
	require.NoError(t, err)
	require.Equal(t, 2, deleted)
	requireReadable(t, m.st, survivorsFrom(msgs, 2*testSegmentBytes))
	r := m.st.Get("TopicA", 0, 0, 1, nil)
	require.Equal(t, GetOffsetTooSmall, r.Status)
}

func TestRetentionRunsOnTheTimer(t *testing.T) {
	m := newMemStore(t, func(c *Config) { c.DeleteWhen = []int{testStart.Hour()} })
	putRoundRobin(t, m.st, "TopicA", 2, threeSegmentMessages)
	require.NoError(t, m.st.Flush())
	ageSegments(t, m, 0, testSegmentBytes)
	m.clock.Advance(m.cfg.CleanResourceInterval - time.Millisecond)
	require.Equal(t, int64(0), m.st.CommitLogMinOffset())
	m.clock.Advance(time.Millisecond)
	require.Equal(t, int64(2*testSegmentBytes), m.st.CommitLogMinOffset())
}

// usedBytes is what the MemFS counts as used.
func usedBytes(t *testing.T, fsys env.FS) int64 {
	t.Helper()
	u, err := fsys.Usage(testRoot)
	require.NoError(t, err)
	return int64(u.TotalBytes - u.FreeBytes)
}

func TestDiskFullRefusesPutsAndKeepsServingGets(t *testing.T) {
	m := newMemStore(t, nil)
	msgs := putMany(t, m.st, "TopicA", 0, 5) // one segment: nothing to delete
	used := usedBytes(t, m.fs)

	steps := []struct {
		name     string
		ratio    float64
		diskFull bool
	}{
		{"below the warning level", 0.80, false},
		{"past the warning level", 0.95, true},
		{"between the levels: still full", 0.88, true},
		{"back under the clean-forcibly level", 0.50, false},
	}
	for _, step := range steps {
		m.fs.SetCapacity(int64(float64(used) / step.ratio))
		deleted, err := m.st.RunRetention()
		require.NoError(t, err, step.name)
		require.Equal(t, 0, deleted, "never the newest segment")
		require.Equal(t, step.diskFull, m.st.DiskFull(), step.name)
		requireReadable(t, m.st, msgs)
		if step.diskFull {
			r := putAsync(t, m.st, newMessage("TopicA", 0, "refused", 10))
			require.Equal(t, PutServiceNotAvailable, r.Status, step.name)
			require.ErrorIs(t, r.Err, ErrDiskFull)
			continue
		}
		msgs = append(msgs, putOK(t, m.st, newMessage("TopicA", 0, step.name, 10)))
		used = usedBytes(t, m.fs)
	}
	require.Equal(t, int64(len(msgs)), m.st.MaxOffsetInQueue("TopicA", 0), "refused puts took no queue offset")
}

func TestNoSpaceForNewSegment(t *testing.T) {
	m := newMemStore(t, nil)
	msgs := putMany(t, m.st, "TopicA", 0, 10)
	m.fs.SetCapacity(usedBytes(t, m.fs) + 2048) // room for CQ units, not for a segment

	var refused PutResult
	for i := 0; ; i++ {
		require.Less(t, i, 14, "the first segment holds 14 records")
		r := putAsync(t, m.st, newMessage("TopicA", 0, "fill", testBodyBytes))
		if r.Status != PutOK {
			refused = r
			break
		}
		msgs = append(msgs, sent{topic: "TopicA", queueID: 0, body: newMessage("TopicA", 0, "fill", testBodyBytes).Body,
			queueOffset: r.QueueOffset, physOffset: r.PhysOffset, sizeBytes: r.WroteBytes, storeMs: r.StoreTimestampMs})
	}
	require.Equal(t, PutServiceNotAvailable, refused.Status)
	require.ErrorIs(t, refused.Err, env.ErrNoSpace)
	require.ErrorIs(t, refused.Err, ErrDiskFull)
	require.True(t, m.st.DiskFull())
	r := putAsync(t, m.st, newMessage("TopicA", 0, "refused", 10))
	require.Equal(t, PutServiceNotAvailable, r.Status)
	require.ErrorIs(t, r.Err, ErrDiskFull)

	requireReadable(t, m.st, msgs)
	require.Equal(t, int64(len(msgs)), m.st.MaxOffsetInQueue("TopicA", 0))
	require.NoError(t, m.st.CheckConsistency())

	// Space comes back: the next retention round lifts the refusal and the
	// log rolls to the next segment.
	m.fs.SetCapacity(0)
	_, err := m.st.RunRetention()
	require.NoError(t, err)
	require.False(t, m.st.DiskFull())
	next := putOK(t, m.st, newMessage("TopicA", 0, "next", testBodyBytes))
	require.Equal(t, int64(len(msgs)), next.queueOffset)
	require.Equal(t, int64(testSegmentBytes), next.physOffset)
	msgs = append(msgs, next)

	st := m.reopen()
	require.True(t, st.Report().CommitLog.CleanEnd())
	requireReadable(t, st, msgs)
	require.NoError(t, st.CheckConsistency())
}

func TestRetentionDeletesConsumeQueueFiles(t *testing.T) {
	// One queue of 40 units in files of 16: after the first two segments
	// (records 0-27) go, the file of units 0-15 points only below the new
	// minimum and goes too; the file of units 16-31 still reaches it.
	m := newMemStore(t, func(c *Config) { c.DeleteWhen = []int{testStart.Hour()} })
	msgs := putMany(t, m.st, "TopicA", 0, threeSegmentMessages)
	require.NoError(t, m.st.Flush())
	cqDir := filepath.Join(testRoot, "consumequeue", "TopicA", "0")
	require.Equal(t, []string{padOffset(0), padOffset(320), padOffset(640)}, listDir(t, m.fs, cqDir))
	ageSegments(t, m, 0, testSegmentBytes)

	deleted, err := m.st.RunRetention()
	require.NoError(t, err)
	require.Equal(t, 2, deleted)
	require.Equal(t, []string{padOffset(320), padOffset(640)}, listDir(t, m.fs, cqDir))
	require.Equal(t, int64(28), m.st.MinOffsetInQueue("TopicA", 0))
	for _, off := range []int64{0, 15, 16, 27} {
		r := m.st.Get("TopicA", 0, off, 1, nil)
		require.Equal(t, GetOffsetTooSmall, r.Status, "offset %d", off)
		require.Equal(t, int64(28), r.NextBeginOffset)
	}
	requireReadable(t, m.st, msgs[28:])
	require.NoError(t, m.st.CheckConsistency())
}
