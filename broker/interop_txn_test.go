package broker_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/remoting"
)

// Short transaction timings for the interop tests: a half message left
// unknown is asked about within about a second of its birth.
const (
	interopTxnCheckInterval = 200 * time.Millisecond
	interopTxnTimeout       = time.Second
)

func shortTransactionChecks(cfg *broker.Config) {
	cfg.Transaction.CheckInterval = interopTxnCheckInterval
	cfg.Transaction.Timeout = interopTxnTimeout
}

// txnListener is an application's local transaction: a message whose body
// starts with "commit" commits, "rollback" rolls back, and "unknown" is left
// unknown until the broker asks, when it commits.
type txnListener struct {
	mu      sync.Mutex
	checked map[string]int // body -> CHECK_TRANSACTION_STATE received
}

func (l *txnListener) ExecuteLocalTransaction(m *primitive.Message) primitive.LocalTransactionState {
	switch body := string(m.Body); {
	case strings.HasPrefix(body, "commit"):
		return primitive.CommitMessageState
	case strings.HasPrefix(body, "rollback"):
		return primitive.RollbackMessageState
	default:
		return primitive.UnkonwnState
	}
}

func (l *txnListener) CheckLocalTransaction(m *primitive.MessageExt) primitive.LocalTransactionState {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.checked[string(m.Body)]++
	if strings.HasPrefix(string(m.Body), "unknown") {
		return primitive.CommitMessageState
	}
	return primitive.RollbackMessageState
}

func (l *txnListener) checks() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for k, v := range l.checked {
		out[k] = v
	}
	return out
}

// transactionProducer starts an official transaction producer of a fresh
// group.
func (ic *interopCluster) transactionProducer(l primitive.TransactionListener) (rocketmq.TransactionProducer, string) {
	ic.t.Helper()
	group := uniqueName("txn-pg")
	p, err := rocketmq.NewTransactionProducer(l,
		producer.WithNsResolver(ic.resolver),
		producer.WithGroupName(group),
		producer.WithInstanceName(uniqueName("txn-producer")),
		producer.WithRetry(2),
	)
	require.NoError(ic.t, err)
	require.NoError(ic.t, p.Start())
	ic.t.Cleanup(func() { p.Shutdown() })
	return p, group
}

// topicBodies returns the bodies of every record of topic's queues, read
// from the store.
func (ic *interopCluster) topicBodies(topic string, queues int32) map[string]int {
	out := map[string]int{}
	for q := range queues {
		for _, r := range ic.rawPullAll(uniqueName("reader"), topic, q, "*") {
			out[string(r.Body)]++
		}
	}
	return out
}

// The official transaction producer: committed transactions are delivered
// once, rolled-back ones never, and one left unknown is asked about by the
// broker and delivered once the producer's answer commits it.
func TestInteropTxnCommitRollbackAndCheck(t *testing.T) {
	ic := startInterop(t, shortTransactionChecks)
	topic := uniqueName("Txn")
	ic.createTopic(topic, interopQueues)
	l := &txnListener{checked: map[string]int{}}
	p, _ := ic.transactionProducer(l)

	var got collector
	ic.pushConsumer(uniqueName("cg"), topic, "*", &got)

	var commits, rollbacks []string
	send := func(body string) *primitive.TransactionSendResult {
		res, err := p.SendMessageInTransaction(sendCtx(t), primitive.NewMessage(topic, []byte(body)).WithTag("tx"))
		require.NoError(t, err)
		require.Equal(t, primitive.SendOK, res.Status)
		require.NotEmpty(t, res.TransactionID, "the send answer names the transaction")
		return res
	}
	for i := range 4 {
		rollbacks = append(rollbacks, fmt.Sprintf("rollback-%d", i))
		send(rollbacks[i])
		commits = append(commits, fmt.Sprintf("commit-%d", i))
		send(commits[i])
	}
	unknown := send("unknown-0")
	require.Equal(t, primitive.UnkonwnState, unknown.State)

	got.waitBodies(t, append(append([]string(nil), commits...), "unknown-0"))
	require.GreaterOrEqual(t, l.checks()["unknown-0"], 1, "the broker asked about the unknown transaction")
	checked := l.checks()
	for _, b := range append(append([]string(nil), commits...), rollbacks...) {
		require.Zero(t, checked[b], "%s was ended and never asked about", b)
	}

	// Every commit (and the checked one) is in the topic once; no rollback
	// is in it at all, so no consumer can ever see one.
	stored := ic.topicBodies(topic, interopQueues)
	for _, b := range append(append([]string(nil), commits...), "unknown-0") {
		require.Equal(t, 1, stored[b], "%s is stored once", b)
	}
	for _, b := range rollbacks {
		require.Zero(t, stored[b], "%s is not stored", b)
	}
	require.Len(t, stored, len(commits)+1)
	for _, m := range got.all() {
		require.False(t, strings.HasPrefix(m.body, "rollback"), "%s was delivered", m.body)
		require.Equal(t, commitlog.SysFlagTransactionCommit, m.sysFlag&commitlog.SysFlagTransactionMask)
		require.Empty(t, m.props[commitlog.PropertyTransactionPrepared], "a delivered message is no half message")
	}

	// Further rounds of the check service leave the ended transactions alone.
	time.Sleep(3 * interopTxnCheckInterval)
	require.Equal(t, checked["unknown-0"], l.checks()["unknown-0"])
	require.Equal(t, stored, ic.topicBodies(topic, interopQueues))
}

// An END_TRANSACTION that arrives twice, or a rollback after a commit, is
// answered SUCCESS and the message is stored once.
func TestInteropTxnEndTwiceDeliversOnce(t *testing.T) {
	ic := startInterop(t, nil)
	topic := uniqueName("TxnTwice")
	ic.createTopic(topic, interopQueues)
	props := map[string]string{
		commitlog.PropertyTransactionPrepared: "true",
		commitlog.PropertyProducerGroup:       "pg",
		commitlog.PropertyUniqKey:             "0A0000010000000000000001",
	}
	h := sendHeader(topic, 1, props)
	h.SysFlag = commitlog.SysFlagTransactionPrepared
	resp := ic.invoke(remoting.ReqSendMessage, h.ToExtFields(), []byte("once"))
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	sh, err := remoting.DecodeSendMessageResponseHeader(resp.ExtFields)
	require.NoError(t, err)
	require.Equal(t, props[commitlog.PropertyUniqKey], sh.TransactionID)
	_, phys, err := commitlog.ParseOffsetMsgID(sh.MsgID)
	require.NoError(t, err)
	require.Empty(t, ic.topicBodies(topic, interopQueues), "a half message is not delivered")

	end := remoting.EndTransactionRequestHeader{
		ProducerGroup: "pg", TranStateTableOffset: sh.QueueOffset, CommitLogOffset: phys,
		CommitOrRollback: remoting.TransactionCommitType, MsgID: props[commitlog.PropertyUniqKey],
	}
	for i, state := range []int32{remoting.TransactionCommitType, remoting.TransactionCommitType, remoting.TransactionRollbackType} {
		end.CommitOrRollback = state
		end.FromTransactionCheck = i > 0
		resp := ic.invoke(remoting.ReqEndTransaction, end.ToExtFields(), nil)
		require.Equal(t, remoting.ResSuccess, resp.Code, "end %d: %s", i, resp.Remark)
	}
	require.Equal(t, map[string]int{"once": 1}, ic.topicBodies(topic, interopQueues))
	recs := ic.rawPullAll(uniqueName("reader"), topic, 1, "*")
	require.Len(t, recs, 1)
	require.Equal(t, phys, recs[0].PreparedTransactionOffset)

	// After a restart the end is still known.
	ic.restartBroker()
	resp = ic.invoke(remoting.ReqEndTransaction, end.ToExtFields(), nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	end.CommitOrRollback = remoting.TransactionCommitType
	resp = ic.invoke(remoting.ReqEndTransaction, end.ToExtFields(), nil)
	require.Equal(t, remoting.ResSuccess, resp.Code, resp.Remark)
	require.Equal(t, map[string]int{"once": 1}, ic.topicBodies(topic, interopQueues))
}
