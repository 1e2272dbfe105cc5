package broker_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/remoting"
)

// lock sends LOCK_BATCH_MQ for client and returns the queue ids granted.
func (r *opsRig) lock(client string, ids ...int32) []int32 {
	r.t.Helper()
	resp := r.call(remoting.ReqLockBatchMQ, nil, remoting.AppendLockBatchRequestBodyJSON(nil, lockBody(client, ids)))
	require.Equal(r.t, remoting.ResSuccess, resp.Code, resp.Remark)
	body, err := remoting.DecodeLockBatchResponseBody(resp.Body)
	require.NoError(r.t, err)
	var got []int32
	for _, mq := range body.LockOKMQSet {
		got = append(got, mq.QueueID)
	}
	return got
}

// unlock sends UNLOCK_BATCH_MQ for client.
func (r *opsRig) unlock(client string, ids ...int32) {
	r.t.Helper()
	resp := r.call(remoting.ReqUnlockBatchMQ, nil, remoting.AppendUnlockBatchRequestBodyJSON(nil, (*remoting.UnlockBatchRequestBody)(lockBody(client, ids))))
	require.Equal(r.t, remoting.ResSuccess, resp.Code, resp.Remark)
}

func lockBody(client string, ids []int32) *remoting.LockBatchRequestBody {
	b := &remoting.LockBatchRequestBody{ConsumerGroup: "orderly", ClientID: client}
	for _, id := range ids {
		b.MQSet = append(b.MQSet, remoting.MessageQueue{Topic: "T", BrokerName: "broker-a", QueueID: id})
	}
	return b
}

// Locks expire by the broker's clock: a holder that keeps renewing keeps its
// queue, one that stops loses it after the configured lifetime and not a
// moment before.
func TestLockExpiryFollowsTheClock(t *testing.T) {
	r := startOpsRig(t, func(cfg *broker.Config) { cfg.RebalanceLockMaxLiveTime = 10 * time.Second })
	require.Equal(t, []int32{0, 1}, r.lock("A", 0, 1))
	require.Empty(t, r.lock("B", 0, 1))

	for range 5 { // A renews queue 0 only, every 4 s, for 20 s
		r.clock.Advance(4 * time.Second)
		require.Equal(t, []int32{0}, r.lock("A", 0))
		got := r.lock("B", 0, 1)
		if r.clock.Now().Sub(time.Date(2024, 3, 5, 12, 0, 0, 0, time.UTC)) <= 10*time.Second {
			require.Empty(t, got, "queue 1 is still A's at %s", r.clock.Now())
		} else {
			require.Contains(t, got, int32(1), "queue 1 lapsed at %s", r.clock.Now())
			require.NotContains(t, got, int32(0), "queue 0 is renewed")
		}
	}
	// B holds queue 1 now; A cannot take it back, nor unlock it.
	r.unlock("A", 1)
	require.Empty(t, r.lock("A", 1))
	r.unlock("B", 1)
	require.Equal(t, []int32{1}, r.lock("A", 1))

	// Once every lock lapsed (and the periodic sweep ran), anyone takes them.
	r.clock.Advance(30 * time.Second)
	require.Equal(t, []int32{0, 1}, r.lock("C", 0, 1))
}

// A lock request that does not decode, or names no group or client, is
// refused; an empty one is answered with an empty set.
func TestLockBadBodies(t *testing.T) {
	r := startOpsRig(t, nil)
	for _, code := range []int32{remoting.ReqLockBatchMQ, remoting.ReqUnlockBatchMQ} {
		resp := r.call(code, nil, []byte(`{"consumerGroup":`))
		require.Equal(t, remoting.ResSystemError, resp.Code)
		require.Contains(t, resp.Remark, "bad body")

		resp = r.call(code, nil, []byte(`{"consumerGroup":"g","mqSet":[{"topic":"T","brokerName":"b","queueId":0}]}`))
		require.Equal(t, remoting.ResInvalidParameter, resp.Code)
		require.Contains(t, resp.Remark, "clientId")
	}
	resp := r.call(remoting.ReqLockBatchMQ, nil, []byte(`{"consumerGroup":"g","clientId":"c","mqSet":[]}`))
	require.Equal(t, remoting.ResSuccess, resp.Code)
	require.JSONEq(t, `{"lockOKMQSet":[]}`, string(resp.Body))
}
