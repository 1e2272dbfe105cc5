package broker_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/remoting"
)

// Each bad request gets a clear RocketMQ code, writes nothing, and the broker
// keeps serving.
func TestBadRequestsGetClearCodesAndWriteNothing(t *testing.T) {
	c := startCluster(t, func(cfg *broker.Config) { cfg.MaxMessageSize = 1024 })
	st := c.broker.Store()
	send := func(topic string, queueID int32, body []byte) *remoting.Command {
		return c.invoke(remoting.ReqSendMessage, sendHeader(topic, queueID, nil).ToExtFields(), body)
	}
	pull := func(topic string, queueID int32, offset int64) *remoting.Command {
		return c.invoke(remoting.ReqPullMessage, pullHeader("cg", topic, queueID, offset, "*").ToExtFields(), nil)
	}
	// A good send first, so that offsets have something to be out of.
	ok := send("Good", 0, []byte("hello"))
	require.Equal(t, remoting.ResSuccess, ok.Code, ok.Remark)
	before := st.CommitLogMaxOffset()

	cases := []struct {
		name   string
		resp   func() *remoting.Command
		code   int32
		remark string
	}{
		{"send to ../x", func() *remoting.Command { return send("../x", 0, []byte("x")) }, remoting.ResSystemError, "illegal characters"},
		{"send to a 300-character topic", func() *remoting.Command { return send(strings.Repeat("t", 300), 0, []byte("x")) }, remoting.ResSystemError, "max length"},
		{"send to an empty topic", func() *remoting.Command { return send("", 0, []byte("x")) }, remoting.ResSystemError, "blank"},
		{"send a body over maxMessageSize", func() *remoting.Command { return send("Good", 0, make([]byte, 1025)) }, remoting.ResMessageIllegal, "maximum"},
		{"send to a queue beyond the topic's", func() *remoting.Command { return send("Good", 99, []byte("x")) }, remoting.ResSystemError, "queueId[99] is illegal"},
		{"send to a system topic", func() *remoting.Command { return send("SCHEDULE_TOPIC_XXXX", 0, []byte("x")) }, remoting.ResNoPermission, "forbidden"},
		{"send with a header field missing", func() *remoting.Command {
			ext := sendHeader("Good", 0, nil).ToExtFields()
			delete(ext, "queueId")
			return c.invoke(remoting.ReqSendMessage, ext, []byte("x"))
		}, remoting.ResSystemError, "queueId"},
		{"send a garbage batch", func() *remoting.Command {
			return c.invoke(remoting.ReqSendBatchMessage, sendHeader("Good", 0, nil).ToExtFieldsV2(), []byte{0, 0, 0, 99, 1, 2})
		}, remoting.ResMessageIllegal, "batch"},
		{"pull a queue that does not exist", func() *remoting.Command { return pull("Good", 64, 0) }, remoting.ResSystemError, "queueId[64] is illegal"},
		{"pull a topic that does not exist", func() *remoting.Command { return pull("Nope", 0, 0) }, remoting.ResTopicNotExist, "not exist"},
		{"pull an offset far beyond the end", func() *remoting.Command { return pull("Good", 0, 1000) }, remoting.ResPullOffsetMoved, ""},
		{"pull a negative offset", func() *remoting.Command { return pull("Good", 0, -5) }, remoting.ResPullOffsetMoved, ""},
		{"commit a negative offset", func() *remoting.Command {
			return c.invoke(remoting.ReqUpdateConsumerOffset, remoting.UpdateConsumerOffsetRequestHeader{
				ConsumerGroup: "cg", Topic: "Good", QueueID: 0, CommitOffset: -1}.ToExtFields(), nil)
		}, remoting.ResInvalidParameter, "negative"},
		{"commit an offset of a queue that does not exist", func() *remoting.Command {
			return c.invoke(remoting.ReqUpdateConsumerOffset, remoting.UpdateConsumerOffsetRequestHeader{
				ConsumerGroup: "cg", Topic: "Good", QueueID: 77, CommitOffset: 1}.ToExtFields(), nil)
		}, remoting.ResSystemError, "queueId[77] is illegal"},
		{"an unknown request code", func() *remoting.Command { return c.invoke(9999, nil, nil) }, remoting.ResRequestCodeNotSupported, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := tc.resp()
			require.Equal(t, remoting.ResponseCodeName(tc.code), remoting.ResponseCodeName(resp.Code), resp.Remark)
			require.Contains(t, resp.Remark, tc.remark)
			require.Equal(t, before, st.CommitLogMaxOffset(), "nothing is written")
			if resp.Code >= remoting.ResPullNotFound && resp.Code <= remoting.ResPullOffsetMoved {
				h, err := remoting.DecodePullMessageResponseHeader(resp.ExtFields)
				require.NoError(t, err, "every pull answer carries the offsets")
				require.Equal(t, int64(1), h.MaxOffset)
			}
		})
	}
	// Still serving.
	again := send("Good", 0, []byte("again"))
	require.Equal(t, remoting.ResSuccess, again.Code, again.Remark)
	resp := pull("Good", 0, 0)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	recs := decodeRecords(t, resp.Body)
	require.Len(t, recs, 2)
	require.Equal(t, "hello", string(recs[0].Body))
	require.Equal(t, "again", string(recs[1].Body))
}
