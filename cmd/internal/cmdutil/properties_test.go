package cmdutil

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestParseProperties(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []Property
	}{
		{"empty", "", []Property{}},
		{"comments only", "# a\n! b\n\n", []Property{}},
		{"separators", "a=1\nb:2\nc 3\nd = 4\ne\t:\t5\n", []Property{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}, {"e", "5"}}},
		{"trailing space kept", "a=1  \n", []Property{{"a", "1  "}}},
		{"key without value", "flag\n", []Property{{"flag", ""}}},
		{"continuation", "a=x;\\\n   y\n", []Property{{"a", "x;y"}}},
		{"escapes", `a=c:\\store\n` + "\n", []Property{{"a", "c:\\store\n"}}},
		{"unicode escape", `k=caf\u00e9` + "\n", []Property{{"k", "café"}}},
		{"no expansion", "root=/x\nlog=${root}/logs\nh=${HOME}\n", []Property{{"root", "/x"}, {"log", "${root}/logs"}, {"h", "${HOME}"}}},
		{"last value, first position", "a=1\nb=2\na=3\n", []Property{{"a", "3"}, {"b", "2"}}},
		{"crlf", "a=1\r\nb=2\r\n", []Property{{"a", "1"}, {"b", "2"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseProperties([]byte(tc.in))
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParsePropertiesRejects(t *testing.T) {
	for _, in := range []string{`a=\u12`, `a=\u12zz`, "a=\\"} {
		_, err := ParseProperties([]byte(in))
		require.ErrorIs(t, err, ErrSyntax, "%q", in)
	}
}

func TestWritePropertiesRoundTrips(t *testing.T) {
	m := map[string]string{
		"plain":      "value",
		"spaces":     "  leading and inner  ",
		"separators": "=:#! at the start",
		"windows":    `C:\rocketmq\store`,
		"controls":   "tab\tcr\rlf\nff\f",
		"k y=:#!":    "key with separators",
		"#comment":   "",
		"unicode":    "café ☕ 𝄞",
	}
	var out bytes.Buffer
	require.NoError(t, WriteProperties(&out, m))
	require.True(t, strings.HasPrefix(out.String(), `\#comment=`+"\n"), "keys are sorted and escaped:\n%s", out.String())
	got, err := ParseProperties(out.Bytes())
	require.NoError(t, err)
	require.Equal(t, m, toMap(got))
}

func toMap(props []Property) map[string]string {
	m := make(map[string]string, len(props))
	for _, p := range props {
		m[p.Key] = p.Value
	}
	return m
}

// FuzzProperties checks that parsing never panics and that whatever parses
// survives a write and a second parse unchanged.
func FuzzProperties(f *testing.F) {
	f.Add([]byte("brokerName=broker-a\nnamesrvAddr=127.0.0.1:9876;127.0.0.2:9876\n"))
	f.Add([]byte("a=b\\\n  c\n! comment\nlogDir : /x\n"))
	f.Add([]byte("\\u00e9=\\u12"))
	f.Fuzz(func(t *testing.T, data []byte) {
		props, err := ParseProperties(data)
		if err != nil {
			require.ErrorIs(t, err, ErrSyntax)
			return
		}
		m := toMap(props)
		for k, v := range m {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return
			}
		}
		var out bytes.Buffer
		require.NoError(t, WriteProperties(&out, m))
		again, err := ParseProperties(out.Bytes())
		require.NoError(t, err)
		require.Equal(t, m, toMap(again))
	})
}
