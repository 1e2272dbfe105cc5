package sim

import (
	"fmt"
	"time"

	"github.com/apogeemq/apogee/env"
)

// Disk fault bounds.
const (
	// maxSyncStall bounds how long one fsync or msync of a slow disk
	// takes: beyond a client's send timeout (3 s), so stalls also show
	// up as unknown outcomes.
	maxSyncStall = 4 * time.Second
	// supervisePeriod is how often the supervisor looks for a broker
	// whose store failed, as the commands do (cmdutil.FailurePollInterval).
	supervisePeriod = time.Second
)

// failDisk makes a broker's device report I/O errors for a while: each
// fsync, msync, file write, create, truncate or map fails with a
// probability drawn for the fault. A failed sync leaves the written bytes
// in the page cache, not durable; the store is expected to stop (fail-stop)
// and be restarted by its supervisor, recovering from the files.
func (w *World) failDisk() {
	n := w.brokers[w.rng.Intn(len(w.brokers))]
	if n.fs == nil {
		return
	}
	d := minDowntime + time.Duration(w.rng.Int63()%int64(maxPartition))
	percent := 25 + w.rng.Intn(76)
	r := env.NewSeededRand(w.splitSeed())
	w.note(n.label, "disk errors (%d%% of syncs and writes) for %v", percent, d)
	n.fs.SetRule(func(op env.Op) error {
		switch op.Kind {
		case env.OpSync, env.OpMappingFlush, env.OpSyncDir, env.OpWrite, env.OpCreate, env.OpTruncate, env.OpMap:
			if r.Intn(100) < percent {
				return fmt.Errorf("%w: %s %s: input/output error", env.ErrInjected, op.Kind, op.Path)
			}
		}
		return nil
	})
	w.clock.AfterFunc(d, func() {
		n.fs.SetRule(nil)
		w.note(n.label, "disk errors end")
	})
}

// slowDisk makes every fsync and msync of a broker's device take a drawn
// time for a while. The simulator runs every node on one goroutine, so the
// whole world waits with the stalled call: the timers that fall due
// meanwhile (clients' request timeouts, heartbeats, other brokers' flushes)
// fire right after it, late, as they would for clients waiting on a broker
// stuck in fsync. Appends that a real broker runs concurrently with a slow
// flush are not modelled.
func (w *World) slowDisk() {
	n := w.brokers[w.rng.Intn(len(w.brokers))]
	if n.fs == nil {
		return
	}
	d := minDowntime + time.Duration(w.rng.Int63()%int64(maxPartition))
	stall := time.Millisecond + time.Duration(w.rng.Int63()%int64(maxSyncStall))
	w.note(n.label, "slow disk (%v per sync) for %v", stall, d)
	n.fs.SetRule(func(op env.Op) error {
		switch op.Kind {
		case env.OpSync, env.OpMappingFlush, env.OpSyncDir:
			w.clock.Stall(stall)
		}
		return nil
	})
	w.clock.AfterFunc(d, func() {
		n.fs.SetRule(nil)
		w.note(n.label, "slow disk ends")
	})
}

// supervise restarts, as systemd would, every broker whose store failed:
// the commands exit when that happens (cmdutil.WaitStopOrFailure), which
// keeps the page cache; the restart recovers the store from its files.
func (w *World) supervise() {
	for _, n := range w.brokers {
		if n.b == nil {
			continue
		}
		w.vouches(n) // forgets a catch-up once done
		if err := n.b.Err(); err != nil {
			w.note(n.label, "store failed, the process exits: %v", err)
			w.takeDown(n, false)
		}
	}
	w.clock.AfterFunc(supervisePeriod, w.supervise)
}
