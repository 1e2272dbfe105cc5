package client

import (
	"errors"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/remoting"
)

// queryAnswer answers a QUERY_MESSAGE with records and the index state.
func queryAnswer(req *remoting.Command, body []byte) *remoting.Command {
	resp := remoting.NewResponse(req, remoting.ResSuccess, "")
	if len(body) == 0 {
		resp.Code, resp.Remark = remoting.ResQueryNotFound, "can not find message, maybe time range not correct"
	}
	resp.ExtFields = remoting.QueryMessageResponseHeader{IndexLastUpdateTimestamp: 1_700_000_000_900,
		IndexLastUpdatePhyoffset: 8192}.ToExtFields()
	resp.Body = body
	return resp
}

func newQueryAdmin(r *rig) *Admin {
	a := NewAdmin(r.e, AdminConfig{NamesrvAddrs: []string{r.ns.srv.Addr()}, Logger: quiet})
	r.t.Cleanup(a.Close)
	return a
}

func TestQueryMessagesAsksEveryBroker(t *testing.T) {
	r := newRig(t)
	a, b := r.broker("broker-a"), r.broker("broker-b")
	r.ns.setRoute("T", 4, b, a)
	var asked []map[string]string
	a.handle(remoting.ReqQueryMessage, func(req *remoting.Command) *remoting.Command {
		asked = append(asked, req.ExtFields)
		return queryAnswer(req, pullBody(t,
			testRecord{topic: "T", physOffset: 300, body: []byte("newer"), props: map[string]string{"KEYS": "order-1 shared"}},
			testRecord{topic: "T", physOffset: 200, body: []byte("collision"), props: map[string]string{"KEYS": "order-2"}},
			testRecord{topic: "U", physOffset: 150, body: []byte("other topic"), props: map[string]string{"KEYS": "order-1"}},
			testRecord{topic: "T", physOffset: 100, body: []byte("older"), props: map[string]string{"KEYS": "order-1"}},
		))
	})
	b.handle(remoting.ReqQueryMessage, func(req *remoting.Command) *remoting.Command {
		asked = append(asked, req.ExtFields)
		return queryAnswer(req, pullBody(t,
			testRecord{topic: "T", physOffset: 50, body: []byte("on b"), props: map[string]string{"KEYS": "order-1"}}))
	})
	adm := newQueryAdmin(r)

	res, err := await(r, func(cb func(*QueryResult, error)) { adm.QueryMessagesAsync("T", "order-1", 16, 1000, 2000, cb) })
	require.NoError(t, err)
	var bodies []string
	for _, m := range res.Messages {
		bodies = append(bodies, string(m.Body))
		require.Contains(t, m.Keys, "order-1")
	}
	require.Equal(t, []string{"newer", "older", "on b"}, bodies, "brokers in name order, hash collisions and other topics dropped")
	require.Equal(t, int64(1_700_000_000_900), res.IndexLastUpdateTimestampMs)
	require.Len(t, asked, 2)
	for _, ext := range asked {
		require.Equal(t, map[string]string{"topic": "T", "key": "order-1", "maxNum": "16",
			"beginTimestamp": "1000", "endTimestamp": "2000"}, ext)
	}

	_, err = await(r, func(cb func(*QueryResult, error)) { adm.QueryMessagesAsync("T", "order-9", 16, 0, 2000, cb) })
	require.ErrorIs(t, err, ErrNoMessage)
}

func TestQueryMessagesFailures(t *testing.T) {
	r := newRig(t)
	a, b := r.broker("broker-a"), r.broker("broker-b")
	r.ns.setRoute("T", 4, a, b)
	a.handle(remoting.ReqQueryMessage, func(req *remoting.Command) *remoting.Command { return queryAnswer(req, nil) })
	b.handle(remoting.ReqQueryMessage, func(req *remoting.Command) *remoting.Command {
		return remoting.NewResponse(req, remoting.ResSystemError, "index broken")
	})
	adm := newQueryAdmin(r)
	_, err := await(r, func(cb func(*QueryResult, error)) { adm.QueryMessagesAsync("T", "k", 16, 0, 1, cb) })
	require.ErrorIs(t, err, ErrNoMessage)
	var be *BrokerError
	require.ErrorAs(t, err, &be, "the broker's refusal is reported with the miss")
	require.Equal(t, "index broken", be.Remark)

	b.handle(remoting.ReqQueryMessage, func(req *remoting.Command) *remoting.Command {
		resp := queryAnswer(req, []byte("not records at all, just text"))
		return resp
	})
	_, err = await(r, func(cb func(*QueryResult, error)) { adm.QueryMessagesAsync("T", "k", 16, 0, 1, cb) })
	require.ErrorIs(t, err, ErrBadResponse)
	require.ErrorIs(t, err, ErrBadPullBody)

	for _, n := range []int{0, -1, MaxQueryNums + 1} {
		_, err = await(r, func(cb func(*QueryResult, error)) { adm.QueryMessagesAsync("T", "k", n, 0, 1, cb) })
		require.ErrorIs(t, err, ErrInvalidArgument, "maxNum %d", n)
	}
	_, err = await(r, func(cb func(*QueryResult, error)) { adm.QueryMessagesAsync("T", "", 1, 0, 1, cb) })
	require.ErrorIs(t, err, ErrInvalidArgument)
	_, err = await(r, func(cb func(*QueryResult, error)) { adm.QueryMessagesAsync("bad topic!", "k", 1, 0, 1, cb) })
	require.ErrorIs(t, err, ErrInvalidArgument)
	_, err = await(r, func(cb func(*QueryResult, error)) { adm.QueryMessagesAsync("NoRoute", "k", 1, 0, 1, cb) })
	require.ErrorIs(t, err, remoting.ErrTopicNotExist)
}

func TestQueryMessageByUniqKey(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	r.ns.setRoute("T", 4, a)
	var asked map[string]string
	a.handle(remoting.ReqQueryMessage, func(req *remoting.Command) *remoting.Command {
		asked = req.ExtFields
		return queryAnswer(req, pullBody(t,
			testRecord{topic: "T", physOffset: 90, body: []byte("same hash"), props: map[string]string{"UNIQ_KEY": "OTHER"}},
			testRecord{topic: "T", physOffset: 80, body: []byte("the one"), props: map[string]string{"UNIQ_KEY": "ID-1"}},
		))
	})
	adm := newQueryAdmin(r)
	m, err := await(r, func(cb func(*MessageExt, error)) { adm.MessageByUniqKeyAsync("T", "ID-1", cb) })
	require.NoError(t, err)
	require.Equal(t, "the one", string(m.Body))
	require.Equal(t, "ID-1", m.MsgID)
	require.Equal(t, "true", asked[remoting.UniqueKeyQueryFlag])
	require.Equal(t, strconv.FormatInt(epoch.Add(-72*time.Hour).UnixMilli(), 10), asked["beginTimestamp"])
	require.Equal(t, strconv.FormatInt(math.MaxInt64, 10), asked["endTimestamp"])

	_, err = await(r, func(cb func(*MessageExt, error)) { adm.MessageByUniqKeyAsync("T", "ID-2", cb) })
	require.ErrorIs(t, err, ErrNoMessage)
}

func TestQueryViewMessage(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	var asked []int64
	a.handle(remoting.ReqViewMessageByID, func(req *remoting.Command) *remoting.Command {
		h, err := remoting.DecodeViewMessageByIDRequestHeader(req.ExtFields)
		require.NoError(t, err)
		asked = append(asked, h.Offset)
		if h.Offset == 404 {
			return remoting.NewResponse(req, remoting.ResSystemError, "can not find message by the offset, 404")
		}
		resp := remoting.NewResponse(req, remoting.ResSuccess, "")
		resp.Body = pullBody(t, testRecord{topic: "T", physOffset: 4096, body: []byte("viewed")})
		return resp
	})
	adm := newQueryAdmin(r)
	host := mustAddrPort(t, a.addr)

	m, err := await(r, func(cb func(*MessageExt, error)) {
		adm.ViewMessageAsync(commitlog.FormatOffsetMsgID(host, 4096), cb)
	})
	require.NoError(t, err)
	require.Equal(t, "viewed", string(m.Body))
	require.Equal(t, int64(4096), m.CommitLogOffset)

	_, err = await(r, func(cb func(*MessageExt, error)) { adm.ViewMessageAsync(commitlog.FormatOffsetMsgID(host, 404), cb) })
	var be *BrokerError
	require.ErrorAs(t, err, &be)
	require.Equal(t, remoting.ResSystemError, be.Code)

	_, err = await(r, func(cb func(*MessageExt, error)) { adm.ViewMessageAsync(commitlog.FormatOffsetMsgID(host, 8192), cb) })
	require.ErrorIs(t, err, ErrBadResponse, "a record at another offset is not the message asked for")
	require.Equal(t, []int64{4096, 404, 8192}, asked)

	for _, id := range []string{"", "xyz", commitlog.FormatOffsetMsgID(mustAddrPort(t, "10.0.0.1:0"), 1)} {
		_, err = await(r, func(cb func(*MessageExt, error)) { adm.ViewMessageAsync(id, cb) })
		require.ErrorIs(t, err, ErrInvalidArgument, id)
	}
}

func TestQueryDecodeBodyKeepsMatches(t *testing.T) {
	body := pullBody(t,
		testRecord{topic: "T", body: []byte("a"), props: map[string]string{"KEYS": "x y", "UNIQ_KEY": "U1"}},
		testRecord{topic: "T", body: []byte("b"), props: map[string]string{"KEYS": "xy", "UNIQ_KEY": "U2"}},
		testRecord{topic: "T", body: []byte("c"), props: map[string]string{"UNIQ_KEY": "y"}},
	)
	tests := []struct {
		key  string
		uniq bool
		want []string
	}{
		{"y", false, []string{"a"}},
		{"xy", false, []string{"b"}},
		{"y", true, []string{"c"}},
		{"U2", true, []string{"b"}},
		{"U2", false, nil},
		{"", false, []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		msgs, err := decodeQueryBody(body, tt.key, tt.uniq, 1<<20)
		require.NoError(t, err)
		var got []string
		for _, m := range msgs {
			got = append(got, string(m.Body))
		}
		require.Equal(t, tt.want, got, "key %q uniq %v", tt.key, tt.uniq)
	}
	_, err := decodeQueryBody(body[:len(body)-1], "y", false, 1<<20)
	require.ErrorIs(t, err, ErrBadPullBody)
}

// FuzzDecodeQueryBody checks that any answer decodes to matching messages
// or to an error wrapping ErrBadPullBody, never a panic.
func FuzzDecodeQueryBody(f *testing.F) {
	f.Add(pullBody(f,
		testRecord{topic: "T", body: []byte("one"), props: map[string]string{"KEYS": "k other", "UNIQ_KEY": "k"}},
		testRecord{topic: "T", body: compress([]byte("two two two")), sysFlag: commitlog.SysFlagCompressed,
			props: map[string]string{"KEYS": "k"}},
	), "k")
	f.Add([]byte{}, "")
	f.Fuzz(func(t *testing.T, body []byte, key string) {
		for _, uniq := range []bool{false, true} {
			msgs, err := decodeQueryBody(body, key, uniq, 1<<16)
			if err != nil {
				require.True(t, errors.Is(err, ErrBadPullBody), err)
				continue
			}
			for _, m := range msgs {
				switch {
				case key == "":
				case uniq:
					require.Equal(t, key, m.MsgID)
				default:
					require.Contains(t, m.Keys, key)
				}
			}
		}
	})
}
