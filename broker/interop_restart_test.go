package broker_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/commitlog"
)

// crashBroker drops the broker as a crash would (Broker.Abandon: nothing
// flushed or persisted at shutdown, the abort file stays) and starts it again
// on the same port and store, which then recovers as after a crash.
func (ic *interopCluster) crashBroker() {
	ic.t.Helper()
	addr := ic.broker.ListenAddr()
	ic.broker.Abandon()
	ic.cfg.ListenAddr = addr
	ic.startBroker()
}

// streamSender sends numbered messages one after the other until stopped,
// keeping the bodies of the sends answered SEND_OK.
type streamSender struct {
	mu     sync.Mutex
	acked  []string
	failed int
	stop   chan struct{}
	done   chan struct{}
}

// ackedCount returns how many sends were answered SEND_OK so far.
func (s *streamSender) ackedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.acked)
}

// streamPause is the pause between two sends of the stream: it keeps the
// stream going through the restart at a moderate rate instead of spinning
// through refused connections while the broker is away.
const streamPause = 2 * time.Millisecond

// startStream sends to topic from a fresh producer until stop is closed.
func (ic *interopCluster) startStream(topic string) *streamSender {
	p := ic.producer(producer.WithSendMsgTimeout(time.Second))
	s := &streamSender{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for i := 0; ; i++ {
			select {
			case <-s.stop:
				return
			default:
			}
			body := fmt.Sprintf("stream-%d", i)
			ctx, cancel := context.WithTimeout(context.Background(), interopWait)
			res, err := p.SendSync(ctx, primitive.NewMessage(topic, []byte(body)))
			cancel()
			s.mu.Lock()
			if err == nil && res.Status == primitive.SendOK {
				s.acked = append(s.acked, body)
			} else {
				s.failed++
			}
			s.mu.Unlock()
			time.Sleep(streamPause)
		}
	}()
	return s
}

// finish stops the stream and returns the acknowledged bodies and the
// number of failed sends.
func (s *streamSender) finish(t *testing.T) ([]string, int) {
	close(s.stop)
	select {
	case <-s.done:
	case <-time.After(interopWait):
		require.FailNow(t, "the sending loop did not stop")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.acked...), s.failed
}

// A producer keeps sending while the broker restarts; every send answered
// SEND_OK, before or after the restart, is consumed afterwards. Sends during
// the outage may fail (and a failed one may still have been stored).
func TestInteropBrokerRestartMidStreamLosesNoAcknowledgedMessage(t *testing.T) {
	const acksPerPhase = 100
	cases := []struct {
		name  string
		flush commitlog.FlushMode
		crash bool
	}{
		{"sync flush, clean restart", commitlog.FlushSync, false},
		{"sync flush, crash", commitlog.FlushSync, true},
		{"async flush, clean restart", commitlog.FlushAsync, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ic := startInterop(t, func(cfg *broker.Config) { cfg.Store.CommitLog.FlushMode = tc.flush })
			require.Equal(t, tc.flush, ic.broker.Config().Store.CommitLog.FlushMode)
			topic := uniqueName("Restart")
			ic.createTopic(topic, interopQueues)

			s := ic.startStream(topic)
			eventually(t, func() (bool, string) {
				n := s.ackedCount()
				return n >= acksPerPhase, fmt.Sprintf("%d sends acknowledged before the restart", n)
			})
			if tc.crash {
				ic.crashBroker()
			} else {
				ic.restartBroker()
			}
			require.Equal(t, tc.crash, ic.broker.Store().Report().Abnormal, "recovered as after a crash")
			restarted := s.ackedCount()
			eventually(t, func() (bool, string) {
				n := s.ackedCount() - restarted
				return n >= acksPerPhase, fmt.Sprintf("%d sends acknowledged after the restart", n)
			})
			acked, failed := s.finish(t)
			t.Logf("%d sends acknowledged, %d failed", len(acked), failed)

			ic.waitRoute(topic)
			var got collector
			ic.pushConsumer(uniqueName("cg"), topic, "*", &got)
			got.waitBodies(t, acked)
		})
	}
}
