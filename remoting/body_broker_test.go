package remoting

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/store/configfile"
)

// heartbeatGoJSON is spec/remoting.md §5.1's heartbeat, as the Go client
// writes it: tag codes as strings.
const heartbeatGoJSON = `{"clientID":"10.0.0.5@12345",
 "producerDataSet":[{"groupName":"pg"}],
 "consumerDataSet":[{"groupName":"cg","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING",
   "consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","unitMode":false,
   "subscriptionDataSet":[{"classFilterMode":false,"topic":"t","subString":"TagA || TagB",
     "tagsSet":["TagA","TagB"],"codeSet":["80788224","80788225"],"subVersion":1700000000000000000,
     "expressionType":"TAG"}]}]}`

// heartbeatJavaJSON is the same heartbeat as a Java 5.x client writes it
// with fastjson: fields alphabetical, tag codes as numbers, and the 5.x
// fields heartbeatFingerprint and withoutSub.
const heartbeatJavaJSON = `{"clientID":"10.0.0.5@12345","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET",` +
	`"consumeType":"CONSUME_PASSIVELY","groupName":"cg","messageModel":"CLUSTERING","subscriptionDataSet":[` +
	`{"classFilterMode":false,"codeSet":[80788224,80788225],"expressionType":"TAG","subString":"TagA || TagB",` +
	`"subVersion":1700000000000000000,"tagsSet":["TagA","TagB"],"topic":"t"}],"unitMode":false}],` +
	`"heartbeatFingerprint":0,"producerDataSet":[{"groupName":"pg"}],"withoutSub":false}`

// heartbeatGoCompact is heartbeatGoJSON without white space: what
// AppendHeartbeatDataJSON writes.
const heartbeatGoCompact = `{"clientID":"10.0.0.5@12345","producerDataSet":[{"groupName":"pg"}],` +
	`"consumerDataSet":[{"groupName":"cg","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING",` +
	`"consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","unitMode":false,"subscriptionDataSet":[` +
	`{"classFilterMode":false,"topic":"t","subString":"TagA || TagB","tagsSet":["TagA","TagB"],` +
	`"codeSet":["80788224","80788225"],"subVersion":1700000000000000000,"expressionType":"TAG"}]}]}`

var heartbeatValue = &HeartbeatData{
	ClientID:        "10.0.0.5@12345",
	ProducerDataSet: []ProducerData{{GroupName: "pg"}},
	ConsumerDataSet: []ConsumerData{{
		GroupName:        "cg",
		ConsumeType:      ConsumeTypePassively,
		MessageModel:     MessageModelClustering,
		ConsumeFromWhere: ConsumeFromFirstOffset,
		SubscriptionDataSet: []SubscriptionData{{
			Topic: "t", SubString: "TagA || TagB", TagsSet: []string{"TagA", "TagB"},
			CodeSet: []int32{80788224, 80788225}, SubVersion: 1700000000000000000, ExpressionType: ExpressionTypeTag,
		}},
	}},
}

func TestHeartbeatDecodeBothCodeSetForms(t *testing.T) {
	for name, body := range map[string]string{"Go": heartbeatGoJSON, "Java": heartbeatJavaJSON} {
		t.Run(name, func(t *testing.T) {
			h, err := DecodeHeartbeatData([]byte(body))
			require.NoError(t, err)
			require.Equal(t, heartbeatValue, h)
		})
	}
}

func TestHeartbeatEncodeGolden(t *testing.T) {
	require.Equal(t, heartbeatGoCompact, string(EncodeHeartbeatData(heartbeatValue)))
	require.Equal(t, "prefix"+heartbeatGoCompact, string(AppendHeartbeatDataJSON([]byte("prefix"), heartbeatValue)))

	empty := &HeartbeatData{ClientID: "c"}
	require.Equal(t, `{"clientID":"c","producerDataSet":[],"consumerDataSet":[]}`, string(EncodeHeartbeatData(empty)))
	back, err := DecodeHeartbeatData(EncodeHeartbeatData(empty))
	require.NoError(t, err)
	require.Equal(t, empty, back)
}

func TestHeartbeatDecodeLiberal(t *testing.T) {
	h, err := DecodeHeartbeatData([]byte(`{"clientID":"c","consumerDataSet":[{"groupName":"g",
		"consumeType":"CONSUME_POP","messageModel":null,"subscriptionDataSet":[
		{"topic":"a","subString":"*"},
		{"topic":"b","subString":"*","tagsSet":null,"codeSet":null},
		{"topic":"c","subString":"x","tagsSet":["x"],"codeSet":["-5",2147483647,-2147483648]}]}],
		"somethingNew":{"nested":[1,2]}}`))
	require.NoError(t, err)
	require.Nil(t, h.ProducerDataSet)
	c := h.ConsumerDataSet[0]
	require.Equal(t, "CONSUME_POP", c.ConsumeType, "unknown enum values are kept as text")
	require.Empty(t, c.MessageModel)
	require.Nil(t, c.SubscriptionDataSet[0].TagsSet)
	require.Nil(t, c.SubscriptionDataSet[0].CodeSet)
	require.Nil(t, c.SubscriptionDataSet[1].TagsSet)
	require.Nil(t, c.SubscriptionDataSet[1].CodeSet)
	require.Equal(t, []int32{-5, 2147483647, -2147483648}, c.SubscriptionDataSet[2].CodeSet)
}

func TestHeartbeatDecodeRefusesBadCodes(t *testing.T) {
	for _, code := range []string{`true`, `1.5`, `1e3`, `"x"`, `"1.0"`, `""`, `null`, `{}`, `[1]`, `2147483648`, `"-2147483649"`} {
		t.Run(code, func(t *testing.T) {
			body := `{"clientID":"c","consumerDataSet":[{"groupName":"g","subscriptionDataSet":[{"topic":"t","codeSet":[` + code + `]}]}]}`
			_, err := DecodeHeartbeatData([]byte(body))
			require.ErrorIs(t, err, ErrBadBody)
			require.ErrorContains(t, err, "HeartbeatData")
			require.ErrorContains(t, err, "codeSet")
		})
	}
}

func TestHeartbeatDecodeErrors(t *testing.T) {
	tests := []struct{ name, body, msg string }{
		{"empty", ``, "unexpected end of JSON input"},
		{"not an object", `[]`, "cannot unmarshal array"},
		{"truncated", `{"clientID":"c"`, "unexpected end"},
		{"wrong type", `{"clientID":1}`, "clientID"},
		{"subVersion text", `{"consumerDataSet":[{"subscriptionDataSet":[{"subVersion":"1"}]}]}`, "subVersion"},
		{"trailing", `{} {}`, "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeHeartbeatData([]byte(tt.body))
			require.ErrorIs(t, err, ErrBadBody)
			require.ErrorContains(t, err, tt.msg)
		})
	}
}

func TestHeartbeatDecodeBounds(t *testing.T) {
	subs := strings.Repeat(`{"topic":"t"},`, MaxHeartbeatSubscriptions)
	body := `{"consumerDataSet":[{"subscriptionDataSet":[` + subs + `{"topic":"t"}]}]}`
	_, err := DecodeHeartbeatData([]byte(body))
	require.ErrorIs(t, err, ErrBadBody)
	require.ErrorContains(t, err, "more than 10000")

	body = `{"consumerDataSet":[{"subscriptionDataSet":[` + strings.TrimSuffix(subs, ",") + `]}]}`
	h, err := DecodeHeartbeatData([]byte(body))
	require.NoError(t, err, "exactly the bound is fine")
	require.Len(t, h.ConsumerDataSet[0].SubscriptionDataSet, MaxHeartbeatSubscriptions)

	groups := strings.Repeat(`{"groupName":"g"},`, MaxHeartbeatGroups)
	_, err = DecodeHeartbeatData([]byte(`{"producerDataSet":[` + groups + `{}]}`))
	require.ErrorContains(t, err, "producerDataSet and consumerDataSet")

	tags := strings.Repeat(`"a",`, MaxSubscriptionTags)
	_, err = DecodeHeartbeatData([]byte(`{"consumerDataSet":[{"subscriptionDataSet":[{"tagsSet":[` + tags + `"a"]}]}]}`))
	require.ErrorContains(t, err, "tagsSet")

	codes := strings.Repeat(`1,`, MaxSubscriptionTags)
	_, err = DecodeHeartbeatData([]byte(`{"consumerDataSet":[{"subscriptionDataSet":[{"codeSet":[` + codes + `1]}]}]}`))
	require.ErrorContains(t, err, "codeSet")
}

func TestHeartbeatEncodeEscapes(t *testing.T) {
	h := &HeartbeatData{ClientID: "a\"b\\c\n", ConsumerDataSet: []ConsumerData{{
		GroupName: "g<&>", SubscriptionDataSet: []SubscriptionData{{Topic: "t", TagsSet: []string{"é\x01"}}},
	}}}
	body := EncodeHeartbeatData(h)
	require.True(t, json.Valid(body))
	require.Contains(t, string(body), `"clientID":"a\"b\\c\n"`)
	require.Contains(t, string(body), `"groupName":"g<&>"`, "no HTML escaping, as fastjson")
	back, err := DecodeHeartbeatData(body)
	require.NoError(t, err)
	require.Equal(t, h, back)
}

// lockRequestGoJSON is spec/remoting.md §5.7's LOCK_BATCH_MQ body, as the
// Go client writes it.
const lockRequestGoJSON = `{"consumerGroup":"g","clientId":"cid","mqSet":[{"topic":"t","brokerName":"b","queueId":0}]}`

func TestBodyLockBatchRequest(t *testing.T) {
	want := &LockBatchRequestBody{ConsumerGroup: "g", ClientID: "cid", MQSet: []MessageQueue{{Topic: "t", BrokerName: "b"}}}
	got, err := DecodeLockBatchRequestBody([]byte(lockRequestGoJSON))
	require.NoError(t, err)
	require.Equal(t, want, got)

	golden := `{"consumerGroup":"g","clientId":"cid","onlyThisBroker":false,"mqSet":[{"brokerName":"b","queueId":0,"topic":"t"}]}`
	require.Equal(t, golden, string(AppendLockBatchRequestBodyJSON(nil, want)))

	java := `{"clientId":"cid","consumerGroup":"g","mqSet":[{"brokerName":"b","queueId":3,"topic":"t"},` +
		`{"brokerName":"b","queueId":1,"topic":"t"}],"onlyThisBroker":true}`
	got, err = DecodeLockBatchRequestBody([]byte(java))
	require.NoError(t, err)
	require.Equal(t, &LockBatchRequestBody{ConsumerGroup: "g", ClientID: "cid", OnlyThisBroker: true,
		MQSet: []MessageQueue{{Topic: "t", BrokerName: "b", QueueID: 3}, {Topic: "t", BrokerName: "b", QueueID: 1}}}, got)

	unlock, err := DecodeUnlockBatchRequestBody([]byte(lockRequestGoJSON))
	require.NoError(t, err)
	require.Equal(t, (*UnlockBatchRequestBody)(want), unlock)
	require.Equal(t, golden, string(AppendUnlockBatchRequestBodyJSON(nil, unlock)))
}

func TestBodyLockBatchErrors(t *testing.T) {
	tests := []struct{ name, body, msg string }{
		{"queue id text", `{"mqSet":[{"queueId":"0"}]}`, "queueId"},
		{"queue id range", `{"mqSet":[{"queueId":4294967296}]}`, "queueId"},
		{"mqSet object", `{"mqSet":{}}`, "mqSet"},
		{"garbage", `{"mqSet":[}`, "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeLockBatchRequestBody([]byte(tt.body))
			require.ErrorIs(t, err, ErrBadBody)
			require.ErrorContains(t, err, "LockBatchRequestBody")
			require.ErrorContains(t, err, tt.msg)
		})
	}
	many := `{"mqSet":[` + strings.Repeat(`{},`, MaxBodyQueues) + `{}]}`
	_, err := DecodeUnlockBatchRequestBody([]byte(many))
	require.ErrorContains(t, err, "UnlockBatchRequestBody: 65537 entries in mqSet")
}

func TestBodyLockBatchResponse(t *testing.T) {
	b := &LockBatchResponseBody{LockOKMQSet: []MessageQueue{{Topic: "t", BrokerName: "b", QueueID: 2}, {Topic: "u", BrokerName: "c"}}}
	golden := `{"lockOKMQSet":[{"brokerName":"b","queueId":2,"topic":"t"},{"brokerName":"c","queueId":0,"topic":"u"}]}`
	body := AppendLockBatchResponseBodyJSON(nil, b)
	require.Equal(t, golden, string(body))
	back, err := DecodeLockBatchResponseBody(body)
	require.NoError(t, err)
	require.Equal(t, b, back)

	// The Go client unmarshals the response into primitive.MessageQueue.
	var client struct {
		MQs []primitive.MessageQueue `json:"lockOKMQSet"`
	}
	require.NoError(t, json.Unmarshal(body, &client))
	require.Equal(t, []primitive.MessageQueue{{Topic: "t", BrokerName: "b", QueueId: 2}, {Topic: "u", BrokerName: "c"}}, client.MQs)

	require.Equal(t, `{"lockOKMQSet":[]}`, string(AppendLockBatchResponseBodyJSON(nil, &LockBatchResponseBody{})))
}

func TestBodyConsumerList(t *testing.T) {
	b := &ConsumerListBody{ConsumerIDList: []string{"10.0.0.5@1", "10.0.0.6@2"}}
	golden := `{"consumerIdList":["10.0.0.5@1","10.0.0.6@2"]}`
	require.Equal(t, golden, string(AppendConsumerListBodyJSON(nil, b)))
	back, err := DecodeConsumerListBody([]byte(golden))
	require.NoError(t, err)
	require.Equal(t, b, back)

	require.Equal(t, `{"consumerIdList":[]}`, string(AppendConsumerListBodyJSON(nil, &ConsumerListBody{})))
	_, err = DecodeConsumerListBody([]byte(`{"consumerIdList":[1]}`))
	require.ErrorIs(t, err, ErrBadBody)
}

func TestBodyTopicAndGroupList(t *testing.T) {
	tl := &TopicList{TopicList: []string{"a", "b"}, BrokerAddr: "10.0.0.1:10911"}
	body := AppendTopicListJSON(nil, tl)
	require.Equal(t, `{"brokerAddr":"10.0.0.1:10911","topicList":["a","b"]}`, string(body))
	back, err := DecodeTopicList(body)
	require.NoError(t, err)
	require.Equal(t, tl, back)
	require.Equal(t, `{"topicList":["x"]}`, string(AppendTopicListJSON(nil, &TopicList{TopicList: []string{"x"}})))

	// The Go admin decodes it with encoding/json into its own TopicList.
	var client admin.TopicList
	_, err = client.Decode(body, &client)
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, client.TopicList)
	require.Equal(t, "10.0.0.1:10911", client.BrokerAddr)

	gl := &GroupList{GroupList: []string{"g1", "g2"}}
	body = AppendGroupListJSON(nil, gl)
	require.Equal(t, `{"groupList":["g1","g2"]}`, string(body))
	gback, err := DecodeGroupList(body)
	require.NoError(t, err)
	require.Equal(t, gl, gback)
	_, err = DecodeGroupList([]byte(`{"groupList":"g"}`))
	require.ErrorIs(t, err, ErrBadBody)
}

func TestBodyKVTable(t *testing.T) {
	kv := &KVTable{Table: map[string]string{"putTps": "1.5", "brokerVersion": "401", "a\"b": "\n"}}
	require.Equal(t, `{"table":{"a\"b":"\n","brokerVersion":"401","putTps":"1.5"}}`, string(AppendKVTableJSON(nil, kv)))
	require.Equal(t, `{"table":{}}`, string(AppendKVTableJSON(nil, &KVTable{})))
}

func TestBodyConsumerConnection(t *testing.T) {
	c := &ConsumerConnection{
		ConnectionSet: []Connection{{ClientID: "10.0.0.5@1", ClientAddr: "10.0.0.5:50000", Language: "GO", Version: 317}},
		SubscriptionTable: map[string]SubscriptionData{
			"t":          {Topic: "t", SubString: "A", TagsSet: []string{"A"}, CodeSet: []int32{65}, SubVersion: 7, ExpressionType: "TAG"},
			"%RETRY%grp": {Topic: "%RETRY%grp", SubString: "*", SubVersion: 7, ExpressionType: "TAG"},
		},
		ConsumeType:      ConsumeTypePassively,
		MessageModel:     MessageModelClustering,
		ConsumeFromWhere: ConsumeFromLastOffset,
	}
	golden := `{"connectionSet":[{"clientAddr":"10.0.0.5:50000","clientId":"10.0.0.5@1","language":"GO","version":317}],` +
		`"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING",` +
		`"subscriptionTable":{"%RETRY%grp":{"classFilterMode":false,"topic":"%RETRY%grp","subString":"*","tagsSet":[],` +
		`"codeSet":[],"subVersion":7,"expressionType":"TAG"},"t":{"classFilterMode":false,"topic":"t","subString":"A",` +
		`"tagsSet":["A"],"codeSet":[65],"subVersion":7,"expressionType":"TAG"}}}`
	body := AppendConsumerConnectionJSON(nil, c)
	require.Equal(t, golden, string(body))
	back, err := DecodeConsumerConnection(body)
	require.NoError(t, err)
	require.Equal(t, c, back)

	empty := AppendConsumerConnectionJSON(nil, &ConsumerConnection{})
	require.Equal(t, `{"connectionSet":[],"subscriptionTable":{}}`, string(empty))

	_, err = DecodeConsumerConnection([]byte(`{"subscriptionTable":{"t":{"codeSet":[false]}}}`))
	require.ErrorIs(t, err, ErrBadBody)
	require.ErrorContains(t, err, "codeSet")
}

func TestBodySubscriptionGroupConfig(t *testing.T) {
	// What Java's admin sends (fastjson, 5.x fields included).
	body := `{"brokerId":0,"consumeBroadcastEnable":true,"consumeEnable":false,"consumeFromMinEnable":true,` +
		`"consumeMessageOrderly":true,"consumeTimeoutMinute":15,"groupName":"cg","groupRetryPolicy":` +
		`{"type":"CUSTOMIZED","customizedRetryPolicy":{"maxDelay":7200000,"minDelay":1000}},"groupSysFlag":0,` +
		`"notifyConsumerIdsChangedEnable":true,"retryMaxTimes":3,"retryQueueNums":1,"whichBrokerWhenConsumeSlowly":1}`
	g, err := DecodeSubscriptionGroupConfig([]byte(body))
	require.NoError(t, err)
	want := configfile.NewSubscriptionGroupConfig("cg")
	want.ConsumeEnable = false
	want.ConsumeMessageOrderly = true
	want.RetryMaxTimes = 3
	want.Extra = map[string]json.RawMessage{
		"groupRetryPolicy": json.RawMessage(`{"type":"CUSTOMIZED","customizedRetryPolicy":{"maxDelay":7200000,"minDelay":1000}}`),
	}
	require.Equal(t, want, g)

	g, err = DecodeSubscriptionGroupConfig([]byte(`{"groupName":"x"}`))
	require.NoError(t, err)
	require.Equal(t, configfile.NewSubscriptionGroupConfig("x"), g, "missing fields take RocketMQ's defaults")

	for _, bad := range []string{``, `[]`, `"x"`, `{"retryMaxTimes":"many"}`, `{}}`, `{}},"forbiddenTable":{`, `{"a":1`} {
		_, err := DecodeSubscriptionGroupConfig([]byte(bad))
		require.ErrorIs(t, err, ErrBadBody, bad)
		require.ErrorContains(t, err, "SubscriptionGroupConfig", bad)
	}
}

func TestBodySubscriptionGroupWrapper(t *testing.T) {
	tbl := configfile.NewSubscriptionGroupTable()
	tbl.DataVersion = configfile.DataVersion{Counter: 3, StateVersion: 1, TimestampMs: 1700000000000}
	g := configfile.NewSubscriptionGroupConfig("cg")
	g.Extra = map[string]json.RawMessage{
		"attributes":    json.RawMessage(`{}`),
		"consumeEnable": json.RawMessage(`false`), // collides with a known field, which wins
		"zzz":           json.RawMessage(`[1]`),
	}
	tbl.Groups["cg"] = g
	tbl.Groups["a"] = configfile.NewSubscriptionGroupConfig("a")
	tbl.Forbidden["cg"] = map[string]int32{"t2": 2, "t1": 4}

	body := AppendSubscriptionGroupWrapperJSON(nil, tbl)
	group := func(name, extraA, extraZ string) string {
		return `{` + extraA + `"brokerId":0,"consumeBroadcastEnable":true,"consumeEnable":true,"consumeFromMinEnable":true,` +
			`"consumeMessageOrderly":false,"consumeTimeoutMinute":15,"groupName":"` + name + `","groupSysFlag":0,` +
			`"notifyConsumerIdsChangedEnable":true,"retryMaxTimes":16,"retryQueueNums":1,` +
			`"whichBrokerWhenConsumeSlowly":1` + extraZ + `}`
	}
	golden := `{"dataVersion":{"counter":3,"stateVersion":1,"timestamp":1700000000000},` +
		`"forbiddenTable":{"cg":{"t1":4,"t2":2}},"subscriptionGroupTable":{"a":` + group("a", "", "") +
		`,"cg":` + group("cg", `"attributes":{},`, `,"zzz":[1]`) + `}}`
	require.Equal(t, golden, string(body))

	// The Go admin decodes it with encoding/json into its own wrapper.
	var client admin.SubscriptionGroupWrapper
	_, err := client.Decode(body, &client)
	require.NoError(t, err)
	require.Equal(t, int32(3), client.DataVersion.Counter)
	require.Equal(t, 16, client.SubscriptionGroupTable["cg"].RetryMaxTimes)
	require.True(t, client.SubscriptionGroupTable["cg"].ConsumeEnable)

	// configfile reads it back too (it is subscriptionGroup.json's content).
	parsed, err := configfile.ParseSubscriptionGroups(body)
	require.NoError(t, err)
	require.Equal(t, tbl.DataVersion, parsed.DataVersion)
	require.Equal(t, tbl.Forbidden, parsed.Forbidden)
	require.Equal(t, tbl.Groups["a"], parsed.Groups["a"])

	empty := AppendSubscriptionGroupWrapperJSON(nil, &configfile.SubscriptionGroupTable{})
	require.Equal(t, `{"dataVersion":{"counter":0,"stateVersion":0,"timestamp":0},"forbiddenTable":{},"subscriptionGroupTable":{}}`, string(empty))
}

func TestBodyTagCodeText(t *testing.T) {
	var c tagCode
	require.NoError(t, json.Unmarshal([]byte(`"\u0031\u0032"`), &c), "escapes in a string are decoded first")
	require.Equal(t, tagCode(12), c)
	err := json.Unmarshal([]byte(`"`+strings.Repeat("9", 100)+`"`), &c)
	require.ErrorContains(t, err, "...", "long values are clipped in errors")
	require.Less(t, len(err.Error()), 2*maxQuotedBytes)
}

func FuzzDecodeHeartbeatData(f *testing.F) {
	for _, s := range []string{
		heartbeatGoJSON,
		heartbeatJavaJSON,
		`{"clientID":"c","producerDataSet":[],"consumerDataSet":[]}`,
		`{"consumerDataSet":[{"subscriptionDataSet":[{"codeSet":["1",2,null],"tagsSet":null}]}]}`,
		`{"clientID":"\ud800\u00e9","consumerDataSet":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		h, err := DecodeHeartbeatData(body)
		if err != nil {
			require.ErrorIs(t, err, ErrBadBody)
			require.Nil(t, h)
			return
		}
		// Encoding and decoding again gives the same value.
		again, err := DecodeHeartbeatData(EncodeHeartbeatData(h))
		require.NoError(t, err)
		require.Equal(t, h, again)
	})
}

func FuzzDecodeLockBatchRequestBody(f *testing.F) {
	for _, s := range []string{
		lockRequestGoJSON,
		`{"clientId":"cid","consumerGroup":"g","mqSet":[{"brokerName":"b","queueId":3,"topic":"t"}],"onlyThisBroker":true}`,
		`{"mqSet":null}`,
		`{"mqSet":[{"queueId":"0"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := DecodeLockBatchRequestBody(body)
		if err != nil {
			require.ErrorIs(t, err, ErrBadBody)
			require.Nil(t, b)
			return
		}
		again, err := DecodeLockBatchRequestBody(AppendLockBatchRequestBodyJSON(nil, b))
		require.NoError(t, err)
		require.Equal(t, b, again)

		resp := &LockBatchResponseBody{LockOKMQSet: b.MQSet}
		respAgain, err := DecodeLockBatchResponseBody(AppendLockBatchResponseBodyJSON(nil, resp))
		require.NoError(t, err)
		require.Equal(t, resp, respAgain)
	})
}

func TestKVTableRoundTrip(t *testing.T) {
	in := &KVTable{Table: map[string]string{"b": "2", "a": "x\"y"}}
	body := AppendKVTableJSON(nil, in)
	require.Equal(t, `{"table":{"a":"x\"y","b":"2"}}`, string(body))
	out, err := DecodeKVTable(body)
	require.NoError(t, err)
	require.Equal(t, in, out)
	for _, bad := range []string{``, `{`, `{"table":[1]}`, `{"table":{"a":1}}`, `null x`} {
		_, err := DecodeKVTable([]byte(bad))
		require.ErrorIs(t, err, ErrBadBody, bad)
	}
}

func TestSubscriptionGroupConfigRoundTrip(t *testing.T) {
	g := configfile.NewSubscriptionGroupConfig("g1")
	g.RetryMaxTimes = 3
	body := AppendSubscriptionGroupConfigJSON(nil, &g)
	got, err := DecodeSubscriptionGroupConfig(body)
	require.NoError(t, err)
	require.Equal(t, g, got)
}
