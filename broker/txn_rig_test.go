package broker

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/remoting"
)

// txnEpoch is the manual clock's start in the transaction tests.
var txnEpoch = time.Unix(1_700_000_000, 0)

const (
	txnTopic = "TxnTopic"
	txnGroup = "txn-pg"
)

// txnRig is a broker on a manual clock, an in-memory file system and network,
// never started: the tests call its request handlers and its check rounds
// themselves, with a fake producer connection that records what the broker
// sends it.
type txnRig struct {
	t     *testing.T
	clock *env.ManualClock
	e     env.Env
	cfg   Config
	b     *Broker
	peer  *txnPeer
	logs  *txnLogs
}

func newTxnRig(t *testing.T, tweak func(*Config)) *txnRig {
	clock := env.NewManualClock(txnEpoch)
	r := &txnRig{t: t, clock: clock, peer: &txnPeer{id: 1}, logs: &txnLogs{}}
	r.e = env.Env{Clock: clock, FS: env.NewMemFS(clock), Rand: env.NewSeededRand(3), Net: env.NewMemNetwork(clock)}
	r.cfg = DefaultConfig("/store")
	r.cfg.ListenAddr = "127.0.0.1:10911"
	r.cfg.Logger = slog.New(r.logs)
	r.cfg.Store.CommitLog.SegmentSizeBytes = 1 << 20
	r.cfg.Store.ConsumeQueueUnitsPerFile = 1000
	r.cfg.Store.IndexHashSlots = 100
	r.cfg.Store.IndexMaxEntries = 400
	r.cfg.Transaction = TransactionConfig{CheckInterval: time.Minute, Timeout: 6 * time.Second, CheckMax: 15}
	if tweak != nil {
		tweak(&r.cfg)
	}
	r.open()
	return r
}

// open makes a broker over the rig's store and registers the fake producer.
func (r *txnRig) open() {
	b, err := New(r.e, r.cfg)
	require.NoError(r.t, err)
	r.b = b
	r.t.Cleanup(func() { b.Close() })
	b.clients.registerProducer(txnGroup, clientChannel{peer: r.peer, clientID: "producer-1", lastUpdate: r.clock.Now()})
}

// reopen closes the broker cleanly and opens it again on the same files.
func (r *txnRig) reopen() {
	require.NoError(r.t, r.b.Close())
	r.open()
}

// call runs a handler and returns its answer.
func (r *txnRig) call(h remoting.Handler, req *remoting.Command) *remoting.Command {
	var resp *remoting.Command
	h(r.peer, req, func(c *remoting.Command) { resp = c })
	require.NotNil(r.t, resp, "the handler answered")
	return resp
}

// half is what the producer learns from sending a half message.
type half struct {
	physOffset  int64
	queueOffset int64
	msgID       string
	uniqKey     string
}

// sendHalf sends a transactional half message as the official Go client does
// (sysFlag PREPARED, TRAN_MSG, PGROUP), born now, with extra properties.
func (r *txnRig) sendHalf(body string, extra map[string]string) half {
	uniq := fmt.Sprintf("UNIQ-%s", body)
	props := map[string]string{
		commitlog.PropertyTransactionPrepared: "true",
		commitlog.PropertyProducerGroup:       txnGroup,
		commitlog.PropertyUniqKey:             uniq,
		commitlog.PropertyTags:                "tx",
		commitlog.PropertyWait:                "true",
	}
	for k, v := range extra {
		props[k] = v
	}
	h := remoting.SendMessageRequestHeader{
		ProducerGroup:         txnGroup,
		Topic:                 txnTopic,
		DefaultTopic:          DefaultTopic,
		DefaultTopicQueueNums: 4,
		QueueID:               2,
		SysFlag:               commitlog.SysFlagTransactionPrepared,
		BornTimestamp:         r.clock.Now().UnixMilli(),
		Properties:            string(commitlog.EncodeProperties(props)),
		MaxReconsumeTimes:     remoting.MaxReconsumeTimesUnset,
	}
	resp := r.call(r.b.send, remoting.NewRequest(remoting.ReqSendMessage, h.ToExtFields(), []byte(body)))
	require.Equal(r.t, remoting.ResSuccess, resp.Code, resp.Remark)
	sh, err := remoting.DecodeSendMessageResponseHeader(resp.ExtFields)
	require.NoError(r.t, err)
	require.Equal(r.t, uniq, resp.ExtFields["transactionId"], "the answer names the transaction")
	_, phys, err := commitlog.ParseOffsetMsgID(sh.MsgID)
	require.NoError(r.t, err)
	return half{physOffset: phys, queueOffset: sh.QueueOffset, msgID: sh.MsgID, uniqKey: uniq}
}

// end sends END_TRANSACTION about a half message as the producer group.
func (r *txnRig) end(h half, state int32, fromCheck bool) *remoting.Command {
	eh := remoting.EndTransactionRequestHeader{
		ProducerGroup:        txnGroup,
		TranStateTableOffset: h.queueOffset,
		CommitLogOffset:      h.physOffset,
		CommitOrRollback:     state,
		FromTransactionCheck: fromCheck,
		MsgID:                h.uniqKey,
		TransactionID:        h.uniqKey,
	}
	return r.call(r.b.endTransaction, remoting.NewRequest(remoting.ReqEndTransaction, eh.ToExtFields(), nil))
}

// records reads a whole queue.
func (r *txnRig) records(topic string, queueID int32) []commitlog.Record {
	var out []commitlog.Record
	for off := int64(0); off < r.b.store.MaxOffsetInQueue(topic, queueID); {
		res := r.b.store.Get(topic, queueID, off, 32, nil)
		for _, raw := range res.Messages {
			rec, err := commitlog.Decode(append([]byte(nil), raw...), true)
			require.NoError(r.t, err)
			out = append(out, rec)
		}
		res.Release()
		require.Greater(r.t, res.NextBeginOffset, off)
		off = res.NextBeginOffset
	}
	return out
}

// delivered returns the bodies of the real topic's queue 2.
func (r *txnRig) delivered() []string {
	var out []string
	for _, rec := range r.records(txnTopic, 2) {
		out = append(out, string(rec.Body))
	}
	return out
}

// opBodies returns the bodies of the op queue's records.
func (r *txnRig) opBodies() []string {
	var out []string
	for _, rec := range r.records(TransOpHalfTopic, 0) {
		out = append(out, string(rec.Body))
	}
	return out
}

// round advances the clock by d and runs one check round.
func (r *txnRig) round(d time.Duration) {
	r.clock.Advance(d)
	r.b.checkTransactions()
}

// check is a CHECK_TRANSACTION_STATE the fake producer received, decoded.
type check struct {
	header remoting.CheckTransactionStateRequestHeader
	rec    commitlog.Record
}

// checks returns and forgets what the fake producer was asked.
func (r *txnRig) checks() []check {
	var out []check
	for _, req := range r.peer.take() {
		require.Equal(r.t, remoting.ReqCheckTransactionState, req.Code)
		h, err := remoting.DecodeCheckTransactionStateRequestHeader(req.ExtFields)
		require.NoError(r.t, err)
		rec, err := commitlog.Decode(req.Body, true)
		require.NoError(r.t, err)
		require.Equal(r.t, int(rec.TotalSize), len(req.Body), "the body is one record")
		out = append(out, check{header: h, rec: rec})
	}
	return out
}

// answer ends the transaction a check asked about, as the Go client does.
func (r *txnRig) answer(c check, state int32) *remoting.Command {
	return r.end(half{physOffset: c.header.CommitLogOffset, queueOffset: c.header.TranStateTableOffset,
		uniqKey: c.header.MsgID}, state, true)
}

// progress returns the check service's committed offsets of the half and op
// queues.
func (r *txnRig) progress() (half, op int64) {
	h, ok := r.b.offsets.query(TransCheckGroup, TransHalfTopic, 0)
	require.True(r.t, ok)
	o, ok := r.b.offsets.query(TransCheckGroup, TransOpHalfTopic, 0)
	require.True(r.t, ok)
	return h, o
}

func prop(rec commitlog.Record, name string) string {
	v, _ := commitlog.PropertyValue(rec.Properties, name)
	return string(v)
}

func checkTimes(t *testing.T, rec commitlog.Record) int {
	v := prop(rec, commitlog.PropertyTransactionCheckTimes)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	require.NoError(t, err)
	return n
}

// txnPeer is a producer connection that keeps the requests sent to it.
type txnPeer struct {
	id     uint64
	mu     sync.Mutex
	oneway []*remoting.Command
}

func (p *txnPeer) ID() uint64         { return p.id }
func (p *txnPeer) RemoteAddr() string { return "10.0.0.9:50000" }
func (p *txnPeer) Invoke(req *remoting.Command, _ time.Duration, cb func(*remoting.Command, error)) {
	cb(nil, remoting.ErrConnClosed)
}
func (p *txnPeer) InvokeOneway(req *remoting.Command) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.oneway = append(p.oneway, req)
	return nil
}
func (p *txnPeer) ReplyParts(_ *remoting.Command, _ *remoting.Command, _ [][]byte, release func(error)) {
	if release != nil {
		release(nil)
	}
}
func (p *txnPeer) Close() error { return nil }

func (p *txnPeer) take() []*remoting.Command {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.oneway
	p.oneway = nil
	return out
}

// txnLogs is a slog handler that keeps the messages of warnings and errors.
type txnLogs struct {
	mu   sync.Mutex
	msgs []string
}

func (l *txnLogs) Enabled(_ context.Context, lvl slog.Level) bool { return lvl >= slog.LevelWarn }
func (l *txnLogs) Handle(_ context.Context, rec slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, rec.Message)
	return nil
}
func (l *txnLogs) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *txnLogs) WithGroup(string) slog.Handler      { return l }

// count returns how many kept messages are msg.
func (l *txnLogs) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if m == msg {
			n++
		}
	}
	return n
}
