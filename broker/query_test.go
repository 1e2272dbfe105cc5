package broker_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/remoting"
)

// sendRaw stores one message through SEND_MESSAGE and returns the answer's
// header.
func (c *cluster) sendRaw(topic string, props map[string]string, body string) remoting.SendMessageResponseHeader {
	c.t.Helper()
	resp := c.invoke(remoting.ReqSendMessage, sendHeader(topic, 0, props).ToExtFields(), []byte(body))
	require.Equal(c.t, remoting.ResSuccess, resp.Code, resp.Remark)
	h, err := remoting.DecodeSendMessageResponseHeader(resp.ExtFields)
	require.NoError(c.t, err)
	return h
}

// queryKey sends QUERY_MESSAGE over all time; extra extFields are added.
func (c *cluster) queryKey(topic, key string, maxNum int32, extra map[string]string) *remoting.Command {
	c.t.Helper()
	ext := remoting.QueryMessageRequestHeader{Topic: topic, Key: key, MaxNum: maxNum,
		BeginTimestamp: 0, EndTimestamp: time.Now().Add(time.Hour).UnixMilli()}.ToExtFields()
	for k, v := range extra {
		ext[k] = v
	}
	return c.invoke(remoting.ReqQueryMessage, ext, nil)
}

func bodiesOfRecords(recs []commitlog.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, string(r.Body))
	}
	return out
}

func TestQueryMessageByKey(t *testing.T) {
	c := startCluster(t, nil)
	c.sendRaw("Orders", map[string]string{"KEYS": "order-1 shared"}, "first")
	c.sendRaw("Orders", map[string]string{"KEYS": "order-2 shared"}, "second")
	c.sendRaw("Orders", map[string]string{"KEYS": "order-3"}, "third")
	c.sendRaw("Other", map[string]string{"KEYS": "shared"}, "elsewhere")

	var resp *remoting.Command
	require.Eventually(t, func() bool {
		resp = c.queryKey("Orders", "shared", 32, nil)
		return resp.Code == remoting.ResSuccess && len(decodeRecords(t, resp.Body)) == 2
	}, 5*time.Second, time.Millisecond, "the index holds both messages")
	require.Equal(t, []string{"second", "first"}, bodiesOfRecords(decodeRecords(t, resp.Body)), "newest first, this topic only")
	h, err := remoting.DecodeQueryMessageResponseHeader(resp.ExtFields)
	require.NoError(t, err)
	require.Positive(t, h.IndexLastUpdatePhyoffset)
	require.InDelta(t, time.Now().UnixMilli(), h.IndexLastUpdateTimestamp, float64(time.Minute.Milliseconds()))

	resp = c.queryKey("Orders", "shared", 1, nil)
	require.Equal(t, remoting.ResSuccess, resp.Code)
	require.Equal(t, []string{"second"}, bodiesOfRecords(decodeRecords(t, resp.Body)), "maxNum bounds the answer")

	resp = c.queryKey("Orders", "order-3", 32, nil)
	require.Equal(t, []string{"third"}, bodiesOfRecords(decodeRecords(t, resp.Body)))

	for name, ext := range map[string]map[string]string{
		"unknown key": remoting.QueryMessageRequestHeader{Topic: "Orders", Key: "order-9", MaxNum: 32,
			EndTimestamp: time.Now().Add(time.Hour).UnixMilli()}.ToExtFields(),
		"time range before the messages": remoting.QueryMessageRequestHeader{Topic: "Orders", Key: "shared", MaxNum: 32,
			BeginTimestamp: 1, EndTimestamp: 1000}.ToExtFields(),
		"unknown topic": remoting.QueryMessageRequestHeader{Topic: "Nowhere", Key: "shared", MaxNum: 32,
			EndTimestamp: time.Now().Add(time.Hour).UnixMilli()}.ToExtFields(),
	} {
		t.Run(name, func(t *testing.T) {
			resp := c.invoke(remoting.ReqQueryMessage, ext, nil)
			require.Equal(t, remoting.ResQueryNotFound, resp.Code)
			require.Contains(t, resp.Remark, "can not find message")
			_, err := remoting.DecodeQueryMessageResponseHeader(resp.ExtFields)
			require.NoError(t, err, "the index state comes with a miss too")
		})
	}

	resp = c.invoke(remoting.ReqQueryMessage, map[string]string{"topic": "Orders", "maxNum": "1"}, nil)
	require.Equal(t, remoting.ResSystemError, resp.Code)
	require.Contains(t, resp.Remark, `"key": missing`)
}

// A lookup by UNIQ_KEY (the producer's message id) carries the
// _UNIQUE_KEY_QUERY flag and ignores maxNum, as RocketMQ does.
func TestQueryMessageByUniqKey(t *testing.T) {
	c := startCluster(t, nil)
	const id = "7F0000010F2A18B4AAC2575FDE270000"
	c.sendRaw("Uniq", map[string]string{"UNIQ_KEY": id}, "once")
	c.sendRaw("Uniq", map[string]string{"UNIQ_KEY": id, "RECONSUME_TIME": "1"}, "again")
	var resp *remoting.Command
	require.Eventually(t, func() bool {
		resp = c.queryKey("Uniq", id, 0, map[string]string{remoting.UniqueKeyQueryFlag: "true"})
		return resp.Code == remoting.ResSuccess && len(decodeRecords(t, resp.Body)) == 2
	}, 5*time.Second, time.Millisecond)
	for _, r := range decodeRecords(t, resp.Body) {
		v, ok := commitlog.PropertyValue(r.Properties, commitlog.PropertyUniqKey)
		require.True(t, ok)
		require.Equal(t, id, string(v))
	}
	resp = c.queryKey("Uniq", id, 0, nil)
	require.Equal(t, remoting.ResQueryNotFound, resp.Code, "without the flag, maxNum 0 finds nothing")
}

func TestQueryMessageIndexDisabled(t *testing.T) {
	c := startCluster(t, func(cfg *broker.Config) { cfg.Store.MessageIndexEnable = false })
	c.sendRaw("NoIndex", map[string]string{"KEYS": "k"}, "x")
	resp := c.queryKey("NoIndex", "k", 32, nil)
	require.Equal(t, remoting.ResQueryNotFound, resp.Code)
	require.Contains(t, resp.Remark, "index is disabled")
}

func TestQueryViewMessageByID(t *testing.T) {
	c := startCluster(t, nil)
	first := c.sendRaw("View", map[string]string{"KEYS": "a"}, "first body")
	second := c.sendRaw("View", map[string]string{"KEYS": "b"}, "second body")

	_, off1, err := commitlog.ParseOffsetMsgID(first.MsgID)
	require.NoError(t, err)
	_, off2, err := commitlog.ParseOffsetMsgID(second.MsgID)
	require.NoError(t, err)
	for _, tc := range []struct {
		offset int64
		body   string
		msgID  string
	}{{off1, "first body", first.MsgID}, {off2, "second body", second.MsgID}} {
		resp := c.invoke(remoting.ReqViewMessageByID, remoting.ViewMessageByIDRequestHeader{Offset: tc.offset}.ToExtFields(), nil)
		require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
		recs := decodeRecords(t, resp.Body)
		require.Len(t, recs, 1)
		require.Equal(t, tc.body, string(recs[0].Body))
		require.Equal(t, tc.offset, recs[0].PhysOffset)
		require.Equal(t, tc.msgID, commitlog.FormatOffsetMsgID(recs[0].StoreHost, recs[0].PhysOffset))
	}

	end := c.broker.Store().CommitLogMaxOffset()
	for name, offset := range map[string]int64{
		"negative":             -1,
		"inside a record":      off1 + 1,
		"inside a record body": off2 - 8,
		"at the end":           end,
		"past the end":         end + 4096,
		"far past the end":     1 << 50,
	} {
		t.Run(name, func(t *testing.T) {
			resp := c.invoke(remoting.ReqViewMessageByID, remoting.ViewMessageByIDRequestHeader{Offset: offset}.ToExtFields(), nil)
			require.Equal(t, remoting.ResSystemError, resp.Code)
			require.Contains(t, resp.Remark, fmt.Sprintf("can not find message by the offset, %d", offset))
			require.Empty(t, resp.Body)
		})
	}

	resp := c.invoke(remoting.ReqViewMessageByID, map[string]string{"offset": "x"}, nil)
	require.Equal(t, remoting.ResSystemError, resp.Code)
	require.Contains(t, resp.Remark, "ViewMessageRequestHeader")
}
