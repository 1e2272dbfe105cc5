package store

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/indexfile"
)

func TestQueryByKey(t *testing.T) {
	// One hash slot: every key of every topic shares one chain, so the
	// answers depend on the store reading each record back. "TopicAa" and
	// "TopicBB", and the keys "Aa" and "BB", have equal Java hashes.
	require.Equal(t, indexfile.KeyHash("TopicAa", "order-1"), indexfile.KeyHash("TopicBB", "order-1"))
	require.Equal(t, indexfile.KeyHash("TopicAa", "Aa"), indexfile.KeyHash("TopicAa", "BB"))
	m := newMemStore(t, func(c *Config) { c.IndexHashSlots = 1 })
	st := m.st
	put := func(topic, label string, props ...string) sent {
		s := putOK(t, st, newMessage(topic, 0, label, 20, props...))
		m.clock.Advance(10 * time.Second)
		return s
	}
	a1 := put("TopicAa", "a1", commitlog.PropertyKeys, "order-1 customer-7", commitlog.PropertyUniqKey, "U-1")
	b1 := put("TopicBB", "b1", commitlog.PropertyKeys, "order-1", commitlog.PropertyUniqKey, "U-2")
	a2 := put("TopicAa", "a2", commitlog.PropertyKeys, "order-1", commitlog.PropertyUniqKey, "U-3")
	a3 := put("TopicAa", "a3", commitlog.PropertyKeys, "Aa")
	a4 := put("TopicAa", "a4", commitlog.PropertyKeys, "BB")
	put("TopicAa", "no keys")
	t0 := testStart.UnixMilli()
	all := t0 + time.Hour.Milliseconds()

	cases := []struct {
		name       string
		topic, key string
		maxNum     int
		beginMs    int64
		endMs      int64
		want       []sent
	}{
		{"KEYS word, newest first", "TopicAa", "order-1", 64, 0, all, []sent{a2, a1}},
		{"second KEYS word", "TopicAa", "customer-7", 64, 0, all, []sent{a1}},
		{"UNIQ_KEY", "TopicAa", "U-3", 64, 0, all, []sent{a2}},
		{"other topic with a colliding hash", "TopicBB", "order-1", 64, 0, all, []sent{b1}},
		{"UNIQ_KEY of the other topic", "TopicAa", "U-2", 64, 0, all, nil},
		{"colliding key Aa", "TopicAa", "Aa", 64, 0, all, []sent{a3}},
		{"colliding key BB", "TopicAa", "BB", 64, 0, all, []sent{a4}},
		{"part of a word", "TopicAa", "order", 64, 0, all, nil},
		{"unknown topic", "TopicCc", "order-1", 64, 0, all, nil},
		{"range holds only the newer", "TopicAa", "order-1", 64, t0 + 5_000, t0 + 25_000, []sent{a2}},
		{"range holds only the older", "TopicAa", "order-1", 64, t0, t0 + 5_000, []sent{a1}},
		{"range bounds are inclusive", "TopicAa", "order-1", 64, t0 + 20_000, t0 + 20_000, []sent{a2}},
		{"range before everything", "TopicAa", "order-1", 64, 0, t0 - 1, nil},
		{"maxNum keeps the newest", "TopicAa", "order-1", 1, 0, all, []sent{a2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := st.QueryByKey(tc.topic, tc.key, tc.maxNum, tc.beginMs, tc.endMs)
			require.NoError(t, err)
			defer r.Release()
			require.Len(t, r.Messages, len(tc.want))
			for i, want := range tc.want {
				require.Equal(t, want.physOffset, r.PhysOffsets[i])
				requireRecord(t, r.Messages[i], want)
			}
			require.Equal(t, a4.physOffset, r.IndexLastUpdatePhyOffset)
			require.Equal(t, a4.storeMs, r.IndexLastUpdateTimestampMs)
		})
	}
}

func TestQueryByKeySurvivesRestart(t *testing.T) {
	m := newMemStore(t, nil)
	want := putOK(t, m.st, newMessage("TopicA", 0, "keyed", 20, commitlog.PropertyKeys, "k1"))
	putMany(t, m.st, "TopicA", 0, 3)
	st := m.reopen()
	r, err := st.QueryByKey("TopicA", "k1", 64, 0, testStart.UnixMilli()+1000)
	require.NoError(t, err)
	require.Len(t, r.Messages, 1)
	requireRecord(t, r.Messages[0], want)
	r.Release()

	m.crashProcess()
	st = m.open()
	r, err = st.QueryByKey("TopicA", "k1", 64, 0, testStart.UnixMilli()+1000)
	require.NoError(t, err)
	require.Len(t, r.Messages, 1, "re-dispatch after a crash does not return a record twice")
	r.Release()
}

func TestQueryByKeyWithIndexDisabled(t *testing.T) {
	m := newMemStore(t, func(c *Config) { c.MessageIndexEnable = false })
	putOK(t, m.st, newMessage("TopicA", 0, "keyed", 20, commitlog.PropertyKeys, "k1"))
	_, err := m.st.QueryByKey("TopicA", "k1", 64, 0, testStart.UnixMilli()+1000)
	require.ErrorIs(t, err, ErrIndexDisabled)
	require.Empty(t, listDir(t, m.fs, filepath.Join(testRoot, indexDirName)))
}
