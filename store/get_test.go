package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
)

func TestGetStatuses(t *testing.T) {
	m := newMemStore(t, nil)
	msgs := putMany(t, m.st, "TopicA", 0, 10)

	cases := []struct {
		name        string
		topic       string
		queueID     int32
		queueOffset int64
		maxMsgs     int
		status      GetStatus
		next        int64
		offsets     []int64
	}{
		{"unknown topic", "NoSuchTopic", 0, 0, 1, GetNoMatchedLogicQueue, 0, nil},
		{"unknown queue id", "TopicA", 7, 0, 1, GetNoMatchedLogicQueue, 0, nil},
		{"found from the start", "TopicA", 0, 0, 3, GetFound, 3, []int64{0, 1, 2}},
		{"found in the middle", "TopicA", 0, 4, 4, GetFound, 8, []int64{4, 5, 6, 7}},
		{"found up to the end", "TopicA", 0, 8, 32, GetFound, 10, []int64{8, 9}},
		{"zero max messages reads one", "TopicA", 0, 5, 0, GetFound, 6, []int64{5}},
		{"at the max offset", "TopicA", 0, 10, 1, GetOffsetOverflowOne, 10, nil},
		{"beyond the max offset with min 0", "TopicA", 0, 11, 1, GetOffsetOverflowBadly, 0, nil},
		{"far beyond", "TopicA", 0, 1 << 40, 1, GetOffsetOverflowBadly, 0, nil},
		{"negative offset", "TopicA", 0, -1, 1, GetOffsetTooSmall, 0, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := m.st.Get(tc.topic, tc.queueID, tc.queueOffset, tc.maxMsgs, nil)
			defer r.Release()
			require.Equal(t, tc.status, r.Status)
			require.Equal(t, tc.next, r.NextBeginOffset)
			require.Equal(t, tc.offsets, r.QueueOffsets)
			require.Len(t, r.Messages, len(tc.offsets))
			total := 0
			for i, raw := range r.Messages {
				requireRecord(t, raw, msgs[tc.offsets[i]])
				total += len(raw)
			}
			require.Equal(t, total, r.TotalBytes)
			if tc.status != GetNoMatchedLogicQueue {
				require.Equal(t, int64(0), r.MinOffset)
				require.Equal(t, int64(10), r.MaxOffset)
			}
		})
	}
}

func TestGetStatusStrings(t *testing.T) {
	require.Equal(t, "NO_MATCHED_LOGIC_QUEUE", GetNoMatchedLogicQueue.String())
	require.Equal(t, "OFFSET_OVERFLOW_ONE", GetOffsetOverflowOne.String())
	require.Equal(t, "GetStatus(?)", GetStatus(99).String())
	require.Equal(t, "FLUSH_DISK_TIMEOUT", PutFlushDiskTimeout.String())
	require.Equal(t, "PutStatus(?)", PutStatus(-1).String())
	require.True(t, PutFlushDiskTimeout.Stored())
	require.False(t, PutServiceNotAvailable.Stored())
}

func TestGetOffsetTooSmallAfterRetention(t *testing.T) {
	m := newMemStore(t, func(c *Config) { c.DeleteWhen = []int{testStart.Hour()} })
	msgs := putRoundRobin(t, m.st, "TopicA", 2, threeSegmentMessages)
	require.NoError(t, m.st.Flush())
	for _, start := range []int64{0, testSegmentBytes} {
		require.NoError(t, m.fs.SetModTime(segmentPath(m.cfg, start), testStart.Add(-100*time.Hour)))
	}
	deleted, err := m.st.RunRetention()
	require.NoError(t, err)
	require.Equal(t, 2, deleted)

	for _, qid := range []int32{0, 1} {
		var firstKept sent
		for _, s := range msgs {
			if s.queueID == qid && s.physOffset >= 2*testSegmentBytes {
				firstKept = s
				break
			}
		}
		require.Positive(t, firstKept.queueOffset)
		require.Equal(t, firstKept.queueOffset, m.st.MinOffsetInQueue("TopicA", qid))

		r := m.st.Get("TopicA", qid, 0, 1, nil)
		require.Equal(t, GetOffsetTooSmall, r.Status)
		require.Equal(t, firstKept.queueOffset, r.NextBeginOffset)
		require.Empty(t, r.Messages)

		maxOffset := m.st.MaxOffsetInQueue("TopicA", qid)
		r = m.st.Get("TopicA", qid, maxOffset+5, 1, nil)
		require.Equal(t, GetOffsetOverflowBadly, r.Status)
		require.Equal(t, maxOffset, r.NextBeginOffset, "with a minimum above 0 the consumer is sent to the max offset")

		r = m.st.Get("TopicA", qid, firstKept.queueOffset, 1, nil)
		require.Equal(t, GetFound, r.Status)
		requireRecord(t, r.Messages[0], firstKept)
		r.Release()
	}
}

// taggedMessages stores n messages in TopicA/0 whose tags cycle through tags.
func taggedMessages(t *testing.T, st *Store, n int, tags ...string) []sent {
	t.Helper()
	out := make([]sent, 0, n)
	for i := range n {
		tag := tags[i%len(tags)]
		out = append(out, putOK(t, st, newMessage("TopicA", 0, fmt.Sprintf("m%d|", i), 100, commitlog.PropertyTags, tag)))
	}
	return out
}

// tagFilter wants the messages whose tag code is one of tags'.
func tagFilter(tags ...string) TagFilter {
	return func(code int64) bool {
		for _, tag := range tags {
			if TagCode(tag) == code {
				return true
			}
		}
		return false
	}
}

func TestGetWithTagFilter(t *testing.T) {
	m := newMemStore(t, nil)
	msgs := taggedMessages(t, m.st, 12, "TagA", "TagB", "TagB")

	r := m.st.Get("TopicA", 0, 0, 32, tagFilter("TagA"))
	require.Equal(t, GetFound, r.Status)
	require.Equal(t, []int64{0, 3, 6, 9}, r.QueueOffsets)
	for i, raw := range r.Messages {
		requireRecord(t, raw, msgs[r.QueueOffsets[i]])
	}
	require.Equal(t, int64(12), r.NextBeginOffset, "the units after the last match were scanned too")
	r.Release()

	r = m.st.Get("TopicA", 0, 1, 2, tagFilter("TagA"))
	require.Equal(t, GetFound, r.Status)
	require.Equal(t, []int64{3, 6}, r.QueueOffsets)
	require.Equal(t, int64(7), r.NextBeginOffset, "continue right after the last message returned")
	r.Release()

	r = m.st.Get("TopicA", 0, 2, 32, tagFilter("TagC"))
	require.Equal(t, GetNoMatchedMessage, r.Status)
	require.Empty(t, r.Messages)
	require.Equal(t, int64(12), r.NextBeginOffset, "the consumer skips the units that did not match")
	r.Release()
}

func TestGetTransferLimits(t *testing.T) {
	cases := []struct {
		name          string
		maxCount      int
		maxBytes      int
		maxMsgs       int
		wantMessages  int
		wantNextBegin int64
	}{
		{"count limit caps the request", 3, 1 << 20, 32, 3, 3},
		{"request below the count limit", 3, 1 << 20, 2, 2, 2},
		{"byte limit", 32, 2500, 32, 2, 2}, // records are 1,097 bytes
		{"byte limit exactly two records", 32, 2 * 1097, 32, 2, 2},
		{"one record larger than the byte limit", 32, 500, 32, 1, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newMemStore(t, func(c *Config) {
				c.MaxTransferCountOnMessage = tc.maxCount
				c.MaxTransferBytesOnMessage = tc.maxBytes
			})
			msgs := putMany(t, m.st, "TopicA", 0, 8)
			require.Equal(t, 1097, msgs[0].sizeBytes)
			r := m.st.Get("TopicA", 0, 0, tc.maxMsgs, nil)
			defer r.Release()
			require.Equal(t, GetFound, r.Status)
			require.Len(t, r.Messages, tc.wantMessages)
			require.Equal(t, tc.wantNextBegin, r.NextBeginOffset)
			require.Equal(t, tc.wantMessages*1097, r.TotalBytes)
		})
	}
}

func TestQueueOffsetLookups(t *testing.T) {
	m := newMemStore(t, nil)
	var msgs []sent
	for range 5 {
		msgs = append(msgs, putMany(t, m.st, "TopicA", 0, 1)...)
		m.clock.Advance(time.Second)
	}
	st := m.st
	for i, s := range msgs {
		ms, ok := st.MessageStoreTime("TopicA", 0, int64(i))
		require.True(t, ok)
		require.Equal(t, s.storeMs, ms)
		phys, ok := st.CommitLogOffsetInQueue("TopicA", 0, int64(i))
		require.True(t, ok)
		require.Equal(t, s.physOffset, phys)
		require.Equal(t, int64(i), st.OffsetInQueueByTime("TopicA", 0, s.storeMs))
	}
	require.Equal(t, int64(5), st.OffsetInQueueByTime("TopicA", 0, msgs[4].storeMs+1), "all older: the max offset")
	earliest, ok := st.EarliestMessageTime("TopicA", 0)
	require.True(t, ok)
	require.Equal(t, msgs[0].storeMs, earliest)

	_, ok = st.MessageStoreTime("TopicA", 0, 5)
	require.False(t, ok)
	_, ok = st.CommitLogOffsetInQueue("Nope", 0, 0)
	require.False(t, ok)
	require.Equal(t, int64(0), st.MaxOffsetInQueue("Nope", 0))
	require.Equal(t, int64(0), st.MinOffsetInQueue("Nope", 0))

	rec, ref, err := st.ReadRecord(msgs[2].physOffset)
	require.NoError(t, err)
	requireRecord(t, rec.Raw, msgs[2])
	ref.Release()
}
