package remoting

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// binFixed spells the 17 bytes of a ROCKETMQ header before remark and ext,
// remarkLen included: code 10, language GO, version 317, opaque 1, flag 0,
// and the given remark length field.
func binFixed(remarkLen []byte) []byte {
	return cat([]byte{0x00, 0x0A, 0x09, 0x01, 0x3D, 0, 0, 0, 1, 0, 0, 0, 0}, remarkLen)
}

func TestDecodeBinaryHeaderAccepts(t *testing.T) {
	tests := []struct {
		name   string
		header []byte
		want   Command
	}{
		{"smallest header", cat(binFixed(be32(0)), be32(0)),
			Command{Code: 10, Language: "GO", Version: 317, Opaque: 1}},
		{"negative code and version are sign-extended",
			[]byte{0xFC, 0x18, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
			Command{Code: -1000, Language: "JAVA", Version: -1, Opaque: -1, Flag: -1 << 31}},
		{"unknown language byte reads as OTHER",
			[]byte{0, 0, 200, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
			Command{Language: "OTHER"}},
		{"empty key and value",
			cat(binFixed(be32(0)), be32(6), []byte{0, 0}, be32(0)),
			Command{Code: 10, Language: "GO", Version: 317, Opaque: 1, ExtFields: map[string]string{"": ""}}},
		{"duplicate key: last wins",
			cat(binFixed(be32(0)), be32(16), []byte{0, 1, 'k'}, be32(1), []byte("1"), []byte{0, 1, 'k'}, be32(1), []byte("2")),
			Command{Code: 10, Language: "GO", Version: 317, Opaque: 1, ExtFields: map[string]string{"k": "2"}}},
		{"raw bytes are kept",
			cat(binFixed(be32(1)), []byte{0xFF}, be32(7), []byte{0, 1, 0x01}, be32(0)),
			Command{Code: 10, Language: "GO", Version: 317, Opaque: 1, Remark: "\xff", ExtFields: map[string]string{"\x01": ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := &Command{}
			require.NoError(t, decodeBinaryHeader(got, tt.header))
			require.Equal(t, &tt.want, got)
		})
	}
}

func TestDecodeBinaryHeaderRefuses(t *testing.T) {
	entry := cat([]byte{0, 1, 'k'}, be32(1), []byte("v")) // 8 bytes
	tests := []struct {
		name   string
		header []byte
		msg    string
	}{
		{"empty", nil, "fixed part"},
		{"twenty bytes", make([]byte, 20), "fixed part"},
		{"negative remark length", cat(binFixed(be32(-1)), be32(0)), "remark length -1"},
		{"most negative remark length", cat(binFixed(be32(-1<<31)), be32(0)), "remark length -2147483648"},
		{"remark beyond the header", cat(binFixed(be32(5)), []byte("abcd"), be32(0)), "remark length 5"},
		{"remark eats the ext length", cat(binFixed(be32(4)), []byte("abcd")), "remark length 4"},
		{"huge remark length", cat(binFixed(be32(0x7FFFFFFF)), be32(0)), "remark length 2147483647"},
		{"negative ext length", cat(binFixed(be32(0)), be32(-8), entry), "extFields length -8"},
		{"ext beyond the header", cat(binFixed(be32(0)), be32(9), entry), "extFields length 9"},
		{"huge ext length", cat(binFixed(be32(0)), be32(0x7FFFFFFF), entry), "extFields length 2147483647"},
		{"bytes after ext", cat(binFixed(be32(0)), be32(0), []byte{1}), "1 bytes left over"},
		{"truncated key length", cat(binFixed(be32(0)), be32(1), []byte{0}), "truncated key length"},
		{"negative key length", cat(binFixed(be32(0)), be32(8), []byte{0xFF, 0xFF, 'k'}, be32(1), []byte("v")), "key length -1"},
		{"key beyond ext", cat(binFixed(be32(0)), be32(8), []byte{0, 7, 'k'}, be32(1), []byte("v")), "key length 7"},
		{"truncated value length", cat(binFixed(be32(0)), be32(5), []byte{0, 1, 'k', 0, 0}), "truncated value length"},
		{"negative value length", cat(binFixed(be32(0)), be32(8), []byte{0, 1, 'k'}, be32(-1), []byte("v")), "value length -1"},
		{"value beyond ext", cat(binFixed(be32(0)), be32(8), []byte{0, 1, 'k'}, be32(2), []byte("v")), "value length 2"},
		{"second entry broken", cat(binFixed(be32(0)), be32(11), entry, []byte{0, 9, 'x'}), "entry 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := decodeBinaryHeader(&Command{}, tt.header)
			require.ErrorIs(t, err, ErrBadHeader)
			require.Contains(t, err.Error(), tt.msg)
		})
	}
}

func TestEncodeBinaryHeader(t *testing.T) {
	tests := []struct {
		name string
		cmd  Command
		want []byte
	}{
		{"zero command: unknown language written as OTHER", Command{},
			[]byte{0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"int16 extremes", Command{Code: -32768, Version: 32767, Language: "NODE_JS"},
			[]byte{0x80, 0x00, 13, 0x7F, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"sorted ext", Command{Language: "RUST", ExtFields: map[string]string{"bb": "", "a": "xy"}},
			cat([]byte{0, 0, 12, 0, 0}, be32(0), be32(0), be32(0), be32(17), // code, language, version, opaque, flag, remarkLen, extLen
				[]byte{0, 1, 'a'}, be32(2), []byte("xy"), []byte{0, 2, 'b', 'b'}, be32(0))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := appendBinaryHeader(nil, &tt.cmd)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestBinaryHeaderRoundTripEveryLanguage(t *testing.T) {
	for code := 0; code < 14; code++ {
		name, ok := LanguageName(byte(code))
		require.True(t, ok)
		c := &Command{Code: 1, Language: name, ExtFields: map[string]string{"k": "v"}}
		h, err := appendBinaryHeader(nil, c)
		require.NoError(t, err)
		require.Equal(t, byte(code), h[binLanguageOff])
		got := &Command{}
		require.NoError(t, decodeBinaryHeader(got, h))
		require.Equal(t, c, got)
	}
}
