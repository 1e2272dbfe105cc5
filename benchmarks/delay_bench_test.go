package benchmarks

import (
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/store"
)

// The delayed-message benchmarks run a broker in this process on real files
// (asynchronous flush) with a manual clock: messages stay parked until the
// benchmark moves time, and then every delivery runs inside that one call.
// Messages go through Broker.PutMessage, the send path without the network.
//
//   - BenchmarkDelayedPut: puts with delayPending delayed messages waiting
//     across the 18 levels; "plain" puts to an ordinary topic, "delayed" puts
//     parked messages (x-plain: delayed ns/msg over plain ns/msg).
//   - BenchmarkDelayedDeliver: the same number of plain puts, timed as the
//     baseline; then delayPending messages parked across the levels come
//     due at once and are delivered to their topic (x-plain: delivery
//     ns/msg over plain put ns/msg). One op is that whole cycle on a fresh
//     broker, so -benchtime 1x is the natural setting.
//
// A delivery reads the parked record, rebuilds the message and stores it
// again, so it costs about one put plus one read. With -short the pending
// count is delayPendingShort, so that a quick run stays quick.
const (
	delayPending      = 1_000_000
	delayPendingShort = 10_000
	// delayBodyBytes is the body of the delayed messages: small, like the
	// orders and reminders delayed messages usually carry.
	delayBodyBytes = 256
	delayTopic     = "DelayBenchTopic"
	plainTopic     = "DelayBenchPlain"
	// delayQueues is the queue count of the two topics.
	delayQueues = 8
)

var delayBenchStart = time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)

// delayBench is a broker whose clock moves only when told.
type delayBench struct {
	clock  *env.ManualClock
	br     *broker.Broker
	levels []time.Duration
	body   []byte
}

// newDelayBench starts a broker. Its periodic flushes wait an hour, so that
// moving the clock runs the deliveries and little else: the plain puts they
// are compared with leave their pages to the kernel too.
func newDelayBench(b *testing.B, dir string, levels []time.Duration) *delayBench {
	clock := env.NewManualClock(delayBenchStart)
	cfg := broker.DefaultConfig(dir)
	cfg.ListenAddr = "127.0.0.1:10911"
	cfg.Logger = quietLogger
	cfg.Store.Logger = quietLogger
	cfg.Store.CommitLog.FlushInterval = time.Hour
	cfg.Store.CommitLog.FlushThoroughInterval = time.Hour
	cfg.Store.FlushConsumeQueueInterval = time.Hour
	cfg.Store.FlushConsumeQueueThoroughInterval = time.Hour
	if levels != nil {
		cfg.Store.DelayLevels = levels
	}
	e := env.Env{Clock: clock, FS: env.Real().FS, Rand: env.NewSeededRand(1), Net: env.NewMemNetwork(clock).Host("127.0.0.1")}
	br, err := broker.New(e, cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := br.Start(); err != nil {
		b.Fatal(err)
	}
	return &delayBench{clock: clock, br: br, levels: br.Config().Store.DelayLevels, body: makeBody(delayBodyBytes)}
}

func pendingCount() int {
	if testing.Short() {
		return delayPendingShort
	}
	return delayPending
}

// put stores one message of topic; level > 0 delays it.
func (d *delayBench) put(b *testing.B, topic string, i int, level int) {
	m := commitlog.Message{
		Topic: topic, QueueID: int32(i % delayQueues), BornTimestampMs: delayBenchStart.UnixMilli(),
		BornHost: bornHost, Body: d.body,
	}
	if level > 0 {
		m.Properties = commitlog.AppendProperty(nil, commitlog.PropertyDelayLevel, strconv.Itoa(level))
	}
	var status store.PutStatus = -1
	d.br.PutMessage(&m, func(r store.PutResult) { status = r.Status })
	if status != store.PutOK {
		b.Fatalf("put %d to %s: %v", i, topic, status)
	}
}

// park puts n delayed messages, spread over every level.
func (d *delayBench) park(b *testing.B, n int) {
	for i := range n {
		d.put(b, delayTopic, i, 1+i%len(d.levels))
	}
}

// delivered counts the messages in delayTopic.
func (d *delayBench) delivered() int64 {
	var n int64
	for q := range int32(delayQueues) {
		n += d.br.Store().MaxOffsetInQueue(delayTopic, q)
	}
	return n
}

func BenchmarkDelayedPut(b *testing.B) {
	baselineNsPerMsg(b)
	d := newDelayBench(b, b.TempDir(), nil)
	b.Cleanup(func() { d.br.Close() })
	d.park(b, pendingCount())
	var plainNs float64
	b.Run("plain", func(b *testing.B) {
		b.SetBytes(delayBodyBytes)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			d.put(b, plainTopic, i, 0)
		}
		b.StopTimer()
		plainNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		report(b, b.N)
	})
	b.Run("delayed", func(b *testing.B) {
		b.SetBytes(delayBodyBytes)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			d.put(b, delayTopic, i, 1+i%len(d.levels))
		}
		b.StopTimer()
		report(b, b.N)
		if plainNs > 0 {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/plainNs, "x-plain")
		}
	})
}

func BenchmarkDelayedDeliver(b *testing.B) {
	baselineNsPerMsg(b)
	n := pendingCount()
	// Levels of 1 s to 18 s: every level holds messages, and the clock
	// moves 20 s rather than RocketMQ's 2 h of idle periodic work.
	levels := make([]time.Duration, 18)
	for i := range levels {
		levels[i] = time.Duration(i+1) * time.Second
	}
	var plain, deliver time.Duration
	b.StopTimer()
	for range b.N {
		dir, err := os.MkdirTemp("", "delaybench")
		if err != nil {
			b.Fatal(err)
		}
		d := newDelayBench(b, dir, levels)
		start := time.Now()
		for i := range n {
			d.put(b, plainTopic, i, 0)
		}
		plain += time.Since(start)
		d.park(b, n)

		b.StartTimer()
		start = time.Now()
		d.clock.Advance(d.levels[len(d.levels)-1] + 2*time.Second)
		deliver += time.Since(start)
		b.StopTimer()
		if got := d.delivered(); got != int64(n) {
			b.Fatalf("delivered %d of %d", got, n)
		}
		if err := errors.Join(d.br.Close(), os.RemoveAll(dir)); err != nil {
			b.Fatal(err)
		}
	}
	msgs := float64(n) * float64(b.N)
	b.ReportMetric(msgs/deliver.Seconds(), "msgs/s")
	b.ReportMetric(msgs/plain.Seconds(), "plain-msgs/s")
	b.ReportMetric(deliver.Seconds()/plain.Seconds(), "x-plain")
	b.ReportMetric(float64(deliver.Nanoseconds())/msgs/baselineNsPerMsg(b), "x-baseline")
}
