package remoting

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// decodeJSON decodes a JSON header alone.
func decodeJSON(header string) (*Command, error) {
	c := &Command{}
	if err := decodeJSONHeader(c, []byte(header)); err != nil {
		return nil, err
	}
	return c, nil
}

func TestDecodeJSONHeaderAccepts(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   Command
	}{
		{"empty object", `{}`, Command{}},
		{"white space everywhere", " \t\r\n{ \"code\" : 10 , \"flag\"\n:\t1 } \n", Command{Code: 10, Flag: 1}},
		{"Java's extra members are ignored",
			`{"code":0,"extFields":{"a":"b"},"flag":1,"language":"JAVA","opaque":5,"serializeTypeCurrentRPC":"JSON","suspended":false,"version":453}`,
			Command{Language: "JAVA", Version: 453, Opaque: 5, Flag: 1, ExtFields: map[string]string{"a": "b"}}},
		{"unknown members of every kind are skipped",
			`{"x":{"y":[1,2,{"z":null}],"w":"\"}"},"v":[],"u":-1.5e3,"t":true,"code":3}`,
			Command{Code: 3}},
		{"members in any order", `{"opaque":9,"code":2,"version":1}`, Command{Code: 2, Version: 1, Opaque: 9}},
		{"null leaves zero values", `{"code":null,"language":null,"remark":null,"extFields":null}`, Command{}},
		{"integers as strings", `{"code":"10","opaque":"-7","flag":"+1","version":"317"}`, Command{Code: 10, Version: 317, Opaque: -7, Flag: 1}},
		{"int32 extremes", `{"code":-2147483648,"opaque":2147483647}`, Command{Code: -2147483648, Opaque: 2147483647}},
		{"language as a code", `{"language":9}`, Command{Language: "GO"}},
		{"remark as a number", `{"remark":12.5}`, Command{Remark: "12.5"}},
		{"remark as a boolean", `{"remark":false}`, Command{Remark: "false"}},
		{"extFields numbers keep their literal text",
			`{"extFields":{"i":1,"n":-0,"f":1.50,"e":1E+09,"big":123456789012345678901234567890}}`,
			Command{ExtFields: map[string]string{"i": "1", "n": "-0", "f": "1.50", "e": "1E+09", "big": "123456789012345678901234567890"}}},
		{"extFields booleans become text", `{"extFields":{"t":true,"f":false}}`, Command{ExtFields: map[string]string{"t": "true", "f": "false"}}},
		{"empty extFields is nil", `{"extFields":{}}`, Command{}},
		{"empty key and value", `{"extFields":{"":""}}`, Command{ExtFields: map[string]string{"": ""}}},
		{"last duplicate wins", `{"code":1,"code":2,"extFields":{"a":"1","a":"2"}}`, Command{Code: 2, ExtFields: map[string]string{"a": "2"}}},
		{"escapes", `{"remark":"q\" b\\ s\/ \b\f\n\r\t \u00e9 \u4e2d \ud83d\ude00"}`, Command{Remark: "q\" b\\ s/ \b\f\n\r\t é 中 😀"}},
		{"escaped member names", `{"\u0063ode":4,"extFields":{"\u0074":"v"}}`, Command{Code: 4, ExtFields: map[string]string{"t": "v"}}},
		{"lone surrogates become U+FFFD", `{"remark":"\ud800 \udc00 \ud800\u0041"}`, Command{Remark: "\uFFFD \uFFFD \uFFFDA"}},
		{"invalid UTF-8 becomes U+FFFD", "{\"remark\":\"a\xffb\"}", Command{Remark: "a\uFFFDb"}},
		{"UTF-8 passes through", `{"remark":"héllo 世界"}`, Command{Remark: "héllo 世界"}},
		{"properties separators", `{"extFields":{"properties":"UNIQ_KEY\u0001ABC\u0002TAGS\u0001t\u0002"}}`,
			Command{ExtFields: map[string]string{"properties": "UNIQ_KEY\x01ABC\x02TAGS\x01t\x02"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeJSON(tt.header)
			require.NoError(t, err)
			require.Equal(t, &tt.want, got)
		})
	}
}

func TestDecodeJSONHeaderRefuses(t *testing.T) {
	tests := []struct {
		name   string
		header string
		msg    string
	}{
		{"empty", ``, "empty header"},
		{"only space", "  \n", "empty header"},
		{"not an object", `[1]`, "want an object"},
		{"a string", `"code"`, "want an object"},
		{"unterminated object", `{"code":1`, "want ',' or '}'"},
		{"missing colon", `{"code" 1}`, "want ':'"},
		{"missing value", `{"code":}`, "want an integer"},
		{"trailing comma", `{"code":1,}`, "want a member name"},
		{"unquoted name", `{code:1}`, "want a member name"},
		{"single quotes", `{'code':1}`, "want a member name"},
		{"trailing garbage", `{"code":1} x`, "after the header object"},
		{"two objects", `{}{}`, "after the header object"},
		{"code is a fraction", `{"code":1.5}`, "code: 1.5 is not an int32"},
		{"code with an exponent", `{"code":1e2}`, "code: 1e2 is not an int32"},
		{"code out of int32", `{"code":2147483648}`, "is not an int32"},
		{"opaque below int32", `{"opaque":-2147483649}`, "is not an int32"},
		{"code as a non-numeric string", `{"code":"ten"}`, `code: string "ten" is not an int32`},
		{"code as a boolean", `{"code":true}`, "code: want an integer, found a boolean"},
		{"flag as an object", `{"flag":{}}`, "flag: want an integer, found an object"},
		{"leading zero", `{"code":01}`, "want ',' or '}'"},
		{"bare minus", `{"code":-}`, "invalid number"},
		{"dot without digits", `{"x":1.}`, "no digit after '.'"},
		{"exponent without digits", `{"x":1e}`, "no digit in the exponent"},
		{"unknown language code", `{"language":99}`, "language: 99 is not a language code"},
		{"language as an array", `{"language":["GO"]}`, "language: want a string, found an array"},
		{"remark as an object", `{"remark":{}}`, "remark is an object, want a string"},
		{"extFields value is an object", `{"extFields":{"topic":{"a":"b"}}}`, `extFields["topic"] is an object, want a string`},
		{"extFields value is an array", `{"extFields":{"queueId":[1]}}`, `extFields["queueId"] is an array, want a string`},
		{"extFields value is null", `{"extFields":{"remark":null}}`, `extFields["remark"] is null, want a string`},
		{"extFields is an array", `{"extFields":["a"]}`, "extFields: want an object, found an array"},
		{"extFields is a string", `{"extFields":"a=b"}`, "extFields: want an object, found a string"},
		{"extFields not closed", `{"extFields":{"a":"b"`, "want ',' or '}' in extFields"},
		{"bad literal", `{"x":nul}`, "invalid literal, want null"},
		{"capitalized literal", `{"x":True}`, "want a value"},
		{"unterminated string", `{"remark":"abc`, "unterminated string"},
		{"unterminated escape", `{"remark":"abc\`, "unterminated string"},
		{"unterminated skipped string", `{"x":"abc\`, "unterminated string"},
		{"bad escape", `{"remark":"\x"}`, `invalid escape \x`},
		{"bad skipped escape", `{"x":"\q"}`, `invalid escape \q`},
		{"bad unicode escape", `{"remark":"\u12G4"}`, `invalid \u escape`},
		{"short unicode escape", `{"remark":"\u12"}`, `invalid \u escape`},
		{"bad skipped unicode escape", `{"x":"\uZZZZ"}`, `invalid \u escape`},
		{"raw control character", "{\"remark\":\"a\x01b\"}", "control character 0x01"},
		{"raw newline in a key", "{\"a\nb\":1}", "control character 0x0a"},
		{"array not closed", `{"x":[1 2]}`, "want ',' or ']' in an array"},
		{"deep arrays", `{"x":` + strings.Repeat("[", MaxJSONDepth) + strings.Repeat("]", MaxJSONDepth) + `}`, "nested deeper than 32 levels"},
		{"deep objects", `{"x":` + strings.Repeat(`{"a":`, MaxJSONDepth) + `1` + strings.Repeat("}", MaxJSONDepth) + `}`, "nested deeper than 32 levels"},
		{"deep inside extFields", `{"extFields":{"a":` + strings.Repeat("[", 40) + `}}`, `extFields["a"] is an array`},
		{"extFields with an unquoted name", `{"extFields":{a:"b"}}`, "extFields: want a member name"},
		{"extFields with a trailing comma", `{"extFields":{"a":"b",}}`, "extFields: want a member name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := decodeJSON(tt.header)
			require.ErrorIs(t, err, ErrBadHeader)
			require.Contains(t, err.Error(), tt.msg)
			require.Nil(t, c)
		})
	}
}

func TestDecodeJSONHeaderDepthLimit(t *testing.T) {
	// MaxJSONDepth levels in all, the header object being the first.
	inner := MaxJSONDepth - 1
	ok := `{"x":` + strings.Repeat("[", inner) + strings.Repeat("]", inner) + `}`
	_, err := decodeJSON(ok)
	require.NoError(t, err)
}

func TestDecodeJSONHeaderDeepNestingRefusedQuickly(t *testing.T) {
	const levels = 10000
	for _, header := range []string{
		`{"x":` + strings.Repeat("[", levels) + strings.Repeat("]", levels) + `}`,
		`{"x":` + strings.Repeat(`{"a":`, levels) + `1` + strings.Repeat("}", levels) + `}`,
		strings.Repeat("[", levels),
		`{"extFields":{"k":` + strings.Repeat(`{"a":`, levels) + `}}`,
	} {
		start := time.Now()
		_, err := decodeJSON(header)
		require.ErrorIs(t, err, ErrBadHeader)
		// Refused at the depth bound, not after reading the whole input.
		require.Less(t, time.Since(start), time.Second)
	}
}

func TestEncodeJSONHeaderCanonical(t *testing.T) {
	tests := []struct {
		name string
		cmd  Command
		want string
	}{
		{"zero command", Command{}, `{"code":0,"language":"","version":0,"opaque":0,"flag":0}`},
		{"negative numbers", Command{Code: -1, Opaque: -2147483648, Flag: -1},
			`{"code":-1,"language":"","version":0,"opaque":-2147483648,"flag":-1}`},
		{"extFields sorted", Command{Language: "GO", ExtFields: map[string]string{"b": "2", "a": "1", "C": "3", "aa": "4"}},
			`{"code":0,"language":"GO","version":0,"opaque":0,"flag":0,"extFields":{"C":"3","a":"1","aa":"4","b":"2"}}`},
		{"escapes", Command{Remark: "\"\\\n\r\t\x00\x1f\x7f/<>&é\u2028"},
			`{"code":0,"language":"","version":0,"opaque":0,"flag":0,"remark":"\"\\\n\r\t\u0000\u001f` + "\x7f/<>&é\u2028" + `"}`},
		{"invalid UTF-8", Command{Remark: "a\xffb\xc3"},
			`{"code":0,"language":"","version":0,"opaque":0,"flag":0,"remark":"a\ufffdb\ufffd"}`},
		{"properties separators", Command{ExtFields: map[string]string{"properties": "K\x01V\x02"}},
			`{"code":0,"language":"","version":0,"opaque":0,"flag":0,"extFields":{"properties":"K\u0001V\u0002"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(appendJSONHeader(nil, &tt.cmd))
			require.Equal(t, tt.want, got)
			require.True(t, json.Valid([]byte(got)), "valid JSON")
		})
	}
}

func TestSortedKeysSortsEverySize(t *testing.T) {
	// Both sides of insertionSortMaxKeys, with keys that share prefixes.
	for n := 0; n <= 2*insertionSortMaxKeys+3; n++ {
		m := make(map[string]string, n)
		for i := range n {
			m[strings.Repeat("k", i%5)+string(rune('z'-i))] = ""
		}
		want := slices.Sorted(maps.Keys(m))
		require.Equal(t, want, sortedKeys(m, nil), "%d keys", n)
		var stack [sortedKeysOnStack]string
		require.Equal(t, append([]string{}, want...), append([]string{}, sortedKeys(m, stack[:0])...), "%d keys on the stack", n)
	}
}

// goClientHeader is the shape in which the official Go client decodes a
// header (encoding/json into a struct with a string map).
type goClientHeader struct {
	Code      int16             `json:"code"`
	Language  string            `json:"language"`
	Version   int16             `json:"version"`
	Opaque    int32             `json:"opaque"`
	Flag      int32             `json:"flag"`
	Remark    string            `json:"remark"`
	ExtFields map[string]string `json:"extFields"`
}

func TestEncodeJSONHeaderReadableByEncodingJSON(t *testing.T) {
	c := &Command{
		Code: ResTopicNotExist, Language: "GO", Version: 317, Opaque: 12, Flag: FlagResponse,
		Remark:    "topic \"t\" not exist\n\x01",
		ExtFields: map[string]string{"msgId": "0A0000010000", "queueOffset": "7", "k\"ey": "v\\al"},
	}
	var got goClientHeader
	require.NoError(t, json.Unmarshal(appendJSONHeader(nil, c), &got))
	require.Equal(t, goClientHeader{
		Code: 17, Language: "GO", Version: 317, Opaque: 12, Flag: 1,
		Remark: c.Remark, ExtFields: c.ExtFields,
	}, got)
}

func TestDecodeJSONHeaderMatchesEncodingJSON(t *testing.T) {
	// Headers as encoding/json writes them (HTML escapes included) decode
	// to the same strings.
	want := map[string]string{"a<b>&": "x\u2028y", "q": "\"'\\/", "ctl": "\x00\x1f"}
	ext, err := json.Marshal(want)
	require.NoError(t, err)
	got, err := decodeJSON(`{"extFields":` + string(ext) + `}`)
	require.NoError(t, err)
	require.Equal(t, want, got.ExtFields)
}

// FuzzJSONString checks the string codec against encoding/json: what we
// write, encoding/json reads as it would read its own encoding of the same
// Go string, and what encoding/json writes, we read the same way.
func FuzzJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "q\"\\/\b\f\n\r\t", "\x00\x01\x1f\x7f", "é中😀", "a\xffb\xc3", "\u2028<>&", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		std, err := json.Marshal(s)
		require.NoError(t, err)
		var want string
		require.NoError(t, json.Unmarshal(std, &want))

		var got string
		require.NoError(t, json.Unmarshal(AppendJSONString(nil, s), &got))
		require.Equal(t, want, got, "encoding/json reads our encoding")

		c, err := decodeJSON(`{"extFields":{"k":` + string(std) + `}}`)
		require.NoError(t, err)
		require.Equal(t, want, c.ExtFields["k"], "we read encoding/json's encoding")
	})
}

// BenchmarkDecodeJSONHeader measures the JSON header decoder alone on the
// headers of the transport's round-trip benchmark (a small request and its
// response) and of a SEND_MESSAGE request.
func BenchmarkDecodeJSONHeader(b *testing.B) {
	small := NewRequest(testCodeEcho, map[string]string{"topic": "BenchTopic", "queueId": "3"}, nil)
	small.Opaque = 12345
	reply := NewResponse(small, ResSuccess, "")
	reply.ExtFields = small.ExtFields
	for _, bc := range []struct {
		name string
		cmd  *Command
	}{
		{"small-request", small},
		{"small-response", reply},
		{"send-message", sendRequest(SerializeJSON)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			header := appendJSONHeader(nil, bc.cmd)
			b.SetBytes(int64(len(header)))
			b.ReportAllocs()
			for b.Loop() {
				var c Command
				if err := decodeJSONHeader(&c, header); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// parseInt32Cases are the edges of parseInt32: signs, zeros, the int32
// bounds and what strconv.ParseInt refuses in base 10.
var parseInt32Cases = []string{
	"", "+", "-", "0", "-0", "+0", "7", "+1", "-7", "007", "-007",
	"2147483647", "2147483648", "-2147483648", "-2147483649", "+2147483647",
	"00000000000000000002147483647", "99999999999999999999999999", "-99999999999999999999999999",
	"1_0", " 1", "1 ", "0x10", "1.0", "1e3", "--1", "+-1", "\u0661", "12a",
}

func TestParseInt32MatchesStrconv(t *testing.T) {
	for _, s := range parseInt32Cases {
		want, err := strconv.ParseInt(s, 10, 32)
		got, ok := parseInt32(s)
		require.Equal(t, err == nil, ok, "%q accepted", s)
		if ok {
			require.Equal(t, int32(want), got, "%q", s)
		}
	}
}

func FuzzParseInt32(f *testing.F) {
	for _, s := range parseInt32Cases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := strconv.ParseInt(s, 10, 32)
		got, ok := parseInt32(s)
		require.Equal(t, err == nil, ok, "%q accepted", s)
		if ok {
			require.Equal(t, int32(want), got, "%q", s)
		}
	})
}

func TestDecodeJSONHeaderManyExtFields(t *testing.T) {
	// Around extFieldsOnStack members, with a key repeated on both sides of
	// it: the last value wins whichever way the map was built.
	for _, n := range []int{extFieldsOnStack - 1, extFieldsOnStack, extFieldsOnStack + 1, 3 * extFieldsOnStack} {
		var b strings.Builder
		want := map[string]string{}
		b.WriteString(`{"code":1,"extFields":{`)
		for i := range n {
			k, v := fmt.Sprintf("k%02d", i), fmt.Sprintf("v%d", i)
			if i%7 == 3 {
				k = "dup"
			}
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%q:%q", k, v)
			want[k] = v
		}
		b.WriteString(`},"flag":0}`)
		got, err := decodeJSON(b.String())
		require.NoError(t, err)
		require.Equal(t, want, got.ExtFields, "%d members", n)
	}
}

// FuzzDecodeJSONHeaderKeepsNoByte checks that a decoded header refers to no
// byte of its input, which the transport decodes in place from a buffer it
// reuses: scribbling over the input after decoding changes nothing.
func FuzzDecodeJSONHeaderKeepsNoByte(f *testing.F) {
	for _, s := range []string{
		`{"code":105,"language":"GO","version":317,"opaque":7,"flag":0,"extFields":{"topic":"T","queueId":"3","x":"y"}}`,
		`{"code":0,"extFields":{"a":"b","n":12.5,"t":true},"flag":1,"language":"JAVA","remark":"r"}`,
		`{"language":"SOMETHING","remark":"caf\u00e9","extFields":{"k\"":"v\u0001","":""}}`,
		`{"extFields":{"k00":"v","k01":"v","k02":"v","k03":"v","k04":"v","k05":"v","k06":"v","k07":"v","k08":"v","k09":"v","k10":"v","k11":"v","k12":"v","k13":"v","k14":"v","k15":"v","k16":"v","k17":"v"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, header []byte) {
		want := &Command{}
		if decodeJSONHeader(want, header) != nil {
			return
		}
		input := bytes.Clone(header)
		got := &Command{}
		require.NoError(t, decodeJSONHeader(got, input))
		for i := range input {
			input[i] = '#'
		}
		require.Equal(t, want, got)
	})
}
