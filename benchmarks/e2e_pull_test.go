package benchmarks

import (
	"testing"
	"time"

	"github.com/apogeemq/apogee/client"
	"github.com/apogeemq/apogee/env"
)

const (
	// pullBatch is maxNums of each pull: the official consumers' default
	// pullBatchSize and the broker's default cap.
	pullBatch = 32
	// pullPrefillMsgs is how many 1 KiB messages the pull queue holds:
	// 16 MiB, 512 pulls from start to end, sent once per server and read
	// around again as often as b.N asks, so the pre-fill never grows with
	// the benchmark time.
	pullPrefillMsgs = 16 << 10
	// prefillBatchMsgs is the messages of one SendBatch of the pre-fill:
	// 64 KiB, far below the batch limit.
	prefillBatchMsgs = 64
)

// prefillPullQueue sends pullPrefillMsgs messages to pullTopic, once per
// server, and returns the queue offset after them.
func (s *apogeeServer) prefillPullQueue(b *testing.B) int64 {
	b.Helper()
	e2e.mu.Lock()
	defer e2e.mu.Unlock()
	if s.pullQueueEnd > 0 {
		return s.pullQueueEnd
	}
	p := client.NewProducer(env.Real(), client.ProducerConfig{NamesrvAddrs: []string{s.nsAddr}, Group: "E2EBenchPrefill", Logger: quietLogger})
	if err := p.Start(); err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	body := makeBody(bodySizeBytes)
	batch := make([]*client.Message, prefillBatchMsgs)
	for i := range batch {
		batch[i] = &client.Message{Topic: pullTopic, Body: body}
	}
	var last client.SendResult
	for range pullPrefillMsgs / prefillBatchMsgs {
		var err error
		if last, err = p.SendBatch(batch); err != nil {
			b.Fatalf("pre-filling %s: %v", pullTopic, err)
		}
	}
	s.stored(pullPrefillMsgs)
	end := last.QueueOffset + prefillBatchMsgs
	if end != pullPrefillMsgs {
		b.Fatalf("pre-filling %s: the last batch ends at queue offset %d, want %d", pullTopic, end, pullPrefillMsgs)
	}
	s.pullQueueEnd = end
	return end
}

// BenchmarkE2EPull32 reads 1 KiB messages with PullConsumer.Pull, pullBatch
// at a time, through a queue of pullPrefillMsgs messages from offset 0 to
// the end and around again until b.N messages were read. The latency is of
// one pull; "pulls/s" is their rate.
func BenchmarkE2EPull32(b *testing.B) {
	s := acquireServer(b)
	end := s.prefillPullQueue(b)
	pc := client.NewPullConsumer(env.Real(), client.PullConsumerConfig{NamesrvAddrs: []string{s.nsAddr}, Group: "E2EBenchPull", Logger: quietLogger})
	if err := pc.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pc.Close)
	queues, err := pc.FetchQueues(pullTopic)
	if err != nil {
		b.Fatal(err)
	}
	if len(queues) != 1 {
		b.Fatalf("%s has %d queues, want 1", pullTopic, len(queues))
	}
	mq := queues[0]
	if _, err := pc.Pull(mq, 0, pullBatch, "*"); err != nil { // connects
		b.Fatal(err)
	}

	var h latencyHistogram
	pulled, pulls := 0, 0
	offset := int64(0)
	b.SetBytes(bodySizeBytes)
	b.ResetTimer()
	for pulled < b.N {
		t0 := time.Now()
		res, err := pc.Pull(mq, offset, pullBatch, "*")
		h.Record(time.Since(t0))
		if err != nil {
			b.Fatalf("pull at offset %d: %v", offset, err)
		}
		if res.Status != client.PullFound || len(res.Messages) == 0 || res.NextBeginOffset <= offset {
			b.Fatalf("pull at offset %d of %d: %v with %d messages, next offset %d", offset, end, res.Status, len(res.Messages), res.NextBeginOffset)
		}
		pulled += len(res.Messages)
		pulls++
		offset = res.NextBeginOffset
		if offset >= end {
			offset = 0
		}
	}
	b.StopTimer()
	elapsed := b.Elapsed().Seconds()
	b.ReportMetric(float64(pulled)/elapsed, "msgs/s")
	b.ReportMetric(float64(pulls)/elapsed, "pulls/s")
	reportLatency(b, &h)
}
