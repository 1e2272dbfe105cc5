package commitlog

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseProperties(t *testing.T) {
	cases := []struct {
		name  string
		props string
		want  map[string]string
	}{
		{"empty", "", map[string]string{}},
		{"one pair", "a\x01b\x02", map[string]string{"a": "b"}},
		{"no trailing separator", "a\x01b", map[string]string{"a": "b"}},
		{"two pairs", "TAGS\x01TagA\x02KEYS\x01k1 k2\x02", map[string]string{"TAGS": "TagA", "KEYS": "k1 k2"}},
		{"empty name skipped", "\x01b\x02x\x01y\x02", map[string]string{"x": "y"}},
		{"empty value skipped", "a\x01\x02x\x01y\x02", map[string]string{"x": "y"}},
		{"no name separator skipped", "abc\x02x\x01y\x02", map[string]string{"x": "y"}},
		{"short segment skipped", "a\x01\x02", map[string]string{}},
		{"value keeps later name separators", "a\x01b\x01c\x02", map[string]string{"a": "b\x01c"}},
		{"last duplicate wins", "a\x011\x02a\x012\x02", map[string]string{"a": "2"}},
		{"empty segments skipped", "\x02\x02a\x01b\x02\x02", map[string]string{"a": "b"}},
		{"separator of a later segment not used", "ab\x02\x01c\x02", map[string]string{}},
		{"utf-8 kept", "名\x01值\x02", map[string]string{"名": "值"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ParseProperties([]byte(c.props))
			require.Equal(t, c.want, got)
			for name, value := range c.want {
				v, ok := PropertyValue([]byte(c.props), name)
				require.True(t, ok, name)
				require.Equal(t, value, string(v))
			}
			_, ok := PropertyValue([]byte(c.props), "missing")
			require.False(t, ok)
		})
	}
}

func TestAppendProperty(t *testing.T) {
	var b []byte
	b = AppendProperty(b, PropertyTags, "TagA")
	b = AppendProperty(b, PropertyKeys, "k1 k2")
	b = AppendProperty(b, "", "v")
	b = AppendProperty(b, "empty", "")
	b = AppendProperty(b, TransientPropertyPrefix+"X", "y")
	b = AppendProperty(b, "bad\x01name", "v")
	b = AppendProperty(b, "bad\x02name", "v")
	b = AppendProperty(b, "badvalue", "v\x02")
	b = AppendProperty(b, "odd", "v\x01w")
	require.Equal(t, "TAGS\x01TagA\x02KEYS\x01k1 k2\x02odd\x01v\x01w\x02", string(b))
	require.Equal(t, map[string]string{"TAGS": "TagA", "KEYS": "k1 k2", "odd": "v\x01w"}, ParseProperties(b))
}

func TestEncodeProperties(t *testing.T) {
	got := EncodeProperties(map[string]string{
		PropertyTags:                    "A",
		PropertyKeys:                    "k",
		TransientPropertyPrefix + "X":   "y",
		"E":                             "",
		PropertyUniqKey:                 "0A0000010000",
		PropertyRealQueueID + "\x02bad": "v",
	})
	require.Equal(t, "KEYS\x01k\x02TAGS\x01A\x02UNIQ_KEY\x010A0000010000\x02", string(got))
	require.Empty(t, EncodeProperties(nil))
	long := strings.Repeat("v", 100)
	require.Equal(t, map[string]string{"a": long}, ParseProperties(EncodeProperties(map[string]string{"a": long})))
}

func TestAppendWithout(t *testing.T) {
	props := []byte("A\x01a\x02DELAY\x013\x02bad\x02B\x01b\x02DELAY\x014")
	cases := []struct {
		names []string
		want  string
	}{
		{nil, "A\x01a\x02DELAY\x013\x02B\x01b\x02DELAY\x014\x02"},
		{[]string{"DELAY"}, "A\x01a\x02B\x01b\x02"},
		{[]string{"A", "B", "DELAY"}, ""},
		{[]string{"missing"}, "A\x01a\x02DELAY\x013\x02B\x01b\x02DELAY\x014\x02"},
	}
	for _, c := range cases {
		got := AppendWithout([]byte("X\x01x\x02"), props, c.names...)
		require.Equal(t, "X\x01x\x02"+c.want, string(got), "without %v", c.names)
		parsed := ParseProperties(props)
		for _, n := range c.names {
			delete(parsed, n)
		}
		parsed["X"] = "x"
		require.Equal(t, parsed, ParseProperties(got))
	}
	require.Empty(t, AppendWithout(nil, nil, "A"))
}
