package benchmarks

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apogeemq/apogee/client"
)

const (
	// manySenders is the concurrent sync senders of the second variant:
	// far more than the cores, as an application with a sender per request
	// handler has.
	manySenders = 64
	// asyncInFlight is the outstanding SendAsync calls of the async
	// benchmark: enough to keep the connection busy in both directions.
	asyncInFlight = 256
)

// sendFailures keeps the count and the first error of failed sends, from
// any goroutine.
type sendFailures struct {
	mu    sync.Mutex
	count int
	first error
}

func (f *sendFailures) add(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.count == 0 {
		f.first = err
	}
	f.count++
}

// check fails b if any send failed.
func (f *sendFailures) check(b *testing.B) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.count > 0 {
		b.Fatalf("%d sends failed, the first with: %v", f.count, f.first)
	}
}

// reportSends adds msgs/s for msgs messages in the timed part of b, the
// latencies of h, and the rate over baselineRate.
func reportSends(b *testing.B, msgs int, h *latencyHistogram, baselineRate float64) {
	rate := float64(msgs) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "msgs/s")
	reportLatency(b, h)
	b.ReportMetric(rate/baselineRate, "ratio_to_baseline")
}

// BenchmarkE2ESyncSend1KiB sends 1 KiB messages with Producer.Send, each
// sender waiting for its answer before the next send, from one sender and
// from manySenders sharing one Producer.
func BenchmarkE2ESyncSend1KiB(b *testing.B) {
	b.Run("senders=1", benchSyncSendOne)
	b.Run(fmt.Sprintf("senders=%d", manySenders), benchSyncSendMany)
}

// comparedChunk is how many sends, then as many baseline exchanges, the
// one-sender benchmark makes in turn: tens of milliseconds at most, so
// that a burst of load from elsewhere on the machine falls on both alike,
// and far more than the timer's own cost between chunks.
const comparedChunk = 256

// benchSyncSendOne is the one-sender variant, whose goal (ratio_to_baseline
// ≥ 0.80) compares it with the baseline: it makes b.N baseline exchanges
// itself, in chunks of comparedChunk alternating with chunks of its
// sends, with the timer stopped, and reports their rate and median as
// baseline_roundtrips/s and baseline_p50_us, and ratio_to_baseline as its
// rate over the baseline's.
func benchSyncSendOne(b *testing.B) {
	s := acquireServer(b)
	msg := &client.Message{Topic: sendTopic, Body: makeBody(bodySizeBytes)}
	p := s.newProducer(b, msg)
	pp := dialEcho(b)

	var h, baselineH latencyHistogram
	var failures sendFailures
	var baselineTime time.Duration
	b.SetBytes(bodySizeBytes)
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(comparedChunk, b.N-done)
		b.StopTimer()
		t0 := time.Now()
		if _, err := pp.run(n, &baselineH); err != nil {
			b.Fatal(err)
		}
		baselineTime += time.Since(t0)
		b.StartTimer()
		for range n {
			t0 := time.Now()
			if _, err := p.Send(msg); err != nil {
				failures.add(err)
			}
			h.Record(time.Since(t0))
		}
		done += n
	}
	b.StopTimer()
	s.stored(b.N)
	failures.check(b)
	baselineRate := float64(b.N) / baselineTime.Seconds()
	reportSends(b, b.N, &h, baselineRate)
	b.ReportMetric(baselineRate, "baseline_roundtrips/s")
	b.ReportMetric(float64(baselineH.Quantile(0.50).Nanoseconds())/1e3, "baseline_p50_us")
}

// benchSyncSendMany is the manySenders variant; its ratio is to the
// baseline measured once per process.
func benchSyncSendMany(b *testing.B) {
	s := acquireServer(b)
	msg := &client.Message{Topic: sendTopic, Body: makeBody(bodySizeBytes)}
	p := s.newProducer(b, msg)
	baselineRate := processBaselineRate(b)

	var h latencyHistogram
	var failures sendFailures
	var next atomic.Int64
	var wg sync.WaitGroup
	b.SetBytes(bodySizeBytes)
	b.ResetTimer()
	for range manySenders {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if _, err := p.Send(msg); err != nil {
					failures.add(err)
				}
				h.Record(time.Since(t0))
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	s.stored(b.N)
	failures.check(b)
	reportSends(b, b.N, &h, baselineRate)
}

// asyncSlot is one of the asyncInFlight permits of the async benchmark,
// with its callback made once so that a send allocates nothing in the
// benchmark's own code.
type asyncSlot struct {
	start time.Time
	done  func(client.SendResult, error)
}

// BenchmarkE2EAsyncSend1KiB sends 1 KiB messages with Producer.SendAsync,
// asyncInFlight of them outstanding: a send starts as soon as a callback
// returns a permit. The latency is from SendAsync to its callback.
func BenchmarkE2EAsyncSend1KiB(b *testing.B) {
	b.Run(fmt.Sprintf("inflight=%d", asyncInFlight), func(b *testing.B) {
		s := acquireServer(b)
		msg := &client.Message{Topic: sendTopic, Body: makeBody(bodySizeBytes)}
		p := s.newProducer(b, msg)
		baselineRate := processBaselineRate(b)

		var h latencyHistogram
		var failures sendFailures
		free := make(chan *asyncSlot, asyncInFlight) // never full: a callback never blocks
		for range asyncInFlight {
			slot := &asyncSlot{}
			slot.done = func(_ client.SendResult, err error) {
				h.Record(time.Since(slot.start))
				if err != nil {
					failures.add(err)
				}
				free <- slot
			}
			free <- slot
		}
		b.SetBytes(bodySizeBytes)
		b.ResetTimer()
		for range b.N {
			slot := <-free
			slot.start = time.Now()
			p.SendAsync(msg, slot.done)
		}
		for range asyncInFlight { // every callback has run
			<-free
		}
		b.StopTimer()
		s.stored(b.N)
		failures.check(b)
		reportSends(b, b.N, &h, baselineRate)
	})
}
