package remoting

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// headerCase is one typed header: its value, its extFields, and a decoder
// that turns extFields back into a value.
type headerCase struct {
	name   string
	value  interface{ ToExtFields() map[string]string }
	ext    map[string]string
	decode func(map[string]string) (any, error)
}

// decoder adapts a typed Decode function to headerCase.decode.
func decoder[T any](f func(map[string]string) (T, error)) func(map[string]string) (any, error) {
	return func(ext map[string]string) (any, error) { return f(ext) }
}

var headerCases = []headerCase{
	{
		name:   "GetRouteInfoRequestHeader",
		value:  GetRouteInfoRequestHeader{Topic: "TopicTest"},
		ext:    map[string]string{"topic": "TopicTest"},
		decode: decoder(DecodeGetRouteInfoRequestHeader),
	},
	{
		name: "RegisterBrokerRequestHeader",
		value: RegisterBrokerRequestHeader{
			BrokerName: "broker-a", BrokerAddr: "10.0.0.1:10911", ClusterName: "DefaultCluster",
			HAServerAddr: "10.0.0.1:10912", BrokerID: 1, HeartbeatTimeoutMillis: 120000,
			EnableActingMaster: true, Compressed: true, BodyCRC32: -123456,
		},
		ext: map[string]string{
			"brokerName": "broker-a", "brokerAddr": "10.0.0.1:10911", "clusterName": "DefaultCluster",
			"haServerAddr": "10.0.0.1:10912", "brokerId": "1", "heartbeatTimeoutMillis": "120000",
			"enableActingMaster": "true", "compressed": "true", "bodyCrc32": "-123456",
		},
		decode: decoder(DecodeRegisterBrokerRequestHeader),
	},
	{
		name: "RegisterBrokerRequestHeader without optional fields",
		value: RegisterBrokerRequestHeader{
			BrokerName: "b", BrokerAddr: "a:1", ClusterName: "c", HAServerAddr: "a:2",
		},
		ext: map[string]string{
			"brokerName": "b", "brokerAddr": "a:1", "clusterName": "c", "haServerAddr": "a:2",
			"brokerId": "0", "enableActingMaster": "false", "compressed": "false", "bodyCrc32": "0",
		},
		decode: decoder(DecodeRegisterBrokerRequestHeader),
	},
	{
		name:   "RegisterBrokerResponseHeader",
		value:  RegisterBrokerResponseHeader{HAServerAddr: "m:10912", MasterAddr: "m:10911"},
		ext:    map[string]string{"haServerAddr": "m:10912", "masterAddr": "m:10911"},
		decode: decoder(DecodeRegisterBrokerResponseHeader),
	},
	{
		name:   "RegisterBrokerResponseHeader empty",
		value:  RegisterBrokerResponseHeader{},
		ext:    map[string]string{},
		decode: decoder(DecodeRegisterBrokerResponseHeader),
	},
	{
		name:   "UnregisterBrokerRequestHeader",
		value:  UnregisterBrokerRequestHeader{BrokerName: "b", BrokerAddr: "a:1", ClusterName: "c", BrokerID: 2},
		ext:    map[string]string{"brokerName": "b", "brokerAddr": "a:1", "clusterName": "c", "brokerId": "2"},
		decode: decoder(DecodeUnregisterBrokerRequestHeader),
	},
	{
		name:   "DeleteTopicFromNamesrvRequestHeader",
		value:  DeleteTopicFromNamesrvRequestHeader{Topic: "t", ClusterName: "c"},
		ext:    map[string]string{"topic": "t", "clusterName": "c"},
		decode: decoder(DecodeDeleteTopicFromNamesrvRequestHeader),
	},
	{
		name:   "DeleteTopicFromNamesrvRequestHeader without cluster",
		value:  DeleteTopicFromNamesrvRequestHeader{Topic: "t"},
		ext:    map[string]string{"topic": "t"},
		decode: decoder(DecodeDeleteTopicFromNamesrvRequestHeader),
	},
	{
		name:   "WipeWritePermOfBrokerRequestHeader",
		value:  WipeWritePermOfBrokerRequestHeader{BrokerName: "b"},
		ext:    map[string]string{"brokerName": "b"},
		decode: decoder(DecodeWipeWritePermOfBrokerRequestHeader),
	},
	{
		name:   "WipeWritePermOfBrokerResponseHeader",
		value:  WipeWritePermOfBrokerResponseHeader{WipeTopicCount: 12},
		ext:    map[string]string{"wipeTopicCount": "12"},
		decode: decoder(DecodeWipeWritePermOfBrokerResponseHeader),
	},
	{
		name:   "AddWritePermOfBrokerRequestHeader",
		value:  AddWritePermOfBrokerRequestHeader{BrokerName: "b"},
		ext:    map[string]string{"brokerName": "b"},
		decode: decoder(DecodeAddWritePermOfBrokerRequestHeader),
	},
	{
		name:   "AddWritePermOfBrokerResponseHeader",
		value:  AddWritePermOfBrokerResponseHeader{AddTopicCount: 3},
		ext:    map[string]string{"addTopicCount": "3"},
		decode: decoder(DecodeAddWritePermOfBrokerResponseHeader),
	},
	{
		name:   "PutKVConfigRequestHeader",
		value:  PutKVConfigRequestHeader{Namespace: "ORDER_TOPIC_CONFIG", Key: "t", Value: "broker-a:4"},
		ext:    map[string]string{"namespace": "ORDER_TOPIC_CONFIG", "key": "t", "value": "broker-a:4"},
		decode: decoder(DecodePutKVConfigRequestHeader),
	},
	{
		name:   "GetKVConfigRequestHeader",
		value:  GetKVConfigRequestHeader{Namespace: "n", Key: "k"},
		ext:    map[string]string{"namespace": "n", "key": "k"},
		decode: decoder(DecodeGetKVConfigRequestHeader),
	},
	{
		name:   "GetKVConfigResponseHeader",
		value:  GetKVConfigResponseHeader{Value: "v"},
		ext:    map[string]string{"value": "v"},
		decode: decoder(DecodeGetKVConfigResponseHeader),
	},
	{
		name:   "GetKVConfigResponseHeader without value",
		value:  GetKVConfigResponseHeader{},
		ext:    map[string]string{},
		decode: decoder(DecodeGetKVConfigResponseHeader),
	},
	{
		name:   "DeleteKVConfigRequestHeader",
		value:  DeleteKVConfigRequestHeader{Namespace: "n", Key: "k"},
		ext:    map[string]string{"namespace": "n", "key": "k"},
		decode: decoder(DecodeDeleteKVConfigRequestHeader),
	},
	{
		name:   "GetTopicsByClusterRequestHeader",
		value:  GetTopicsByClusterRequestHeader{Cluster: "DefaultCluster"},
		ext:    map[string]string{"cluster": "DefaultCluster"},
		decode: decoder(DecodeGetTopicsByClusterRequestHeader),
	},
}

func TestTypedHeadersRoundTrip(t *testing.T) {
	for _, tt := range headerCases {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.ext, tt.value.ToExtFields())
			got, err := tt.decode(tt.ext)
			require.NoError(t, err)
			require.Equal(t, tt.value, got)

			// Through a whole frame in both serializations.
			for _, ser := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
				frame, err := AppendFrame(nil, &Command{Code: 1, ExtFields: tt.value.ToExtFields(), Serialize: ser})
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

func TestTypedHeadersRequireFields(t *testing.T) {
	required := map[string][]string{
		"GetRouteInfoRequestHeader":           {"topic"},
		"RegisterBrokerRequestHeader":         {"brokerName", "brokerAddr", "clusterName", "haServerAddr", "brokerId"},
		"UnregisterBrokerRequestHeader":       {"brokerName", "brokerAddr", "clusterName", "brokerId"},
		"DeleteTopicFromNamesrvRequestHeader": {"topic"},
		"WipeWritePermOfBrokerRequestHeader":  {"brokerName"},
		"WipeWritePermOfBrokerResponseHeader": {"wipeTopicCount"},
		"AddWritePermOfBrokerRequestHeader":   {"brokerName"},
		"AddWritePermOfBrokerResponseHeader":  {"addTopicCount"},
		"PutKVConfigRequestHeader":            {"namespace", "key", "value"},
		"GetKVConfigRequestHeader":            {"namespace", "key"},
		"DeleteKVConfigRequestHeader":         {"namespace", "key"},
		"GetTopicsByClusterRequestHeader":     {"cluster"},
	}
	for _, tt := range headerCases {
		keys, ok := required[tt.name]
		if !ok {
			continue
		}
		for _, key := range keys {
			t.Run(tt.name+"/"+key, func(t *testing.T) {
				ext := tt.value.ToExtFields()
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
}

func TestTypedHeadersOptionalFieldsMayBeAbsent(t *testing.T) {
	h, err := DecodeRegisterBrokerRequestHeader(map[string]string{
		"brokerName": "b", "brokerAddr": "a:1", "clusterName": "c", "haServerAddr": "", "brokerId": "0",
	})
	require.NoError(t, err, "an empty required string counts as present")
	require.Equal(t, RegisterBrokerRequestHeader{BrokerName: "b", BrokerAddr: "a:1", ClusterName: "c"}, h)

	d, err := DecodeDeleteTopicFromNamesrvRequestHeader(map[string]string{"topic": "t"})
	require.NoError(t, err)
	require.Equal(t, DeleteTopicFromNamesrvRequestHeader{Topic: "t"}, d)
}

func TestTypedHeadersBadValues(t *testing.T) {
	base := func() map[string]string {
		return RegisterBrokerRequestHeader{BrokerName: "b", BrokerAddr: "a:1", ClusterName: "c", HAServerAddr: "a:2"}.ToExtFields()
	}
	tests := []struct {
		key, value, msg string
	}{
		{"brokerId", "x", `field "brokerId": "x" is not an int64`},
		{"brokerId", "", `field "brokerId": "" is not an int64`},
		{"brokerId", "1.0", `"1.0" is not an int64`},
		{"brokerId", "99999999999999999999", "is not an int64"},
		{"heartbeatTimeoutMillis", "soon", `field "heartbeatTimeoutMillis": "soon" is not an int64`},
		{"bodyCrc32", "4294967295", `field "bodyCrc32": "4294967295" is not an int32`},
		{"compressed", "yes", `field "compressed": "yes" is not a boolean`},
		{"enableActingMaster", "1", `field "enableActingMaster": "1" is not a boolean`},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			ext := base()
			ext[tt.key] = tt.value
			_, err := DecodeRegisterBrokerRequestHeader(ext)
			require.ErrorIs(t, err, ErrInvalidParameter)
			require.Contains(t, err.Error(), "RegisterBrokerRequestHeader")
			require.Contains(t, err.Error(), tt.msg)
			code, ok := CodeOf(err)
			require.True(t, ok)
			require.Equal(t, ResInvalidParameter, code)
		})
	}

	_, err := DecodeWipeWritePermOfBrokerResponseHeader(map[string]string{"wipeTopicCount": "many"})
	require.ErrorIs(t, err, ErrInvalidParameter)
}

func TestTypedHeadersBooleansAnyCase(t *testing.T) {
	ext := RegisterBrokerRequestHeader{BrokerName: "b", BrokerAddr: "a:1", ClusterName: "c", HAServerAddr: "a:2"}.ToExtFields()
	ext["compressed"] = "TRUE"
	ext["enableActingMaster"] = "False"
	h, err := DecodeRegisterBrokerRequestHeader(ext)
	require.NoError(t, err)
	require.True(t, h.Compressed)
	require.False(t, h.EnableActingMaster)
}
