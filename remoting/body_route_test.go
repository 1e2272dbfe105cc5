package remoting

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// routeStandardJSON is spec/remoting.md §3.1's route, as a current Java
// name server writes it for clients of V4_9_4 and later.
const routeStandardJSON = `{"orderTopicConf":"broker-a:4","queueDatas":[{"brokerName":"broker-a","readQueueNums":4,` +
	`"writeQueueNums":4,"perm":6,"topicSysFlag":0}],"brokerDatas":[{"cluster":"DefaultCluster","brokerName":"broker-a",` +
	`"brokerAddrs":{"0":"127.0.0.1:10911","1":"127.0.0.1:10921"}}],"filterServerTable":{}}`

// routeFastJSON is the same route as a Java name server writes it with
// fastjson for older clients (the Go client among them): bare integer
// broker ids, fields alphabetical, 5.x's enableActingMaster.
const routeFastJSON = `{"brokerDatas":[{"brokerAddrs":{0:"127.0.0.1:10911",1:"127.0.0.1:10921"},"brokerName":"broker-a",` +
	`"cluster":"DefaultCluster","enableActingMaster":false}],"filterServerTable":{},"orderTopicConf":"broker-a:4",` +
	`"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}`

var routeValue = &TopicRouteData{
	OrderTopicConf: "broker-a:4",
	QueueDatas:     []QueueData{{BrokerName: "broker-a", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6}},
	BrokerDatas: []BrokerData{{
		Cluster: "DefaultCluster", BrokerName: "broker-a",
		BrokerAddrs: map[int64]string{0: "127.0.0.1:10911", 1: "127.0.0.1:10921"},
	}},
}

func TestRouteDecodeBothBrokerAddrsForms(t *testing.T) {
	for name, body := range map[string]string{"standard": routeStandardJSON, "fastjson": routeFastJSON} {
		t.Run(name, func(t *testing.T) {
			rd, err := DecodeTopicRouteData([]byte(body))
			require.NoError(t, err)
			require.Equal(t, routeValue, rd)
		})
	}
}

func TestRouteDecodeDetails(t *testing.T) {
	rd, err := DecodeTopicRouteData([]byte(`{"queueDatas":[{"brokerName":"b","perm":4,"topicSynFlag":2}],` +
		`"brokerDatas":[{"brokerName":"b"},{"brokerName":"c","brokerAddrs":{}},{"brokerName":"d","brokerAddrs":null},` +
		`{"brokerName":"e","brokerAddrs":{ -1 : "x:1" , 9223372036854775807:"y:2"}}]}`))
	require.NoError(t, err)
	require.Equal(t, int32(2), rd.QueueDatas[0].TopicSysFlag, "the Go client's spelling is read too")
	for _, b := range rd.BrokerDatas[:3] {
		require.NotNil(t, b.BrokerAddrs, b.BrokerName)
		require.Empty(t, b.BrokerAddrs, b.BrokerName)
	}
	require.Equal(t, map[int64]string{-1: "x:1", 9223372036854775807: "y:2"}, rd.BrokerDatas[3].BrokerAddrs)

	rd, err = DecodeTopicRouteData([]byte(`{}`))
	require.NoError(t, err)
	require.Equal(t, &TopicRouteData{QueueDatas: []QueueData{}, BrokerDatas: []BrokerData{}}, rd)
}

func TestRouteDecodeErrors(t *testing.T) {
	tests := []struct{ name, body, msg string }{
		{"empty", ``, "unexpected end of the body"},
		{"key not an id", `{"brokerDatas":[{"brokerName":"b","brokerAddrs":{"x":"h:1"}}]}`, `broker "b": brokerAddrs key "x" is not a broker id`},
		{"id too large", `{"brokerDatas":[{"brokerAddrs":{9223372036854775808:"h:1"}}]}`, `brokerAddrs key "9223372036854775808"`},
		{"bare float key", `{"brokerDatas":[{"brokerAddrs":{1.5:"h:1"}}]}`, "an unquoted key must be an integer"},
		{"bare word key", `{"brokerDatas":[{"brokerAddrs":{zero:"h:1"}}]}`, "want a key, found 'z'"},
		{"perm text", `{"queueDatas":[{"perm":"6"}]}`, "perm"},
		{"queue nums range", `{"queueDatas":[{"readQueueNums":2147483648}]}`, "readQueueNums"},
		{"trailing garbage", routeStandardJSON + `x`, "unexpected 'x' after the value"},
		{"trailing comma", `{"queueDatas":[],}`, "want a key, found '}'"},
		{"unterminated", `{"orderTopicConf":"a`, "unterminated string"},
		{"bad literal", `{"orderTopicConf":nul}`, "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeTopicRouteData([]byte(tt.body))
			require.ErrorIs(t, err, ErrBadBody)
			require.ErrorContains(t, err, "TopicRouteData")
			require.ErrorContains(t, err, tt.msg)
		})
	}
}

func TestRouteClusterInfo(t *testing.T) {
	want := &ClusterInfo{
		BrokerAddrTable: map[string]BrokerData{
			"broker-a": {Cluster: "DefaultCluster", BrokerName: "broker-a", BrokerAddrs: map[int64]string{0: "10.0.0.1:10911"}},
			"broker-b": {Cluster: "DefaultCluster", BrokerName: "broker-b", BrokerAddrs: map[int64]string{0: "10.0.0.2:10911", 2: "10.0.0.3:10911"}},
		},
		ClusterAddrTable: map[string][]string{"DefaultCluster": {"broker-a", "broker-b"}, "Empty": {}},
	}
	for name, body := range map[string]string{
		"standard": `{"brokerAddrTable":{"broker-a":{"cluster":"DefaultCluster","brokerName":"broker-a","brokerAddrs":{"0":"10.0.0.1:10911"}},` +
			`"broker-b":{"cluster":"DefaultCluster","brokerName":"broker-b","brokerAddrs":{"0":"10.0.0.2:10911","2":"10.0.0.3:10911"}}},` +
			`"clusterAddrTable":{"DefaultCluster":["broker-a","broker-b"],"Empty":null}}`,
		"fastjson": `{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"10.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"},` +
			`"broker-b":{"brokerAddrs":{0:"10.0.0.2:10911",2:"10.0.0.3:10911"},"brokerName":"broker-b","cluster":"DefaultCluster"}},` +
			`"clusterAddrTable":{"DefaultCluster":["broker-a","broker-b"],"Empty":[]}}`,
	} {
		t.Run(name, func(t *testing.T) {
			ci, err := DecodeClusterInfo([]byte(body))
			require.NoError(t, err)
			require.Equal(t, want, ci)
		})
	}

	_, err := DecodeClusterInfo([]byte(`{"brokerAddrTable":{"b":{"brokerAddrs":{"m":"x"}},"a":{"brokerAddrs":{"n":"y"}}}}`))
	require.ErrorIs(t, err, ErrBadBody)
	require.ErrorContains(t, err, `ClusterInfo: broker "": brokerAddrs key "n"`, "the first bad broker by name is reported")
}

func TestRouteNormalizeFastJSON(t *testing.T) {
	tests := []struct{ in, out string }{
		{`{}`, `{}`},
		{`[]`, `[]`},
		{` { "a" : 1 , "b" : [ 1 , true , null ] } `, `{"a":1,"b":[1,true,null]}`},
		{`{0:"a",-12:"b"}`, `{"0":"a","-12":"b"}`},
		{`{"k":"{0:1}","l":"\"{0:1}\\"}`, `{"k":"{0:1}","l":"\"{0:1}\\"}`},
		{`{{"a":1}:2,{"a":3}:4}`, `[[{"a":1},2],[{"a":3},4]]`},
		{`{[1]:2}`, `[[[1],2]]`},
		{`{"t":{{"q":1}:{0:"x"}}}`, `{"t":[[{"q":1},{"0":"x"}]]}`},
		{`[{1:2},{}]`, `[{"1":2},{}]`},
		{`-1.5e3`, `-1.5e3`},
		{`"\u00e9"`, `"\u00e9"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			out, err := normalizeFastJSON([]byte(tt.in), "T")
			require.NoError(t, err)
			require.Equal(t, tt.out, string(out))
			require.True(t, json.Valid(out))
		})
	}
}

func TestRouteNormalizeFastJSONErrors(t *testing.T) {
	tests := []struct{ in, msg string }{
		{``, "byte 0: unexpected end of the body"},
		{`   `, "byte 3: unexpected end of the body"},
		{`{1.5:1}`, "byte 1: an unquoted key must be an integer"},
		{`{1e3:1}`, "an unquoted key must be an integer"},
		{`{-:1}`, "an unquoted key must be an integer"},
		{`{12a:1}`, "an unquoted key must be an integer"},
		{`{abc:1}`, "want a key, found 'a'"},
		{`{{"a":1}:1,"b":2}`, "a map keyed by objects has a key that is not an object"},
		{`{"b":2,{"a":1}:1}`, "a map mixes object keys with plain keys"},
		{`{"a":1,}`, "want a key, found '}'"},
		{`[1,]`, "unexpected ']'"},
		{`[1 2]`, "want ',' or ']', found '2'"},
		{`{"a" 1}`, "want ':' after a key"},
		{`{"a":1`, "unexpected end of the body"},
		{`{"a":`, "unexpected end of the body"},
		{`{`, "unexpected end of the body"},
		{`[`, "unexpected end of the body"},
		{`"abc`, "unterminated string"},
		{`"abc\"`, "unterminated string"},
		{`{} x`, "unexpected 'x' after the value"},
		{`}`, "unexpected '}'"},
		{strings.Repeat("[", MaxBodyJSONDepth+1), "nesting deeper than 32 levels"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := normalizeFastJSON([]byte(tt.in), "T")
			require.ErrorIs(t, err, ErrBadBody)
			require.ErrorContains(t, err, "T, byte ")
			require.ErrorContains(t, err, tt.msg)
		})
	}
	deep := strings.Repeat("[", MaxBodyJSONDepth) + strings.Repeat("]", MaxBodyJSONDepth)
	out, err := normalizeFastJSON([]byte(deep), "T")
	require.NoError(t, err, "exactly the bound is fine")
	require.Equal(t, deep, string(out))
}

var (
	mq0 = MessageQueue{Topic: "t", BrokerName: "b", QueueID: 0}
	mq1 = MessageQueue{Topic: "t", BrokerName: "b", QueueID: 1}
	mqU = MessageQueue{Topic: "u", BrokerName: "a", QueueID: 0}
)

func TestBodyTopicStatsTable(t *testing.T) {
	st := &TopicStatsTable{
		OffsetTable: map[MessageQueue]TopicOffset{
			mq1: {MinOffset: 5, MaxOffset: 10, LastUpdateTimestamp: 1700000000001},
			mq0: {MinOffset: 0, MaxOffset: 7, LastUpdateTimestamp: 1700000000000},
		},
		TopicPutTps: 1.5,
	}
	golden := `{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"lastUpdateTimestamp":1700000000000,"maxOffset":7,"minOffset":0},` +
		`{"brokerName":"b","queueId":1,"topic":"t"}:{"lastUpdateTimestamp":1700000000001,"maxOffset":10,"minOffset":5}},"topicPutTps":1.5}`
	body := AppendTopicStatsTableJSON(nil, st)
	require.Equal(t, golden, string(body))
	require.False(t, json.Valid(body), "fastjson's form is not JSON")
	back, err := DecodeTopicStatsTable(body)
	require.NoError(t, err)
	require.Equal(t, st, back)

	gson := `{"offsetTable":[[{"topic":"t","brokerName":"b","queueId":1},{"minOffset":5,"maxOffset":10,"lastUpdateTimestamp":1700000000001}],` +
		`[{"topic":"t","brokerName":"b","queueId":0},{"minOffset":0,"maxOffset":7,"lastUpdateTimestamp":1700000000000}]],"topicPutTps":1.5}`
	back, err = DecodeTopicStatsTable([]byte(gson))
	require.NoError(t, err)
	require.Equal(t, st, back)

	empty := AppendTopicStatsTableJSON(nil, &TopicStatsTable{})
	require.Equal(t, `{"offsetTable":{},"topicPutTps":0}`, string(empty))
	back, err = DecodeTopicStatsTable(empty)
	require.NoError(t, err)
	require.Equal(t, &TopicStatsTable{OffsetTable: map[MessageQueue]TopicOffset{}}, back)
}

func TestBodyConsumeStats(t *testing.T) {
	cs := &ConsumeStats{
		OffsetTable: map[MessageQueue]OffsetWrapper{
			mqU: {BrokerOffset: 3, ConsumerOffset: 2, PullOffset: 3, LastTimestamp: 9},
			mq0: {BrokerOffset: 100, ConsumerOffset: 90, PullOffset: 95, LastTimestamp: 1700000000000},
		},
		ConsumeTps: 0.25,
	}
	golden := `{"consumeTps":0.25,"offsetTable":{` +
		`{"brokerName":"b","queueId":0,"topic":"t"}:{"brokerOffset":100,"consumerOffset":90,"lastTimestamp":1700000000000,"pullOffset":95},` +
		`{"brokerName":"a","queueId":0,"topic":"u"}:{"brokerOffset":3,"consumerOffset":2,"lastTimestamp":9,"pullOffset":3}}}`
	body := AppendConsumeStatsJSON(nil, cs)
	require.Equal(t, golden, string(body))
	back, err := DecodeConsumeStats(body)
	require.NoError(t, err)
	require.Equal(t, cs, back)

	// 4.x brokers have no pullOffset.
	back, err = DecodeConsumeStats([]byte(`{"consumeTps":0.0,"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"brokerOffset":1,"consumerOffset":1,"lastTimestamp":0}}}`))
	require.NoError(t, err)
	require.Equal(t, OffsetWrapper{BrokerOffset: 1, ConsumerOffset: 1}, back.OffsetTable[mq0])
}

func TestBodyQueueTableForms(t *testing.T) {
	tests := []struct{ name, body, msg string }{
		{"string keys", `{"offsetTable":{"MessageQueue [topic=t]":1}}`, "offsetTable is keyed by strings"},
		{"number", `{"offsetTable":5}`, "offsetTable is not a map"},
		{"not a pair", `{"offsetTable":[[{"topic":"t"}]]}`, "offsetTable entry 0 is not a [queue, value] pair"},
		{"triple", `{"offsetTable":[[{},1,2]]}`, "offsetTable entry 0 is not a [queue, value] pair"},
		{"bad queue", `{"offsetTable":[[{"queueId":"x"},1]]}`, "offsetTable entry 0: queue"},
		{"bad value", `{"offsetTable":{{"queueId":1}:"x"}}`, "offsetTable entry 0: value"},
		{"bad key list", `{"offsetTable":{[1]:1}}`, "offsetTable entry 0: queue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeResetOffsetBody([]byte(tt.body))
			require.ErrorIs(t, err, ErrBadBody)
			require.ErrorContains(t, err, "ResetOffsetBody")
			require.ErrorContains(t, err, tt.msg)
		})
	}
	for _, body := range []string{`{}`, `{"offsetTable":null}`, `{"offsetTable":{}}`, `{"offsetTable":[]}`} {
		b, err := DecodeResetOffsetBody([]byte(body))
		require.NoError(t, err, body)
		require.Empty(t, b.OffsetTable, body)
		require.NotNil(t, b.OffsetTable, body)
	}
	many := `{"offsetTable":[` + strings.Repeat(`[{},1],`, MaxBodyQueues) + `[{},1]]}`
	_, err := DecodeResetOffsetBody([]byte(many))
	require.ErrorContains(t, err, "65537 entries in offsetTable")
}

// goClientResetOffsets reads a RESET_CONSUMER_CLIENT_OFFSET body the way
// rocketmq-client-go's ResetOffsetBody.Decode reads fastjson's form: take
// the text of offsetTable, drop its first two bytes and the last, split
// entries at ",{" and each entry at "}:".
func goClientResetOffsets(t *testing.T, body []byte) map[primitive.MessageQueue]int64 {
	require.False(t, gjson.ValidBytes(body), "the client takes this path only for invalid JSON")
	table := gjson.Get(string(body), "offsetTable").String()
	out := map[primitive.MessageQueue]int64{}
	for _, entry := range strings.Split(table[2:len(table)-1], ",{") {
		kv := strings.Split(entry, "}:")
		require.Len(t, kv, 2)
		var q primitive.MessageQueue
		require.NoError(t, json.Unmarshal([]byte("{"+kv[0]+"}"), &q))
		offset, err := strconv.Atoi(kv[1])
		require.NoError(t, err)
		out[q] = int64(offset)
	}
	return out
}

func TestBodyResetOffset(t *testing.T) {
	b := &ResetOffsetBody{OffsetTable: map[MessageQueue]int64{mq1: 250, mq0: 248, mqU: -1}}
	golden := `{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:248,{"brokerName":"b","queueId":1,"topic":"t"}:250,` +
		`{"brokerName":"a","queueId":0,"topic":"u"}:-1}}`
	body := AppendResetOffsetBodyJSON(nil, b)
	require.Equal(t, golden, string(body))
	back, err := DecodeResetOffsetBody(body)
	require.NoError(t, err)
	require.Equal(t, b, back)

	require.Equal(t, map[primitive.MessageQueue]int64{
		{Topic: "t", BrokerName: "b", QueueId: 0}: 248,
		{Topic: "t", BrokerName: "b", QueueId: 1}: 250,
		{Topic: "u", BrokerName: "a", QueueId: 0}: -1,
	}, goClientResetOffsets(t, body))

	require.Equal(t, `{"offsetTable":{}}`, string(AppendResetOffsetBodyJSON(nil, &ResetOffsetBody{})))
}

func TestBodyFloatsAsFastjson(t *testing.T) {
	for _, tt := range []struct {
		v    float64
		want string
	}{{0, "0"}, {1.5, "1.5"}, {-0.125, "-0.125"}, {1e21, "1000000000000000000000"}, {nan(), "0"}} {
		require.Equal(t, tt.want, string(appendFloat(nil, tt.v)))
	}
}

// nan returns a NaN without a constant expression.
func nan() float64 {
	zero := 0.0
	return zero / zero
}

func FuzzDecodeTopicRouteData(f *testing.F) {
	for _, s := range []string{
		routeStandardJSON,
		routeFastJSON,
		`{"brokerDatas":[{"brokerAddrs":{-1:"a",2:"b"}}],"queueDatas":[{"topicSynFlag":1}]}`,
		`{"x":{{"a":1}:[{0:1}]}}`,
		`{"brokerDatas":[{"brokerAddrs":{"x":"h:1"}}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rd, err := DecodeTopicRouteData(body)
		if err != nil {
			require.ErrorIs(t, err, ErrBadBody)
			require.Nil(t, rd)
		} else {
			for _, b := range rd.BrokerDatas {
				require.NotNil(t, b.BrokerAddrs)
			}
		}

		// Normalizing standard JSON changes nothing that a parser sees; it
		// refuses standard JSON only for its depth bound.
		if !json.Valid(body) {
			return
		}
		norm, err := normalizeFastJSON(body, "T")
		if err != nil {
			require.ErrorContains(t, err, "nesting deeper than")
			return
		}
		var before, after any
		require.NoError(t, json.Unmarshal(body, &before))
		require.NoError(t, json.Unmarshal(norm, &after))
		require.Equal(t, before, after)
	})
}

func FuzzDecodeQueueTables(f *testing.F) {
	for _, s := range []string{
		`{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"lastUpdateTimestamp":1,"maxOffset":7,"minOffset":0}},"topicPutTps":1.5}`,
		`{"consumeTps":0.25,"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"brokerOffset":100,"consumerOffset":90}}}`,
		`{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:248,{"brokerName":"b","queueId":1,"topic":"t"}:250}}`,
		`{"offsetTable":[[{"topic":"t","brokerName":"b","queueId":1},5]]}`,
		`{"offsetTable":{}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if st, err := DecodeTopicStatsTable(body); err != nil {
			require.ErrorIs(t, err, ErrBadBody)
		} else {
			again, err := DecodeTopicStatsTable(AppendTopicStatsTableJSON(nil, st))
			require.NoError(t, err)
			require.Equal(t, st, again)
		}
		if cs, err := DecodeConsumeStats(body); err != nil {
			require.ErrorIs(t, err, ErrBadBody)
		} else {
			again, err := DecodeConsumeStats(AppendConsumeStatsJSON(nil, cs))
			require.NoError(t, err)
			require.Equal(t, cs, again)
		}
		if rb, err := DecodeResetOffsetBody(body); err != nil {
			require.ErrorIs(t, err, ErrBadBody)
		} else {
			again, err := DecodeResetOffsetBody(AppendResetOffsetBodyJSON(nil, rb))
			require.NoError(t, err)
			require.Equal(t, rb, again)
		}
	})
}
