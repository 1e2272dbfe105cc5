package client

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/remoting"
)

func TestSendHalfMarksTheMessageAsPrepared(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	r.ns.setRoute("T", 1, a)
	p := r.producer(nil)

	res, err := await(r, func(cb func(SendResult, error)) {
		p.SendHalfAsync(&Message{Topic: "T", Body: []byte("order 42"), Properties: map[string]string{"DELAY": "3", "a": "1"}}, cb)
	})
	require.NoError(t, err)
	require.Len(t, a.sent(), 1)
	h := sendHeader(t, a.sent()[0])
	assert.Equal(t, commitlog.SysFlagTransactionPrepared, h.SysFlag&commitlog.SysFlagTransactionMask)
	props := commitlog.ParseProperties([]byte(h.Properties))
	assert.Equal(t, "true", props[commitlog.PropertyTransactionPrepared])
	assert.Equal(t, "pg", props[commitlog.PropertyProducerGroup])
	assert.Equal(t, "1", props["a"])
	assert.NotContains(t, props, commitlog.PropertyDelayLevel, "a half message is never delayed")
	assert.Equal(t, res.MsgID, props[commitlog.PropertyUniqKey])

	_, err = await(r, func(cb func(SendResult, error)) { p.SendHalfAsync(nil, cb) })
	require.ErrorIs(t, err, ErrInvalidMessage)

	mq := MessageQueue{Topic: "T", BrokerName: "broker-a", QueueID: 0}
	res, err = await(r, func(cb func(SendResult, error)) {
		p.SendHalfToQueueAsync(&Message{Topic: "T", Body: []byte("to a queue")}, mq, cb)
	})
	require.NoError(t, err)
	require.Equal(t, mq, res.Queue)
	require.Len(t, a.sent(), 2)
	assert.Equal(t, commitlog.SysFlagTransactionPrepared, sendHeader(t, a.sent()[1]).SysFlag&commitlog.SysFlagTransactionMask)
}

func TestEndTransactionNamesTheHalfMessage(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	r.ns.setRoute("T", 1, a)
	var ends []remoting.EndTransactionRequestHeader
	a.handle(remoting.ReqEndTransaction, func(req *remoting.Command) *remoting.Command {
		h, err := remoting.DecodeEndTransactionRequestHeader(req.ExtFields)
		require.NoError(t, err)
		ends = append(ends, h)
		if h.CommitOrRollback == remoting.TransactionRollbackType {
			return remoting.NewResponse(req, remoting.ResSystemError, "no such half message")
		}
		return remoting.NewResponse(req, remoting.ResSuccess, "")
	})
	p := r.producer(nil)
	half, err := await(r, func(cb func(SendResult, error)) {
		p.SendHalfAsync(&Message{Topic: "T", Body: []byte("x")}, cb)
	})
	require.NoError(t, err)

	_, err = await(r, func(cb func(struct{}, error)) {
		p.EndTransactionAsync(half, TransactionCommit, func(err error) { cb(struct{}{}, err) })
	})
	require.NoError(t, err)
	require.Len(t, ends, 1)
	_, physOffset, perr := commitlog.ParseOffsetMsgID(half.OffsetMsgID)
	require.NoError(t, perr)
	assert.Equal(t, remoting.EndTransactionRequestHeader{
		ProducerGroup: "pg", TranStateTableOffset: half.QueueOffset, CommitLogOffset: physOffset,
		CommitOrRollback: remoting.TransactionCommitType, MsgID: half.MsgID, TransactionID: half.MsgID, BrokerName: "broker-a",
	}, ends[0])

	_, err = await(r, func(cb func(struct{}, error)) {
		p.EndTransactionAsync(half, TransactionRollback, func(err error) { cb(struct{}{}, err) })
	})
	var be *BrokerError
	require.ErrorAs(t, err, &be, "the broker's refusal reaches the caller")
	assert.Equal(t, remoting.ResSystemError, be.Code)

	for _, bad := range []struct {
		half  SendResult
		state TransactionState
	}{
		{half, TransactionState(5)},
		{SendResult{OffsetMsgID: "not hex", Queue: half.Queue}, TransactionCommit},
		{SendResult{OffsetMsgID: half.OffsetMsgID, Queue: MessageQueue{Topic: "T", BrokerName: "nowhere"}}, TransactionCommit},
	} {
		_, err = await(r, func(cb func(struct{}, error)) {
			p.EndTransactionAsync(bad.half, bad.state, func(err error) { cb(struct{}{}, err) })
		})
		require.Error(t, err)
	}
	require.Len(t, ends, 2, "nothing is sent for a bad request")
}

func TestTransactionCheckIsAnsweredWithTheCheckersVerdict(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	r.ns.setRoute("T", 1, a)
	var (
		mu    sync.Mutex
		peer  remoting.Peer
		ends  []remoting.EndTransactionRequestHeader
		asked []string
	)
	a.srv.Handle(remoting.ReqHeartBeat, func(pr remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
		mu.Lock()
		peer = pr
		mu.Unlock()
		reply(remoting.NewResponse(req, remoting.ResSuccess, ""))
	})
	a.handle(remoting.ReqEndTransaction, func(req *remoting.Command) *remoting.Command {
		h, err := remoting.DecodeEndTransactionRequestHeader(req.ExtFields)
		require.NoError(t, err)
		ends = append(ends, h)
		return remoting.NewResponse(req, remoting.ResSuccess, "")
	})
	p := r.producer(nil)
	p.SetTransactionChecker(func(half *MessageExt) TransactionState {
		asked = append(asked, string(half.Body))
		switch string(half.Body) {
		case "commit me":
			return TransactionCommit
		case "roll me back":
			return TransactionRollback
		}
		return TransactionUnknown
	})
	_, err := r.send(p, &Message{Topic: "T", Body: []byte("first")}) // connects and heartbeats
	require.NoError(t, err)
	r.run()
	require.NotNil(t, peer, "the producer heartbeat")

	check := func(body string, halfProps map[string]string, physOffset int64) {
		props := commitlog.EncodeProperties(halfProps)
		m := commitlog.Message{Topic: "RMQ_SYS_TRANS_HALF_TOPIC", Body: []byte(body), Properties: props,
			BornHost: netip.MustParseAddrPort("127.0.0.1:5000"), StoreHost: mustAddrPort(t, a.addr)}
		size, err := commitlog.EncodedSize(&m)
		require.NoError(t, err)
		rec := make([]byte, size)
		commitlog.Encode(rec, &m, commitlog.BodyCRC(m.Body), 7, physOffset, epoch.UnixMilli())
		h := remoting.CheckTransactionStateRequestHeader{TranStateTableOffset: 7, CommitLogOffset: physOffset, MsgID: halfProps["UNIQ_KEY"], TransactionID: "tx-" + body}
		require.NoError(t, peer.InvokeOneway(remoting.NewRequest(remoting.ReqCheckTransactionState, h.ToExtFields(), rec)))
		r.run()
	}
	half := map[string]string{"TRAN_MSG": "true", "PGROUP": "pg", "UNIQ_KEY": "ABC"}
	check("commit me", half, 4096)
	check("roll me back", half, 8192)
	check("no idea", half, 12288)
	check("not a half message", map[string]string{"UNIQ_KEY": "DEF"}, 16384)
	require.NoError(t, peer.InvokeOneway(remoting.NewRequest(remoting.ReqCheckTransactionState,
		remoting.CheckTransactionStateRequestHeader{CommitLogOffset: 1}.ToExtFields(), []byte("garbage"))))
	r.run()

	assert.Equal(t, []string{"commit me", "roll me back", "no idea"}, asked, "undecodable checks never reach the checker")
	require.Len(t, ends, 2, "an unknown state is not answered")
	assert.Equal(t, remoting.EndTransactionRequestHeader{
		ProducerGroup: "pg", TranStateTableOffset: 7, CommitLogOffset: 4096, CommitOrRollback: remoting.TransactionCommitType,
		FromTransactionCheck: true, MsgID: "ABC", TransactionID: "tx-commit me",
	}, ends[0])
	assert.Equal(t, remoting.TransactionRollbackType, ends[1].CommitOrRollback)
	assert.Equal(t, int64(8192), ends[1].CommitLogOffset)
}

func TestTransactionalProducerHeartbeatsBeforeItSends(t *testing.T) {
	r := newRig(t)
	a := r.broker("broker-a")
	r.ns.setRoute(DefaultTopic, 1, a)
	cfg := ProducerConfig{NamesrvAddrs: []string{r.ns.srv.Addr()}, Group: "pg", Logger: quiet, HeartbeatInterval: time.Second}

	plain := NewProducer(r.e, cfg)
	require.NoError(t, plain.Start())
	t.Cleanup(plain.Close)
	r.advance(3 * time.Second)
	require.Empty(t, a.beats(), "a producer that has not sent knows no broker")

	// The name server does not answer at first: the lookup is retried.
	r.ns.srv.Close()
	ns := newFakeNamesrv(r)
	cfg.NamesrvAddrs = []string{ns.srv.Addr()}
	tx := NewProducer(r.e, cfg)
	tx.SetTransactionChecker(func(*MessageExt) TransactionState { return TransactionUnknown })
	require.NoError(t, tx.Start())
	t.Cleanup(tx.Close)
	r.advance(3 * time.Second)
	require.Empty(t, a.beats())
	ns.setRoute(DefaultTopic, 1, a)
	r.advance(3 * time.Second)
	require.NotEmpty(t, a.beats(), "a transactional producer heartbeats the brokers of the default topic")
	require.Equal(t, "pg", a.beats()[0].ProducerDataSet[0].GroupName)
}
