package benchmarks

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/remoting"
)

// The transaction benchmark runs a broker in this process (real files, real
// loopback TCP, asynchronous flush, no name server) and drives it with raw
// remoting requests, each sender waiting for every answer:
//
//   - a transaction is SEND_MESSAGE of a 1 KiB half message then
//     END_TRANSACTION committing it, answered once the real message and the
//     op record are stored: two round trips and three records;
//   - the comparison is SEND_MESSAGE of the same 1 KiB body to an ordinary
//     topic: one round trip and one record.
//
// Both run with txnSenders concurrent senders, in chunks of txnChunk
// operations that alternate (the plain chunk with the timer stopped), so
// that both figures come from the same moments of a shared machine.
const (
	// txnSenders is the concurrent senders: enough to keep the broker's
	// append path busy between round trips.
	txnSenders = 16
	// txnChunk is how many transactions, then as many plain sends, run in
	// turn.
	txnChunk = 512
	// txnBenchTopic and txnBenchPlainTopic take the committed and the plain
	// messages, txnBenchGroup is the producer group.
	txnBenchTopic      = "TxnBenchCommit"
	txnBenchPlainTopic = "TxnBenchPlain"
	txnBenchGroup      = "TxnBenchGroup"
	// txnRequestTimeout bounds one request; it only guards against a
	// broken broker.
	txnRequestTimeout = 10 * time.Second
)

// txnBench is an in-process broker and a client connected to it.
type txnBench struct {
	b    *broker.Broker
	cl   *remoting.Client
	body []byte
	// seq makes each half message's UNIQ_KEY unique.
	seq atomic.Int64
}

func newTxnBench(tb testing.TB) *txnBench {
	cfg := broker.DefaultConfig(tb.TempDir())
	cfg.ListenAddr = "127.0.0.1:0"
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.Store.Logger = cfg.Logger
	br, err := broker.New(env.Real(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if err := br.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { br.Close() })
	cl := remoting.NewClient(env.Real(), remoting.ClientConfig{Logger: cfg.Logger})
	tb.Cleanup(func() { cl.Close() })
	return &txnBench{b: br, cl: cl, body: makeBody(bodySizeBytes)}
}

// invoke sends one request and checks that it succeeded.
func (s *txnBench) invoke(code int32, ext map[string]string, body []byte) (*remoting.Command, error) {
	resp, err := s.cl.InvokeSync(s.b.Addr(), remoting.NewRequest(code, ext, body), txnRequestTimeout)
	if err != nil {
		return nil, err
	}
	if resp.Code != remoting.ResSuccess {
		return nil, fmt.Errorf("%s answered %s: %s", remoting.RequestCodeName(code), remoting.ResponseCodeName(resp.Code), resp.Remark)
	}
	return resp, nil
}

func txnSendHeader(topic string, sysFlag int32, props map[string]string) map[string]string {
	return remoting.SendMessageRequestHeader{
		ProducerGroup:         txnBenchGroup,
		Topic:                 topic,
		DefaultTopic:          broker.DefaultTopic,
		DefaultTopicQueueNums: 4,
		QueueID:               -1,
		SysFlag:               sysFlag,
		BornTimestamp:         time.Now().UnixMilli(),
		Properties:            string(commitlog.EncodeProperties(props)),
		MaxReconsumeTimes:     remoting.MaxReconsumeTimesUnset,
	}.ToExtFieldsV2()
}

// plainSend stores one ordinary message.
func (s *txnBench) plainSend() error {
	_, err := s.invoke(remoting.ReqSendMessageV2, txnSendHeader(txnBenchPlainTopic, 0, map[string]string{
		commitlog.PropertyUniqKey: fmt.Sprintf("P%023d", s.seq.Add(1)),
	}), s.body)
	return err
}

// commitOne sends a half message and commits it.
func (s *txnBench) commitOne() error {
	uniq := fmt.Sprintf("T%023d", s.seq.Add(1))
	resp, err := s.invoke(remoting.ReqSendMessageV2, txnSendHeader(txnBenchTopic, commitlog.SysFlagTransactionPrepared, map[string]string{
		commitlog.PropertyTransactionPrepared: "true",
		commitlog.PropertyProducerGroup:       txnBenchGroup,
		commitlog.PropertyUniqKey:             uniq,
	}), s.body)
	if err != nil {
		return err
	}
	sh, err := remoting.DecodeSendMessageResponseHeader(resp.ExtFields)
	if err != nil {
		return err
	}
	_, phys, err := commitlog.ParseOffsetMsgID(sh.MsgID)
	if err != nil {
		return err
	}
	_, err = s.invoke(remoting.ReqEndTransaction, remoting.EndTransactionRequestHeader{
		ProducerGroup:        txnBenchGroup,
		TranStateTableOffset: sh.QueueOffset,
		CommitLogOffset:      phys,
		CommitOrRollback:     remoting.TransactionCommitType,
		MsgID:                uniq,
		TransactionID:        sh.TransactionID,
	}.ToExtFields(), nil)
	return err
}

// txnRunConcurrently makes n calls of op from txnSenders goroutines.
func txnRunConcurrently(n int, op func() error, failures *sendFailures) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range txnSenders {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if err := op(); err != nil {
					failures.add(err)
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkTxnCommit1KiB measures transactions committed per second (half
// message + END_TRANSACTION commit) against plain sends per second of the
// same body, measured in the same run (see the comment above). It reports
// txns/s, plain_msgs/s and ratio_to_plain_send: txns/s over plain_msgs/s.
func BenchmarkTxnCommit1KiB(b *testing.B) {
	s := newTxnBench(b)
	var failures sendFailures
	// The first send of each topic creates it; keep that out of the figures.
	if err := s.plainSend(); err != nil {
		b.Fatal(err)
	}
	if err := s.commitOne(); err != nil {
		b.Fatal(err)
	}
	var plainTime time.Duration
	b.SetBytes(bodySizeBytes)
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(txnChunk, b.N-done)
		b.StopTimer()
		t0 := time.Now()
		txnRunConcurrently(n, s.plainSend, &failures)
		plainTime += time.Since(t0)
		b.StartTimer()
		txnRunConcurrently(n, s.commitOne, &failures)
		done += n
	}
	b.StopTimer()
	failures.check(b)
	committed := int64(0)
	for q := range int32(4) {
		committed += s.b.Store().MaxOffsetInQueue(txnBenchTopic, q)
	}
	if committed != int64(b.N+1) {
		b.Fatalf("%d committed messages stored, want %d", committed, b.N+1)
	}
	txnRate := float64(b.N) / b.Elapsed().Seconds()
	plainRate := float64(b.N) / plainTime.Seconds()
	b.ReportMetric(txnRate, "txns/s")
	b.ReportMetric(plainRate, "plain_msgs/s")
	b.ReportMetric(txnRate/plainRate, "ratio_to_plain_send")
}
