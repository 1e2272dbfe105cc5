package store

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
)

// unitTagCode reads the ConsumeQueue tag code of a message through Get's
// filter, which sees every unit it scans.
func unitTagCode(t *testing.T, st *Store, topic string, queueID int32, queueOffset int64) int64 {
	t.Helper()
	var codes []int64
	r := st.Get(topic, queueID, queueOffset, 1, func(code int64) bool {
		codes = append(codes, code)
		return true
	})
	defer r.Release()
	require.Equal(t, GetFound, r.Status)
	require.Len(t, codes, 1)
	return codes[0]
}

func TestDispatchTagCodes(t *testing.T) {
	cases := []struct {
		name  string
		topic string
		props []string
		delay time.Duration // tag code = store time + delay, for the schedule topic
		tag   int64         // tag code, for the others
	}{
		{"delay level 3 is 10s", ScheduleTopic, []string{commitlog.PropertyDelayLevel, "3"}, 10 * time.Second, 0},
		{"delay level 1 is 1s", ScheduleTopic, []string{commitlog.PropertyDelayLevel, "1"}, time.Second, 0},
		{"delay level past the last is clamped", ScheduleTopic, []string{commitlog.PropertyDelayLevel, "99"}, 2 * time.Hour, 0},
		{"no delay level", ScheduleTopic, nil, 0, 0},
		{"unparsable delay level", ScheduleTopic, []string{commitlog.PropertyDelayLevel, "soon"}, 0, 0},
		{"zero delay level", ScheduleTopic, []string{commitlog.PropertyDelayLevel, "0"}, 0, 0},
		{"tags ignored on the schedule topic", ScheduleTopic, []string{commitlog.PropertyTags, "TagA", commitlog.PropertyDelayLevel, "2"}, 5 * time.Second, 0},
		{"tag hash", "TopicA", []string{commitlog.PropertyTags, "TagA"}, 0, 2598919},
		{"no tag", "TopicA", nil, 0, 0},
		{"delay level ignored elsewhere", "TopicA", []string{commitlog.PropertyDelayLevel, "3"}, 0, 0},
	}
	m := newMemStore(t, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m.clock.Advance(1234 * time.Millisecond)
			s := putOK(t, m.st, newMessage(tc.topic, 2, tc.name, 10, tc.props...))
			want := tc.tag
			if tc.topic == ScheduleTopic {
				want = s.storeMs + tc.delay.Milliseconds()
			}
			require.Equal(t, want, unitTagCode(t, m.st, tc.topic, 2, s.queueOffset))
		})
	}

	// The tag codes are rebuilt identically by a crash recovery.
	m.crashProcess()
	st := m.open()
	require.True(t, st.Report().Abnormal)
	r := st.Get(ScheduleTopic, 2, 0, 1, nil)
	require.Equal(t, GetFound, r.Status)
	rec, err := commitlog.Decode(r.Messages[0], true)
	require.NoError(t, err)
	require.Equal(t, rec.StoreTimestampMs+10_000, unitTagCode(t, st, ScheduleTopic, 2, 0))
	r.Release()
}

func TestParseDelayLevels(t *testing.T) {
	levels, err := ParseDelayLevels(DefaultDelayLevels)
	require.NoError(t, err)
	require.Len(t, levels, 18)
	require.Equal(t, time.Second, levels[0])
	require.Equal(t, 10*time.Second, levels[2])
	require.Equal(t, 2*time.Hour, levels[17])

	levels, err = ParseDelayLevels(" 2d  30m ")
	require.NoError(t, err)
	require.Equal(t, []time.Duration{48 * time.Hour, 30 * time.Minute}, levels)

	for _, bad := range []string{"", "   ", "5", "5x", "-1s", "s", "1.5s", "1s 2"} {
		_, err := ParseDelayLevels(bad)
		require.Error(t, err, "%q", bad)
	}
}

func TestTransactionRecordsDispatch(t *testing.T) {
	m := newMemStore(t, nil)
	cases := []struct {
		name    string
		sysFlag int32
		inQueue bool
	}{
		{"prepared", commitlog.SysFlagTransactionPrepared, false},
		{"rollback", commitlog.SysFlagTransactionRollback, false},
		{"commit", commitlog.SysFlagTransactionCommit, true},
		{"plain", commitlog.SysFlagTransactionNone, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			topic := "Tx" + tc.name
			msg := newMessage(topic, 0, tc.name, 10, commitlog.PropertyKeys, "tx-key")
			msg.SysFlag = tc.sysFlag
			putOK(t, m.st, msg)
			want := int64(0)
			if tc.inQueue {
				want = 1
			}
			require.Equal(t, want, m.st.MaxOffsetInQueue(topic, 0))
			q, err := m.st.QueryByKey(topic, "tx-key", 64, 0, testStart.UnixMilli()+1000)
			require.NoError(t, err)
			wantIndexed := 1
			if tc.sysFlag == commitlog.SysFlagTransactionRollback {
				wantIndexed = 0
			}
			require.Len(t, q.Messages, wantIndexed)
			q.Release()
		})
	}
	require.NoError(t, m.st.CheckConsistency())
}
