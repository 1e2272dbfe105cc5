package configfile

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseTopics4x(t *testing.T) {
	tb, err := ParseTopics([]byte(topics4x))
	require.NoError(t, err)
	assert.Equal(t, DataVersion{Counter: 2, TimestampMs: 1700000000000}, tb.DataVersion)
	require.Len(t, tb.Topics, 2)
	schedule := NewTopicConfig("SCHEDULE_TOPIC_XXXX")
	schedule.ReadQueueNums, schedule.WriteQueueNums = 18, 18
	assert.Equal(t, schedule, tb.Topics["SCHEDULE_TOPIC_XXXX"])
	tbw := NewTopicConfig("TBW102")
	tbw.Perm = PermRead | PermWrite | PermInherit
	assert.Equal(t, tbw, tb.Topics["TBW102"])
	assert.NotNil(t, tb.Topics["TBW102"].Attributes, "a 4.x topic reads with empty attributes")
}

func TestParseTopics5xRoundTripsByteForByte(t *testing.T) {
	tb, err := ParseTopics([]byte(topics5x))
	require.NoError(t, err)
	assert.Equal(t, DataVersion{Counter: 5, StateVersion: 3, TimestampMs: 1700000000123}, tb.DataVersion)
	assert.Equal(t, TopicConfig{
		TopicName:       "OrderTopic",
		ReadQueueNums:   4,
		WriteQueueNums:  4,
		Perm:            6,
		TopicFilterType: TopicFilterMultiTag,
		TopicSysFlag:    1,
		Order:           true,
		Attributes:      map[string]string{"message.type": "FIFO"},
	}, tb.Topics["OrderTopic"])

	out, err := MarshalTopics(tb)
	require.NoError(t, err)
	assert.Equal(t, topics5x, string(out))
}

func TestMarshalTopicsExactText(t *testing.T) {
	tb := NewTopicConfigTable()
	tb.DataVersion = DataVersion{Counter: 1, TimestampMs: 42}
	tb.Topics["T"] = NewTopicConfig("T")
	want := "{\n" +
		"\t\"dataVersion\":{\n" +
		"\t\t\"counter\":1,\n" +
		"\t\t\"stateVersion\":0,\n" +
		"\t\t\"timestamp\":42\n" +
		"\t},\n" +
		"\t\"topicConfigTable\":{\n" +
		"\t\t\"T\":{\n" +
		"\t\t\t\"attributes\":{},\n" +
		"\t\t\t\"order\":false,\n" +
		"\t\t\t\"perm\":6,\n" +
		"\t\t\t\"readQueueNums\":8,\n" +
		"\t\t\t\"topicFilterType\":\"SINGLE_TAG\",\n" +
		"\t\t\t\"topicName\":\"T\",\n" +
		"\t\t\t\"topicSysFlag\":0,\n" +
		"\t\t\t\"writeQueueNums\":8\n" +
		"\t\t}\n" +
		"\t}\n" +
		"}"
	out, err := MarshalTopics(tb)
	require.NoError(t, err)
	assert.Equal(t, want, string(out))

	empty, err := MarshalTopics(&TopicConfigTable{})
	require.NoError(t, err)
	assert.Equal(t, "{\n\t\"dataVersion\":{\n\t\t\"counter\":0,\n\t\t\"stateVersion\":0,\n\t\t\"timestamp\":0\n\t},\n\t\"topicConfigTable\":{}\n}", string(empty))
}

func TestParseTopicsDefaultsForMissingFields(t *testing.T) {
	tb, err := ParseTopics([]byte(`{"topicConfigTable":{"A":{"topicName":"A"},"B":{"topicName":"B","perm":null}}}`))
	require.NoError(t, err)
	assert.Equal(t, DataVersion{}, tb.DataVersion)
	assert.Equal(t, NewTopicConfig("A"), tb.Topics["A"])
	assert.Equal(t, NewTopicConfig("B"), tb.Topics["B"], "null keeps the default")

	tb, err = ParseTopics([]byte(`{}`))
	require.NoError(t, err)
	assert.Equal(t, NewTopicConfigTable(), tb)
}

func TestTopicsStringsAndKeys(t *testing.T) {
	// Keys and values that look like numbers or fastjson syntax stay
	// strings; escapes and non-ASCII survive a round trip.
	in := `{"topicConfigTable":{` +
		`"0":{"topicName":"0"},` +
		`"-1":{"topicName":"{0:1,\"2\":3}"},` +
		`"a\"b\\c\u00e9\ud83d\ude00\t<&>":{"topicName":"line\nbreak \u2028 é"}}}`
	tb, err := ParseTopics([]byte(in))
	require.NoError(t, err)
	require.Contains(t, tb.Topics, "0")
	require.Contains(t, tb.Topics, "-1")
	assert.Equal(t, "0", tb.Topics["0"].TopicName)
	assert.Equal(t, `{0:1,"2":3}`, tb.Topics["-1"].TopicName)
	odd := "a\"b\\cé😀\t<&>"
	require.Contains(t, tb.Topics, odd)
	assert.Equal(t, "line\nbreak \u2028 é", tb.Topics[odd].TopicName)

	out, err := MarshalTopics(tb)
	require.NoError(t, err)
	assert.Contains(t, string(out), "\n\t\t\"0\":{")
	assert.Contains(t, string(out), "\n\t\t\"-1\":{")
	assert.Contains(t, string(out), `"a\"b\\cé😀\t<&>":{`, "no HTML escaping, UTF-8 kept")
	assert.Contains(t, string(out), `"topicName":"line\nbreak \u2028 é"`)
	again, err := ParseTopics(out)
	require.NoError(t, err)
	assert.Equal(t, tb, again)
}

func TestTopicsExtraFieldsRoundTrip(t *testing.T) {
	in := `{"topicConfigTable":{"A":{"topicName":"A","zeta":[1, {"k" : 2}],"Perm":3}}}`
	tb, err := ParseTopics([]byte(in))
	require.NoError(t, err)
	a := tb.Topics["A"]
	assert.Equal(t, PermRead|PermWrite, a.Perm, "field names match exactly, case included")
	assert.Equal(t, map[string]json.RawMessage{
		"zeta": json.RawMessage(`[1,{"k":2}]`),
		"Perm": json.RawMessage(`3`),
	}, a.Extra)

	out, err := MarshalTopics(tb)
	require.NoError(t, err)
	assert.Contains(t, string(out), "\t\t\t\"Perm\":3,\n\t\t\t\"attributes\":{},")
	assert.Contains(t, string(out), "\t\t\t\"writeQueueNums\":8,\n\t\t\t\"zeta\":[1,{\"k\":2}]\n")
	again, err := ParseTopics(out)
	require.NoError(t, err)
	assert.Equal(t, tb, again)
}

func TestMarshalTopicsRejectsUnwritableValues(t *testing.T) {
	tests := []struct {
		name string
		tc   TopicConfig
	}{
		{"empty filter type", TopicConfig{TopicName: "A"}},
		{"unknown filter type", TopicConfig{TopicName: "A", TopicFilterType: "ALL"}},
		{"extra shadows a field", func() TopicConfig {
			tc := NewTopicConfig("A")
			tc.Extra = map[string]json.RawMessage{"perm": json.RawMessage(`1`)}
			return tc
		}()},
		{"extra not JSON", func() TopicConfig {
			tc := NewTopicConfig("A")
			tc.Extra = map[string]json.RawMessage{"x": json.RawMessage(`{`)}
			return tc
		}()},
		{"extra too deep", func() TopicConfig {
			tc := NewTopicConfig("A")
			deep := make([]byte, 0, 2*MaxNestingDepth)
			for range MaxNestingDepth - extraDepth + 1 {
				deep = append(deep, '[')
			}
			for range MaxNestingDepth - extraDepth + 1 {
				deep = append(deep, ']')
			}
			tc.Extra = map[string]json.RawMessage{"x": deep}
			return tc
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := NewTopicConfigTable()
			tb.Topics["A"] = tt.tc
			_, err := MarshalTopics(tb)
			require.ErrorIs(t, err, ErrSchema)
			assert.Contains(t, err.Error(), `topicConfigTable["A"]`)
		})
	}
}

func TestTopicsExtraAtTheDepthLimitReadsBack(t *testing.T) {
	tc := NewTopicConfig("A")
	deep := make([]byte, 0, 2*MaxNestingDepth)
	for range MaxNestingDepth - extraDepth {
		deep = append(deep, '[')
	}
	for range MaxNestingDepth - extraDepth {
		deep = append(deep, ']')
	}
	tc.Extra = map[string]json.RawMessage{"x": deep}
	tb := NewTopicConfigTable()
	tb.Topics["A"] = tc
	out, err := MarshalTopics(tb)
	require.NoError(t, err)
	again, err := ParseTopics(out)
	require.NoError(t, err)
	assert.Equal(t, tb, again)
}

func TestParseTopicsFilterType(t *testing.T) {
	_, err := ParseTopics([]byte(`{"topicConfigTable":{"A":{"topicFilterType":"EVERYTHING"}}}`))
	require.ErrorIs(t, err, ErrSchema)
	assert.Contains(t, err.Error(), `topicConfigTable["A"].topicFilterType: unknown filter type "EVERYTHING"`)
}

func TestKnownFieldListsAreInJavaOrder(t *testing.T) {
	for _, fields := range [][]string{dataVersionFields, topicConfigFields, subscriptionGroupFields} {
		for i := 1; i < len(fields); i++ {
			assert.Negative(t, javaCompare(fields[i-1], fields[i]), "%q before %q", fields[i-1], fields[i])
		}
	}
}
