package store

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
)

// Records of a topic that were stored but not yet dispatched when the topic
// was deleted must not take queue offsets of the topic created again.
func TestDeleteTopicDropsUndispatchedRecords(t *testing.T) {
	m := newMemStore(t, func(c *Config) { c.CommitLog.FlushMode = commitlog.FlushSync })
	var got []PutResult
	for range 3 {
		msg := newMessage("TopicA", 0, "old", 10, commitlog.PropertyWait, "false")
		m.st.Put(msg, func(r PutResult) { got = append(got, r) })
	}
	require.Len(t, got, 3, "WAIT=false answers before the flush and the dispatch")
	require.NoError(t, m.st.DeleteTopic("TopicA"))
	m.clock.RunDue()
	for m.clock.FireNext() {
		if m.st.DispatchedOffset() == m.st.CommitLogMaxOffset() {
			break
		}
	}
	require.Equal(t, m.st.CommitLogMaxOffset(), m.st.DispatchedOffset())
	require.Zero(t, m.st.MaxOffsetInQueue("TopicA", 0), "the deleted topic's records are not dispatched")

	var r2 *PutResult
	m.st.Put(newMessage("TopicA", 0, "new", 10), func(r PutResult) { r2 = &r })
	for r2 == nil && m.clock.FireNext() {
	}
	require.NotNil(t, r2)
	require.Equal(t, PutOK, r2.Status)
	require.Zero(t, r2.QueueOffset, "the new topic starts at offset 0")
	g := m.st.Get("TopicA", 0, r2.QueueOffset, 1, nil)
	defer g.Release()
	require.Equal(t, GetFound, g.Status)
	require.Len(t, g.Messages, 1)
	rec, err := commitlog.Decode(g.Messages[0], false)
	require.NoError(t, err)
	require.Equal(t, r2.PhysOffset, rec.PhysOffset, "offset 0 serves the new message")
}
