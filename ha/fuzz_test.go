package ha

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzReportReader cuts a stream of slave bytes in two: after each chunk
// the reader must answer the last 8-byte report the chunk completes, as
// decoding the whole stream read so far does, and never panic.
func FuzzReportReader(f *testing.F) {
	f.Add(hx("00 00 00 00 00 00 00 5C"), uint8(3))
	f.Add(hx("00 00 00 00 00 00 00 5C 00 00 00 00 40 00 00 03 00"), uint8(9))
	f.Add(hx("80 00 00 00 00 00 00 00"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, cut uint8) {
		split := int(cut) % (len(data) + 1)
		var rr ReportReader
		read, boundary := 0, 0
		for _, chunk := range [][]byte{data[:split], data[split:]} {
			off, ok, err := rr.Feed(chunk)
			read += len(chunk)
			last := read - read%ReportSizeBytes
			if last == boundary {
				require.NoError(t, err)
				require.False(t, ok, "no report completed")
				continue
			}
			boundary = last
			want := int64(binary.BigEndian.Uint64(data[last-ReportSizeBytes : last]))
			if want < 0 {
				require.ErrorIs(t, err, ErrBadReport)
				return
			}
			require.NoError(t, err, "only the last report is decoded")
			require.True(t, ok)
			require.Equal(t, want, off)
		}
	})
}

// FuzzFrameReader cuts a master's stream in three: whatever the bytes, the
// reader reports the same frames as a whole-stream parse, hands on every
// body byte once at its offset, and fails only with ErrBadFrame.
func FuzzFrameReader(f *testing.F) {
	f.Add(hx("00 00 00 00 00 00 00 64 00 00 00 03 41 42 43 00 00 00 00 00 00 00 67 00 00 00 00"), uint16(5), uint16(14))
	f.Add(hx("00 00 00 00 40 00 00 00 00 00 00 02 AA BB"), uint16(12), uint16(13))
	f.Add(hx("FF FF FF FF FF FF FF FF 00 00 00 01 00"), uint16(1), uint16(2))
	f.Add(hx("00 00 00 00 00 00 00 00 7F FF FF FF"), uint16(0), uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, cut1, cut2 uint16) {
		const limit = 64
		a := int(cut1) % (len(data) + 1)
		b := a + int(cut2)%(len(data)-a+1)
		fr := NewFrameReader(limit)
		rec := &recorder{}
		var err error
		for _, chunk := range [][]byte{data[:a], data[a:b], data[b:]} {
			if err = fr.Feed(chunk, rec); err != nil {
				break
			}
		}

		// Reference: parse the whole stream at once.
		var wantHeaders []FrameHeader
		wantBody := map[int64]byte{}
		var wantErr bool
		for p := data; len(p) > 0; {
			if len(p) < FrameHeaderSizeBytes {
				break
			}
			off := int64(binary.BigEndian.Uint64(p))
			size := int32(binary.BigEndian.Uint32(p[8:]))
			if off < 0 || size < 0 || size > limit || off > maxPhysOffset-int64(size) {
				wantErr = true
				break
			}
			wantHeaders = append(wantHeaders, FrameHeader{off, size})
			p = p[FrameHeaderSizeBytes:]
			n := min(int(size), len(p))
			for i := range n {
				wantBody[off+int64(i)] = p[i]
			}
			p = p[n:]
		}
		if wantErr {
			require.True(t, errors.Is(err, ErrBadFrame), "got %v", err)
		} else {
			require.NoError(t, err)
		}
		require.Equal(t, wantHeaders, rec.headers)
		gotBody := map[int64]byte{}
		for _, pc := range rec.pieces {
			for i := range len(pc.data) {
				gotBody[pc.offset+int64(i)] = pc.data[i]
			}
		}
		if len(wantHeaders) > 0 {
			require.Equal(t, wantBody, gotBody)
		} else {
			require.Empty(t, gotBody)
		}
	})
}
