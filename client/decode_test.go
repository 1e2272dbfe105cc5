package client

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
)

// testRecord is a record to encode for a pull body.
type testRecord struct {
	topic       string
	queueID     int32
	queueOffset int64
	physOffset  int64
	sysFlag     int32
	body        []byte
	props       map[string]string
}

var (
	testBornHost  = netip.MustParseAddrPort("10.0.0.1:5000")
	testStoreHost = netip.MustParseAddrPort("10.0.0.2:10911")
)

// encodeRecord encodes r as the broker stores it.
func encodeRecord(t testing.TB, r testRecord) []byte {
	t.Helper()
	m := commitlog.Message{
		Topic: r.topic, QueueID: r.queueID, Flag: 3, SysFlag: r.sysFlag,
		BornTimestampMs: 1_700_000_000_000, BornHost: testBornHost, StoreHost: testStoreHost,
		ReconsumeTimes: 1, Body: r.body, Properties: commitlog.EncodeProperties(r.props),
	}
	n, err := commitlog.EncodedSize(&m)
	require.NoError(t, err)
	b := make([]byte, n)
	commitlog.Encode(b, &m, commitlog.BodyCRC(r.body), r.queueOffset, r.physOffset, 1_700_000_000_500)
	return b
}

// pullBody concatenates records.
func pullBody(t testing.TB, rs ...testRecord) []byte {
	var out []byte
	for _, r := range rs {
		out = append(out, encodeRecord(t, r)...)
	}
	return out
}

func TestDecodePullBodyReadsEveryField(t *testing.T) {
	big := bytes.Repeat([]byte("inflate me "), 1000)
	body := pullBody(t,
		testRecord{topic: "T", queueID: 2, queueOffset: 10, physOffset: 4096, body: []byte("one"),
			props: map[string]string{"TAGS": "A", "KEYS": "k1 k2", "UNIQ_KEY": "ID1", "p": "v"}},
		testRecord{topic: "T", queueID: 2, queueOffset: 11, physOffset: 8192, body: compress(big),
			sysFlag: commitlog.SysFlagCompressed, props: map[string]string{"TAGS": "B"}},
	)
	msgs, err := decodePullBody(body, DefaultMaxMessageBytes, nil)
	require.NoError(t, err)
	require.Len(t, msgs, 2)

	m := msgs[0]
	assert.Equal(t, "T", m.Topic)
	assert.Equal(t, "A", m.Tags)
	assert.Equal(t, []string{"k1", "k2"}, m.Keys)
	assert.Equal(t, "one", string(m.Body))
	assert.Equal(t, len(m.Body), cap(m.Body), "appending to a body never reaches the next record")
	assert.EqualValues(t, 3, m.Flag)
	assert.Equal(t, map[string]string{"TAGS": "A", "KEYS": "k1 k2", "UNIQ_KEY": "ID1", "p": "v"}, m.Properties)
	assert.Equal(t, "ID1", m.MsgID)
	assert.Equal(t, commitlog.FormatOffsetMsgID(testStoreHost, 4096), m.OffsetMsgID)
	assert.EqualValues(t, 2, m.QueueID)
	assert.EqualValues(t, 10, m.QueueOffset)
	assert.EqualValues(t, 4096, m.CommitLogOffset)
	assert.Equal(t, testBornHost, m.BornHost)
	assert.Equal(t, testStoreHost, m.StoreHost)
	assert.EqualValues(t, 1_700_000_000_000, m.BornTimestampMs)
	assert.EqualValues(t, 1_700_000_000_500, m.StoreTimestampMs)
	assert.EqualValues(t, 1, m.ReconsumeTimes)
	assert.Equal(t, commitlog.BodyCRC([]byte("one")), m.BodyCRC)

	m = msgs[1]
	assert.Equal(t, big, m.Body, "inflated")
	assert.Equal(t, commitlog.SysFlagCompressed, m.SysFlag)
	assert.Equal(t, m.OffsetMsgID, m.MsgID, "no UNIQ_KEY: the offset id")
	assert.Nil(t, m.Keys)
}

func TestDecodePullBodyFiltersByTag(t *testing.T) {
	body := pullBody(t,
		testRecord{topic: "T", queueOffset: 0, body: []byte("a"), props: map[string]string{"TAGS": "A"}},
		testRecord{topic: "T", queueOffset: 1, body: []byte("b"), props: map[string]string{"TAGS": "B"}},
		testRecord{topic: "T", queueOffset: 2, body: []byte("none")},
		// A body that would not inflate is not looked at when dropped.
		testRecord{topic: "T", queueOffset: 3, body: []byte("garbage"), sysFlag: commitlog.SysFlagCompressed, props: map[string]string{"TAGS": "C"}},
	)
	for _, tc := range []struct {
		expr string
		want []int64
	}{
		{"A", []int64{0}},
		{"A || B", []int64{0, 1}},
		{"Z", nil},
	} {
		sub, err := parseExpression(tc.expr)
		require.NoError(t, err)
		msgs, err := decodePullBody(body, DefaultMaxMessageBytes, &sub)
		require.NoError(t, err, tc.expr)
		var got []int64
		for _, m := range msgs {
			got = append(got, m.QueueOffset)
		}
		assert.Equal(t, tc.want, got, tc.expr)
	}
}

func TestDecodePullBodyRefusesGarbage(t *testing.T) {
	good := encodeRecord(t, testRecord{topic: "T", body: []byte("payload"), props: map[string]string{"TAGS": "A"}})
	withSize := func(n int32) []byte {
		b := bytes.Clone(good)
		binary.BigEndian.PutUint32(b, uint32(n))
		return b
	}
	badMagic := bytes.Clone(good)
	binary.BigEndian.PutUint32(badMagic[4:], 0x12345678)
	blank := make([]byte, 16)
	commitlog.EncodeBlank(blank, 16)
	zlibBomb := compress(make([]byte, 1<<20))
	for _, tc := range []struct {
		name string
		body []byte
	}{
		{"truncated head", good[:5]},
		{"truncated record", good[:len(good)-1]},
		{"good then a partial", append(bytes.Clone(good), good[:30]...)},
		{"size too small", withSize(20)},
		{"size too large", withSize(int32(len(good) + 10))},
		{"negative size", withSize(-1)},
		{"bad magic", badMagic},
		{"blank record", blank},
		{"zeros", make([]byte, 200)},
		{"compressed garbage", encodeRecord(t, testRecord{topic: "T", body: []byte("not zlib"), sysFlag: commitlog.SysFlagCompressed})},
		{"truncated zlib", encodeRecord(t, testRecord{topic: "T", body: compress([]byte(strings.Repeat("x", 5000)))[:20], sysFlag: commitlog.SysFlagCompressed})},
		{"inflates too far", encodeRecord(t, testRecord{topic: "T", body: zlibBomb, sysFlag: commitlog.SysFlagCompressed})},
		{"lz4 compressed", encodeRecord(t, testRecord{topic: "T", body: compress([]byte("x")), sysFlag: commitlog.SysFlagCompressed | 0x100})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msgs, err := decodePullBody(tc.body, 1<<19, nil)
			require.ErrorIs(t, err, ErrBadPullBody)
			assert.Nil(t, msgs)
		})
	}
}

func TestDecodePullBodyOfNothing(t *testing.T) {
	msgs, err := decodePullBody(nil, DefaultMaxMessageBytes, nil)
	require.NoError(t, err)
	assert.Empty(t, msgs)
}

func TestInflateBound(t *testing.T) {
	data := bytes.Repeat([]byte("a"), 1000)
	z := compress(data)
	got, err := inflate(z, 1000)
	require.NoError(t, err)
	assert.Equal(t, data, got)
	_, err = inflate(z, 999)
	require.ErrorIs(t, err, ErrBadPullBody)
	// Readers are reused after a failure.
	got, err = inflate(z, 1000)
	require.NoError(t, err)
	assert.Equal(t, data, got)
}

// FuzzDecodePullBody checks that any bytes decode to messages or to an
// error wrapping ErrBadPullBody, never a panic, and that decoded bodies stay
// within the inflation bound.
func FuzzDecodePullBody(f *testing.F) {
	f.Add(pullBody(f,
		testRecord{topic: "T", queueOffset: 1, body: []byte("one"), props: map[string]string{"TAGS": "A", "UNIQ_KEY": "X"}},
		testRecord{topic: "T", queueOffset: 2, body: compress([]byte("two two two")), sysFlag: commitlog.SysFlagCompressed},
	))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		const limit = 1 << 16
		for _, expr := range []string{"*", "A"} {
			sub, err := parseExpression(expr)
			require.NoError(t, err)
			msgs, err := decodePullBody(body, limit, &sub)
			if err != nil {
				require.ErrorIs(t, err, ErrBadPullBody)
				require.Nil(t, msgs)
				continue
			}
			for _, m := range msgs {
				require.LessOrEqual(t, len(m.Body), max(limit, len(body)))
				require.True(t, sub.matches(m.Tags))
			}
		}
	})
}
