package configfile

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQuoteBareKeys(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"strict JSON unchanged", `{"a":{"0":1},"b":[1,2]}`, `{"a":{"0":1},"b":[1,2]}`},
		{"bare keys", `{0:250,1:248}`, `{"0":250,"1":248}`},
		{"negative key", `{-1:3}`, `{"-1":3}`},
		{"whitespace around", "{\n\t0 : 1 ,\n\t12:2\n\t}", "{\n\t\"0\" : 1 ,\n\t\"12\":2\n\t}"},
		{"nested", `{"t@g":{0:0,1:{2:3}}}`, `{"t@g":{"0":0,"1":{"2":3}}}`},
		{"array numbers untouched", `{"a":[0,1,{2:3},-4]}`, `{"a":[0,1,{"2":3},-4]}`},
		{"number values untouched", `{"a":-1,"b":2}`, `{"a":-1,"b":2}`},
		{"digits in strings", `{"{0:1}":"x,1:2"}`, `{"{0:1}":"x,1:2"}`},
		{"escaped quote", `{"a\"b,0:1":0,1:"\\",2:"\"{3:4}"}`, `{"a\"b,0:1":0,"1":"\\","2":"\"{3:4}"}`},
		{"empty", ``, ``},
		{"top-level number", `12`, `12`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := quoteBareKeys([]byte(tt.in), nil)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
}

func TestQuoteBareKeysErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     error
		msg      string
	}{
		{"unterminated string", `{"abc`, ErrSyntax, "byte 1: unterminated string"},
		{"escape at end", `{"abc\`, ErrSyntax, "unterminated string"},
		{"unbalanced close", `{"a":1}}`, ErrSyntax, "byte 7: unexpected '}'"},
		{"mismatched close", `{"a":[1}`, ErrSyntax, "byte 7: unexpected '}'"},
		{"unclosed", `{"a":[1`, ErrSyntax, "end of input"},
		{"fractional key", `{1.5:2}`, ErrSyntax, "byte 1: an unquoted object key must be an integer"},
		{"exponent key", `{1e3:2}`, ErrSyntax, "must be an integer"},
		{"lone minus key", `{-:2}`, ErrSyntax, "must be an integer"},
		{"double minus key", `{--1:2}`, ErrSyntax, "must be an integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := quoteBareKeys([]byte(tt.in), nil)
			require.ErrorIs(t, err, tt.want)
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}

func TestQuoteBareKeysDepthLimit(t *testing.T) {
	ok := strings.Repeat("[", MaxNestingDepth) + strings.Repeat("]", MaxNestingDepth)
	_, err := quoteBareKeys([]byte(ok), nil)
	require.NoError(t, err)

	deep := strings.Repeat("[", MaxNestingDepth+1) + strings.Repeat("]", MaxNestingDepth+1)
	_, err = quoteBareKeys([]byte(deep), nil)
	require.ErrorIs(t, err, ErrTooDeep)
	assert.Contains(t, err.Error(), "byte 64")
}

func TestQuoteBareKeysSizeLimit(t *testing.T) {
	big := bytes.Repeat([]byte{' '}, MaxDocumentBytes+1)
	_, err := quoteBareKeys(big, nil)
	require.ErrorIs(t, err, ErrTooLarge)
}

func TestSyntaxErrorOffsetIsInTheInput(t *testing.T) {
	// Two bare keys are quoted before the bad byte; the reported offset
	// still points into the original text.
	in := `{"t":{0:1,1:2},"x":tru}`
	_, err := ParseConsumerOffsets([]byte(in))
	require.ErrorIs(t, err, ErrSyntax)
	assert.Contains(t, err.Error(), "byte 22:")
	assert.Equal(t, byte('}'), in[22])
}

// garbage is input that every parser must refuse with the given error.
var garbage = []struct {
	name string
	in   string
	want error
}{
	{"empty", ``, ErrSyntax},
	{"whitespace", " \n\t", ErrSyntax},
	{"truncated", consumerOffset4x[:len(consumerOffset4x)/2], ErrSyntax},
	{"truncated after key", `{"offsetTable":`, ErrSyntax},
	{"bad token", `{"offsetTable":{"t@g":{0:nope}}}`, ErrSyntax},
	{"bare identifier key", `{offsetTable:{}}`, ErrSyntax},
	{"single quotes", `{'offsetTable':{}}`, ErrSyntax},
	{"trailing comma", `{"offsetTable":{},}`, ErrSyntax},
	{"missing colon", `{"offsetTable" {}}`, ErrSyntax},
	{"two documents", `{}{}`, ErrSyntax},
	{"byte order mark", "\ufeff{}", ErrSyntax},
	{"comment", `{/* x */}`, ErrSyntax},
	{"control character in string", "{\"a\n\":1}", ErrSyntax},
	{"bad escape", `{"a\q":1}`, ErrSyntax},
	{"deep nesting", strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000), ErrTooDeep},
	{"deep arrays", `{"x":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "}", ErrTooDeep},
	{"top-level array", `[1]`, ErrSchema},
	{"top-level null", `null`, ErrSchema},
	{"top-level string", `"{}"`, ErrSchema},
	{"top-level number", `123`, ErrSchema},
	{"dataVersion wrong type", `{"dataVersion":[]}`, ErrSchema},
	{"counter as string", `{"dataVersion":{"counter":"1"}}`, ErrSchema},
	{"counter fractional", `{"dataVersion":{"counter":1.5}}`, ErrSchema},
	{"huge timestamp", `{"dataVersion":{"timestamp":99999999999999999999999}}`, ErrSchema},
	{"huge exponent", `{"dataVersion":{"timestamp":1e999999}}`, ErrSchema},
	{"offsetTable wrong type", `{"offsetTable":[1,2]}`, ErrSchema},
}

func TestGarbageIsRefused(t *testing.T) {
	parsers := map[string]func([]byte) error{
		"topics":             func(b []byte) error { _, err := ParseTopics(b); return err },
		"consumerOffsets":    func(b []byte) error { _, err := ParseConsumerOffsets(b); return err },
		"subscriptionGroups": func(b []byte) error { _, err := ParseSubscriptionGroups(b); return err },
		"delayOffsets":       func(b []byte) error { _, err := ParseDelayOffsets(b); return err },
	}
	for _, g := range garbage {
		for name, parse := range parsers {
			if g.name == "offsetTable wrong type" && (name == "topics" || name == "subscriptionGroups") {
				continue // not a field of these documents: ignored
			}
			t.Run(g.name+"/"+name, func(t *testing.T) {
				require.ErrorIs(t, parse([]byte(g.in)), g.want)
			})
		}
	}
}

func TestDocumentSpecificGarbage(t *testing.T) {
	tests := []struct {
		name  string
		parse func([]byte) error
		in    string
		msg   string
	}{
		{"queue id out of int32", parseCO, `{"offsetTable":{"t@g":{2147483648:1}}}`, `offsetTable["t@g"]: cannot use number 2147483648 as int32`},
		{"queue id not a number", parseCO, `{"offsetTable":{"t@g":{"x":1}}}`, `offsetTable["t@g"]: cannot use number x as int32`},
		{"offset out of int64", parseCO, `{"offsetTable":{"t@g":{0:9223372036854775808}}}`, `offsetTable["t@g"]: cannot use number 9223372036854775808 as int64`},
		{"offset fractional", parseCO, `{"offsetTable":{"t@g":{0:1.0}}}`, `cannot use number 1.0 as int64`},
		{"offset as string", parseCO, `{"offsetTable":{"t@g":{0:"1"}}}`, `cannot use string as int64`},
		{"null offset", parseCO, `{"offsetTable":{"t@g":{0:1,5:null,3:null}}}`, `offsetTable["t@g"]["3"]: want a value, got null`},
		{"null group entry", parseCO, `{"offsetTable":{"t@g":null}}`, `offsetTable["t@g"]: want an object, got null`},
		{"group entry array", parseCO, `{"offsetTable":{"t@g":[1]}}`, `offsetTable["t@g"]: want an object, got array`},
		{"delay level too big", parseDO, `{"offsetTable":{99999999999:1}}`, `offsetTable: cannot use number 99999999999 as int32`},
		{"delay offsets wrong type", parseDO, `{"offsetTable":"x"}`, `offsetTable: want an object, got string`},
		{"null topic", parseTopics, `{"topicConfigTable":{"A":null}}`, `topicConfigTable["A"]: want an object, got null`},
		{"perm as bool", parseTopics, `{"topicConfigTable":{"A":{"perm":true}}}`, `topicConfigTable["A"].perm: cannot use bool as int32`},
		{"queue nums huge", parseTopics, `{"topicConfigTable":{"A":{"readQueueNums":4294967296}}}`, `readQueueNums: cannot use number 4294967296 as int32`},
		{"order as number", parseTopics, `{"topicConfigTable":{"A":{"order":0}}}`, `order: cannot use number as bool`},
		{"attributes null value", parseTopics, `{"topicConfigTable":{"A":{"attributes":{"k":null}}}}`, `attributes["k"]: want a value, got null`},
		{"attributes number value", parseTopics, `{"topicConfigTable":{"A":{"attributes":{"k":1}}}}`, `attributes: cannot use number as string`},
		{"topic table array", parseTopics, `{"topicConfigTable":[]}`, `topicConfigTable: want an object, got array`},
		{"group name number", parseSG, `{"subscriptionGroupTable":{"g":{"groupName":1}}}`, `subscriptionGroupTable["g"].groupName: cannot use number as string`},
		{"broker id huge", parseSG, `{"subscriptionGroupTable":{"g":{"brokerId":1e30}}}`, `brokerId: cannot use number 1e30 as int64`},
		{"forbidden null", parseSG, `{"forbiddenTable":{"g":null}}`, `forbiddenTable["g"]: want an object, got null`},
		{"forbidden perm string", parseSG, `{"forbiddenTable":{"g":{"t":"4"}}}`, `forbiddenTable["g"]: cannot use string as int32`},
		{"long key clipped", parseCO, `{"offsetTable":{"` + strings.Repeat("k", 1000) + `":null}}`, `offsetTable["` + strings.Repeat("k", maxQuotedInError) + `..."]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.parse([]byte(tt.in))
			require.ErrorIs(t, err, ErrSchema)
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}

func parseTopics(b []byte) error { _, err := ParseTopics(b); return err }
func parseCO(b []byte) error     { _, err := ParseConsumerOffsets(b); return err }
func parseSG(b []byte) error     { _, err := ParseSubscriptionGroups(b); return err }
func parseDO(b []byte) error     { _, err := ParseDelayOffsets(b); return err }
