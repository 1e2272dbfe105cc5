package indexfile

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHeaderCodec(t *testing.T) {
	tests := []struct {
		name string
		hdr  Header
		want string
	}{
		{
			name: "empty",
			hdr:  Header{IndexCount: 1},
			want: "0000000000000000 0000000000000000 0000000000000000 0000000000000000 00000000 00000001",
		},
		{
			name: "typical",
			hdr: Header{
				BeginTimestampMs: 1_700_000_000_000, EndTimestampMs: 1_700_000_005_000,
				BeginPhyOffset: 100, EndPhyOffset: 1 << 40, HashSlotCount: 2, IndexCount: 4,
			},
			want: "0000018bcfe56800 0000018bcfe57b88 0000000000000064 0000010000000000 00000002 00000004",
		},
		{
			name: "negative fields stay two's complement",
			hdr: Header{
				BeginTimestampMs: -1, EndTimestampMs: math.MinInt64,
				BeginPhyOffset: math.MaxInt64, EndPhyOffset: -2, HashSlotCount: -1, IndexCount: math.MinInt32,
			},
			want: "ffffffffffffffff 8000000000000000 7fffffffffffffff fffffffffffffffe ffffffff 80000000",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := make([]byte, HeaderSizeBytes)
			EncodeHeader(b, tt.hdr)
			require.Equal(t, unhex(t, tt.want), b)
			got, err := DecodeHeader(b)
			require.NoError(t, err)
			require.Equal(t, tt.hdr, got)
		})
	}
}

func TestDecodeHeaderShort(t *testing.T) {
	_, err := DecodeHeader(make([]byte, HeaderSizeBytes-1))
	require.ErrorIs(t, err, ErrCorrupt)
}

func TestEntryCodec(t *testing.T) {
	tests := []struct {
		name  string
		entry Entry
		want  string
	}{
		{"zero", Entry{}, "00000000 0000000000000000 00000000 00000000"},
		{"typical", Entry{KeyHash: 0x62c3592c, PhyOffset: 500, TimeDiffSec: 5, PrevIndex: 1},
			"62c3592c 00000000000001f4 00000005 00000001"},
		{"extremes", Entry{KeyHash: math.MaxInt32, PhyOffset: math.MaxInt64, TimeDiffSec: -1, PrevIndex: math.MinInt32},
			"7fffffff 7fffffffffffffff ffffffff 80000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := make([]byte, EntrySizeBytes)
			EncodeEntry(b, tt.entry)
			require.Equal(t, unhex(t, tt.want), b)
			require.Equal(t, tt.entry, decodeEntry(b))
		})
	}
}

func TestGeometry(t *testing.T) {
	require.EqualValues(t, 420_000_040, DefaultGeometry().FileSizeBytes())
	require.NoError(t, DefaultGeometry().Validate())
	require.EqualValues(t, 40+4*4+4*20, Geometry{HashSlots: 4, MaxEntries: 4}.FileSizeBytes())

	tests := []struct {
		name string
		geo  Geometry
		ok   bool
	}{
		{"smallest", Geometry{HashSlots: 1, MaxEntries: 2}, true},
		{"no slots", Geometry{HashSlots: 0, MaxEntries: 2}, false},
		{"negative slots", Geometry{HashSlots: -5, MaxEntries: 2}, false},
		{"only entry 0", Geometry{HashSlots: 1, MaxEntries: 1}, false},
		{"at the Java int limit", Geometry{HashSlots: 1, MaxEntries: (math.MaxInt32 - 44) / 20}, true},
		{"past the Java int limit", Geometry{HashSlots: 5_000_000, MaxEntries: 110_000_000}, false},
		{"slots overflow", Geometry{HashSlots: math.MaxInt, MaxEntries: 2}, false},
		{"entries overflow", Geometry{HashSlots: 1, MaxEntries: math.MaxInt}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.geo.Validate()
			if tt.ok {
				require.NoError(t, err)
				require.LessOrEqual(t, tt.geo.FileSizeBytes(), int64(MaxFileSizeBytes))
			} else {
				require.Error(t, err)
			}
		})
	}
}

func TestCheckHeader(t *testing.T) {
	g := Geometry{HashSlots: 4, MaxEntries: 8}
	tests := []struct {
		name    string
		hdr     Header
		wantErr bool
		want    int32 // IndexCount after normalization
	}{
		{"fresh", Header{IndexCount: 1}, false, 1},
		{"never written by RocketMQ", Header{IndexCount: 0}, false, 1},
		{"full", Header{IndexCount: 8, HashSlotCount: 4}, false, 8},
		{"hashSlotCount counting every entry (before 4.7.1)", Header{IndexCount: 8, HashSlotCount: 7}, false, 8},
		{"indexCount past the entries", Header{IndexCount: 9}, true, 0},
		{"negative indexCount", Header{IndexCount: -1}, true, 0},
		{"hashSlotCount one ahead (torn header write-back)", Header{IndexCount: 3, HashSlotCount: 3}, false, 3},
		{"hashSlotCount past the entries", Header{IndexCount: 3, HashSlotCount: 9}, true, 0},
		{"negative hashSlotCount", Header{IndexCount: 3, HashSlotCount: -1}, true, 0},
		{"negative begin phy offset", Header{IndexCount: 1, BeginPhyOffset: -1}, true, 0},
		{"negative end phy offset", Header{IndexCount: 1, EndPhyOffset: -1}, true, 0},
		{"any timestamps", Header{IndexCount: 1, BeginTimestampMs: -5, EndTimestampMs: math.MaxInt64}, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := g.CheckHeader(tt.hdr)
			if tt.wantErr {
				require.ErrorIs(t, err, ErrCorrupt)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.IndexCount)
		})
	}
}

func TestTimeDiffSec(t *testing.T) {
	tests := []struct {
		name           string
		beginMs, store int64
		want           int32
	}{
		{"no begin yet", 0, 1_700_000_000_000, 0},
		{"negative begin", -1, 5000, 0},
		{"same time", 1000, 1000, 0},
		{"truncates", 1000, 2999, 1},
		{"seconds", 1000, 6000, 5},
		{"before begin clamps to 0", 10_000, 1000, 0},
		{"huge clamps to MaxInt32", 1, math.MaxInt64, math.MaxInt32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, timeDiffSec(tt.beginMs, tt.store))
		})
	}
}
