package benchmarks

import (
	"sync"
	"testing"
	"time"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/ha"
	"github.com/apogeemq/apogee/store"
)

// haWaitTimeout bounds every wait of the replication benchmarks for the
// slave: a figure never hangs a run.
const haWaitTimeout = time.Minute

// haPair is a master store with its HA server and a slave store with its
// client, in this process, over loopback TCP, each store on its own
// directory with the default (RocketMQ) configuration.
type haPair struct {
	master, slave *store.Store
	server        *ha.Server
	client        *ha.Client
}

// newHAPair opens both stores and the server; the client starts when
// start is called (so a master can be filled first).
func newHAPair(b *testing.B, syncMaster bool) *haPair {
	b.Helper()
	p := &haPair{master: openStore(b, commitlog.FlushAsync), slave: openStore(b, commitlog.FlushAsync)}
	server, err := ha.NewServer(env.Real(), p.master, ha.ServerConfig{ListenAddr: "127.0.0.1:0", SyncMaster: syncMaster})
	if err != nil {
		b.Fatal(err)
	}
	if err := server.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { server.Close() })
	p.master.SetReplicator(server)
	p.server = server
	p.client = ha.NewClient(env.Real(), p.slave, ha.ClientConfig{MasterAddr: server.Addr()})
	b.Cleanup(p.client.Close)
	return p
}

// start connects the slave and waits for its first report.
func (p *haPair) start(b *testing.B) {
	b.Helper()
	p.client.Start()
	waitFor(b, "the slave's first report", func() bool { return p.server.AckedOffset() >= 0 })
}

// waitFor polls cond until it holds, failing the benchmark after
// haWaitTimeout.
func waitFor(b *testing.B, what string, cond func() bool) {
	b.Helper()
	deadline := time.Now().Add(haWaitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// BenchmarkReplicationThroughput1KiB measures how fast a slave copies its
// master's CommitLog of 1 KiB records: the master holds b.N records before
// the timer starts, then an empty slave connects and the timer runs until
// it has appended and dispatched them all (frames of 32 KiB over loopback
// TCP, the slave's ConsumeQueue and index built as it goes). The records
// fit the master's first 1 GiB segment, where an empty slave starts; past
// it the figures count the bytes actually copied. MB/s and msgs/s are of
// the copied log; x-baseline is per record against the put floor.
func BenchmarkReplicationThroughput1KiB(b *testing.B) {
	baselineNsPerMsg(b)
	p := newHAPair(b, false)
	body := makeBody(bodySizeBytes)
	for i := 0; i < b.N; i++ {
		p.master.Put(benchMessage("BenchTopic", int32(i%8), body), func(r store.PutResult) {
			if r.Status != store.PutOK {
				b.Errorf("put: %v %v", r.Status, r.Err)
			}
		})
	}
	end := p.master.CommitLogMaxOffset()
	start := end - end%p.master.CommitLogSegmentSizeBytes()
	recordBytes := float64(end) / float64(b.N)
	b.ResetTimer()
	p.start(b)
	waitFor(b, "the slave to catch up", func() bool { return p.slave.DispatchedOffset() >= end })
	b.StopTimer()
	copied := float64(end - start)
	secs := b.Elapsed().Seconds()
	b.ReportMetric(copied/secs/1e6, "MB/s")
	msgs := int(copied / recordBytes)
	report(b, msgs)
}

// BenchmarkSyncMasterPut1KiB puts 1 KiB messages into a master store and
// waits for each answer, beside the same puts into an ASYNC_MASTER in the
// same run: the SYNC_MASTER answer waits for the slave's acknowledgement
// over loopback TCP, the ASYNC_MASTER's does not (its slave still
// replicates). seq is one producer waiting for each answer (latency);
// 64-producers keeps 64 puts in flight (throughput: acknowledgements cover
// many records at once). Both flush asynchronously, RocketMQ's default.
func BenchmarkSyncMasterPut1KiB(b *testing.B) {
	for _, mode := range []struct {
		name string
		sync bool
	}{{"async-master", false}, {"sync-master", true}} {
		for _, producers := range []int{1, 64} {
			name := mode.name + "/seq"
			if producers > 1 {
				name = mode.name + "/64-producers"
			}
			b.Run(name, func(b *testing.B) {
				baselineNsPerMsg(b)
				p := newHAPair(b, mode.sync)
				p.start(b)
				benchHAPuts(b, p.master, producers)
			})
		}
	}
}

// benchHAPuts runs b.N puts from producers goroutines, each waiting for
// its answer before the next put, and reports msgs/s, x-baseline and the
// latency quantiles.
func benchHAPuts(b *testing.B, st *store.Store, producers int) {
	body := makeBody(bodySizeBytes)
	var h latencyHistogram
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	take := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if next >= b.N {
			return false
		}
		next++
		return true
	}
	b.SetBytes(bodySizeBytes)
	b.ReportAllocs()
	b.ResetTimer()
	for w := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answered := make(chan store.PutResult, 1)
			done := func(r store.PutResult) { answered <- r }
			for take() {
				t0 := time.Now()
				st.Put(benchMessage("BenchTopic", int32(w%8), body), done)
				r := <-answered
				h.Record(time.Since(t0))
				if r.Status != store.PutOK {
					b.Errorf("put: %v %v", r.Status, r.Err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	report(b, b.N)
	reportLatency(b, &h)
}
