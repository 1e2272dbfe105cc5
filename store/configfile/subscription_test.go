package configfile

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewSubscriptionGroupConfigDefaults(t *testing.T) {
	sg := NewSubscriptionGroupConfig("g")
	assert.Equal(t, SubscriptionGroupConfig{
		GroupName:                      "g",
		ConsumeEnable:                  true,
		ConsumeFromMinEnable:           true,
		ConsumeBroadcastEnable:         true,
		ConsumeMessageOrderly:          false,
		RetryQueueNums:                 1,
		RetryMaxTimes:                  16,
		BrokerID:                       0,
		WhichBrokerWhenConsumeSlowly:   1,
		NotifyConsumerIDsChangedEnable: true,
		GroupSysFlag:                   0,
		ConsumeTimeoutMinutes:          15,
	}, sg)
}

func TestParseSubscriptionGroups4x(t *testing.T) {
	tb, err := ParseSubscriptionGroups([]byte(subscriptionGroup4x))
	require.NoError(t, err)
	assert.Equal(t, DataVersion{Counter: 1, TimestampMs: 1700000000000}, tb.DataVersion)
	assert.Equal(t, map[string]map[string]int32{}, tb.Forbidden)
	assert.Equal(t, map[string]SubscriptionGroupConfig{
		"SELF_TEST_C_GROUP": NewSubscriptionGroupConfig("SELF_TEST_C_GROUP"),
	}, tb.Groups)

	out, err := MarshalSubscriptionGroups(tb)
	require.NoError(t, err)
	want := strings.Replace(subscriptionGroup4x,
		"\t\t\"counter\":1,\n",
		"\t\t\"counter\":1,\n\t\t\"stateVersion\":0,\n", 1)
	want = strings.Replace(want,
		"\t},\n\t\"subscriptionGroupTable\"",
		"\t},\n\t\"forbiddenTable\":{},\n\t\"subscriptionGroupTable\"", 1)
	assert.Equal(t, want, string(out))
}

func TestParseSubscriptionGroups5x(t *testing.T) {
	tb, err := ParseSubscriptionGroups([]byte(subscriptionGroup5x))
	require.NoError(t, err)
	assert.Equal(t, DataVersion{Counter: 7, StateVersion: 2, TimestampMs: 1700000000456}, tb.DataVersion)
	assert.Equal(t, map[string]map[string]int32{"slowGroup": {"TopicTest": 4}}, tb.Forbidden)
	want := NewSubscriptionGroupConfig("orderGroup")
	want.ConsumeBroadcastEnable = false
	want.ConsumeFromMinEnable = false
	want.ConsumeMessageOrderly = true
	want.ConsumeTimeoutMinutes = 30
	want.RetryMaxTimes = 3
	want.RetryQueueNums = 2
	want.Extra = map[string]json.RawMessage{
		"attributes":          json.RawMessage(`{}`),
		"groupRetryPolicy":    json.RawMessage(`{"type":"CUSTOMIZED"}`),
		"subscriptionDataSet": json.RawMessage(`[{"expressionType":"TAG","subString":"*","topic":"TopicTest"}]`),
	}
	assert.Equal(t, map[string]SubscriptionGroupConfig{"orderGroup": want}, tb.Groups)

	// Unknown fields come back in their sorted places, compacted.
	out, err := MarshalSubscriptionGroups(tb)
	require.NoError(t, err)
	wantText := strings.Replace(subscriptionGroup5x,
		"\"groupRetryPolicy\":{\n\t\t\t\t\"type\":\"CUSTOMIZED\"\n\t\t\t},",
		"\"groupRetryPolicy\":{\"type\":\"CUSTOMIZED\"},", 1)
	assert.Equal(t, wantText, string(out))
	again, err := ParseSubscriptionGroups(out)
	require.NoError(t, err)
	assert.Equal(t, tb, again)
}

func TestParseSubscriptionGroupsMissingFieldsTakeDefaults(t *testing.T) {
	in := `{"subscriptionGroupTable":{"g":{"groupName":"g","retryMaxTimes":2}},"forbiddenTable":null}`
	tb, err := ParseSubscriptionGroups([]byte(in))
	require.NoError(t, err)
	want := NewSubscriptionGroupConfig("g")
	want.RetryMaxTimes = 2
	assert.Equal(t, want, tb.Groups["g"])
	assert.Equal(t, map[string]map[string]int32{}, tb.Forbidden)
}

func TestMarshalSubscriptionGroupsExactText(t *testing.T) {
	tb := NewSubscriptionGroupTable()
	tb.DataVersion = DataVersion{Counter: 2, StateVersion: 1, TimestampMs: 99}
	tb.Forbidden["g"] = map[string]int32{"b": 2, "a": 4}
	tb.Forbidden["h"] = nil
	tb.Groups["g"] = NewSubscriptionGroupConfig("g")
	want := "{\n" +
		"\t\"dataVersion\":{\n" +
		"\t\t\"counter\":2,\n" +
		"\t\t\"stateVersion\":1,\n" +
		"\t\t\"timestamp\":99\n" +
		"\t},\n" +
		"\t\"forbiddenTable\":{\n" +
		"\t\t\"g\":{\n" +
		"\t\t\t\"a\":4,\n" +
		"\t\t\t\"b\":2\n" +
		"\t\t},\n" +
		"\t\t\"h\":{}\n" +
		"\t},\n" +
		"\t\"subscriptionGroupTable\":{\n" +
		"\t\t\"g\":{\n" +
		"\t\t\t\"brokerId\":0,\n" +
		"\t\t\t\"consumeBroadcastEnable\":true,\n" +
		"\t\t\t\"consumeEnable\":true,\n" +
		"\t\t\t\"consumeFromMinEnable\":true,\n" +
		"\t\t\t\"consumeMessageOrderly\":false,\n" +
		"\t\t\t\"consumeTimeoutMinute\":15,\n" +
		"\t\t\t\"groupName\":\"g\",\n" +
		"\t\t\t\"groupSysFlag\":0,\n" +
		"\t\t\t\"notifyConsumerIdsChangedEnable\":true,\n" +
		"\t\t\t\"retryMaxTimes\":16,\n" +
		"\t\t\t\"retryQueueNums\":1,\n" +
		"\t\t\t\"whichBrokerWhenConsumeSlowly\":1\n" +
		"\t\t}\n" +
		"\t}\n" +
		"}"
	out, err := MarshalSubscriptionGroups(tb)
	require.NoError(t, err)
	assert.Equal(t, want, string(out))
}

func TestSubscriptionGroupsRoundTrip(t *testing.T) {
	tb := NewSubscriptionGroupTable()
	tb.Forbidden["g"] = map[string]int32{"t": -1, "0": 2147483647}
	sg := NewSubscriptionGroupConfig("g")
	sg.BrokerID = -9223372036854775808
	sg.WhichBrokerWhenConsumeSlowly = 9223372036854775807
	sg.GroupSysFlag = -2147483648
	sg.ConsumeEnable = false
	sg.NotifyConsumerIDsChangedEnable = false
	sg.Extra = map[string]json.RawMessage{"zz": json.RawMessage(`null`), "Aa": json.RawMessage(`"x"`)}
	tb.Groups["g"] = sg
	tb.Groups["1"] = NewSubscriptionGroupConfig("1")
	out, err := MarshalSubscriptionGroups(tb)
	require.NoError(t, err)
	back, err := ParseSubscriptionGroups(out)
	require.NoError(t, err)
	assert.Equal(t, tb, back)
}
