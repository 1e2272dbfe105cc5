package broker

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/remoting"
)

// halfRecord encodes and decodes a record of topic with props at queue
// offset 7.
func halfRecord(t *testing.T, topic string, props map[string]string) commitlog.Record {
	host := netip.MustParseAddrPort("10.0.0.1:10911")
	m := commitlog.Message{Topic: topic, BornHost: host, StoreHost: host, Body: []byte("b"),
		Properties: commitlog.EncodeProperties(props)}
	size, err := commitlog.EncodedSize(&m)
	require.NoError(t, err)
	raw := make([]byte, size)
	commitlog.Encode(raw, &m, commitlog.BodyCRC(m.Body), 7, 4096, 1)
	rec, err := commitlog.Decode(raw, true)
	require.NoError(t, err)
	return rec
}

func TestTxnParseHalf(t *testing.T) {
	valid := func(extra ...string) map[string]string {
		p := map[string]string{commitlog.PropertyRealTopic: "T", commitlog.PropertyRealQueueID: "3"}
		for i := 0; i+1 < len(extra); i += 2 {
			p[extra[i]] = extra[i+1]
		}
		return p
	}
	cases := []struct {
		name       string
		topic      string
		props      map[string]string
		bad        bool
		root       int64
		checkTimes int
	}{
		{name: "a first half message", topic: TransHalfTopic, props: valid(), root: 7},
		{name: "a copy", topic: TransHalfTopic, root: 2, checkTimes: 4,
			props: valid(commitlog.PropertyTransactionPreparedQueueOffset, "2", commitlog.PropertyTransactionCheckTimes, "4")},
		{name: "another topic", topic: "T", props: valid(), bad: true},
		{name: "no real topic", topic: TransHalfTopic, props: map[string]string{commitlog.PropertyRealQueueID: "3"}, bad: true},
		{name: "an invalid real topic", topic: TransHalfTopic, props: valid(commitlog.PropertyRealTopic, "a b"), bad: true},
		{name: "no real queue", topic: TransHalfTopic, props: map[string]string{commitlog.PropertyRealTopic: "T"}, bad: true},
		{name: "a negative real queue", topic: TransHalfTopic, props: valid(commitlog.PropertyRealQueueID, "-1"), bad: true},
		{name: "a huge real queue", topic: TransHalfTopic, props: valid(commitlog.PropertyRealQueueID, "99999999999"), bad: true},
		{name: "a first half message after the copy reads as absent", topic: TransHalfTopic, root: 7,
			props: valid(commitlog.PropertyTransactionPreparedQueueOffset, "8")},
		{name: "a malformed first half message reads as absent", topic: TransHalfTopic, root: 7,
			props: valid(commitlog.PropertyTransactionPreparedQueueOffset, "x")},
		{name: "a malformed check count reads as none", topic: TransHalfTopic, root: 7,
			props: valid(commitlog.PropertyTransactionCheckTimes, "-3")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := halfRecord(t, tc.topic, tc.props)
			info, err := parseHalf(&rec)
			if tc.bad {
				require.ErrorIs(t, err, errNotHalf)
				return
			}
			require.NoError(t, err)
			require.Equal(t, halfInfo{queueOffset: 7, root: tc.root, realTopic: "T", realQueueID: 3, checkTimes: tc.checkTimes}, info)
		})
	}
}

func TestTxnOpRecordsThatAreNotEndsAreSkipped(t *testing.T) {
	tr := &transactions{rewindTo: noRewind}
	op := func(tag, body string) []byte {
		host := netip.MustParseAddrPort("10.0.0.1:10911")
		m := commitlog.Message{Topic: TransOpHalfTopic, BornHost: host, StoreHost: host, Body: []byte(body),
			Properties: commitlog.EncodeProperties(map[string]string{commitlog.PropertyTags: tag})}
		size, err := commitlog.EncodedSize(&m)
		require.NoError(t, err)
		raw := make([]byte, size)
		commitlog.Encode(raw, &m, commitlog.BodyCRC(m.Body), 0, 0, 1)
		return raw
	}
	require.NoError(t, tr.markOpRecord(op("d", "3,5"), 0, 10))
	require.NoError(t, tr.markOpRecord(op("other", "6"), 1, 10), "another tag is not an end")
	require.ErrorIs(t, tr.markOpRecord(op("d", "6,x"), 2, 10), ErrBadOpBody)
	require.ErrorIs(t, tr.markOpRecord(op("d", "7,10"), 3, 10), ErrBadOpBody, "past the half queue")
	require.Error(t, tr.markOpRecord([]byte("not a record"), 4, 10))
	for off, want := range map[int64]bool{3: true, 5: true, 6: false, 7: false, 10: false} {
		ended, _ := tr.ended.has(off)
		require.Equal(t, want, ended, "half offset %d", off)
	}
}

// A promoted slave copied its old master's check progress, which may have
// passed half messages by ending or copying them in records the slave
// never received: the progress is rewound to the first half message whose
// transaction the slave's own log leaves open.
func TestTxnPromotionRewindsProgressTheLogDoesNotSupport(t *testing.T) {
	r := newTxnRig(t, nil)
	h0 := r.sendHalf("h0", nil)
	r.sendHalf("h1", nil)
	r.sendHalf("h2", nil)
	require.Equal(t, remoting.ResSuccess, r.end(h0, remoting.TransactionCommitType, false).Code)

	rewound := func(progress int64) int64 {
		r.b.offsets.commit(TransCheckGroup, TransHalfTopic, halfQueueID, progress)
		fresh := r.b.loadTransactions()
		r.b.rewindToUnsupported(fresh)
		return min(fresh.rewindTo, fresh.halfProgress)
	}
	require.Equal(t, int64(1), rewound(3), "h1 was neither ended nor copied here")
	require.Equal(t, int64(1), rewound(1), "nothing below the progress is open")

	// A round copies h1 and h2 to offsets 3 and 4 and passes them.
	r.round(r.cfg.Transaction.Timeout + time.Second)
	require.Len(t, r.checks(), 2)
	half, _ := r.progress()
	require.Equal(t, int64(3), half)
	require.Equal(t, int64(3), rewound(3), "the copies carry h1 and h2 on")
	require.Equal(t, int64(3), rewound(5), "the old master passed the copies too, in records this log lacks")
}
