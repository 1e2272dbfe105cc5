package commitlog

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// mutate returns a copy of raw changed by f.
func mutate(raw []byte, f func(b []byte) []byte) []byte {
	return f(append([]byte(nil), raw...))
}

func TestDecodeCorrupt(t *testing.T) {
	vs := goldenVectors()
	base := vs[1].raw // "body tags keys": body at 88, topic length at 102
	v6 := vs[3].raw   // both hosts IPv6
	v2 := vs[4].raw   // topic length at 90-91
	be := binary.BigEndian
	cases := []struct {
		name    string
		in      []byte
		crc     bool
		wantErr error
		reason  error
	}{
		{"empty", nil, true, ErrShort, nil},
		{"seven bytes", base[:7], true, ErrShort, nil},
		{"record cut short", base[:100], true, ErrShort, nil},
		{"record missing last byte", base[:len(base)-1], true, ErrShort, nil},
		{"blank beyond the bytes", hx("00 00 00 40 CB D4 31 94"), true, ErrShort, nil},
		{"zero region", make([]byte, 200), true, ErrCorrupt, ErrZeroRegion},
		{"zero size, record magic", mutate(base, func(b []byte) []byte { be.PutUint32(b, 0); return b }), true, ErrCorrupt, ErrSizeMismatch},
		{"size set, magic zero", mutate(base, func(b []byte) []byte { be.PutUint32(b[4:], 0); return b }), true, ErrCorrupt, ErrBadMagic},
		{"unknown magic", mutate(base, func(b []byte) []byte { b[7] = 0xA8; return b }), true, ErrCorrupt, ErrBadMagic},
		{"negative total", mutate(base, func(b []byte) []byte { be.PutUint32(b, 0x80000000); return b }), true, ErrCorrupt, ErrNegativeLength},
		{"total below overhead", mutate(base, func(b []byte) []byte { be.PutUint32(b, 90); return b }), true, ErrCorrupt, ErrSizeMismatch},
		{"total one more than fields", mutate(base, func(b []byte) []byte { be.PutUint32(b, 136); return append(b, 0) }), true, ErrCorrupt, ErrSizeMismatch},
		{"total one less than fields", mutate(base, func(b []byte) []byte { be.PutUint32(b, 134); return b }), true, ErrCorrupt, ErrSizeMismatch},
		{"blank smaller than its head", hx("00 00 00 04 CB D4 31 94"), true, ErrCorrupt, ErrSizeMismatch},
		{"negative blank", hx("FF FF FF F8 CB D4 31 94"), true, ErrCorrupt, ErrNegativeLength},
		{"negative body length", mutate(base, func(b []byte) []byte { be.PutUint32(b[84:], 0xFFFFFFFF); return b }), true, ErrCorrupt, ErrNegativeLength},
		{"body length overruns", mutate(base, func(b []byte) []byte { be.PutUint32(b[84:], 0x7FFFFFFF); return b }), true, ErrCorrupt, ErrSizeMismatch},
		{"body length too long by one", mutate(base, func(b []byte) []byte { be.PutUint32(b[84:], 15); return b }), true, ErrCorrupt, ErrSizeMismatch},
		{"negative v1 topic length", mutate(base, func(b []byte) []byte { b[102] = 0x80; return b }), true, ErrCorrupt, ErrNegativeLength},
		{"v1 topic length overruns", mutate(base, func(b []byte) []byte { b[102] = 0x7F; return b }), true, ErrCorrupt, ErrSizeMismatch},
		{"negative v2 topic length", mutate(v2, func(b []byte) []byte { b[90] = 0xFF; return b }), true, ErrCorrupt, ErrNegativeLength},
		{"v2 magic on a v1 layout", mutate(base, func(b []byte) []byte { b[7] = 0xAB; return b }), true, ErrCorrupt, ErrSizeMismatch},
		{"negative properties length", mutate(base, func(b []byte) []byte { be.PutUint16(b[112:], 0x8000); return b }), true, ErrCorrupt, ErrNegativeLength},
		{"properties length short", mutate(base, func(b []byte) []byte { be.PutUint16(b[112:], 20); return b }), true, ErrCorrupt, ErrSizeMismatch},
		{"ipv6 bit on ipv4 hosts", mutate(base, func(b []byte) []byte { b[39] |= 0x10; return b }), true, ErrCorrupt, ErrSizeMismatch},
		{"ipv6 bits cleared", mutate(v6, func(b []byte) []byte { b[39] &^= 0x30; return b }), true, ErrCorrupt, ErrSizeMismatch},
		{"born port above 65535", mutate(base, func(b []byte) []byte { be.PutUint32(b[52:], 0x10000); return b }), true, ErrCorrupt, ErrBadPort},
		{"store port negative", mutate(base, func(b []byte) []byte { be.PutUint32(b[68:], 0xFFFFFFFF); return b }), true, ErrCorrupt, ErrBadPort},
		{"ipv6 store port negative", mutate(v6, func(b []byte) []byte { be.PutUint32(b[92:], 0x80000000); return b }), true, ErrCorrupt, ErrBadPort},
		{"ipv6 header longer than total", mutate(base, func(b []byte) []byte { b[39] |= 0x30; be.PutUint32(b, 91); return b[:91] }), true, ErrCorrupt, ErrSizeMismatch},
		{"body flipped", mutate(base, func(b []byte) []byte { b[88] ^= 1; return b }), true, ErrCorrupt, ErrCRCMismatch},
		{"crc flipped", mutate(base, func(b []byte) []byte { b[11] ^= 1; return b }), true, ErrCorrupt, ErrCRCMismatch},
		{"crc with sign bit", mutate(base, func(b []byte) []byte { b[8] |= 0x80; return b }), true, ErrCorrupt, ErrCRCMismatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Decode(c.in, c.crc)
			require.ErrorIs(t, err, c.wantErr)
			if c.reason != nil {
				require.ErrorIs(t, err, c.reason)
			}
			require.Equal(t, Record{}, r)
		})
	}
}

func TestDecodeWithoutCRCCheck(t *testing.T) {
	raw := mutate(goldenVectors()[1].raw, func(b []byte) []byte { b[88] ^= 1; return b })
	r, err := Decode(raw, false)
	require.NoError(t, err)
	require.Equal(t, "Iello RocketMQ", string(r.Body))
}

func TestEncodedSizeLimits(t *testing.T) {
	msg := func(topic string, propsBytes int) *Message {
		return &Message{
			Topic: topic, BornHost: hostBorn4, StoreHost: hostStore4,
			Properties: make([]byte, propsBytes),
		}
	}
	cases := []struct {
		name     string
		m        *Message
		wantSize int
		wantErr  error
	}{
		{"one byte topic", msg("T", 0), 92, nil},
		{"127 byte topic is v1", msg(strings.Repeat("t", 127), 0), 91 + 127, nil},
		{"128 byte topic refused", msg(strings.Repeat("t", 128), 0), 0, ErrTopicTooLong},
		{"128 byte retry topic is v2", msg(RetryTopicPrefix+strings.Repeat("t", 121), 0), 92 + 128, nil},
		{"255 byte retry topic", msg(RetryTopicPrefix+strings.Repeat("t", 248), 0), 92 + 255, nil},
		{"256 byte retry topic refused", msg(RetryTopicPrefix+strings.Repeat("t", 249), 0), 0, ErrTopicTooLong},
		{"multi-byte topic of 130 bytes refused", msg(strings.Repeat("é", 65), 0), 0, ErrTopicTooLong},
		{"empty topic", msg("", 0), 0, ErrTopicEmpty},
		{"largest properties", msg("T", MaxPropertiesBytes), 92 + MaxPropertiesBytes, nil},
		{"properties too long", msg("T", MaxPropertiesBytes+1), 0, ErrPropertiesTooLong},
		{"ipv6 hosts", &Message{Topic: "T", BornHost: hostBorn6, StoreHost: hostStore6}, 92 + 24, nil},
		{"unset born host", &Message{Topic: "T", StoreHost: hostStore4}, 0, ErrInvalidHost},
		{"unset store host", &Message{Topic: "T", BornHost: hostBorn4}, 0, ErrInvalidHost},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			size, err := EncodedSize(c.m)
			if c.wantErr != nil {
				require.ErrorIs(t, err, c.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.wantSize, size)
			dst := make([]byte, size)
			require.Equal(t, size, Encode(dst, c.m, 0, 0, 0, 0))
			r, err := Decode(dst, true)
			require.NoError(t, err)
			require.Equal(t, c.m.Topic, r.TopicString())
			require.Len(t, r.Properties, len(c.m.Properties))
		})
	}
}

func TestEncodePanicsOnProgrammingErrors(t *testing.T) {
	m := &Message{Topic: "T", BornHost: hostBorn4, StoreHost: hostStore4}
	require.Panics(t, func() { Encode(make([]byte, 91), m, 0, 0, 0, 0) }, "short destination")
	require.Panics(t, func() { Encode(make([]byte, 200), &Message{}, 0, 0, 0, 0) }, "invalid message")
	require.Panics(t, func() { EncodeBlank(make([]byte, 8), 7) }, "blank below its head")
	require.Panics(t, func() { EncodeBlank(make([]byte, 7), 8) }, "short blank destination")
}

func TestEncodeIPv4MappedIsIPv6(t *testing.T) {
	mapped := netip.AddrPortFrom(netip.MustParseAddr("::ffff:10.0.0.1"), 10911)
	m := &Message{Topic: "T", BornHost: hostBorn4, StoreHost: mapped}
	size, err := EncodedSize(m)
	require.NoError(t, err)
	require.Equal(t, 92+12, size)
	dst := make([]byte, size)
	Encode(dst, m, 0, 0, 0, 0)
	r, err := Decode(dst, true)
	require.NoError(t, err)
	require.Equal(t, SysFlagStoreHostV6, r.SysFlag)
	require.Equal(t, mapped, r.StoreHost)
}

func TestTransactionTypes(t *testing.T) {
	cases := []struct {
		sysFlag     int32
		wantType    int32
		wantQueueOK bool
	}{
		{0, SysFlagTransactionNone, true},
		{SysFlagTransactionPrepared | SysFlagBornHostV6, SysFlagTransactionPrepared, false},
		{SysFlagTransactionCommit | SysFlagCompressed, SysFlagTransactionCommit, true},
		{SysFlagTransactionRollback, SysFlagTransactionRollback, false},
	}
	for _, c := range cases {
		require.Equal(t, c.wantType, TransactionType(c.sysFlag))
		require.Equal(t, c.wantQueueOK, HasQueueOffset(c.sysFlag))
		r := Record{SysFlag: c.sysFlag}
		require.Equal(t, c.wantType, r.TransactionType())
	}
}

func TestCodecDoesNotAllocate(t *testing.T) {
	g := goldenVectors()[3]
	dst := make([]byte, len(g.raw))
	allocs := testing.AllocsPerRun(100, func() {
		Encode(dst, &g.msg, g.bodyCRC, g.queueOffset, g.physOffset, g.storeTimestampMs)
	})
	require.Zero(t, allocs, "Encode")
	allocs = testing.AllocsPerRun(100, func() {
		if _, err := Decode(g.raw, true); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs, "Decode")
	allocs = testing.AllocsPerRun(100, func() {
		if _, ok := PropertyValue(g.msg.Properties, PropertyProducerGroup); !ok {
			t.Fatal("missing PGROUP")
		}
	})
	require.Zero(t, allocs, "PropertyValue")
}

// v2ShortTopicRecord is a valid v2 record with a one-byte topic; the encoder
// would write it as v1, 1 byte shorter.
func v2ShortTopicRecord() []byte {
	return cat(
		hx("00 00 00 5D"),             // TOTALSIZE 93
		hx("DA A3 20 AB"),             // MAGICCODE v2
		hx("00 00 00 00"),             // BODYCRC of the empty body
		hx("00 00 00 00"),             // QUEUEID 0
		hx("00 00 00 00"),             // FLAG 0
		hx("00 00 00 00 00 00 00 00"), // QUEUEOFFSET 0
		hx("00 00 00 00 00 00 00 00"), // PHYSICALOFFSET 0
		hx("00 00 00 00"),             // SYSFLAG 0
		hx("00 00 00 00 00 00 00 01"), // BORNTIMESTAMP 1
		hx("7F 00 00 01 00 00 00 01"), // BORNHOST 127.0.0.1:1
		hx("00 00 00 00 00 00 00 02"), // STORETIMESTAMP 2
		hx("7F 00 00 01 00 00 00 02"), // STOREHOST 127.0.0.1:2
		hx("00 00 00 00"),             // RECONSUMETIMES 0
		hx("00 00 00 00 00 00 00 00"), // PREPAREDTRANSACTIONOFFSET 0
		hx("00 00 00 00"),             // BODYLENGTH 0
		hx("00 01 54"),                // TOPICLENGTH 1 (two bytes), "T"
		hx("00 00"),                   // PROPERTIESLENGTH 0
	)
}

func TestDecodeV2ShortTopic(t *testing.T) {
	r, err := Decode(v2ShortTopicRecord(), true)
	require.NoError(t, err)
	require.Equal(t, MagicV2, r.Magic)
	require.Equal(t, "T", r.TopicString())
	require.Equal(t, netip.MustParseAddrPort("127.0.0.1:2"), r.StoreHost)
	m := r.Message()
	size, err := EncodedSize(&m)
	require.NoError(t, err)
	require.Equal(t, 92, size)
}
