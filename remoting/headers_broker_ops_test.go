package remoting

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

var opsHeaderCases = []headerCase{
	{
		name:   "GetConsumerRunningInfoRequestHeader",
		value:  GetConsumerRunningInfoRequestHeader{ConsumerGroup: "cg", ClientID: "10.0.0.1@1", JstackEnable: true},
		ext:    map[string]string{"consumerGroup": "cg", "clientId": "10.0.0.1@1", "jstackEnable": "true"},
		decode: decoder(DecodeGetConsumerRunningInfoRequestHeader),
	},
	{
		name: "ConsumeMessageDirectlyResultRequestHeader",
		value: ConsumeMessageDirectlyResultRequestHeader{
			ConsumerGroup: "cg", ClientID: "cid", MsgID: "7F00000100002A9F0000000000000000",
			BrokerName: "broker-a", Topic: "t", TopicSysFlag: 1, GroupSysFlag: 2,
		},
		ext: map[string]string{
			"consumerGroup": "cg", "clientId": "cid", "msgId": "7F00000100002A9F0000000000000000",
			"brokerName": "broker-a", "topic": "t", "topicSysFlag": "1", "groupSysFlag": "2",
		},
		decode: decoder(DecodeConsumeMessageDirectlyResultRequestHeader),
	},
	{
		name:   "ConsumeMessageDirectlyResultRequestHeader without optional fields",
		value:  ConsumeMessageDirectlyResultRequestHeader{ConsumerGroup: "cg"},
		ext:    map[string]string{"consumerGroup": "cg"},
		decode: decoder(DecodeConsumeMessageDirectlyResultRequestHeader),
	},
	{
		name: "ResetOffsetRequestHeader",
		value: ResetOffsetRequestHeader{Topic: "t", Group: "cg", QueueID: 3, Offset: 42,
			Timestamp: 1700000000000, IsForce: true},
		ext: map[string]string{"topic": "t", "group": "cg", "queueId": "3", "offset": "42",
			"timestamp": "1700000000000", "isForce": "true"},
		decode: decoder(DecodeResetOffsetRequestHeader),
	},
	{
		name: "ResetOffsetRequestHeader of every queue",
		value: ResetOffsetRequestHeader{Topic: "t", Group: "cg", QueueID: ResetAllQueues, Offset: ResetOffsetUnset,
			Timestamp: -1},
		ext:    map[string]string{"topic": "t", "group": "cg", "timestamp": "-1", "isForce": "false"},
		decode: decoder(DecodeResetOffsetRequestHeader),
	},
	{
		name:   "GetConsumerStatusRequestHeader",
		value:  GetConsumerStatusRequestHeader{Topic: "t", Group: "cg", ClientAddr: "cid"},
		ext:    map[string]string{"topic": "t", "group": "cg", "clientAddr": "cid"},
		decode: decoder(DecodeGetConsumerStatusRequestHeader),
	},
	{
		name:   "GetConsumerStatusRequestHeader without a client",
		value:  GetConsumerStatusRequestHeader{Topic: "t", Group: "cg"},
		ext:    map[string]string{"topic": "t", "group": "cg"},
		decode: decoder(DecodeGetConsumerStatusRequestHeader),
	},
}

// opsRequiredKeys are the @CFNotNull fields of each header, by case name.
var opsRequiredKeys = map[string][]string{
	"GetConsumerRunningInfoRequestHeader":       {"consumerGroup", "clientId"},
	"ConsumeMessageDirectlyResultRequestHeader": {"consumerGroup"},
	"ResetOffsetRequestHeader":                  {"topic", "group", "timestamp", "isForce"},
	"GetConsumerStatusRequestHeader":            {"topic", "group"},
}

func TestOpsHeadersRoundTrip(t *testing.T) {
	for _, tt := range opsHeaderCases {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.ext, tt.value.ToExtFields())
			got, err := tt.decode(tt.ext)
			require.NoError(t, err)
			require.Equal(t, tt.value, got)
			for _, ser := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
				frame, err := AppendFrame(nil, &Command{Code: ReqInvokeBrokerToResetOffset, ExtFields: tt.value.ToExtFields(), Serialize: ser})
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

func TestOpsHeadersRequireFields(t *testing.T) {
	covered := 0
	for _, tt := range opsHeaderCases {
		keys, ok := opsRequiredKeys[tt.name]
		if !ok {
			continue
		}
		covered++
		for _, key := range keys {
			t.Run(tt.name+"/"+key, func(t *testing.T) {
				ext := tt.value.ToExtFields()
				require.Contains(t, ext, key, "ToExtFields always writes a required field")
				delete(ext, key)
				_, err := tt.decode(ext)
				require.ErrorIs(t, err, ErrInvalidParameter)
				require.ErrorContains(t, err, `field "`+key+`": missing`)
				require.ErrorContains(t, err, tt.name)
			})
		}
	}
	require.Equal(t, len(opsRequiredKeys), covered, "every header in the list has a case")
}

func TestOpsHeadersBadValues(t *testing.T) {
	for _, tt := range opsHeaderCases {
		for key, v := range tt.ext {
			var bad, want string
			if _, err := strconv.ParseInt(v, 10, 64); err == nil {
				bad, want = "7z", "is not an int"
			} else if v == "true" || v == "false" {
				bad, want = "maybe", "is not a boolean"
			} else {
				continue
			}
			t.Run(tt.name+"/"+key, func(t *testing.T) {
				ext := tt.value.ToExtFields()
				ext[key] = bad
				_, err := tt.decode(ext)
				require.ErrorIs(t, err, ErrInvalidParameter)
				require.ErrorContains(t, err, `field "`+key+`": "`+bad+`" `+want)
			})
		}
	}
}

// The Go client's RESET_CONSUMER_CLIENT_OFFSET header (topic, group,
// timestamp) reads the fields the broker writes; the broker's own request
// from Java's admin carries isForce as "isForce".
func TestOpsResetHeaderFromJavaAdmin(t *testing.T) {
	h, err := DecodeResetOffsetRequestHeader(map[string]string{
		"topic": "t", "group": "cg", "timestamp": "1700000000000", "isForce": "TRUE", "queueId": "-1",
	})
	require.NoError(t, err)
	require.Equal(t, ResetOffsetRequestHeader{Topic: "t", Group: "cg", QueueID: ResetAllQueues,
		Offset: ResetOffsetUnset, Timestamp: 1700000000000, IsForce: true}, h)
}
