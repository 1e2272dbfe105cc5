package broker

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/remoting"
	"github.com/apogeemq/apogee/store"
	"github.com/apogeemq/apogee/store/configfile"
)

// rawSend serves a send request (SEND_MESSAGE with the long keys, the V2
// codes with the one-letter ones) from a producer connection and returns
// the answer.
func (r *delayRig) rawSend(code int32, h remoting.SendMessageRequestHeader, body []byte) *remoting.Command {
	r.t.Helper()
	ext := h.ToExtFields()
	if code != remoting.ReqSendMessage {
		ext = h.ToExtFieldsV2()
	}
	var resp *remoting.Command
	r.b.send(&txnPeer{id: 1}, remoting.NewRequest(code, ext, body), func(c *remoting.Command) { resp = c })
	r.clock.RunDue()
	require.NotNil(r.t, resp, "answered")
	return resp
}

// resendHeader is the header of the official Go client's resend of a
// message it failed to consume (sendMessageBackAsNormal): the retry topic,
// reconsumeTimes already counting this failure, DELAY = 3 + the previous
// count.
func resendHeader(group string, reconsumeTimes, maxReconsumeTimes int32, props string) remoting.SendMessageRequestHeader {
	return remoting.SendMessageRequestHeader{
		ProducerGroup: group, Topic: RetryGroupPrefix + group, DefaultTopic: DefaultTopic, DefaultTopicQueueNums: 4,
		QueueID: 0, BornTimestamp: delayStart.UnixMilli(), Properties: props,
		ReconsumeTimes: reconsumeTimes, MaxReconsumeTimes: maxReconsumeTimes,
	}
}

// A resend to %RETRY%<group> whose reconsumeTimes is past the maximum (the
// header's, else the group's retryMaxTimes) is stored in %DLQ%<group> at
// once, without DELAY; one at the maximum is retried through its delay
// level like any delayed message.
func TestRetrySendPastTheMaximumGoesToTheDeadLetters(t *testing.T) {
	r := newDelayRig(t, levelsOfOneSecond)
	g := configfile.NewSubscriptionGroupConfig("cg")
	g.RetryMaxTimes = 2
	require.NoError(t, r.b.groups.put(g))
	props := func(delay string) string {
		return string(commitlog.AppendProperty(commitlog.AppendProperty(nil, commitlog.PropertyDelayLevel, delay),
			commitlog.PropertyUniqKey, "U1"))
	}

	tests := []struct {
		name           string
		reconsumeTimes int32
		maxTimes       int32
		dlq            bool
	}{
		{"at the header's maximum: retried", 16, 16, false},
		{"past the header's maximum: dead letter", 17, 16, true},
		{"at the group's maximum: retried", 2, remoting.MaxReconsumeTimesUnset, false},
		{"past the group's maximum: dead letter", 3, remoting.MaxReconsumeTimesUnset, true},
		{"the header wins over the group", 3, 5, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dlqBefore := len(r.read(DLQGroupPrefix+"cg", 0))
			parkedBefore := len(r.read(store.ScheduleTopic, 5))
			resp := r.rawSend(remoting.ReqSendMessage, resendHeader("cg", tt.reconsumeTimes, tt.maxTimes, props("6")), []byte("again"))
			require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
			if !tt.dlq {
				assert.Len(t, r.read(DLQGroupPrefix+"cg", 0), dlqBefore)
				parked := r.read(store.ScheduleTopic, 5)
				require.Len(t, parked, parkedBefore+1, "parked at level 6")
				assert.Equal(t, RetryGroupPrefix+"cg", parked[len(parked)-1].props[commitlog.PropertyRealTopic])
				return
			}
			assert.Len(t, r.read(store.ScheduleTopic, 5), parkedBefore, "not parked")
			dlq := r.read(DLQGroupPrefix+"cg", 0)
			require.Len(t, dlq, dlqBefore+1, "stored in the dead-letter queue at once")
			d := dlq[len(dlq)-1]
			assert.Equal(t, "again", string(d.rec.Body))
			assert.Equal(t, tt.reconsumeTimes, d.rec.ReconsumeTimes)
			assert.NotContains(t, d.props, commitlog.PropertyDelayLevel)
			assert.Equal(t, "U1", d.props[commitlog.PropertyUniqKey])
			assert.Equal(t, "0", resp.ExtFields["queueId"], "the answer names the dead-letter queue")
		})
	}
	tc, ok := r.b.topics.get(DLQGroupPrefix + "cg")
	require.True(t, ok, "the dead-letter topic was created")
	assert.Equal(t, int32(dlqQueueNums), tc.WriteQueueNums)
	assert.Equal(t, configfile.PermRead|configfile.PermWrite, tc.Perm)
}

// The Go client's resend through SEND_MESSAGE_V2 takes the same path.
func TestRetrySendV2GoesToTheDeadLetters(t *testing.T) {
	r := newDelayRig(t, levelsOfOneSecond)
	resp := r.rawSend(remoting.ReqSendMessageV2, resendHeader("cg", 17, 16, ""), []byte("tired"))
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	assert.Equal(t, []string{"tired"}, r.bodies(DLQGroupPrefix+"cg", 0))
	assert.Empty(t, r.read(RetryGroupPrefix+"cg", 0))
}

// A resend for a group that does not exist and may not be created is
// refused, and nothing is stored.
func TestRetrySendForAnUnknownGroup(t *testing.T) {
	r := newDelayRig(t, func(c *Config) { levelsOfOneSecond(c); c.AutoCreateSubscriptionGroup = false })
	resp := r.rawSend(remoting.ReqSendMessage, resendHeader("nobody", 1, 16, ""), []byte("x"))
	assert.Equal(t, remoting.ResSubscriptionGroupNotExist, resp.Code, resp.Remark)
	resp = r.rawSend(remoting.ReqSendMessage, resendHeader("nobody", 20, 16, ""), []byte("x"))
	assert.Equal(t, remoting.ResSubscriptionGroupNotExist, resp.Code, resp.Remark)
	assert.Empty(t, r.read(RetryGroupPrefix+"nobody", 0))
	_, ok := r.b.topics.get(DLQGroupPrefix + "nobody")
	assert.False(t, ok, "no dead-letter topic")
}
