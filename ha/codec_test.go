package ha

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// hx decodes spaced hex.
func hx(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// Golden vectors written by hand from spec/store.md §12 (big-endian int64
// offset; int64 offset + int32 size).
func TestReportGolden(t *testing.T) {
	tests := []struct {
		name   string
		offset int64
		wire   string
	}{
		{"empty slave", 0, "00 00 00 00 00 00 00 00"},
		{"one record", 92, "00 00 00 00 00 00 00 5C"},
		{"second 1 GiB segment plus 3", 1<<30 + 3, "00 00 00 00 40 00 00 03"},
		{"largest", 1<<63 - 1, "7F FF FF FF FF FF FF FF"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := make([]byte, ReportSizeBytes)
			EncodeReport(b, tc.offset)
			require.Equal(t, hx(tc.wire), b)
			got, err := DecodeReport(hx(tc.wire))
			require.NoError(t, err)
			require.Equal(t, tc.offset, got)
		})
	}
	_, err := DecodeReport(hx("80 00 00 00 00 00 00 00"))
	require.ErrorIs(t, err, ErrBadReport)
	_, err = DecodeReport(hx("00 00 00"))
	require.ErrorIs(t, err, ErrBadReport)
}

func TestFrameHeaderGolden(t *testing.T) {
	tests := []struct {
		name string
		h    FrameHeader
		wire string
	}{
		{"heartbeat at 0", FrameHeader{0, 0}, "00 00 00 00 00 00 00 00  00 00 00 00"},
		{"3 bytes at 1 GiB", FrameHeader{1 << 30, 3}, "00 00 00 00 40 00 00 00  00 00 00 03"},
		{"32 KiB batch at 92", FrameHeader{92, 32 << 10}, "00 00 00 00 00 00 00 5C  00 00 80 00"},
		{"4 MiB limit", FrameHeader{0x0102030405060708, 4 << 20}, "01 02 03 04 05 06 07 08  00 40 00 00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := make([]byte, FrameHeaderSizeBytes)
			EncodeFrameHeader(b, tc.h)
			require.Equal(t, hx(tc.wire), b)
			got, err := DecodeFrameHeader(hx(tc.wire), DefaultMaxFrameBodyBytes)
			require.NoError(t, err)
			require.Equal(t, tc.h, got)
		})
	}
	bad := []struct {
		name string
		wire string
	}{
		{"negative offset", "FF FF FF FF FF FF FF FF  00 00 00 01"},
		{"negative size", "00 00 00 00 00 00 00 00  FF FF FF FF"},
		{"size over the limit", "00 00 00 00 00 00 00 00  00 40 00 01"},
		{"body past the largest offset", "7F FF FF FF FF FF FF FF  00 00 00 01"},
		{"short", "00 00 00 00 00 00 00 00  00 00 00"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeFrameHeader(hx(tc.wire), DefaultMaxFrameBodyBytes)
			require.ErrorIs(t, err, ErrBadFrame)
		})
	}
}

// The master looks only at the last complete report of what it read,
// however the reports are cut.
func TestReportReader(t *testing.T) {
	r1, r2, r3 := hx("00 00 00 00 00 00 00 5C"), hx("00 00 00 00 00 00 01 00"), hx("00 00 00 00 40 00 00 03")
	cat := func(bs ...[]byte) []byte {
		var out []byte
		for _, b := range bs {
			out = append(out, b...)
		}
		return out
	}
	type step struct {
		chunk []byte
		want  int64 // -1: no complete report in this chunk
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"one whole", []step{{r1, 92}}},
		{"several: the last wins", []step{{cat(r1, r2, r3), 1<<30 + 3}}},
		{"split in the middle", []step{{r1[:3], -1}, {r1[3:], 92}}},
		{"byte by byte", []step{{r2[:1], -1}, {r2[1:2], -1}, {r2[2:7], -1}, {r2[7:], 256}}},
		{"tail carried over", []step{{cat(r1, r2[:5]), 92}, {cat(r2[5:], r3[:2]), 256}, {r3[2:], 1<<30 + 3}}},
		{"last split across chunks", []step{{cat(r1, r2[:7]), 92}, {cat(r2[7:], r3, r1[:1]), 1<<30 + 3}}},
		{"empty chunk", []step{{nil, -1}, {r3, 1<<30 + 3}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var rr ReportReader
			for i, s := range tc.steps {
				got, ok, err := rr.Feed(s.chunk)
				require.NoError(t, err)
				if s.want < 0 {
					require.False(t, ok, "step %d", i)
					continue
				}
				require.True(t, ok, "step %d", i)
				require.Equal(t, s.want, got, "step %d", i)
			}
		})
	}
	var rr ReportReader
	_, _, err := rr.Feed(cat(r1, hx("FF 00 00 00 00 00 00 00")))
	require.ErrorIs(t, err, ErrBadReport, "the last report is negative")
	rr = ReportReader{}
	got, ok, err := rr.Feed(cat(hx("FF 00 00 00 00 00 00 00"), r1))
	require.NoError(t, err, "only the last report is looked at")
	require.True(t, ok)
	require.Equal(t, int64(92), got)
}

// recorder is a FrameHandler that keeps what it is given.
type recorder struct {
	headers []FrameHeader
	pieces  []piece
	failAt  int // fail the n-th body piece (1-based); 0 never
}

type piece struct {
	offset int64
	data   string
}

var errRecorder = errors.New("recorder refuses")

func (r *recorder) OnFrameHeader(h FrameHeader) error {
	r.headers = append(r.headers, h)
	return nil
}

func (r *recorder) OnFrameBody(off int64, b []byte) error {
	r.pieces = append(r.pieces, piece{off, string(b)})
	if len(r.pieces) == r.failAt {
		return errRecorder
	}
	return nil
}

func TestFrameReader(t *testing.T) {
	f1 := hx("00 00 00 00 00 00 00 64  00 00 00 03  41 42 43") // "ABC" at 100
	hb := hx("00 00 00 00 00 00 00 67  00 00 00 00")           // heartbeat at 103
	f2 := hx("00 00 00 00 00 00 00 67  00 00 00 02  44 45")    // "DE" at 103
	stream := append(append(append([]byte{}, f1...), hb...), f2...)
	wantHeaders := []FrameHeader{{100, 3}, {103, 0}, {103, 2}}

	tests := []struct {
		name   string
		cuts   []int // chunk boundaries in stream
		pieces []piece
	}{
		{"one chunk", nil, []piece{{100, "ABC"}, {103, "DE"}}},
		{"header split", []int{5}, []piece{{100, "ABC"}, {103, "DE"}}},
		{"body split", []int{13}, []piece{{100, "A"}, {101, "BC"}, {103, "DE"}}},
		{"cut after each header", []int{12, 27, 39}, []piece{{100, "ABC"}, {103, "DE"}}},
		{"byte by byte", seq(1, len(stream)), []piece{{100, "A"}, {101, "B"}, {102, "C"}, {103, "D"}, {104, "E"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fr := NewFrameReader(16)
			rec := &recorder{}
			prev := 0
			for _, cut := range append(tc.cuts, len(stream)) {
				require.NoError(t, fr.Feed(stream[prev:cut], rec))
				prev = cut
			}
			require.Equal(t, wantHeaders, rec.headers)
			require.Equal(t, tc.pieces, rec.pieces)
		})
	}

	t.Run("body over the limit", func(t *testing.T) {
		fr := NewFrameReader(2)
		rec := &recorder{}
		err := fr.Feed(f1, rec)
		require.ErrorIs(t, err, ErrBadFrame)
		require.Empty(t, rec.headers)
		require.ErrorIs(t, fr.Feed(f2, rec), ErrBadFrame, "a broken reader stays broken")
	})
	t.Run("handler error stops the stream", func(t *testing.T) {
		fr := NewFrameReader(16)
		rec := &recorder{failAt: 1}
		require.ErrorIs(t, fr.Feed(stream, rec), errRecorder)
		require.Len(t, rec.pieces, 1)
		require.ErrorIs(t, fr.Feed(f2, rec), errRecorder)
	})
}

func seq(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}
