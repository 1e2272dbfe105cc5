package javahash

import (
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/require"
)

// reference hashes the UTF-16 encoding the slow, obvious way.
func reference(s string) int32 {
	var h int32
	for _, u := range utf16.Encode([]rune(s)) {
		h = 31*h + int32(u)
	}
	return h
}

func TestStringVectors(t *testing.T) {
	cases := []struct {
		in   string
		want int32
	}{
		{"", 0},
		{"TagA", 2598919},
		{"*", 42},
		{"TopicTest#KEY1", -1656969516},
		{"a", 97},
		// "é" is one UTF-16 unit 0x00E9 (two UTF-8 bytes).
		{"é", 0xE9},
		// U+1F600 is the surrogate pair D83D DE00: 31*0xD83D + 0xDE00.
		{"\U0001F600", 31*0xD83D + 0xDE00},
	}
	for _, c := range cases {
		require.Equal(t, c.want, String(c.in), "hash of %q", c.in)
	}
}

func FuzzStringMatchesUTF16(f *testing.F) {
	f.Add("TagA")
	f.Add("日本語\U0001F600x")
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, s string) {
		require.Equal(t, reference(s), String(s))
	})
}
