package commitlog

import (
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// hx decodes hex written with spaces for readability.
func hx(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// cat concatenates byte slices.
func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// golden is a record written byte by byte from the spec, with the message and
// assigned values that must encode to it and the fields Decode must read.
type golden struct {
	name             string
	raw              []byte
	msg              Message
	bodyCRC          uint32
	queueOffset      int64
	physOffset       int64
	storeTimestampMs int64
	// wantSysFlag is the SYSFLAG on disk (host bits set by the encoder).
	wantSysFlag int32
	wantMagic   uint32
}

var (
	hostBorn4  = netip.MustParseAddrPort("192.168.0.10:51234")
	hostLocal  = netip.MustParseAddrPort("127.0.0.1:40000")
	hostStore4 = netip.MustParseAddrPort("10.0.0.1:10911")
	hostBorn6  = netip.MustParseAddrPort("[2001:db8::1]:40000")
	hostStore6 = netip.MustParseAddrPort("[fe80::2]:10911")
	v2Topic    = RetryTopicPrefix + strings.Repeat("a", 121) // 128 bytes
)

func goldenVectors() []golden {
	return []golden{
		{
			// Spec §15: IPv4/IPv4, v1, topic "T", empty body, no properties.
			name: "minimal 92 bytes",
			raw: cat(
				hx("00 00 00 5C"),             // TOTALSIZE 92
				hx("DA A3 20 A7"),             // MAGICCODE v1
				hx("00 00 00 00"),             // BODYCRC of the empty body
				hx("00 00 00 03"),             // QUEUEID 3
				hx("00 00 00 00"),             // FLAG 0
				hx("00 00 00 00 00 00 00 07"), // QUEUEOFFSET 7
				hx("00 00 00 00 00 00 10 00"), // PHYSICALOFFSET 4096
				hx("00 00 00 00"),             // SYSFLAG 0
				hx("00 00 01 8B CF E5 68 00"), // BORNTIMESTAMP 1700000000000
				hx("C0 A8 00 0A 00 00 C8 22"), // BORNHOST 192.168.0.10:51234
				hx("00 00 01 8B CF E5 68 7B"), // STORETIMESTAMP 1700000000123
				hx("0A 00 00 01 00 00 2A 9F"), // STOREHOST 10.0.0.1:10911
				hx("00 00 00 00"),             // RECONSUMETIMES 0
				hx("00 00 00 00 00 00 00 00"), // PREPAREDTRANSACTIONOFFSET 0
				hx("00 00 00 00"),             // BODYLENGTH 0
				hx("01 54"),                   // TOPICLENGTH 1, "T"
				hx("00 00"),                   // PROPERTIESLENGTH 0
			),
			msg: Message{
				Topic: "T", QueueID: 3, BornTimestampMs: 1700000000000,
				BornHost: hostBorn4, StoreHost: hostStore4,
			},
			bodyCRC: 0, queueOffset: 7, physOffset: 4096, storeTimestampMs: 1700000000123,
			wantSysFlag: 0, wantMagic: MagicV1,
		},
		{
			name: "body tags keys",
			raw: cat(
				hx("00 00 00 87"),             // TOTALSIZE 135 = 91 + 14 + 9 + 21
				hx("DA A3 20 A7"),             // MAGICCODE v1
				hx("69 C8 65 ED"),             // BODYCRC 1774740973
				hx("00 00 00 01"),             // QUEUEID 1
				hx("00 00 01 00"),             // FLAG 256
				hx("00 00 00 00 00 00 00 2A"), // QUEUEOFFSET 42
				hx("00 00 00 00 00 00 00 5C"), // PHYSICALOFFSET 92
				hx("00 00 00 00"),             // SYSFLAG 0
				hx("00 00 01 8B CF E5 68 00"), // BORNTIMESTAMP 1700000000000
				hx("7F 00 00 01 00 00 9C 40"), // BORNHOST 127.0.0.1:40000
				hx("00 00 01 8B CF E5 69 F4"), // STORETIMESTAMP 1700000000500
				hx("0A 00 00 01 00 00 2A 9F"), // STOREHOST 10.0.0.1:10911
				hx("00 00 00 02"),             // RECONSUMETIMES 2
				hx("00 00 00 00 00 00 00 00"), // PREPAREDTRANSACTIONOFFSET 0
				hx("00 00 00 0E"),             // BODYLENGTH 14
				[]byte("Hello RocketMQ"),      // BODY
				hx("09"),                      // TOPICLENGTH 9
				[]byte("TopicTest"),           // TOPIC
				hx("00 15"),                   // PROPERTIESLENGTH 21
				[]byte("TAGS\x01TagA\x02KEYS\x01k1 k2\x02"),
			),
			msg: Message{
				Topic: "TopicTest", QueueID: 1, Flag: 256, BornTimestampMs: 1700000000000,
				BornHost: hostLocal, StoreHost: hostStore4, ReconsumeTimes: 2,
				Body:       []byte("Hello RocketMQ"),
				Properties: []byte("TAGS\x01TagA\x02KEYS\x01k1 k2\x02"),
			},
			bodyCRC: 1774740973, queueOffset: 42, physOffset: 92, storeTimestampMs: 1700000000500,
			wantSysFlag: 0, wantMagic: MagicV1,
		},
		{
			name: "ipv6 born host",
			raw: cat(
				hx("00 00 00 6A"),             // TOTALSIZE 106 = 91 + 12 + 1 + 2
				hx("DA A3 20 A7"),             // MAGICCODE v1
				hx("0C DC 16 83"),             // BODYCRC of "x"
				hx("00 00 00 00"),             // QUEUEID 0
				hx("00 00 00 00"),             // FLAG 0
				hx("00 00 00 00 00 00 00 00"), // QUEUEOFFSET 0
				hx("00 00 00 00 40 00 00 00"), // PHYSICALOFFSET 1 GiB
				hx("00 00 00 10"),             // SYSFLAG BORNHOST_V6
				hx("00 00 01 8B CF E5 68 00"), // BORNTIMESTAMP 1700000000000
				hx("20 01 0D B8 00 00 00 00 00 00 00 00 00 00 00 01"), // BORNHOST 2001:db8::1
				hx("00 00 9C 40"),             // born port 40000
				hx("00 00 01 8B CF E5 68 01"), // STORETIMESTAMP 1700000000001 at 68
				hx("0A 00 00 01 00 00 2A 9F"), // STOREHOST 10.0.0.1:10911
				hx("00 00 00 00"),             // RECONSUMETIMES 0
				hx("00 00 00 00 00 00 00 00"), // PREPAREDTRANSACTIONOFFSET 0
				hx("00 00 00 01"),             // BODYLENGTH 1
				[]byte("x"),                   // BODY
				hx("02"),                      // TOPICLENGTH 2
				[]byte("T6"),                  // TOPIC
				hx("00 00"),                   // PROPERTIESLENGTH 0
			),
			msg: Message{
				Topic: "T6", BornTimestampMs: 1700000000000,
				BornHost: hostBorn6, StoreHost: hostStore4,
				Body: []byte("x"),
			},
			bodyCRC: 0x0CDC1683, queueOffset: 0, physOffset: 1 << 30, storeTimestampMs: 1700000000001,
			wantSysFlag: SysFlagBornHostV6, wantMagic: MagicV1,
		},
		{
			// Both hosts IPv6, a COMMIT record pointing at its half message.
			// The caller's SysFlag has the host bits wrong on purpose.
			name: "ipv6 both hosts commit",
			raw: cat(
				hx("00 00 00 91"),             // TOTALSIZE 145 = 91 + 24 + 4 + 2 + 24
				hx("DA A3 20 A7"),             // MAGICCODE v1
				hx("7B 5A 41 21"),             // BODYCRC of "half"
				hx("00 00 00 02"),             // QUEUEID 2
				hx("00 00 00 00"),             // FLAG 0
				hx("00 00 00 00 00 00 00 05"), // QUEUEOFFSET 5
				hx("00 00 00 00 00 00 0F A0"), // PHYSICALOFFSET 4000
				hx("00 00 00 38"),             // SYSFLAG COMMIT|BORNHOST_V6|STOREHOST_V6
				hx("00 00 01 8B CF E5 68 00"), // BORNTIMESTAMP 1700000000000
				hx("20 01 0D B8 00 00 00 00 00 00 00 00 00 00 00 01"), // BORNHOST 2001:db8::1
				hx("00 00 9C 40"),                                     // born port 40000
				hx("00 00 01 8B CF E5 68 01"),                         // STORETIMESTAMP at 68
				hx("FE 80 00 00 00 00 00 00 00 00 00 00 00 00 00 02"), // STOREHOST fe80::2
				hx("00 00 2A 9F"),                                     // store port 10911
				hx("00 00 00 00"),                                     // RECONSUMETIMES 0 at 96
				hx("00 00 00 00 00 00 07 D0"),                         // PREPAREDTRANSACTIONOFFSET 2000
				hx("00 00 00 04"),                                     // BODYLENGTH 4
				[]byte("half"),                                        // BODY
				hx("02"),                                              // TOPICLENGTH 2
				[]byte("TX"),                                          // TOPIC
				hx("00 18"),                                           // PROPERTIESLENGTH 24
				[]byte("TRAN_MSG\x01true\x02PGROUP\x01pg\x02"),
			),
			msg: Message{
				Topic: "TX", QueueID: 2, SysFlag: SysFlagTransactionCommit | SysFlagBornHostV6,
				BornTimestampMs: 1700000000000, BornHost: hostBorn6, StoreHost: hostStore6,
				PreparedTransactionOffset: 2000,
				Body:                      []byte("half"),
				Properties:                []byte("TRAN_MSG\x01true\x02PGROUP\x01pg\x02"),
			},
			bodyCRC: 0x7B5A4121, queueOffset: 5, physOffset: 4000, storeTimestampMs: 1700000000001,
			wantSysFlag: 0x38, wantMagic: MagicV1,
		},
		{
			name: "v2 long retry topic",
			raw: cat(
				hx("00 00 00 DE"),             // TOTALSIZE 222 = 91 + 1 + 2 + 128
				hx("DA A3 20 AB"),             // MAGICCODE v2
				hx("70 6B 9D 0F"),             // BODYCRC of "v2"
				hx("00 00 00 00"),             // QUEUEID 0
				hx("00 00 00 00"),             // FLAG 0
				hx("00 00 00 00 00 00 00 09"), // QUEUEOFFSET 9
				hx("00 00 00 00 00 01 00 00"), // PHYSICALOFFSET 65536
				hx("00 00 00 00"),             // SYSFLAG 0
				hx("00 00 01 8B CF E5 68 00"), // BORNTIMESTAMP 1700000000000
				hx("C0 A8 00 0A 00 00 C8 22"), // BORNHOST 192.168.0.10:51234
				hx("00 00 01 8B CF E5 68 7B"), // STORETIMESTAMP 1700000000123
				hx("0A 00 00 01 00 00 2A 9F"), // STOREHOST 10.0.0.1:10911
				hx("00 00 00 01"),             // RECONSUMETIMES 1
				hx("00 00 00 00 00 00 00 00"), // PREPAREDTRANSACTIONOFFSET 0
				hx("00 00 00 02"),             // BODYLENGTH 2
				[]byte("v2"),                  // BODY
				hx("00 80"),                   // TOPICLENGTH 128, two bytes
				[]byte(v2Topic),               // TOPIC
				hx("00 00"),                   // PROPERTIESLENGTH 0
			),
			msg: Message{
				Topic: v2Topic, BornTimestampMs: 1700000000000,
				BornHost: hostBorn4, StoreHost: hostStore4, ReconsumeTimes: 1,
				Body: []byte("v2"),
			},
			bodyCRC: 0x706B9D0F, queueOffset: 9, physOffset: 65536, storeTimestampMs: 1700000000123,
			wantSysFlag: 0, wantMagic: MagicV2,
		},
	}
}

func TestGoldenBodyCRC(t *testing.T) {
	require.Equal(t, uint32(1774740973), BodyCRC([]byte("Hello RocketMQ")))
	for _, g := range goldenVectors() {
		require.Equal(t, g.bodyCRC, BodyCRC(g.msg.Body), g.name)
	}
}

func TestGoldenDecode(t *testing.T) {
	for _, g := range goldenVectors() {
		t.Run(g.name, func(t *testing.T) {
			// Trailing bytes after the record must be ignored.
			in := cat(g.raw, hx("DE AD BE EF"))
			r, err := Decode(in, true)
			require.NoError(t, err)
			m := g.msg
			require.Equal(t, int32(len(g.raw)), r.TotalSize)
			require.Equal(t, g.wantMagic, r.Magic)
			require.Equal(t, g.bodyCRC, r.BodyCRC)
			require.Equal(t, m.QueueID, r.QueueID)
			require.Equal(t, m.Flag, r.Flag)
			require.Equal(t, g.queueOffset, r.QueueOffset)
			require.Equal(t, g.physOffset, r.PhysOffset)
			require.Equal(t, g.wantSysFlag, r.SysFlag)
			require.Equal(t, m.BornTimestampMs, r.BornTimestampMs)
			require.Equal(t, m.BornHost, r.BornHost)
			require.Equal(t, g.storeTimestampMs, r.StoreTimestampMs)
			require.Equal(t, m.StoreHost, r.StoreHost)
			require.Equal(t, m.ReconsumeTimes, r.ReconsumeTimes)
			require.Equal(t, m.PreparedTransactionOffset, r.PreparedTransactionOffset)
			require.Equal(t, string(m.Body), string(r.Body))
			require.Equal(t, m.Topic, r.TopicString())
			require.Equal(t, string(m.Properties), string(r.Properties))
			require.Equal(t, g.raw, r.Raw)
			require.Equal(t, g.physOffset+int64(len(g.raw)), r.EndOffset())
		})
	}
}

func TestGoldenEncode(t *testing.T) {
	for _, g := range goldenVectors() {
		t.Run(g.name, func(t *testing.T) {
			size, err := EncodedSize(&g.msg)
			require.NoError(t, err)
			require.Equal(t, len(g.raw), size)
			dst := make([]byte, size+16)
			for i := range dst {
				dst[i] = 0xEE
			}
			n := Encode(dst, &g.msg, g.bodyCRC, g.queueOffset, g.physOffset, g.storeTimestampMs)
			require.Equal(t, size, n)
			require.Equal(t, g.raw, dst[:n])
			require.Equal(t, hx("EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE"), dst[n:], "bytes past the record untouched")
		})
	}
}

func TestGoldenRecordMessage(t *testing.T) {
	for _, g := range goldenVectors() {
		r, err := Decode(g.raw, true)
		require.NoError(t, err)
		m := r.Message()
		dst := make([]byte, len(g.raw))
		Encode(dst, &m, r.BodyCRC, r.QueueOffset, r.PhysOffset, r.StoreTimestampMs)
		require.Equal(t, g.raw, dst, g.name)
	}
}

func TestGoldenBlank(t *testing.T) {
	raw := cat(
		hx("00 00 00 40"), // TOTALSIZE 64: the bytes left in the segment
		hx("CB D4 31 94"), // MAGICCODE blank
		[]byte(strings.Repeat("\xEE", 56)),
	)
	r, err := Decode(raw, true)
	require.ErrorIs(t, err, ErrBlank)
	require.Equal(t, int32(64), r.TotalSize)
	require.Equal(t, MagicBlank, r.Magic)
	require.Equal(t, raw, r.Raw)

	size, ok := BlankSize(raw)
	require.True(t, ok)
	require.Equal(t, int32(64), size)
	_, ok = BlankSize(goldenVectors()[0].raw)
	require.False(t, ok)

	dst := make([]byte, 64)
	copy(dst, raw)
	for i := 0; i < BlankRecordSizeBytes; i++ {
		dst[i] = 0
	}
	EncodeBlank(dst, 64)
	require.Equal(t, raw, dst)
}
