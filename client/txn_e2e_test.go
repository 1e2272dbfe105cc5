package client

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/broker"
)

func TestEndToEndTransactions(t *testing.T) {
	c := startCluster(t, func(cfg *broker.Config) {
		cfg.Transaction.CheckInterval = 100 * time.Millisecond
		cfg.Transaction.Timeout = 200 * time.Millisecond
	})
	require.NoError(t, c.admin.CreateTopic(c.broker.Addr(), TopicConfig{Name: "Orders", ReadQueueNums: 2, WriteQueueNums: 2, Perm: 6}))
	c.waitForRoute("Orders")
	p := c.producer()
	var mu sync.Mutex
	var checked []string
	p.SetTransactionChecker(func(half *MessageExt) TransactionState {
		mu.Lock()
		defer mu.Unlock()
		checked = append(checked, string(half.Body))
		if string(half.Body) == "unknown, then committed" {
			return TransactionCommit
		}
		return TransactionUnknown
	})
	half := func(body string) SendResult {
		res, err := p.SendHalf(&Message{Topic: "Orders", Body: []byte(body)})
		require.NoError(t, err)
		require.Equal(t, SendOK, res.Status)
		return res
	}
	committed := half("committed")
	rolledBack := half("rolled back")
	half("unknown, then committed")
	require.NoError(t, p.EndTransaction(committed, TransactionCommit))
	require.NoError(t, p.EndTransaction(committed, TransactionCommit), "a second end is accepted and applied once")
	require.NoError(t, p.EndTransaction(rolledBack, TransactionRollback))

	pc := c.consumer("txn-readers", nil)
	var bodies []string
	require.Eventually(t, func() bool {
		bodies = bodies[:0]
		for _, m := range drain(t, pc, "Orders", "*") {
			bodies = append(bodies, string(m.Body))
		}
		slices.Sort(bodies)
		return len(bodies) >= 2
	}, waitFor, 20*time.Millisecond)
	require.Equal(t, []string{"committed", "unknown, then committed"}, bodies)
	mu.Lock()
	defer mu.Unlock()
	require.Contains(t, checked, "unknown, then committed")
	require.NotContains(t, checked, "committed", "an ended transaction is never checked")
	require.NotContains(t, checked, "rolled back")
}
