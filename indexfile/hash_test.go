package indexfile

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/apogeemq/apogee/internal/javahash"
)

func TestKeyHashVectors(t *testing.T) {
	tests := []struct {
		topic, key string
		want       int32
	}{
		{"TopicTest", "KEY1", 1656969516}, // spec §15: Java hash -1656969516
		{"TopicTest", "KEY2", 1656969515},
		{"T", "a", 81906},
		{"", "", '#'},
		{"", "polygenelubricant", HashOf("#polygenelubricant")},
		{"日本", "😀", HashOf("日本#😀")},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, KeyHash(tt.topic, tt.key), "%s#%s", tt.topic, tt.key)
		require.Equal(t, tt.want, HashOf(tt.topic+"#"+tt.key))
	}
	require.Equal(t, int32(1969516), KeyHash("TopicTest", "KEY1")%DefaultHashSlots)
}

func TestHashOfMinInt32IsZero(t *testing.T) {
	// Java: "polygenelubricants".hashCode() == Integer.MIN_VALUE, whose
	// Math.abs stays negative; RocketMQ then uses 0.
	require.Equal(t, int32(math.MinInt32), javahash.String("polygenelubricants"))
	require.Equal(t, int32(0), HashOf("polygenelubricants"))
	require.Equal(t, int32(0), absHash(math.MinInt32))
	require.Equal(t, int32(math.MaxInt32), absHash(-math.MaxInt32))
	require.Equal(t, int32(7), absHash(7))
}

func TestKeyHashMatchesConcatenation(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		topic := rapid.String().Draw(t, "topic")
		// Mix valid text, astral runes and raw (possibly invalid) bytes.
		key := rapid.OneOf(
			rapid.String(),
			rapid.StringOf(rapid.Map(rapid.Int32Range(0x10000, 0x10FFFF), func(r int32) rune { return r })),
			rapid.Map(rapid.SliceOf(rapid.Byte()), func(b []byte) string { return string(b) }),
		).Draw(t, "key")
		want := HashOf(topic + "#" + key)
		if got := KeyHash(topic, key); got != want {
			t.Fatalf("KeyHash(%q, %q) = %d, want %d", topic, key, got, want)
		}
	})
}

func TestPow31(t *testing.T) {
	want := int32(1)
	for n := 0; n < 200; n++ {
		require.Equal(t, want, pow31(n), "n=%d", n)
		want *= 31
	}
}

func TestUTF16Len(t *testing.T) {
	tests := []struct {
		s    string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"é", 1},
		{"日本", 2},
		{"😀", 2},
		{"a😀b", 4},
		{"\xff", 1},
		{"\xe6\x97", 2}, // truncated sequence: two invalid bytes
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, utf16Len(tt.s), "%q", tt.s)
	}
}
