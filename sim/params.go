package sim

import (
	"fmt"
	"strings"
	"time"

	"github.com/apogeemq/apogee/env"
)

// Params is one run's "swarm" parameters: the cluster's shape, the network's
// latencies, the fault rates, the durability mode and the workload, all
// drawn from the seed so that every seed explores a different corner.
type Params struct {
	NameServers     int
	Brokers         int
	QueuesPerBroker int
	Producers       int
	Consumers       int

	// SyncFlush selects SYNC_FLUSH (acknowledged sends survive a machine
	// crash) over ASYNC_FLUSH (they survive a process crash only).
	SyncFlush bool
	// TornPages makes machine crashes tear the first lost page of a file.
	TornPages bool

	// Pairs gives every broker name a master and a slave, each on its own
	// host and disk (see HA in the README); otherwise each broker name is
	// one master alone.
	Pairs bool
	// SyncMaster selects SYNC_MASTER (a send is acknowledged once the
	// slave holds it) over ASYNC_MASTER for the pairs' masters.
	SyncMaster bool
	// FailoverPercent is the chance that the operator promotes a pair's
	// slave while its crashed master is down.
	FailoverPercent int
	// TransferBatchBytes is haTransferBatchSize: small batches end most
	// frames inside a record, so a slave often holds a record still
	// arriving.
	TransferBatchBytes int
	// ReconnectDelay is the pause before a slave connects to its master
	// again (doubling while its master is unreachable).
	ReconnectDelay time.Duration

	LatencyMin, LatencyMax time.Duration
	// SendInterval is the mean pause of each producer between sends.
	SendInterval time.Duration
	// PullBatch is the consumers' maxMsgNums.
	PullBatch int32
	// TxPercent is the share of sends that are transactions, DelayPercent
	// the share that are delayed messages.
	TxPercent, DelayPercent int

	// FaultInterval is the mean time between two faults in the safety
	// phase; Faults weighs their kinds.
	FaultInterval time.Duration
	Faults        FaultWeights

	// Safety is the length of the phase with faults; Liveness bounds the
	// healed phase that drains every queue.
	Safety, Liveness time.Duration
}

// FaultWeights are the relative chances of each fault kind.
type FaultWeights struct {
	BrokerProcessCrash int
	BrokerMachineCrash int
	NameServerCrash    int
	ConsumerCrash      int
	ProducerCrash      int
	Partition          int
	AsymmetricCut      int
	ConnectionReset    int
	ClockJump          int
	DiskFull           int
	DiskErrors         int
	SlowDisk           int
	Promote            int
	StaleReplica       int
}

func (w FaultWeights) total() int {
	return w.BrokerProcessCrash + w.BrokerMachineCrash + w.NameServerCrash + w.ConsumerCrash + w.ProducerCrash +
		w.Partition + w.AsymmetricCut + w.ConnectionReset + w.ClockJump + w.DiskFull +
		w.DiskErrors + w.SlowDisk + w.Promote + w.StaleReplica
}

// DrawParams draws a run's parameters from r.
func DrawParams(r env.Rand) Params {
	between := func(lo, hi int) int { return lo + r.Intn(hi-lo+1) }
	dur := func(lo, hi time.Duration) time.Duration { return lo + time.Duration(r.Int63()%int64(hi-lo+1)) }
	weight := func() int { return r.Intn(4) }
	p := Params{
		NameServers:     between(1, 2),
		Brokers:         between(1, 3),
		QueuesPerBroker: between(1, 4),
		Producers:       between(1, 3),
		Consumers:       between(1, 3),
		SyncFlush:       r.Intn(2) == 0,
		TornPages:       r.Intn(2) == 0,
		LatencyMin:      dur(50*time.Microsecond, 500*time.Microsecond),
		SendInterval:    dur(2*time.Millisecond, 50*time.Millisecond),
		PullBatch:       int32(between(1, 32)),
		FaultInterval:   dur(500*time.Millisecond, 5*time.Second),
		Faults: FaultWeights{
			BrokerProcessCrash: weight(),
			BrokerMachineCrash: weight(),
			NameServerCrash:    weight(),
			ConsumerCrash:      weight(),
			ProducerCrash:      weight(),
			Partition:          weight(),
			AsymmetricCut:      weight(),
			ConnectionReset:    weight(),
			ClockJump:          weight(),
			DiskFull:           weight(),
			DiskErrors:         weight(),
			SlowDisk:           weight(),
		},
		Safety:   dur(10*time.Second, 40*time.Second),
		Liveness: 120 * time.Second,
	}
	p.TxPercent = []int{0, 5, 20, 50}[r.Intn(4)]
	p.DelayPercent = []int{0, 5, 20}[r.Intn(3)]
	p.LatencyMax = p.LatencyMin + dur(0, 20*time.Millisecond)
	if p.Faults.total() == 0 {
		p.Faults.BrokerProcessCrash = 1
	}
	// Drawn last, so that the fields above keep what each seed drew
	// before pairs existed.
	p.Pairs = r.Intn(100) < pairsPercent
	if p.Pairs {
		p.SyncMaster = r.Intn(2) == 0
		p.FailoverPercent = []int{50, 100}[r.Intn(2)]
		p.TransferBatchBytes = []int{64, 100, 1 << 10, 32 << 10}[r.Intn(4)]
		p.ReconnectDelay = dur(200*time.Millisecond, 5*time.Second)
		p.Faults.Promote = weight()
	}
	return p
}

// drawStaleReplicaWeight draws the stale-replica fault's weight of a pair
// seed from a stream of its own: the seed's stream goes on to drive the
// run, which one more draw from it would change for every pair seed, and
// campaigns compare runs across changes.
func drawStaleReplicaWeight(p *Params, seed uint64) {
	if p.Pairs {
		p.Faults.StaleReplica = env.NewSeededRand(seed ^ staleReplicaSalt).Intn(4)
	}
}

// staleReplicaSalt separates the stale-replica weight's stream from the
// seed's.
const staleReplicaSalt = 0x5ca1ab1e

// pairsPercent is the share of seeds that run master/slave pairs: half, so
// that the single-broker seeds keep their coverage.
const pairsPercent = 50

// String prints the parameters on one line.
func (p Params) String() string {
	flush := "ASYNC_FLUSH"
	if p.SyncFlush {
		flush = "SYNC_FLUSH"
	}
	f := p.Faults
	var b strings.Builder
	fmt.Fprintf(&b, "namesrv=%d brokers=%d queues/broker=%d producers=%d consumers=%d flush=%s torn=%t ",
		p.NameServers, p.Brokers, p.QueuesPerBroker, p.Producers, p.Consumers, flush, p.TornPages)
	if p.Pairs {
		role := "ASYNC_MASTER"
		if p.SyncMaster {
			role = "SYNC_MASTER"
		}
		fmt.Fprintf(&b, "ha=%s+SLAVE failover=%d%% haBatch=%d haReconnect=%v ", role, p.FailoverPercent, p.TransferBatchBytes, p.ReconnectDelay)
	} else {
		b.WriteString("ha=none ")
	}
	fmt.Fprintf(&b, "latency=%v..%v send=%v pull=%d tx=%d%% delay=%d%% faultEvery=%v ", p.LatencyMin, p.LatencyMax, p.SendInterval, p.PullBatch, p.TxPercent, p.DelayPercent, p.FaultInterval)
	fmt.Fprintf(&b, "faults[proc=%d machine=%d ns=%d consumer=%d producer=%d part=%d asym=%d reset=%d jump=%d full=%d diskerr=%d slow=%d promote=%d stale=%d] ",
		f.BrokerProcessCrash, f.BrokerMachineCrash, f.NameServerCrash, f.ConsumerCrash, f.ProducerCrash, f.Partition, f.AsymmetricCut, f.ConnectionReset, f.ClockJump, f.DiskFull, f.DiskErrors, f.SlowDisk, f.Promote, f.StaleReplica)
	fmt.Fprintf(&b, "safety=%v liveness=%v", p.Safety, p.Liveness)
	return b.String()
}
