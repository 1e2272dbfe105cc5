package broker_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/remoting"
)

// pullAsync sends a pull and returns a channel with its answer.
func (c *cluster) pullAsync(h remoting.PullMessageRequestHeader) <-chan *remoting.Command {
	out := make(chan *remoting.Command, 1)
	c.cl.Invoke(c.broker.Addr(), remoting.NewRequest(remoting.ReqPullMessage, h.ToExtFields(), nil), 30*time.Second,
		func(resp *remoting.Command, err error) {
			require.NoError(c.t, err)
			out <- resp
		})
	return out
}

func TestLongPollingIsWokenByAMatchingMessage(t *testing.T) {
	c := startCluster(t, nil)
	resp := c.invoke(remoting.ReqSendMessage, sendHeader("Poll", 0, map[string]string{"TAGS": "A"}).ToExtFields(), []byte("first"))
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)

	h := pullHeader("cg", "Poll", 0, 1, "B")
	h.SysFlag |= remoting.PullFlagSuspend
	h.SuspendTimeoutMillis = 20_000
	answer := c.pullAsync(h)
	require.Eventually(t, func() bool { return heldCount(t, c) == 1 }, 5*time.Second, time.Millisecond)

	// A message with another tag does not answer the pull.
	resp = c.invoke(remoting.ReqSendMessage, sendHeader("Poll", 0, map[string]string{"TAGS": "A"}).ToExtFields(), []byte("not for you"))
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	// A message to another queue neither.
	resp = c.invoke(remoting.ReqSendMessage, sendHeader("Poll", 1, map[string]string{"TAGS": "B"}).ToExtFields(), []byte("other queue"))
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	require.Equal(t, 1, heldCount(t, c))
	select {
	case r := <-answer:
		t.Fatalf("answered early: %s %s", remoting.ResponseCodeName(r.Code), r.Remark)
	default:
	}

	resp = c.invoke(remoting.ReqSendMessage, sendHeader("Poll", 0, map[string]string{"TAGS": "B"}).ToExtFields(), []byte("for you"))
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	r := <-answer
	require.Equal(t, remoting.ResSuccess, r.Code, r.Remark)
	recs := decodeRecords(t, r.Body)
	require.Len(t, recs, 1)
	require.Equal(t, "for you", string(recs[0].Body))
	hdr, err := remoting.DecodePullMessageResponseHeader(r.ExtFields)
	require.NoError(t, err)
	require.Equal(t, int64(3), hdr.NextBeginOffset)
	require.Equal(t, int64(3), hdr.MaxOffset)
	require.Equal(t, 0, heldCount(t, c))
}

func TestLongPollingTimesOutWithPullNotFound(t *testing.T) {
	c := startCluster(t, nil)
	resp := c.invoke(remoting.ReqSendMessage, sendHeader("Idle", 0, nil).ToExtFields(), []byte("x"))
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	h := pullHeader("cg", "Idle", 0, 1, "*")
	h.SysFlag |= remoting.PullFlagSuspend
	h.SuspendTimeoutMillis = 50
	r := <-c.pullAsync(h)
	require.Equal(t, remoting.ResPullNotFound, r.Code, r.Remark)
	hdr, err := remoting.DecodePullMessageResponseHeader(r.ExtFields)
	require.NoError(t, err)
	require.Equal(t, int64(1), hdr.NextBeginOffset)
	require.Equal(t, int64(1), hdr.MaxOffset)
}

func TestHeldPullsAreAnsweredAtClose(t *testing.T) {
	c := startCluster(t, nil)
	resp := c.invoke(remoting.ReqSendMessage, sendHeader("Bye", 0, nil).ToExtFields(), []byte("x"))
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	h := pullHeader("cg", "Bye", 0, 1, "*")
	h.SysFlag |= remoting.PullFlagSuspend
	h.SuspendTimeoutMillis = 60_000
	answer := make(chan error, 1)
	c.cl.Invoke(c.broker.Addr(), remoting.NewRequest(remoting.ReqPullMessage, h.ToExtFields(), nil), 30*time.Second,
		func(resp *remoting.Command, err error) {
			if err == nil && resp.Code != remoting.ResPullNotFound {
				err = fmt.Errorf("answered %s", remoting.ResponseCodeName(resp.Code))
			}
			answer <- err
		})
	require.Eventually(t, func() bool { return heldCount(t, c) == 1 }, 5*time.Second, time.Millisecond)
	require.NoError(t, c.broker.Close())
	// The pull is answered PULL_NOT_FOUND, or its connection closes with
	// the server first; it never waits for its suspend timeout.
	select {
	case err := <-answer:
		if err != nil {
			require.ErrorIs(t, err, remoting.ErrConnClosed)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the held pull was neither answered nor failed at close")
	}
}

func heldCount(t *testing.T, c *cluster) int {
	t.Helper()
	resp := c.invoke(remoting.ReqGetBrokerRuntimeInfo, nil, nil)
	require.Equal(t, remoting.ResSuccess, resp.Code)
	var kv struct{ Table map[string]string }
	require.NoError(t, json.Unmarshal(resp.Body, &kv))
	n := 0
	for _, ch := range kv.Table["pullHeldCount"] {
		n = n*10 + int(ch-'0')
	}
	return n
}
