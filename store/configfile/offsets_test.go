package configfile

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseConsumerOffsets4x(t *testing.T) {
	tb, err := ParseConsumerOffsets([]byte(consumerOffset4x))
	require.NoError(t, err)
	assert.Nil(t, tb.DataVersion)
	assert.Equal(t, map[string]map[int32]int64{
		"%RETRY%please_rename_unique_group_name_4@please_rename_unique_group_name_4": {0: 0},
		TopicGroupKey("TopicTest", "please_rename_unique_group_name_4"):              {0: 250, 1: 248, 2: 249, 3: 250},
	}, tb.QueueOffsets)

	out, err := MarshalConsumerOffsets(tb)
	require.NoError(t, err)
	assert.Equal(t, consumerOffset4x, string(out), "a 4.x file is written back without a dataVersion")
}

func TestParseConsumerOffsets5x(t *testing.T) {
	tb, err := ParseConsumerOffsets([]byte(consumerOffset5x))
	require.NoError(t, err)
	assert.Equal(t, &DataVersion{Counter: 1448, TimestampMs: 1736661762584}, tb.DataVersion)
	assert.Equal(t, map[string]map[int32]int64{
		"%RETRY%push_test@push_test": {0: 0},
		"test@push_test":             {0: 165243, 1: 165245, 2: 165243, 3: 165242},
	}, tb.QueueOffsets)

	out, err := MarshalConsumerOffsets(tb)
	require.NoError(t, err)
	want := "{\n" +
		"\t\"dataVersion\":{\n" +
		"\t\t\"counter\":1448,\n" +
		"\t\t\"stateVersion\":0,\n" +
		"\t\t\"timestamp\":1736661762584\n" +
		"\t},\n" +
		"\t\"offsetTable\":{\n" +
		"\t\t\"%RETRY%push_test@push_test\":{0:0\n" +
		"\t\t},\n" +
		"\t\t\"test@push_test\":{0:165243,1:165245,2:165243,3:165242\n" +
		"\t\t}\n" +
		"\t}\n" +
		"}"
	assert.Equal(t, want, string(out), "the derived groupTopicMap and lmqOffsetTable are dropped")
}

func TestMarshalConsumerOffsetsExactText(t *testing.T) {
	tb := &ConsumerOffsetTable{
		DataVersion: &DataVersion{Counter: 3, TimestampMs: 1700000000000},
		QueueOffsets: map[string]map[int32]int64{
			"TopicTest@group": {1: 248, 0: 250, 10: 7, -1: 5},
			"empty@group":     {},
			"nil@group":       nil,
		},
	}
	want := "{\n" +
		"\t\"dataVersion\":{\n" +
		"\t\t\"counter\":3,\n" +
		"\t\t\"stateVersion\":0,\n" +
		"\t\t\"timestamp\":1700000000000\n" +
		"\t},\n" +
		"\t\"offsetTable\":{\n" +
		"\t\t\"TopicTest@group\":{-1:5,0:250,1:248,10:7\n" +
		"\t\t},\n" +
		"\t\t\"empty@group\":{},\n" +
		"\t\t\"nil@group\":{}\n" +
		"\t}\n" +
		"}"
	out, err := MarshalConsumerOffsets(tb)
	require.NoError(t, err)
	assert.Equal(t, want, string(out))

	empty, err := MarshalConsumerOffsets(&ConsumerOffsetTable{})
	require.NoError(t, err)
	assert.Equal(t, "{\n\t\"offsetTable\":{}\n}", string(empty))
}

func TestConsumerOffsetsKeys(t *testing.T) {
	// A quoted "0" is a string key of the outer map; bare and quoted
	// integers, negative ones included, are queue ids of the inner maps.
	in := `{"offsetTable":{"0":{0:1,"1":2,-1:3, 7 :4},"1@2":{}},"dataVersion":null}`
	tb, err := ParseConsumerOffsets([]byte(in))
	require.NoError(t, err)
	assert.Nil(t, tb.DataVersion)
	assert.Equal(t, map[string]map[int32]int64{
		"0":   {0: 1, 1: 2, -1: 3, 7: 4},
		"1@2": {},
	}, tb.QueueOffsets)

	out, err := MarshalConsumerOffsets(tb)
	require.NoError(t, err)
	assert.Contains(t, string(out), "\"0\":{-1:3,0:1,1:2,7:4\n")
	assert.Contains(t, string(out), "\"1@2\":{}")
}

func TestConsumerOffsetsStrictJSON(t *testing.T) {
	in := `{"offsetTable":{"t@g":{"0":9223372036854775807,"2147483647":-9223372036854775808}}}`
	tb, err := ParseConsumerOffsets([]byte(in))
	require.NoError(t, err)
	assert.Equal(t, map[int32]int64{0: 9223372036854775807, 2147483647: -9223372036854775808}, tb.QueueOffsets["t@g"])
}

func TestParseDelayOffsets(t *testing.T) {
	want := map[int32]int64{1: 35, 2: 0, 3: 12, 18: 1}

	old, err := ParseDelayOffsets([]byte(delayOffset4x))
	require.NoError(t, err)
	assert.Nil(t, old.DataVersion)
	assert.Equal(t, want, old.QueueOffsets)
	out, err := MarshalDelayOffsets(old)
	require.NoError(t, err)
	assert.Equal(t, delayOffset4x, string(out))

	cur, err := ParseDelayOffsets([]byte(delayOffset5x))
	require.NoError(t, err)
	assert.Equal(t, &DataVersion{Counter: 9, TimestampMs: 1700000000789}, cur.DataVersion)
	assert.Equal(t, want, cur.QueueOffsets)
	out, err = MarshalDelayOffsets(cur)
	require.NoError(t, err)
	assert.Equal(t, delayOffset5x, string(out))
}

func TestMarshalDelayOffsetsEmpty(t *testing.T) {
	out, err := MarshalDelayOffsets(&DelayOffsetTable{})
	require.NoError(t, err)
	assert.Equal(t, "{\n\t\"offsetTable\":{}\n}", string(out))
	tb, err := ParseDelayOffsets(out)
	require.NoError(t, err)
	assert.Equal(t, NewDelayOffsetTable(), tb)
}

func TestOffsetsRoundTrip(t *testing.T) {
	co := &ConsumerOffsetTable{
		DataVersion: &DataVersion{Counter: -1, StateVersion: 1 << 40, TimestampMs: 1},
		QueueOffsets: map[string]map[int32]int64{
			"t@g":   {0: 1, 2147483647: 1 << 62, -2147483648: -1},
			"é@😀":   {5: 5},
			"t@\"g": {},
		},
	}
	out, err := MarshalConsumerOffsets(co)
	require.NoError(t, err)
	back, err := ParseConsumerOffsets(out)
	require.NoError(t, err)
	assert.Equal(t, co, back)

	do := &DelayOffsetTable{QueueOffsets: map[int32]int64{18: 3, 1: 0, 2147483647: 9}}
	out, err = MarshalDelayOffsets(do)
	require.NoError(t, err)
	dback, err := ParseDelayOffsets(out)
	require.NoError(t, err)
	assert.Equal(t, do, dback)
}
