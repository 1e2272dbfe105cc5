package remoting

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// sendHeader is a fully populated send header; sendExtV1 and sendExtV2 are
// its extFields under both key sets.
var (
	sendHeader = SendMessageRequestHeader{
		ProducerGroup: "pg", Topic: "TopicTest", DefaultTopic: "TBW102", DefaultTopicQueueNums: 4,
		QueueID: 3, SysFlag: 4, BornTimestamp: 1700000000123, Flag: -7,
		Properties: "UNIQ_KEY\x01AC11\x02TAGS\x01TagA\x02", ReconsumeTimes: 2, UnitMode: true,
		MaxReconsumeTimes: 16, Batch: true, BrokerName: "broker-a",
	}
	sendExtV1 = map[string]string{
		"producerGroup": "pg", "topic": "TopicTest", "defaultTopic": "TBW102", "defaultTopicQueueNums": "4",
		"queueId": "3", "sysFlag": "4", "bornTimestamp": "1700000000123", "flag": "-7",
		"properties": "UNIQ_KEY\x01AC11\x02TAGS\x01TagA\x02", "reconsumeTimes": "2", "unitMode": "true",
		"maxReconsumeTimes": "16", "batch": "true", "bname": "broker-a",
	}
	sendExtV2 = map[string]string{
		"a": "pg", "b": "TopicTest", "c": "TBW102", "d": "4", "e": "3", "f": "4", "g": "1700000000123",
		"h": "-7", "i": "UNIQ_KEY\x01AC11\x02TAGS\x01TagA\x02", "j": "2", "k": "true", "l": "16",
		"m": "true", "n": "broker-a",
	}
)

var brokerHeaderCases = []headerCase{
	{
		name:   "SendMessageRequestHeader",
		value:  sendHeader,
		ext:    sendExtV1,
		decode: decoder(DecodeSendMessageRequestHeader),
	},
	{
		name: "SendMessageRequestHeader without optional fields",
		value: SendMessageRequestHeader{
			ProducerGroup: "pg", Topic: "t", DefaultTopic: "TBW102", DefaultTopicQueueNums: 4,
			MaxReconsumeTimes: MaxReconsumeTimesUnset,
		},
		ext: map[string]string{
			"producerGroup": "pg", "topic": "t", "defaultTopic": "TBW102", "defaultTopicQueueNums": "4",
			"queueId": "0", "sysFlag": "0", "bornTimestamp": "0", "flag": "0", "unitMode": "false", "batch": "false",
		},
		decode: decoder(DecodeSendMessageRequestHeader),
	},
	{
		name: "SendMessageResponseHeader",
		value: SendMessageResponseHeader{
			MsgID: "0A00000100002A9F0000000000000FA0", QueueID: 1, QueueOffset: 99,
			TransactionID: "tx", MsgRegion: "DefaultRegion", TraceOn: "false",
		},
		ext: map[string]string{
			"msgId": "0A00000100002A9F0000000000000FA0", "queueId": "1", "queueOffset": "99",
			"transactionId": "tx", "MSG_REGION": "DefaultRegion", "TRACE_ON": "false",
		},
		decode: decoder(DecodeSendMessageResponseHeader),
	},
	{
		name:   "SendMessageResponseHeader without optional fields",
		value:  SendMessageResponseHeader{MsgID: "m", QueueID: 0, QueueOffset: 0},
		ext:    map[string]string{"msgId": "m", "queueId": "0", "queueOffset": "0"},
		decode: decoder(DecodeSendMessageResponseHeader),
	},
	{
		name: "PullMessageRequestHeader",
		value: PullMessageRequestHeader{
			ConsumerGroup: "cg", Topic: "t", QueueID: 2, QueueOffset: 1000, MaxMsgNums: 32,
			SysFlag: PullFlagCommitOffset | PullFlagSuspend | PullFlagSubscription, CommitOffset: 990,
			SuspendTimeoutMillis: 20000, Subscription: "TagA || TagB", SubVersion: 1700000000000000000,
			ExpressionType: "TAG", BrokerName: "broker-a",
		},
		ext: map[string]string{
			"consumerGroup": "cg", "topic": "t", "queueId": "2", "queueOffset": "1000", "maxMsgNums": "32",
			"sysFlag": "7", "commitOffset": "990", "suspendTimeoutMillis": "20000",
			"subscription": "TagA || TagB", "subVersion": "1700000000000000000", "expressionType": "TAG",
			"bname": "broker-a",
		},
		decode: decoder(DecodePullMessageRequestHeader),
	},
	{
		name:  "PullMessageResponseHeader",
		value: PullMessageResponseHeader{SuggestWhichBrokerID: 1, NextBeginOffset: 1032, MinOffset: 0, MaxOffset: 5000},
		ext: map[string]string{
			"suggestWhichBrokerId": "1", "nextBeginOffset": "1032", "minOffset": "0", "maxOffset": "5000",
		},
		decode: decoder(DecodePullMessageResponseHeader),
	},
	{
		name:   "QueryConsumerOffsetRequestHeader",
		value:  QueryConsumerOffsetRequestHeader{ConsumerGroup: "cg", Topic: "t", QueueID: 1, BrokerName: "b"},
		ext:    map[string]string{"consumerGroup": "cg", "topic": "t", "queueId": "1", "bname": "b"},
		decode: decoder(DecodeQueryConsumerOffsetRequestHeader),
	},
	{
		name:   "QueryConsumerOffsetResponseHeader",
		value:  QueryConsumerOffsetResponseHeader{Offset: 42},
		ext:    map[string]string{"offset": "42"},
		decode: decoder(DecodeQueryConsumerOffsetResponseHeader),
	},
	{
		name:   "UpdateConsumerOffsetRequestHeader",
		value:  UpdateConsumerOffsetRequestHeader{ConsumerGroup: "cg", Topic: "t", QueueID: 1, CommitOffset: 77},
		ext:    map[string]string{"consumerGroup": "cg", "topic": "t", "queueId": "1", "commitOffset": "77"},
		decode: decoder(DecodeUpdateConsumerOffsetRequestHeader),
	},
	{
		name:   "GetMaxOffsetRequestHeader",
		value:  GetMaxOffsetRequestHeader{Topic: "t", QueueID: 3, BrokerName: "b"},
		ext:    map[string]string{"topic": "t", "queueId": "3", "bname": "b"},
		decode: decoder(DecodeGetMaxOffsetRequestHeader),
	},
	{
		name:   "GetMaxOffsetResponseHeader",
		value:  GetMaxOffsetResponseHeader{Offset: 500},
		ext:    map[string]string{"offset": "500"},
		decode: decoder(DecodeGetMaxOffsetResponseHeader),
	},
	{
		name:   "GetMinOffsetRequestHeader",
		value:  GetMinOffsetRequestHeader{Topic: "t", QueueID: 3},
		ext:    map[string]string{"topic": "t", "queueId": "3"},
		decode: decoder(DecodeGetMinOffsetRequestHeader),
	},
	{
		name:   "GetMinOffsetResponseHeader",
		value:  GetMinOffsetResponseHeader{Offset: 12},
		ext:    map[string]string{"offset": "12"},
		decode: decoder(DecodeGetMinOffsetResponseHeader),
	},
	{
		name:   "SearchOffsetRequestHeader",
		value:  SearchOffsetRequestHeader{Topic: "t", QueueID: 0, Timestamp: 1700000000000, BrokerName: "b"},
		ext:    map[string]string{"topic": "t", "queueId": "0", "timestamp": "1700000000000", "bname": "b"},
		decode: decoder(DecodeSearchOffsetRequestHeader),
	},
	{
		name:   "SearchOffsetResponseHeader",
		value:  SearchOffsetResponseHeader{Offset: 8},
		ext:    map[string]string{"offset": "8"},
		decode: decoder(DecodeSearchOffsetResponseHeader),
	},
	{
		name:   "GetEarliestMsgStoretimeRequestHeader",
		value:  GetEarliestMsgStoretimeRequestHeader{Topic: "t", QueueID: 5},
		ext:    map[string]string{"topic": "t", "queueId": "5"},
		decode: decoder(DecodeGetEarliestMsgStoretimeRequestHeader),
	},
	{
		name:   "GetEarliestMsgStoretimeResponseHeader",
		value:  GetEarliestMsgStoretimeResponseHeader{Timestamp: 1700000000000},
		ext:    map[string]string{"timestamp": "1700000000000"},
		decode: decoder(DecodeGetEarliestMsgStoretimeResponseHeader),
	},
	{
		name: "CreateTopicRequestHeader",
		value: CreateTopicRequestHeader{
			Topic: "t", DefaultTopic: "defaultTopic", ReadQueueNums: 8, WriteQueueNums: 8, Perm: 6,
			TopicFilterType: "SINGLE_TAG", TopicSysFlag: 1, Order: true, Attributes: "+message.type=NORMAL",
		},
		ext: map[string]string{
			"topic": "t", "defaultTopic": "defaultTopic", "readQueueNums": "8", "writeQueueNums": "8",
			"perm": "6", "topicFilterType": "SINGLE_TAG", "topicSysFlag": "1", "order": "true",
			"attributes": "+message.type=NORMAL",
		},
		decode: decoder(DecodeCreateTopicRequestHeader),
	},
	{
		name:   "DeleteTopicRequestHeader",
		value:  DeleteTopicRequestHeader{Topic: "t"},
		ext:    map[string]string{"topic": "t"},
		decode: decoder(DecodeDeleteTopicRequestHeader),
	},
	{
		name:   "GetConsumerListByGroupRequestHeader",
		value:  GetConsumerListByGroupRequestHeader{ConsumerGroup: "cg"},
		ext:    map[string]string{"consumerGroup": "cg"},
		decode: decoder(DecodeGetConsumerListByGroupRequestHeader),
	},
	{
		name:   "NotifyConsumerIdsChangedRequestHeader",
		value:  NotifyConsumerIdsChangedRequestHeader{ConsumerGroup: "cg"},
		ext:    map[string]string{"consumerGroup": "cg"},
		decode: decoder(DecodeNotifyConsumerIdsChangedRequestHeader),
	},
	{
		name:   "UnregisterClientRequestHeader",
		value:  UnregisterClientRequestHeader{ClientID: "10.0.0.5@123", ProducerGroup: "pg", ConsumerGroup: "cg"},
		ext:    map[string]string{"clientID": "10.0.0.5@123", "producerGroup": "pg", "consumerGroup": "cg"},
		decode: decoder(DecodeUnregisterClientRequestHeader),
	},
	{
		name:   "DeleteSubscriptionGroupRequestHeader",
		value:  DeleteSubscriptionGroupRequestHeader{GroupName: "cg", CleanOffset: true},
		ext:    map[string]string{"groupName": "cg", "cleanOffset": "true"},
		decode: decoder(DecodeDeleteSubscriptionGroupRequestHeader),
	},
	{
		name:   "GetTopicStatsInfoRequestHeader",
		value:  GetTopicStatsInfoRequestHeader{Topic: "t"},
		ext:    map[string]string{"topic": "t"},
		decode: decoder(DecodeGetTopicStatsInfoRequestHeader),
	},
	{
		name:   "GetConsumeStatsRequestHeader",
		value:  GetConsumeStatsRequestHeader{ConsumerGroup: "cg", Topic: "t"},
		ext:    map[string]string{"consumerGroup": "cg", "topic": "t"},
		decode: decoder(DecodeGetConsumeStatsRequestHeader),
	},
	{
		name:   "GetConsumerConnectionListRequestHeader",
		value:  GetConsumerConnectionListRequestHeader{ConsumerGroup: "cg"},
		ext:    map[string]string{"consumerGroup": "cg"},
		decode: decoder(DecodeGetConsumerConnectionListRequestHeader),
	},
	{
		name: "QueryMessageRequestHeader",
		value: QueryMessageRequestHeader{
			Topic: "t", Key: "order-7", MaxNum: 64, BeginTimestamp: 1700000000000, EndTimestamp: 1700000900000,
		},
		ext: map[string]string{
			"topic": "t", "key": "order-7", "maxNum": "64", "beginTimestamp": "1700000000000",
			"endTimestamp": "1700000900000",
		},
		decode: decoder(DecodeQueryMessageRequestHeader),
	},
	{
		name:   "QueryMessageResponseHeader",
		value:  QueryMessageResponseHeader{IndexLastUpdateTimestamp: 1700000000000, IndexLastUpdatePhyoffset: 4096},
		ext:    map[string]string{"indexLastUpdateTimestamp": "1700000000000", "indexLastUpdatePhyoffset": "4096"},
		decode: decoder(DecodeQueryMessageResponseHeader),
	},
	{
		name:   "ViewMessageByIDRequestHeader",
		value:  ViewMessageByIDRequestHeader{Offset: 123456},
		ext:    map[string]string{"offset": "123456"},
		decode: decoder(DecodeViewMessageByIDRequestHeader),
	},
	{
		name: "ConsumerSendMsgBackRequestHeader",
		value: ConsumerSendMsgBackRequestHeader{
			Offset: 4096, Group: "cg", DelayLevel: 0, OriginMsgID: "AC11", OriginTopic: "t",
			UnitMode: false, MaxReconsumeTimes: 16, BrokerName: "b",
		},
		ext: map[string]string{
			"offset": "4096", "group": "cg", "delayLevel": "0", "originMsgId": "AC11", "originTopic": "t",
			"unitMode": "false", "maxReconsumeTimes": "16", "bname": "b",
		},
		decode: decoder(DecodeConsumerSendMsgBackRequestHeader),
	},
	{
		name: "ConsumerSendMsgBackRequestHeader without optional fields",
		value: ConsumerSendMsgBackRequestHeader{
			Offset: 1, Group: "cg", DelayLevel: -1, MaxReconsumeTimes: MaxReconsumeTimesUnset,
		},
		ext:    map[string]string{"offset": "1", "group": "cg", "delayLevel": "-1", "unitMode": "false"},
		decode: decoder(DecodeConsumerSendMsgBackRequestHeader),
	},
	{
		name: "EndTransactionRequestHeader",
		value: EndTransactionRequestHeader{
			ProducerGroup: "pg", TranStateTableOffset: 5, CommitLogOffset: 8192,
			CommitOrRollback: TransactionCommitType, FromTransactionCheck: true, MsgID: "AC11",
			TransactionID: "tx", BrokerName: "b",
		},
		ext: map[string]string{
			"producerGroup": "pg", "tranStateTableOffset": "5", "commitLogOffset": "8192",
			"commitOrRollback": "8", "fromTransactionCheck": "true", "msgId": "AC11", "transactionId": "tx",
			"bname": "b",
		},
		decode: decoder(DecodeEndTransactionRequestHeader),
	},
	{
		name: "CheckTransactionStateRequestHeader",
		value: CheckTransactionStateRequestHeader{
			TranStateTableOffset: 5, CommitLogOffset: 8192, MsgID: "AC11", TransactionID: "tx",
			OffsetMsgID: "0A00000100002A9F0000000000002000",
		},
		ext: map[string]string{
			"tranStateTableOffset": "5", "commitLogOffset": "8192", "msgId": "AC11", "transactionId": "tx",
			"offsetMsgId": "0A00000100002A9F0000000000002000",
		},
		decode: decoder(DecodeCheckTransactionStateRequestHeader),
	},
	{
		name:   "CheckTransactionStateRequestHeader without optional fields",
		value:  CheckTransactionStateRequestHeader{TranStateTableOffset: 1, CommitLogOffset: 2},
		ext:    map[string]string{"tranStateTableOffset": "1", "commitLogOffset": "2"},
		decode: decoder(DecodeCheckTransactionStateRequestHeader),
	},
}

// brokerRequiredKeys lists the required extFields of each header, as the
// Java classes mark them @CFNotNull.
var brokerRequiredKeys = map[string][]string{
	"SendMessageRequestHeader": {"producerGroup", "topic", "defaultTopic", "defaultTopicQueueNums",
		"queueId", "sysFlag", "bornTimestamp", "flag"},
	"SendMessageResponseHeader": {"msgId", "queueId", "queueOffset"},
	"PullMessageRequestHeader": {"consumerGroup", "topic", "queueId", "queueOffset", "maxMsgNums", "sysFlag",
		"commitOffset", "suspendTimeoutMillis", "subVersion"},
	"PullMessageResponseHeader":              {"suggestWhichBrokerId", "nextBeginOffset", "minOffset", "maxOffset"},
	"QueryConsumerOffsetRequestHeader":       {"consumerGroup", "topic", "queueId"},
	"QueryConsumerOffsetResponseHeader":      {"offset"},
	"UpdateConsumerOffsetRequestHeader":      {"consumerGroup", "topic", "queueId", "commitOffset"},
	"GetMaxOffsetRequestHeader":              {"topic", "queueId"},
	"GetMaxOffsetResponseHeader":             {"offset"},
	"GetMinOffsetRequestHeader":              {"topic", "queueId"},
	"GetMinOffsetResponseHeader":             {"offset"},
	"SearchOffsetRequestHeader":              {"topic", "queueId", "timestamp"},
	"SearchOffsetResponseHeader":             {"offset"},
	"GetEarliestMsgStoretimeRequestHeader":   {"topic", "queueId"},
	"GetEarliestMsgStoretimeResponseHeader":  {"timestamp"},
	"CreateTopicRequestHeader":               {"topic", "defaultTopic", "readQueueNums", "writeQueueNums", "perm", "topicFilterType", "order"},
	"DeleteTopicRequestHeader":               {"topic"},
	"GetConsumerListByGroupRequestHeader":    {"consumerGroup"},
	"NotifyConsumerIdsChangedRequestHeader":  {"consumerGroup"},
	"UnregisterClientRequestHeader":          {"clientID"},
	"DeleteSubscriptionGroupRequestHeader":   {"groupName"},
	"GetTopicStatsInfoRequestHeader":         {"topic"},
	"GetConsumeStatsRequestHeader":           {"consumerGroup"},
	"GetConsumerConnectionListRequestHeader": {"consumerGroup"},
	"QueryMessageRequestHeader":              {"topic", "key", "maxNum", "beginTimestamp", "endTimestamp"},
	"QueryMessageResponseHeader":             {"indexLastUpdateTimestamp", "indexLastUpdatePhyoffset"},
	"ViewMessageByIDRequestHeader":           {"offset"},
	"ConsumerSendMsgBackRequestHeader":       {"offset", "group", "delayLevel"},
	"EndTransactionRequestHeader": {"producerGroup", "tranStateTableOffset", "commitLogOffset",
		"commitOrRollback", "msgId"},
	"CheckTransactionStateRequestHeader": {"tranStateTableOffset", "commitLogOffset"},
}

func TestBrokerHeadersRoundTrip(t *testing.T) {
	for _, tt := range brokerHeaderCases {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.ext, tt.value.ToExtFields())
			got, err := tt.decode(tt.ext)
			require.NoError(t, err)
			require.Equal(t, tt.value, got)

			for _, ser := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
				frame, err := AppendFrame(nil, &Command{Code: ReqSendMessage, ExtFields: tt.value.ToExtFields(), Serialize: ser})
				require.NoError(t, err)
				c, err := DecodeFrame(frame)
				require.NoError(t, err)
				got, err := tt.decode(c.ExtFields)
				require.NoError(t, err)
				require.Equal(t, tt.value, got)
			}
		})
	}
}

func TestBrokerHeadersRequireFields(t *testing.T) {
	covered := map[string]bool{}
	for _, tt := range brokerHeaderCases {
		keys, ok := brokerRequiredKeys[tt.name]
		if !ok {
			continue
		}
		covered[tt.name] = true
		for _, key := range keys {
			t.Run(tt.name+"/"+key, func(t *testing.T) {
				ext := tt.value.ToExtFields()
				require.Contains(t, ext, key, "ToExtFields always writes a required field")
				delete(ext, key)
				_, err := tt.decode(ext)
				require.ErrorIs(t, err, ErrInvalidParameter)
				require.Contains(t, err.Error(), `field "`+key+`": missing`)
			})
		}
		t.Run(tt.name+"/nil extFields", func(t *testing.T) {
			_, err := tt.decode(nil)
			require.ErrorIs(t, err, ErrInvalidParameter)
		})
	}
	require.Len(t, covered, len(brokerRequiredKeys), "every header in the list has a case")
}

// brokerTextKeys are string fields whose test values look like numbers or
// booleans.
var brokerTextKeys = map[string]bool{"TRACE_ON": true}

func TestBrokerHeadersBadValues(t *testing.T) {
	for _, tt := range brokerHeaderCases {
		for key, v := range tt.ext {
			if brokerTextKeys[key] {
				continue
			}
			var bad, want string
			if _, err := strconv.ParseInt(v, 10, 64); err == nil {
				bad, want = "12x", "is not an int"
			} else if v == "true" || v == "false" {
				bad, want = "yes", "is not a boolean"
			} else {
				continue
			}
			t.Run(tt.name+"/"+key, func(t *testing.T) {
				ext := tt.value.ToExtFields()
				ext[key] = bad
				_, err := tt.decode(ext)
				require.ErrorIs(t, err, ErrInvalidParameter)
				require.Contains(t, err.Error(), `field "`+key+`": "`+bad+`" `+want)
				code, ok := CodeOf(err)
				require.True(t, ok)
				require.Equal(t, ResInvalidParameter, code)
			})
		}
	}
}

func TestBrokerHeadersNumberRanges(t *testing.T) {
	ext := sendHeader.ToExtFields()
	ext["queueId"] = "2147483648"
	_, err := DecodeSendMessageRequestHeader(ext)
	require.ErrorContains(t, err, `field "queueId": "2147483648" is not an int32`)

	ext = sendHeader.ToExtFields()
	ext["bornTimestamp"] = "9223372036854775808"
	_, err = DecodeSendMessageRequestHeader(ext)
	require.ErrorContains(t, err, `field "bornTimestamp": "9223372036854775808" is not an int64`)

	ext = sendHeader.ToExtFields()
	ext["queueId"] = "-2147483648"
	ext["bornTimestamp"] = "+5"
	h, err := DecodeSendMessageRequestHeader(ext)
	require.NoError(t, err, "Java's parseInt accepts a leading plus")
	require.Equal(t, int32(-2147483648), h.QueueID)
	require.Equal(t, int64(5), h.BornTimestamp)
}

func TestBrokerSendHeaderV1AndV2(t *testing.T) {
	require.Equal(t, sendExtV2, sendHeader.ToExtFieldsV2())
	v1, err := DecodeSendMessageRequestHeader(sendExtV1)
	require.NoError(t, err)
	v2, err := DecodeSendMessageRequestHeaderV2(sendExtV2)
	require.NoError(t, err)
	require.Equal(t, v1, v2)
	require.Equal(t, sendHeader, v2)

	// Every V1 key has its letter, and the two sets carry the same values.
	v1Keys := sendHeader.ToExtFields()
	v2Keys := sendHeader.ToExtFieldsV2()
	require.Len(t, v2Keys, len(v1Keys))
	k1, k2 := reflect.ValueOf(sendKeysV1), reflect.ValueOf(sendKeysV2)
	for i := 1; i < k1.NumField(); i++ { // field 0 is the header's name
		long, letter := k1.Field(i).String(), k2.Field(i).String()
		require.Contains(t, v1Keys, long)
		require.Equal(t, v1Keys[long], v2Keys[letter], "%s vs %s", long, letter)
	}

	// A missing V2 field is named by its letter and the V2 class.
	ext := sendHeader.ToExtFieldsV2()
	delete(ext, "d")
	_, err = DecodeSendMessageRequestHeaderV2(ext)
	require.ErrorIs(t, err, ErrInvalidParameter)
	require.ErrorContains(t, err, `SendMessageRequestHeaderV2: field "d": missing`)

	// The V2 decoder does not read long keys.
	_, err = DecodeSendMessageRequestHeaderV2(sendExtV1)
	require.ErrorContains(t, err, `field "a": missing`)
}

func TestBrokerSendHeaderMaxReconsumeTimes(t *testing.T) {
	ext := sendHeader.ToExtFields()
	delete(ext, "maxReconsumeTimes")
	h, err := DecodeSendMessageRequestHeader(ext)
	require.NoError(t, err)
	require.Equal(t, MaxReconsumeTimesUnset, h.MaxReconsumeTimes, "absent is not 0: 0 means straight to the DLQ")
	require.NotContains(t, h.ToExtFields(), "maxReconsumeTimes")

	ext["maxReconsumeTimes"] = "0"
	h, err = DecodeSendMessageRequestHeader(ext)
	require.NoError(t, err)
	require.Equal(t, int32(0), h.MaxReconsumeTimes)
	require.Equal(t, "0", h.ToExtFields()["maxReconsumeTimes"])
}

func TestBrokerSendHeaderForCode(t *testing.T) {
	tests := []struct {
		name string
		code int32
		ext  map[string]string
	}{
		{"SEND_MESSAGE", ReqSendMessage, sendExtV1},
		{"SEND_REPLY_MESSAGE", ReqSendReplyMessage, sendExtV1},
		{"SEND_MESSAGE_V2", ReqSendMessageV2, sendExtV2},
		{"SEND_BATCH_MESSAGE", ReqSendBatchMessage, sendExtV2},
		{"SEND_REPLY_MESSAGE_V2", ReqSendReplyMessageV2, sendExtV2},
		{"SEND_BATCH_MESSAGE with long keys", ReqSendBatchMessage, sendExtV1},
		{"SEND_MESSAGE_V2 with long keys", ReqSendMessageV2, sendExtV1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := DecodeSendMessageRequestHeaderFor(tt.code, tt.ext)
			require.NoError(t, err)
			require.Equal(t, sendHeader, h)
		})
	}

	_, err := DecodeSendMessageRequestHeaderFor(ReqSendMessage, sendExtV2)
	require.ErrorContains(t, err, `SendMessageRequestHeader: field "producerGroup": missing`, "code 10 reads only long keys")

	_, err = DecodeSendMessageRequestHeaderFor(ReqSendBatchMessage, map[string]string{})
	require.ErrorContains(t, err, `SendMessageRequestHeaderV2: field "a": missing`)

	_, err = DecodeSendMessageRequestHeaderFor(ReqPullMessage, sendExtV1)
	require.ErrorIs(t, err, ErrRequestCodeNotSupported)
	require.ErrorContains(t, err, "PULL_MESSAGE (11)")
}

// The extFields below are what rocketmq-client-go's encoders
// (internal/request.go) produce: every key always present, empty strings
// for unset ones.
func TestBrokerHeadersFromGoClient(t *testing.T) {
	send, err := DecodeSendMessageRequestHeaderFor(ReqSendMessage, map[string]string{
		"producerGroup": "pg", "topic": "t", "queueId": "1", "sysFlag": "0", "bornTimestamp": "1700000000000",
		"flag": "0", "reconsumeTimes": "0", "unitMode": "false", "maxReconsumeTimes": "0",
		"defaultTopic": "TBW102", "defaultTopicQueueNums": "4", "batch": "false",
		"properties": "UNIQ_KEY\x01X\x02", "bname": "",
	})
	require.NoError(t, err)
	require.Equal(t, SendMessageRequestHeader{
		ProducerGroup: "pg", Topic: "t", DefaultTopic: "TBW102", DefaultTopicQueueNums: 4, QueueID: 1,
		BornTimestamp: 1700000000000, Properties: "UNIQ_KEY\x01X\x02",
	}, send)

	batch, err := DecodeSendMessageRequestHeaderFor(ReqSendBatchMessage, map[string]string{
		"a": "pg", "b": "t", "c": "TBW102", "d": "4", "e": "0", "f": "0", "g": "1700000000000", "h": "0",
		"i": "", "j": "0", "k": "false", "l": "0", "m": "true", "n": "broker-a",
	})
	require.NoError(t, err)
	require.True(t, batch.Batch)
	require.Equal(t, "broker-a", batch.BrokerName)

	pull, err := DecodePullMessageRequestHeader(map[string]string{
		"consumerGroup": "cg", "topic": "t", "queueId": "0", "queueOffset": "0", "maxMsgNums": "32",
		"sysFlag": "2", "commitOffset": "0", "suspendTimeoutMillis": "20000", "subscription": "",
		"subVersion": "0", "expressionType": "TAG", "bname": "broker-a",
	})
	require.NoError(t, err)
	require.Equal(t, PullFlagSuspend, pull.SysFlag)
	require.Equal(t, int64(20000), pull.SuspendTimeoutMillis)

	end, err := DecodeEndTransactionRequestHeader(map[string]string{
		"producerGroup": "pg", "tranStateTableOffset": "3", "commitLogOffset": "4096",
		"commitOrRollback": "12", "fromTransactionCheck": "false", "msgId": "AC11", "transactionId": "",
		"bname": "broker-a",
	})
	require.NoError(t, err)
	require.Equal(t, TransactionRollbackType, end.CommitOrRollback)

	back, err := DecodeConsumerSendMsgBackRequestHeader(map[string]string{
		"group": "cg", "offset": "4096", "delayLevel": "0", "originMsgId": "AC11", "originTopic": "t",
		"unitMode": "false", "maxReconsumeTimes": "16", "bname": "broker-a",
	})
	require.NoError(t, err)
	require.Equal(t, int32(16), back.MaxReconsumeTimes)

	create, err := DecodeCreateTopicRequestHeader(map[string]string{
		"topic": "t", "defaultTopic": "defaultTopic", "readQueueNums": "8", "writeQueueNums": "8",
		"perm": "6", "topicFilterType": "SINGLE_TAG", "topicSysFlag": "0", "order": "FALSE",
	})
	require.NoError(t, err)
	require.False(t, create.Order)
	require.Equal(t, int32(6), create.Perm)
}

func TestBrokerHeadersErrorsNameTheJavaClass(t *testing.T) {
	_, err := DecodeViewMessageByIDRequestHeader(map[string]string{})
	require.ErrorContains(t, err, "ViewMessageRequestHeader")
	for _, tt := range brokerHeaderCases {
		if _, ok := brokerRequiredKeys[tt.name]; !ok {
			continue
		}
		_, err := tt.decode(map[string]string{})
		require.Error(t, err)
		class := strings.Replace(tt.name, "ViewMessageByID", "ViewMessage", 1)
		require.Contains(t, err.Error(), class+": ", tt.name)
	}
}
