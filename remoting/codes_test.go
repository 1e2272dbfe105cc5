package remoting

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResponseCodesOneToOne(t *testing.T) {
	seenCode := map[int32]bool{}
	seenName := map[string]bool{}
	seenErr := map[error]int32{}
	for _, r := range responseCodes {
		require.False(t, seenCode[r.code], "code %d listed twice", r.code)
		require.False(t, seenName[r.name], "name %s listed twice", r.name)
		seenCode[r.code], seenName[r.name] = true, true
		require.Equal(t, r.name, ResponseCodeName(r.code))

		if r.code == ResSuccess {
			require.Nil(t, r.err)
			require.NoError(t, ErrorForCode(r.code, "ignored"))
			continue
		}
		require.NotNil(t, r.err, "%s has a sentinel", r.name)
		prev, dup := seenErr[r.err]
		require.False(t, dup, "%s shares its sentinel with code %d", r.name, prev)
		seenErr[r.err] = r.code

		code, ok := CodeOf(r.err)
		require.True(t, ok)
		require.Equal(t, r.code, code, "the sentinel of %s maps back to its code", r.name)
		require.Equal(t, fmt.Sprintf("remoting: %s (%d)", r.name, r.code), r.err.Error())

		err := ErrorForCode(r.code, "details")
		require.ErrorIs(t, err, r.err)
		require.Equal(t, r.err.Error()+": details", err.Error())
		require.Equal(t, r.err, ErrorForCode(r.code, ""), "no remark: the sentinel itself")
	}
	// No error of one code matches another code's sentinel.
	for _, a := range responseCodes {
		for _, b := range responseCodes {
			if a.err != nil && b.err != nil && a.code != b.code {
				require.NotErrorIs(t, ErrorForCode(a.code, "x"), b.err, "%s vs %s", a.name, b.name)
			}
		}
	}
}

func TestResponseCodeValues(t *testing.T) {
	// Spot checks against apache/rocketmq ResponseCode.java and
	// spec/remoting.md §2.
	tests := []struct {
		code int32
		name string
		err  error
	}{
		{0, "SUCCESS", nil},
		{1, "SYSTEM_ERROR", ErrSystemError},
		{2, "SYSTEM_BUSY", ErrSystemBusy},
		{3, "REQUEST_CODE_NOT_SUPPORTED", ErrRequestCodeNotSupported},
		{4, "TRANSACTION_FAILED", ErrTransactionFailed},
		{10, "FLUSH_DISK_TIMEOUT", ErrFlushDiskTimeout},
		{14, "SERVICE_NOT_AVAILABLE", ErrServiceNotAvailable},
		{16, "NO_PERMISSION", ErrNoPermission},
		{17, "TOPIC_NOT_EXIST", ErrTopicNotExist},
		{19, "PULL_NOT_FOUND", ErrPullNotFound},
		{21, "PULL_OFFSET_MOVED", ErrPullOffsetMoved},
		{22, "QUERY_NOT_FOUND", ErrQueryNotFound},
		{25, "SUBSCRIPTION_NOT_LATEST", ErrSubscriptionNotLatest},
		{29, "INVALID_PARAMETER", ErrInvalidParameter},
		{206, "CONSUMER_NOT_ONLINE", ErrConsumerNotOnline},
		{207, "CONSUME_MSG_TIMEOUT", ErrConsumeMsgTimeout},
		{208, "NO_MESSAGE", ErrNoMessage},
		{215, "FLOW_CONTROL", ErrFlowControl},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.name, ResponseCodeName(tt.code))
		if tt.err != nil {
			code, ok := CodeOf(tt.err)
			assert.True(t, ok)
			assert.Equal(t, tt.code, code)
		}
	}
}

func TestErrorForUnknownCode(t *testing.T) {
	err := ErrorForCode(12345, "odd")
	require.Error(t, err)
	require.Equal(t, "remoting: RESPONSE_CODE(12345) (12345): odd", err.Error())
	code, ok := CodeOf(err)
	require.True(t, ok)
	require.Equal(t, int32(12345), code)
	for _, r := range responseCodes {
		if r.err != nil {
			require.NotErrorIs(t, err, r.err)
		}
	}
}

func TestCodeOf(t *testing.T) {
	code, ok := CodeOf(nil)
	assert.True(t, ok)
	assert.Equal(t, ResSuccess, code)

	_, ok = CodeOf(errors.New("plain"))
	assert.False(t, ok)

	wrapped := fmt.Errorf("register broker-a: %w", fmt.Errorf("decode: %w", ErrInvalidParameter))
	code, ok = CodeOf(wrapped)
	assert.True(t, ok)
	assert.Equal(t, ResInvalidParameter, code)
}

func TestRequestCodeNames(t *testing.T) {
	// Spot checks against apache/rocketmq RequestCode.java.
	tests := []struct {
		code int32
		name string
	}{
		{ReqSendMessage, "SEND_MESSAGE"},
		{10, "SEND_MESSAGE"},
		{11, "PULL_MESSAGE"},
		{34, "HEART_BEAT"},
		{40, "NOTIFY_CONSUMER_IDS_CHANGED"},
		{100, "PUT_KV_CONFIG"},
		{101, "GET_KV_CONFIG"},
		{102, "DELETE_KV_CONFIG"},
		{103, "REGISTER_BROKER"},
		{104, "UNREGISTER_BROKER"},
		{105, "GET_ROUTEINFO_BY_TOPIC"},
		{106, "GET_BROKER_CLUSTER_INFO"},
		{205, "WIPE_WRITE_PERM_OF_BROKER"},
		{206, "GET_ALL_TOPIC_LIST_FROM_NAMESERVER"},
		{216, "DELETE_TOPIC_IN_NAMESRV"},
		{224, "GET_TOPICS_BY_CLUSTER"},
		{310, "SEND_MESSAGE_V2"},
		{320, "SEND_BATCH_MESSAGE"},
		{326, "PUSH_REPLY_MESSAGE_TO_CLIENT"},
		{327, "ADD_WRITE_PERM_OF_BROKER"},
		{904, "BROKER_HEARTBEAT"},
		{9999, "REQUEST_CODE(9999)"},
		{-5, "REQUEST_CODE(-5)"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.name, RequestCodeName(tt.code), "code %d", tt.code)
	}
}

func TestRequestCodeNamesUnique(t *testing.T) {
	seen := map[string]int32{}
	for code, name := range requestCodeNames {
		prev, dup := seen[name]
		require.False(t, dup, "%s named for both %d and %d", name, prev, code)
		seen[name] = code
	}
}
