package benchmarks

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/client"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/namesrv"
	"github.com/apogeemq/apogee/remoting"
)

// The broker-pair benchmark runs, in this process over loopback TCP, a
// name server, a SYNC_MASTER broker with its slave (broker-pair), and a
// single ASYNC_MASTER broker without a slave (broker-single), each broker
// with its own store directory and RocketMQ's default configuration, and
// sends 1 KiB messages through Apogee's client to both in the same run.
const (
	pairTopic   = "HABenchPair"
	singleTopic = "HABenchSingle"
	// pairTopicQueues is the queues of both topics, as the send
	// benchmarks use.
	pairTopicQueues = sendTopicQueues
)

// brokerPairCluster is the name server and the three brokers.
type brokerPairCluster struct {
	ns                   *namesrv.NameServer
	master, slave, alone *broker.Broker
	cl                   *remoting.Client
}

// startBrokerPairCluster starts everything and creates the topics.
func startBrokerPairCluster(b *testing.B) *brokerPairCluster {
	b.Helper()
	e := env.Real()
	c := &brokerPairCluster{ns: namesrv.New(e, namesrv.Config{ListenAddr: "127.0.0.1:0", Logger: quietLogger})}
	if err := c.ns.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.ns.Close() })
	start := func(name string, role broker.Role, id int64) *broker.Broker {
		cfg := broker.DefaultConfig(b.TempDir())
		cfg.BrokerName, cfg.Role, cfg.BrokerID = name, role, id
		cfg.ListenAddr, cfg.HAListenAddr = "127.0.0.1:0", "127.0.0.1:0"
		cfg.NamesrvAddrs = []string{c.ns.Addr()}
		cfg.Logger, cfg.Store.Logger = quietLogger, quietLogger
		br, err := broker.New(e, cfg)
		if err != nil {
			b.Fatal(err)
		}
		if err := br.Start(); err != nil {
			br.Close()
			b.Fatal(err)
		}
		b.Cleanup(func() { br.Close() })
		return br
	}
	c.master = start("broker-pair", broker.RoleSyncMaster, 0)
	c.slave = start("broker-pair", broker.RoleSlave, 1)
	c.alone = start("broker-single", broker.RoleAsyncMaster, 0)
	c.cl = remoting.NewClient(e, remoting.ClientConfig{Logger: quietLogger})
	b.Cleanup(func() { c.cl.Close() })
	waitFor(b, "the slave to stream from its master", func() bool {
		st := c.slave.HAState()
		return st.Checked && st.Client.Connected
	})
	c.createTopic(b, c.master, pairTopic)
	c.createTopic(b, c.alone, singleTopic)
	return c
}

// createTopic creates topic on br and waits until the name server routes
// it.
func (c *brokerPairCluster) createTopic(b *testing.B, br *broker.Broker, topic string) {
	b.Helper()
	h := remoting.CreateTopicRequestHeader{Topic: topic, DefaultTopic: broker.DefaultTopic,
		ReadQueueNums: pairTopicQueues, WriteQueueNums: pairTopicQueues, Perm: 6, TopicFilterType: "SINGLE_TAG"}
	resp, err := c.cl.InvokeSync(br.Addr(), remoting.NewRequest(remoting.ReqUpdateAndCreateTopic, h.ToExtFields(), nil), topicRouteTimeout)
	if err != nil || resp.Code != remoting.ResSuccess {
		b.Fatalf("creating %s: %v %v", topic, err, resp)
	}
	waitFor(b, "the route of "+topic, func() bool {
		_, ok := c.ns.Registry().Route(topic)
		return ok
	})
}

// producer starts a producer that has sent warmupSends messages to topic.
func (c *brokerPairCluster) producer(b *testing.B, msg *client.Message) *client.Producer {
	b.Helper()
	p := client.NewProducer(env.Real(), client.ProducerConfig{NamesrvAddrs: []string{c.ns.Addr()}, Group: "HABenchProducer", Logger: quietLogger})
	if err := p.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.Close)
	for range warmupSends {
		if res, err := p.Send(msg); err != nil || res.Status != client.SendOK {
			b.Fatalf("warm-up send to %s: %v %v", msg.Topic, res.Status, err)
		}
	}
	return p
}

// pairSender sends msg through p from senders goroutines and keeps the
// latencies and failures (a send that is not SEND_OK fails: under
// SYNC_MASTER it was not acknowledged by the slave).
type pairSender struct {
	p        *client.Producer
	msg      *client.Message
	senders  int
	h        latencyHistogram
	failures sendFailures
}

// run makes n sends and returns how long they took.
func (s *pairSender) run(n int) time.Duration {
	var next atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for range s.senders {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				t := time.Now()
				res, err := s.p.Send(s.msg)
				s.h.Record(time.Since(t))
				switch {
				case err != nil:
					s.failures.add(err)
				case res.Status != client.SendOK:
					s.failures.add(fmt.Errorf("send status %v", res.Status))
				}
			}
		})
	}
	wg.Wait()
	return time.Since(t0)
}

// BenchmarkBrokerPairSend1KiB sends 1 KiB messages with Producer.Send to a
// SYNC_MASTER broker whose slave must acknowledge each message before the
// answer, beside the same sends to a single broker without a slave, in
// chunks of comparedChunk alternating between the two, the single broker's
// with the timer stopped (in process, over loopback TCP; see
// brokerPairCluster). senders=1 is one sender waiting for each answer
// (the latency of replication on the send path); senders=64 shares one
// producer among manySenders goroutines (throughput: one acknowledgement
// covers many records). It reports the pair's msgs/s and latency
// quantiles, single_msgs/s and single_p50_us for the single broker, and
// ratio_to_single, the pair's rate over the single broker's.
func BenchmarkBrokerPairSend1KiB(b *testing.B) {
	for _, senders := range []int{1, manySenders} {
		b.Run(fmt.Sprintf("senders=%d", senders), func(b *testing.B) {
			c := startBrokerPairCluster(b)
			body := makeBody(bodySizeBytes)
			pairMsg := &client.Message{Topic: pairTopic, Body: body}
			singleMsg := &client.Message{Topic: singleTopic, Body: body}
			pair := &pairSender{p: c.producer(b, pairMsg), msg: pairMsg, senders: senders}
			single := &pairSender{p: c.producer(b, singleMsg), msg: singleMsg, senders: senders}
			var singleTime time.Duration
			b.SetBytes(bodySizeBytes)
			b.ResetTimer()
			for done := 0; done < b.N; {
				n := min(comparedChunk, b.N-done)
				b.StopTimer()
				singleTime += single.run(n)
				b.StartTimer()
				pair.run(n)
				done += n
			}
			b.StopTimer()
			pair.failures.check(b)
			single.failures.check(b)
			singleRate := float64(b.N) / singleTime.Seconds()
			rate := float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(rate, "msgs/s")
			reportLatency(b, &pair.h)
			b.ReportMetric(singleRate, "single_msgs/s")
			b.ReportMetric(float64(single.h.Quantile(0.50).Nanoseconds())/1e3, "single_p50_us")
			b.ReportMetric(rate/singleRate, "ratio_to_single")
			if acked := c.master.HAState().Slaves; len(acked) != 1 || acked[0].AckOffset < c.master.Store().CommitLogMaxOffset() {
				b.Fatalf("the slave did not acknowledge everything: %+v", acked)
			}
		})
	}
}
