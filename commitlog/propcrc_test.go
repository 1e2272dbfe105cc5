package commitlog

import (
	"hash/crc32"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// propCRCDigitsOf writes crc the way the spec describes it, independently of
// putPropCRC: decimal, least significant digit first, zero-padded right.
func propCRCDigitsOf(crc uint32) string {
	s := strconv.FormatUint(uint64(crc), 10)
	rev := []byte(s)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	for len(rev) < 10 {
		rev = append(rev, '0')
	}
	return string(rev)
}

func TestPropCRCLayout(t *testing.T) {
	require.Equal(t, "4321000000", propCRCDigitsOf(1234))
	require.Equal(t, 20, PropCRCReservedBytes)
	props := AppendProperty(nil, PropertyTags, "TagA")
	withCRC := appendPropCRCPlaceholder(nil, props)
	require.Equal(t, string(props)+"__CRC32#\x010000000000\x02", string(withCRC))
	require.Equal(t, len(withCRC)-len(props), propCRCExtraBytes(props))
	// Properties that do not end with a separator get one first.
	bare := []byte("TAGS\x01TagA")
	require.Equal(t, "TAGS\x01TagA\x02__CRC32#\x010000000000\x02", string(appendPropCRCPlaceholder(nil, bare)))
	require.Equal(t, PropCRCReservedBytes+1, propCRCExtraBytes(bare))
}

func TestAppendPropCRC(t *testing.T) {
	te := newTestEnv()
	cfg := testConfig()
	cfg.AppendPropCRC = true
	l := openRecovered(t, te.Env, cfg)
	m := testMsg("T", 0, 300, 1)
	r := mustAppend(t, l, m)
	require.Equal(t, mustSize(t, &m)+propCRCExtraBytes(m.Properties), r.SizeBytes)
	rec, ref, err := l.ReadRecord(r.PhysOffset)
	require.NoError(t, err)
	defer ref.Release()
	raw := rec.Raw
	want := crc32.ChecksumIEEE(raw[:len(raw)-PropCRCReservedBytes]) & 0x7FFFFFFF
	v, ok := PropertyValue(rec.Properties, PropertyCRC32)
	require.True(t, ok)
	require.Equal(t, propCRCDigitsOf(want), string(v))
	require.NoError(t, VerifyPropCRC(raw))
	require.Equal(t, m.Body, rec.Body)

	damaged := append([]byte(nil), raw...)
	damaged[len(damaged)-PropCRCReservedBytes-1] ^= 0xFF // a property byte, outside the body
	require.ErrorIs(t, VerifyPropCRC(damaged), ErrPropCRC)
	require.ErrorIs(t, VerifyPropCRC(damaged), ErrCorrupt)
	_, err = Decode(damaged, true)
	require.NoError(t, err, "the body CRC alone cannot see it")
	require.ErrorIs(t, VerifyPropCRC(raw[:10]), ErrPropCRC)
}

func TestRecoveryVerifyPropCRCCutsTornProperties(t *testing.T) {
	te := newTestEnv()
	cfg := testConfig()
	cfg.AppendPropCRC = true
	cfg.VerifyPropCRC = true
	l := openRecovered(t, te.Env, cfg)
	var rs []AppendResult
	for i := range 3 {
		rs = append(rs, mustAppend(t, l, testMsg("T", 0, 200, i)))
	}
	require.NoError(t, l.Flush())
	// Zero the tail of the last record, as a torn page would: its body CRC
	// still matches, its properties do not.
	last := rs[2]
	seg := l.q.Find(last.PhysOffset)
	rel := last.EndOffset - seg.Start()
	clear(seg.Bytes()[rel-8 : rel])
	require.NoError(t, l.Close())

	l2, err := Open(te.Env, testDir, cfg)
	require.NoError(t, err)
	defer l2.Close()
	res, err := l2.Recover(RecoverOptions{Abnormal: true}, nil)
	require.NoError(t, err)
	require.Equal(t, last.PhysOffset, res.EndOffset, "the torn record is cut")
	require.ErrorIs(t, res.StopReason, ErrPropCRC)
	require.Equal(t, 2, res.Records)
}

func TestAppendPropCRCPropertiesLimit(t *testing.T) {
	te := newTestEnv()
	cfg := testConfig()
	cfg.AppendPropCRC = true
	cfg.SegmentSizeBytes = 1 << 20
	l := openRecovered(t, te.Env, cfg)
	m := testMsg("T", 0, 1, 1)
	m.Properties = AppendProperty(nil, "K", string(make([]byte, MaxPropertiesBytes-10)))
	_, err := l.Append(&m)
	require.ErrorIs(t, err, ErrPropertiesTooLong)
}

func mustSize(t *testing.T, m *Message) int {
	t.Helper()
	n, err := EncodedSize(m)
	require.NoError(t, err)
	return n
}
