package consumequeue

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUnitGoldenVectors(t *testing.T) {
	cases := []struct {
		name   string
		unit   Unit
		raw    []byte
		valid  bool
		filler bool
	}{
		{
			name: "tag TagA",
			unit: Unit{PhysOffset: 0x0102030405060708, SizeBytes: 92, TagCode: 2598919},
			raw: []byte{
				0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, // physOffset
				0x00, 0x00, 0x00, 0x5C, // size 92
				0x00, 0x00, 0x00, 0x00, 0x00, 0x27, 0xA8, 0x07, // tag 2598919
			},
			valid: true,
		},
		{
			name: "negative tag hash is sign-extended",
			unit: Unit{PhysOffset: 4096, SizeBytes: 200, TagCode: -1656969516},
			raw: []byte{
				0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
				0x00, 0x00, 0x00, 0xC8,
				0xFF, 0xFF, 0xFF, 0xFF, 0x9D, 0x3C, 0xA6, 0xD4,
			},
			valid: true,
		},
		{
			name: "delivery time of a scheduled message",
			unit: Unit{PhysOffset: 1 << 30, SizeBytes: 1, TagCode: 1756728000000},
			raw: []byte{
				0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00,
				0x00, 0x00, 0x00, 0x01,
				0x00, 0x00, 0x01, 0x99, 0x05, 0x25, 0xFE, 0x00,
			},
			valid: true,
		},
		{
			name: "filler",
			unit: Unit{PhysOffset: 0, SizeBytes: math.MaxInt32, TagCode: 0},
			raw: []byte{
				0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
				0x7F, 0xFF, 0xFF, 0xFF,
				0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
			},
			valid:  true,
			filler: true,
		},
		{
			name: "all zero ends the data",
			unit: Unit{},
			raw:  make([]byte, 20),
		},
		{
			name: "negative size ends the data",
			unit: Unit{PhysOffset: 1, SizeBytes: -1, TagCode: 0},
			raw: []byte{
				0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
				0xFF, 0xFF, 0xFF, 0xFF,
				0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
			},
		},
		{
			name: "negative offset ends the data",
			unit: Unit{PhysOffset: -1, SizeBytes: 10, TagCode: 5},
			raw: []byte{
				0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
				0x00, 0x00, 0x00, 0x0A,
				0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
			},
		},
		{
			name: "end past int64 ends the data",
			unit: Unit{PhysOffset: math.MaxInt64, SizeBytes: 1},
			raw: []byte{
				0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
				0x00, 0x00, 0x00, 0x01,
				0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Len(t, tc.raw, UnitSize)
			got := make([]byte, UnitSize)
			EncodeUnit(got, tc.unit)
			assert.Equal(t, tc.raw, got)

			u, err := DecodeUnit(tc.raw)
			require.NoError(t, err)
			assert.Equal(t, tc.unit, u)
			assert.Equal(t, tc.valid, u.Valid())
			assert.Equal(t, tc.filler, u.IsFiller())
		})
	}
}

func TestDecodeUnitShort(t *testing.T) {
	for _, n := range []int{0, 1, 19} {
		_, err := DecodeUnit(make([]byte, n))
		require.ErrorIs(t, err, ErrShortUnit, "len %d", n)
	}
	// Longer input decodes its first 20 bytes.
	b := append(encoded(Unit{PhysOffset: 7, SizeBytes: 8, TagCode: 9}), 0xEE, 0xEE)
	u, err := DecodeUnit(b)
	require.NoError(t, err)
	require.Equal(t, Unit{PhysOffset: 7, SizeBytes: 8, TagCode: 9}, u)
}

func TestEncodeUnitShortBufferPanics(t *testing.T) {
	require.Panics(t, func() { EncodeUnit(make([]byte, 19), Unit{}) })
}

func TestTagCode(t *testing.T) {
	cases := []struct {
		tags string
		want int64
	}{
		{"", 0},
		{"TagA", 2598919},
		{"*", 42},
		{"TopicTest#KEY1", -1656969516},
		{"a", 97},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, TagCode(tc.tags), "tags %q", tc.tags)
	}
}

func TestUnitString(t *testing.T) {
	assert.Equal(t, "filler", fillerUnit.String())
	assert.Equal(t, "{phys 5 size 6 tag 7}", Unit{PhysOffset: 5, SizeBytes: 6, TagCode: 7}.String())
}

func TestConfigNormalized(t *testing.T) {
	cases := []struct {
		in, want int64
		bad      bool
	}{
		{in: 0, want: DefaultFileSizeBytes},
		{in: 1, want: 20},
		{in: 20, want: 20},
		{in: 21, want: 40},
		{in: 6_000_001, want: 6_000_020},
		{in: MaxFileSizeBytes, want: MaxFileSizeBytes},
		{in: MaxFileSizeBytes + 1, bad: true},
		{in: -20, bad: true},
	}
	for _, tc := range cases {
		cfg, err := Config{FileSizeBytes: tc.in}.normalized()
		if tc.bad {
			require.Error(t, err, "size %d", tc.in)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tc.want, cfg.FileSizeBytes, "size %d", tc.in)
		require.NotNil(t, cfg.Logger)
	}
	require.EqualValues(t, 6_000_000, DefaultFileSizeBytes)
}

func TestNames(t *testing.T) {
	for _, topic := range []string{"TopicTest", "%RETRY%group", "%DLQ%g-1", "a|b", "SCHEDULE_TOPIC_XXXX", "x"} {
		assert.True(t, ValidTopic(topic), topic)
	}
	long := make([]byte, 256)
	for i := range long {
		long[i] = 'a'
	}
	for _, topic := range []string{"", ".", "..", "a/b", "a.b", "a b", "é", string(long)} {
		assert.False(t, ValidTopic(topic), topic)
	}
	assert.True(t, ValidTopic(string(long[:255])))

	for name, want := range map[string]int32{"0": 0, "7": 7, "2147483647": 2147483647} {
		id, ok := parseQueueID(name)
		assert.True(t, ok, name)
		assert.Equal(t, want, id, name)
	}
	for _, name := range []string{"", "-1", "+1", "07", "2147483648", "x", "1.0"} {
		_, ok := parseQueueID(name)
		assert.False(t, ok, name)
	}
	assert.Equal(t, "store/consumequeue/TopicTest/3", QueueDir("store", "TopicTest", 3))
}
