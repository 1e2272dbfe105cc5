package broker_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/remoting"
)

// lockOverTCP sends LOCK_BATCH_MQ (or UNLOCK_BATCH_MQ) for client from the
// cluster's raw client and returns the queue ids granted.
func (c *cluster) lockOverTCP(code int32, client string, ids ...int32) []int32 {
	c.t.Helper()
	resp := c.invoke(code, nil, remoting.AppendLockBatchRequestBodyJSON(nil, lockBody(client, ids)))
	require.Equal(c.t, remoting.ResSuccess, resp.Code, resp.Remark)
	if code == remoting.ReqUnlockBatchMQ {
		require.Empty(c.t, resp.Body)
		return nil
	}
	body, err := remoting.DecodeLockBatchResponseBody(resp.Body)
	require.NoError(c.t, err)
	var got []int32
	for _, mq := range body.LockOKMQSet {
		got = append(got, mq.QueueID)
	}
	return got
}

// Two clients of one group over real connections: a queue is locked by one
// at a time, renewals keep it, and only the holder's unlock frees it.
func TestLockExclusiveOverTCP(t *testing.T) {
	c := startCluster(t, nil)
	require.Equal(t, []int32{0, 1}, c.lockOverTCP(remoting.ReqLockBatchMQ, "A", 0, 1))
	require.Equal(t, []int32{2}, c.lockOverTCP(remoting.ReqLockBatchMQ, "B", 0, 1, 2))
	require.Equal(t, []int32{0, 1}, c.lockOverTCP(remoting.ReqLockBatchMQ, "A", 0, 1, 2))
	c.lockOverTCP(remoting.ReqUnlockBatchMQ, "B", 0, 1)
	require.Empty(t, c.lockOverTCP(remoting.ReqLockBatchMQ, "B", 0, 1), "B's unlock freed nothing of A's")
	c.lockOverTCP(remoting.ReqUnlockBatchMQ, "A", 1)
	require.Equal(t, []int32{1, 2}, c.lockOverTCP(remoting.ReqLockBatchMQ, "B", 1, 2))
}
