package broker

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/remoting"
	"github.com/apogeemq/apogee/store"
)

// sendHeaderTo is a producer's send header for topic queue 0 with props.
func sendHeaderTo(topic string, props []byte) remoting.SendMessageRequestHeader {
	return remoting.SendMessageRequestHeader{
		ProducerGroup: "pg", Topic: topic, DefaultTopic: DefaultTopic, DefaultTopicQueueNums: 4,
		BornTimestamp: delayStart.UnixMilli(), Properties: string(props),
		MaxReconsumeTimes: remoting.MaxReconsumeTimesUnset,
	}
}

// props encodes name, value pairs.
func props(pairs ...string) []byte {
	var p []byte
	for i := 0; i+1 < len(pairs); i += 2 {
		p = commitlog.AppendProperty(p, pairs[i], pairs[i+1])
	}
	return p
}

// A batch that asks for a later delivery, in its own properties or in one
// of its messages', is refused with MESSAGE_ILLEGAL and nothing is
// stored; properties that would not park a single message do not refuse
// it.
func TestDelayedBatchesAreRefused(t *testing.T) {
	r := newDelayRig(t, nil)
	future := strconv.FormatInt(r.nowMs()+60_000, 10)
	past := strconv.FormatInt(r.nowMs()-60_000, 10)
	tests := []struct {
		name    string
		header  []byte
		entry   []byte
		refused string // a word of the remark, "" when stored
	}{
		{"plain", nil, props(commitlog.PropertyTags, "A"), ""},
		{"DELAY on the batch", props(commitlog.PropertyDelayLevel, "3"), nil, commitlog.PropertyDelayLevel},
		{"DELAY on a message", nil, props(commitlog.PropertyDelayLevel, "1"), commitlog.PropertyDelayLevel},
		{"TIMER_DELAY_SEC on a message", nil, props(propertyTimerDelaySec, "10"), propertyTimerDelaySec},
		{"TIMER_DELAY_MS on the batch", props(propertyTimerDelayMs, "5000"), nil, propertyTimerDelayMs},
		{"TIMER_DELIVER_MS on a message", nil, props(propertyTimerDeliverMs, future), propertyTimerDeliverMs},
		{"__STARTDELIVERTIME on a message", nil, props(propertyStartDeliverTime, future), propertyStartDeliverTime},
		{"DELAY=0 is no delay", nil, props(commitlog.PropertyDelayLevel, "0"), ""},
		{"a time in the past is no delay", nil, props(propertyTimerDeliverMs, past), ""},
		{"a delivered timer message", nil, props(propertyTimerDelaySec, "10", propertyTimerOutMs, past), ""},
	}
	stored := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := remoting.AppendBatchEntry(nil, 0, []byte("first"), props(commitlog.PropertyTags, "A"))
			body = remoting.AppendBatchEntry(body, 0, []byte("second"), tt.entry)
			resp := r.rawSend(remoting.ReqSendBatchMessage, sendHeaderTo("Batched", tt.header), body)
			if tt.refused == "" {
				require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
				stored += 2
			} else {
				require.Equal(t, remoting.ResMessageIllegal, resp.Code, resp.Remark)
				assert.Contains(t, resp.Remark, tt.refused)
			}
			assert.Len(t, r.read("Batched", 0), stored)
		})
	}
	for q := range int32(len(r.cfg.Store.DelayLevels)) {
		assert.Empty(t, r.read(store.ScheduleTopic, q), "nothing parked")
	}
}

// A batch to a retry topic is refused: a consumer's resend goes one
// message at a time, through the dead-letter check.
func TestBatchToARetryTopicIsRefused(t *testing.T) {
	r := newDelayRig(t, nil)
	body := remoting.AppendBatchEntry(nil, 0, []byte("x"), nil)
	resp := r.rawSend(remoting.ReqSendBatchMessage, sendHeaderTo(RetryGroupPrefix+"cg", nil), body)
	assert.Equal(t, remoting.ResMessageIllegal, resp.Code, resp.Remark)
	assert.Contains(t, resp.Remark, "retry group")
	_, ok := r.b.topics.get(RetryGroupPrefix + "cg")
	assert.False(t, ok, "no topic created for a refused send")
}

// Producers may not write the topics only the broker writes: the timer
// topic, the delay topic and RocketMQ's other internal ones. A message sent
// to the timer topic would otherwise be delivered to the REAL_TOPIC it
// names.
func TestInternalTopicsAreNotWritable(t *testing.T) {
	r := newDelayRig(t, nil)
	forged := props(commitlog.PropertyRealTopic, "Victim", commitlog.PropertyRealQueueID, "0",
		propertyTimerOutMs, strconv.FormatInt(r.nowMs(), 10))
	for _, topic := range []string{TimerTopic, store.ScheduleTopic, TransHalfTopic, TransOpHalfTopic,
		TransCheckMaxTopic, SelfTestTopic, OffsetMovedEvent} {
		t.Run(topic, func(t *testing.T) {
			for _, code := range []int32{remoting.ReqSendMessage, remoting.ReqSendMessageV2} {
				resp := r.rawSend(code, sendHeaderTo(topic, forged), []byte("forged"))
				assert.Equal(t, remoting.ResNoPermission, resp.Code, resp.Remark)
				assert.Contains(t, resp.Remark, "forbidden")
			}
			resp := r.rawSend(remoting.ReqSendBatchMessage, sendHeaderTo(topic, nil), remoting.AppendBatchEntry(nil, 0, []byte("x"), forged))
			assert.Equal(t, remoting.ResNoPermission, resp.Code, resp.Remark)
		})
	}
	for q := range int32(timerQueueNums) {
		require.Empty(t, r.read(TimerTopic, q))
	}
	r.advance(2 * time.Second)
	assert.Empty(t, r.read("Victim", 0), "nothing delivered")
	resp := r.rawSend(remoting.ReqSendMessage, sendHeaderTo(TraceTopic, nil), []byte("trace"))
	assert.Equal(t, remoting.ResSuccess, resp.Code, "the trace topic stays writable: %s", resp.Remark)
}

// GET_BROKER_RUNTIME_INFO reports each delay level's progress and queue end
// as RocketMQ does: scheduleMessageOffset_<level> = "<offset>,<max>".
func TestRuntimeInfoReportsTheDelayLevels(t *testing.T) {
	r := newDelayRig(t, func(c *Config) { c.Store.DelayLevels = []time.Duration{time.Second, time.Minute} })
	info := func() map[string]string {
		resp := r.serve(r.b.runtimeInfo, remoting.NewRequest(remoting.ReqGetBrokerRuntimeInfo, nil, nil))
		require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
		kv, err := remoting.DecodeKVTable(resp.Body)
		require.NoError(t, err)
		return kv.Table
	}
	got := info()
	assert.Equal(t, "0,0", got["scheduleMessageOffset_1"])
	assert.Equal(t, "0,0", got["scheduleMessageOffset_2"])
	assert.NotContains(t, got, "scheduleMessageOffset_3", "two levels configured")
	assert.Equal(t, "401", got["brokerVersion"], "V4_9_4's ordinal")

	for range 3 {
		r.put(message("T", 0, "soon", commitlog.PropertyDelayLevel, "1"))
	}
	r.put(message("T", 0, "later", commitlog.PropertyDelayLevel, "2"))
	got = info()
	assert.Equal(t, "0,3", got["scheduleMessageOffset_1"])
	assert.Equal(t, "0,1", got["scheduleMessageOffset_2"])
	r.advance(2 * time.Second)
	got = info()
	assert.Equal(t, "3,3", got["scheduleMessageOffset_1"], "delivered")
	assert.Equal(t, "0,1", got["scheduleMessageOffset_2"], "not due yet")
}
