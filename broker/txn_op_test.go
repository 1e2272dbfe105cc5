package broker

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTxnOpBodyDecodes(t *testing.T) {
	cases := []struct {
		name      string
		body      string
		want      []int64
		canonical string // what the encoder writes for want
	}{
		{"a 4.x body is one offset", "17", []int64{17}, "17"},
		{"zero", "0", []int64{0}, "0"},
		{"a 5.x body lists several", "3,17,4", []int64{3, 17, 4}, "3,17,4"},
		{"leading zeros read as decimal", "007", []int64{7}, "7"},
		{"the largest offset", "9223372036854775807", []int64{9223372036854775807}, "9223372036854775807"},
		{"a copy and its first half message", "120,3", []int64{120, 3}, "120,3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeOpBody(nil, []byte(tc.body))
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.canonical, string(appendOpBody(nil, got...)))
			more, err := decodeOpBody([]int64{-5}, []byte(tc.body))
			require.NoError(t, err)
			require.Equal(t, append([]int64{-5}, tc.want...), more, "offsets are appended to dst")
		})
	}
}

func TestTxnOpBodyRejectsGarbage(t *testing.T) {
	cases := []struct {
		name string
		body []byte
	}{
		{"empty", nil},
		{"a lone comma", []byte(",")},
		{"a trailing comma", []byte("1,")},
		{"a leading comma", []byte(",1")},
		{"an empty element", []byte("1,,2")},
		{"a sign", []byte("-1")},
		{"a plus sign", []byte("+1")},
		{"spaces", []byte("1, 2")},
		{"a newline", []byte("12\n")},
		{"hexadecimal", []byte("0x10")},
		{"a letter", []byte("12a")},
		{"past int64", []byte("9223372036854775808")},
		{"twenty digits", []byte("00000000000000000001")},
		{"a NUL byte", []byte{'1', 0}},
		{"not UTF-8", []byte{0xff, 0xfe}},
		{"over the op record's maximum size", bytes.Repeat([]byte("1,"), maxOpBodyBytes/2+1)[:maxOpBodyBytes+1]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dst := []int64{42}
			got, err := decodeOpBody(dst, tc.body)
			require.ErrorIs(t, err, ErrBadOpBody)
			require.Equal(t, int64(42), got[0], "what dst held is kept")
		})
	}
}

func TestTxnOpBodyAtTheSizeLimit(t *testing.T) {
	// 5.x fills an op body up to transactionOpMsgMaxSize.
	var body []byte
	var want []int64
	for off := int64(1_000_000); ; off++ {
		piece := strconv.FormatInt(off, 10)
		if len(body)+1+len(piece) > maxOpBodyBytes {
			break
		}
		if len(body) > 0 {
			body = append(body, ',')
		}
		body = append(body, piece...)
		want = append(want, off)
	}
	got, err := decodeOpBody(nil, body)
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.Equal(t, body, appendOpBody(nil, got...))
}

func FuzzTxnOpBody(f *testing.F) {
	f.Add([]byte("17"))
	f.Add([]byte("3,17,4"))
	f.Add([]byte("1,"))
	f.Add([]byte("9223372036854775808"))
	f.Add([]byte("-0"))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := decodeOpBody(nil, body)
		if err != nil {
			require.ErrorIs(t, err, ErrBadOpBody)
			require.Empty(t, got)
			return
		}
		require.NotEmpty(t, got)
		require.LessOrEqual(t, len(got), len(body)/2+1)
		for _, off := range got {
			require.GreaterOrEqual(t, off, int64(0))
		}
		// The canonical encoding decodes to the same offsets.
		again, err := decodeOpBody(nil, appendOpBody(nil, got...))
		require.NoError(t, err)
		require.Equal(t, got, again)
	})
}
