package remoting

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBodyConsumerStatusFromGoClient(t *testing.T) {
	// rocketmq-client-go's ConsumerStatus.Encode: json.Marshal of each
	// primitive.MessageQueue as the key, fields in struct order.
	body := `{"messageQueueTable":{{"topic":"t","brokerName":"b","queueId":0}:5,{"topic":"t","brokerName":"b","queueId":1}:7}}`
	got, err := DecodeGetConsumerStatusBody([]byte(body))
	require.NoError(t, err)
	require.Equal(t, &GetConsumerStatusBody{
		MessageQueueTable: map[MessageQueue]int64{
			{Topic: "t", BrokerName: "b", QueueID: 0}: 5,
			{Topic: "t", BrokerName: "b", QueueID: 1}: 7,
		},
		ConsumerTable: map[string]map[MessageQueue]int64{},
	}, got)

	empty, err := DecodeGetConsumerStatusBody([]byte(`{"messageQueueTable":{}}`))
	require.NoError(t, err)
	require.Empty(t, empty.MessageQueueTable)
	require.NotNil(t, empty.MessageQueueTable)
}

func TestBodyConsumerStatusRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		body   *GetConsumerStatusBody
		golden string
	}{
		{
			name: "broker answer",
			body: &GetConsumerStatusBody{
				MessageQueueTable: map[MessageQueue]int64{},
				ConsumerTable: map[string]map[MessageQueue]int64{
					"cid-2": {},
					"cid-1": {{Topic: "t", BrokerName: "b", QueueID: 1}: 9, {Topic: "t", BrokerName: "b", QueueID: 0}: 5},
				},
			},
			golden: `{"consumerTable":{"cid-1":{{"brokerName":"b","queueId":0,"topic":"t"}:5,` +
				`{"brokerName":"b","queueId":1,"topic":"t"}:9},"cid-2":{}},"messageQueueTable":{}}`,
		},
		{
			name: "client answer",
			body: &GetConsumerStatusBody{
				MessageQueueTable: map[MessageQueue]int64{{Topic: "u", BrokerName: "a", QueueID: 3}: -1},
				ConsumerTable:     map[string]map[MessageQueue]int64{},
			},
			golden: `{"consumerTable":{},"messageQueueTable":{{"brokerName":"a","queueId":3,"topic":"u"}:-1}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := AppendGetConsumerStatusBodyJSON(nil, tt.body)
			require.Equal(t, tt.golden, string(body))
			back, err := DecodeGetConsumerStatusBody(body)
			require.NoError(t, err)
			require.Equal(t, tt.body, back)
		})
	}
}

func TestBodyConsumerStatusGarbage(t *testing.T) {
	tests := []struct{ name, body, msg string }{
		{"empty", ``, "unexpected end of the body"},
		{"not an object", `[1]`, "cannot unmarshal"},
		{"truncated", `{"consumerTable":{"c":{{"topic":"t"}:1`, "unexpected end of the body"},
		{"table of numbers", `{"messageQueueTable":5}`, "offsetTable is not a map"},
		{"client table keyed by strings", `{"consumerTable":{"c":{"x":1}}}`, `consumerTable["c"]`},
		{"bad offset", `{"consumerTable":{"c":{{"queueId":0}:"x"}}}`, "value"},
		{"bad queue", `{"messageQueueTable":[[{"queueId":"x"},1]]}`, "queue"},
		{"deep", strings.Repeat(`{"a":`, MaxBodyJSONDepth+1), "nesting deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeGetConsumerStatusBody([]byte(tt.body))
			require.ErrorIs(t, err, ErrBadBody)
			require.ErrorContains(t, err, "GetConsumerStatusBody")
			require.ErrorContains(t, err, tt.msg)
		})
	}
}

func FuzzDecodeGetConsumerStatusBody(f *testing.F) {
	f.Add([]byte(`{"messageQueueTable":{{"topic":"t","brokerName":"b","queueId":0}:5}}`))
	f.Add([]byte(`{"consumerTable":{"cid":{{"brokerName":"b","queueId":0,"topic":"t"}:5}},"messageQueueTable":{}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := DecodeGetConsumerStatusBody(body)
		if err != nil {
			require.ErrorIs(t, err, ErrBadBody)
			return
		}
		again, err := DecodeGetConsumerStatusBody(AppendGetConsumerStatusBodyJSON(nil, b))
		require.NoError(t, err)
		require.Equal(t, b, again)
	})
}
