package broker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/remoting"
	"github.com/apogeemq/apogee/store"
	"github.com/apogeemq/apogee/store/configfile"
)

// sendBack serves a CONSUMER_SEND_MSG_BACK and returns the answer.
func (r *delayRig) sendBack(h remoting.ConsumerSendMsgBackRequestHeader) *remoting.Command {
	r.t.Helper()
	return r.serve(r.b.consumerSendMsgBack, remoting.NewRequest(remoting.ReqConsumerSendMsgBack, h.ToExtFields(), nil))
}

// serve runs a handler and returns its answer.
func (r *delayRig) serve(h remoting.Handler, req *remoting.Command) *remoting.Command {
	r.t.Helper()
	var resp *remoting.Command
	h(nil, req, func(c *remoting.Command) { resp = c })
	r.clock.RunDue()
	require.NotNil(r.t, resp, "answered")
	return resp
}

// backHeader is the header the official Go client sends for a failed
// message of group.
func backHeader(group string, physOffset int64) remoting.ConsumerSendMsgBackRequestHeader {
	return remoting.ConsumerSendMsgBackRequestHeader{
		Offset: physOffset, Group: group, OriginTopic: "Orders", MaxReconsumeTimes: 16, BrokerName: "broker-a",
	}
}

// levelsOfOneSecond are delay levels short enough for tests.
func levelsOfOneSecond(c *Config) {
	c.Store.DelayLevels = make([]time.Duration, 18)
	for i := range c.Store.DelayLevels {
		c.Store.DelayLevels[i] = time.Duration(i+1) * time.Second
	}
}

// A failed message goes to %RETRY%<group> through level 3 + reconsumeTimes,
// with reconsumeTimes + 1, RETRY_TOPIC and ORIGIN_MESSAGE_ID; sent back
// again it keeps both and waits one level longer.
func TestSendBackRetriesThroughTheDelayLevels(t *testing.T) {
	r := newDelayRig(t, levelsOfOneSecond)
	orig := r.put(message("Orders", 1, "pay", commitlog.PropertyTags, "A", commitlog.PropertyUniqKey, "U1"))
	resp := r.sendBack(backHeader("cg", orig.PhysOffset))
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)

	retryTopic := RetryGroupPrefix + "cg"
	tc, ok := r.b.topics.get(retryTopic)
	require.True(t, ok, "the retry topic exists")
	assert.Equal(t, int32(1), tc.WriteQueueNums)
	parked := r.read(store.ScheduleTopic, 2)
	require.Len(t, parked, 1, "level 3 for a first retry")
	assert.Equal(t, retryTopic, parked[0].props[commitlog.PropertyRealTopic])

	r.advance(4 * time.Second)
	got := r.read(retryTopic, 0)
	require.Len(t, got, 1)
	first := got[0]
	assert.Equal(t, int32(1), first.rec.ReconsumeTimes)
	assert.Equal(t, "pay", string(first.rec.Body))
	originID := commitlog.FormatOffsetMsgID(r.b.storeHostNow(), orig.PhysOffset)
	assert.Equal(t, map[string]string{
		commitlog.PropertyTags: "A", commitlog.PropertyUniqKey: "U1",
		commitlog.PropertyRetryTopic: "Orders", commitlog.PropertyOriginMessageID: originID, commitlog.PropertyWait: "false",
	}, first.props)
	assert.Equal(t, store.TagCode("A"), first.tagCode)

	resp = r.sendBack(backHeader("cg", first.rec.PhysOffset))
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	require.Len(t, r.read(store.ScheduleTopic, 3), 1, "level 4 for a second retry")
	r.advance(5 * time.Second)
	got = r.read(retryTopic, 0)
	require.Len(t, got, 2)
	assert.Equal(t, int32(2), got[1].rec.ReconsumeTimes)
	assert.Equal(t, "Orders", got[1].props[commitlog.PropertyRetryTopic], "RETRY_TOPIC is the first topic")
	assert.Equal(t, originID, got[1].props[commitlog.PropertyOriginMessageID], "ORIGIN_MESSAGE_ID is the first delivery")
}

// A message consumed maxReconsumeTimes times, or sent back with a negative
// level, goes to %DLQ%<group> at once; the topic is created with one
// readable and writable queue. The request's maxReconsumeTimes wins over
// the group's retryMaxTimes.
func TestSendBackDeadLetters(t *testing.T) {
	r := newDelayRig(t, levelsOfOneSecond)
	g := configfile.NewSubscriptionGroupConfig("cg")
	g.RetryMaxTimes = 1
	require.NoError(t, r.b.groups.put(g))

	m := message("Orders", 0, "tired")
	m.ReconsumeTimes = 2
	tired := r.put(m)
	h := backHeader("cg", tired.PhysOffset)
	h.MaxReconsumeTimes = 3
	resp := r.sendBack(h)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	require.Empty(t, r.read(DLQGroupPrefix+"cg", 0), "2 < 3: retried")

	h.MaxReconsumeTimes = remoting.MaxReconsumeTimesUnset
	resp = r.sendBack(h)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	dlq := r.read(DLQGroupPrefix+"cg", 0)
	require.Len(t, dlq, 1, "2 >= the group's 1: dead-lettered at once")
	assert.Equal(t, int32(3), dlq[0].rec.ReconsumeTimes)
	assert.NotContains(t, dlq[0].props, commitlog.PropertyDelayLevel)
	assert.Equal(t, "Orders", dlq[0].props[commitlog.PropertyRetryTopic])
	tc, ok := r.b.topics.get(DLQGroupPrefix + "cg")
	require.True(t, ok)
	assert.Equal(t, int32(1), tc.ReadQueueNums)
	assert.Equal(t, int32(1), tc.WriteQueueNums)
	assert.Equal(t, configfile.PermRead|configfile.PermWrite, tc.Perm)

	fresh := r.put(message("Orders", 0, "give up"))
	h = backHeader("cg", fresh.PhysOffset)
	h.DelayLevel = -1
	resp = r.sendBack(h)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	assert.Len(t, r.read(DLQGroupPrefix+"cg", 0), 2, "a negative level dead-letters")
}

// The answers RocketMQ gives when a send-back cannot be served.
func TestSendBackRefusals(t *testing.T) {
	r := newDelayRig(t, func(c *Config) { c.AutoCreateSubscriptionGroup = false })
	orig := r.put(message("Orders", 0, "x"))
	known := configfile.NewSubscriptionGroupConfig("known")
	require.NoError(t, r.b.groups.put(known))
	noRetry := configfile.NewSubscriptionGroupConfig("noretry")
	noRetry.RetryQueueNums = 0
	require.NoError(t, r.b.groups.put(noRetry))

	tests := []struct {
		name string
		h    remoting.ConsumerSendMsgBackRequestHeader
		code int32
	}{
		{"unknown group", backHeader("nobody", orig.PhysOffset), remoting.ResSubscriptionGroupNotExist},
		{"no record there", backHeader("known", orig.PhysOffset+1), remoting.ResSystemError},
		{"past the log", backHeader("known", 1<<40), remoting.ResSystemError},
		{"negative offset", backHeader("known", -1), remoting.ResSystemError},
		{"no retry queues", backHeader("noretry", orig.PhysOffset), remoting.ResSuccess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := r.sendBack(tt.h)
			assert.Equal(t, tt.code, resp.Code, resp.Remark)
		})
	}
	assert.Empty(t, r.read(store.ScheduleTopic, 2), "nothing stored")

	resp := r.serve(r.b.consumerSendMsgBack, remoting.NewRequest(remoting.ReqConsumerSendMsgBack,
		map[string]string{"group": "known", "offset": "x", "delayLevel": "0"}, nil))
	assert.Equal(t, remoting.ResSystemError, resp.Code, "a header that does not decode")

	tc := configfile.NewTopicConfig(RetryGroupPrefix + "known")
	tc.Perm = configfile.PermRead
	_, err := r.b.topics.put(tc)
	require.NoError(t, err)
	resp = r.sendBack(backHeader("known", orig.PhysOffset))
	assert.Equal(t, remoting.ResNoPermission, resp.Code, "a retry topic without write permission")
}

// A broker without write permission refuses send-backs.
func TestSendBackOnAReadOnlyBroker(t *testing.T) {
	r := newDelayRig(t, func(c *Config) { c.BrokerPermission = configfile.PermRead })
	orig := r.put(message("Orders", 0, "x"))
	resp := r.sendBack(backHeader("cg", orig.PhysOffset))
	assert.Equal(t, remoting.ResNoPermission, resp.Code, resp.Remark)
}
