package configfile

import (
	"encoding/json"
	"slices"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJavaCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"a", "a", 0},
		{"", "a", -1},
		{"a", "b", -1},
		{"B", "a", -1},
		{"ab", "a", 1},
		{"é", "z", 1},
		// U+1F600 is the surrogate pair D83D DE00 in UTF-16, which sorts
		// before U+FF21 although its code point is larger.
		{"😀", "Ａ", -1},
		{"Ａ", "😀", 1},
		{"😀", "😁", -1},
		{"\uE000", "😀", 1},
		{"\uD7FF", "😀", -1},
		// Distinct invalid bytes both read as U+FFFD: byte order decides.
		{"\xff", "\xfe", 1},
		{"a\xfe", "a\xff", -1},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, javaCompare(tt.a, tt.b), "%q vs %q", tt.a, tt.b)
	}
}

func TestJavaCompareMatchesUTF16Order(t *testing.T) {
	words := []string{"", "a", "ab", "Z", "é", "\uFFFF", "\uE000", "😀", "𝄞", "a😀", "aＡ", "\u0800", "中文"}
	utf16Less := func(a, b string) int {
		return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b)))
	}
	for _, a := range words {
		for _, b := range words {
			assert.Equal(t, utf16Less(a, b), javaCompare(a, b), "%q vs %q", a, b)
		}
	}
}

func TestWriterStrings(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"plain", `"plain"`},
		{`q"b\s`, `"q\"b\\s"`},
		{"<&>", `"<&>"`},
		{"tab\tnl\ncr\r", `"tab\tnl\ncr\r"`},
		{"\x00\x1f", `"\u0000\u001f"`},
		{"é中😀", `"é中😀"`},
		{"\xff", `"\ufffd"`},
		{"0", `"0"`},
	}
	w := newWriter()
	for _, tt := range tests {
		w.buf = w.buf[:0]
		w.string(tt.in)
		assert.Equal(t, tt.want, string(w.buf), "%q", tt.in)
		var back string
		require.NoError(t, json.Unmarshal(w.buf, &back))
	}
}

func TestWriteStringMapOrdersKeysAsJava(t *testing.T) {
	w := newWriter()
	m := map[string]string{"Ａ": "1", "😀": "2", "a": "3", "B": "4"}
	require.NoError(t, writeStringMap(w, m, func(w *writer, v string) error {
		w.string(v)
		return nil
	}))
	assert.Equal(t, "{\n\t\"B\":\"4\",\n\t\"a\":\"3\",\n\t\"😀\":\"2\",\n\t\"Ａ\":\"1\"\n}", string(w.buf))
}

func TestNestingDepth(t *testing.T) {
	assert.Equal(t, 0, nestingDepth([]byte(`1`)))
	assert.Equal(t, 1, nestingDepth([]byte(`{"[[[":"{{"}`)))
	assert.Equal(t, 3, nestingDepth([]byte(`[{"a":[]},[]]`)))
	assert.Equal(t, 2, nestingDepth([]byte(`[["\"]]]"]]`)))
}
