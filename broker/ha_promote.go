package broker

import (
	"errors"
	"fmt"
)

// Promotion turns a slave into its broker group's master, at run time
// (UPDATE_BROKER_CONFIG brokerRole=ASYNC_MASTER|SYNC_MASTER, mqadmin
// updateBrokerConfig). In order:
//
//  1. copying stops: the HA client closes (no append reaches the store
//     after that) and the metadata sync ends;
//  2. the read fence shuts and, once no read is in flight, the log is cut
//     to its last whole record (Store.TruncateTo at CommitLogMaxOffset:
//     the bytes of a record still arriving are all it drops, and no reader
//     ever saw them) and flushed. Each queue's next offset already follows
//     the replicated records, at or past its ConsumeQueue's end, so no
//     queue offset the log holds is handed out again (apache/rocketmq#7689);
//  3. the HA server starts and a new epoch begins at the cut (every epoch
//     copied from the old master that begins past it is dropped), and the
//     topic table's state version takes the epoch number, which makes name
//     servers prefer this registration over the old master's;
//  4. committed offsets past their queue's end are lowered to it (a
//     consumer would otherwise skip the messages this master stores
//     there), the transaction state is rebuilt from the op records the
//     slave copied, and the delayed and timer queues check for copies the
//     old master delivered before they deliver;
//  5. the role becomes the new one with brokerId 0, the delay service
//     starts, reads are let in again, and the broker registers.
//
// A failure before the role changes (the HA port taken, the epoch file
// not written) puts the broker back to copying as a slave.

// BugPromoteWithoutTruncation is a planted bug (HAConfig.PlantedBug) for
// the simulator's campaigns, and the broker's only simulator-specific
// branch: a promotion skips the cut of step 2, so the new master keeps the
// bytes of a record it never received whole, which it cannot vouch for.
const BugPromoteWithoutTruncation = "promote-without-truncation"

// errPromoting refuses a second promotion while one runs.
var errPromoting = errors.New("broker: a promotion is already running")

// promote starts a promotion to role; done gets its outcome.
func (b *Broker) promote(role Role, done func(error)) {
	r := b.repl
	r.mu.Lock()
	switch {
	case r.closed:
		r.mu.Unlock()
		done(errors.New("broker: closed"))
		return
	case r.promoting:
		r.mu.Unlock()
		done(errPromoting)
		return
	case b.role() != RoleSlave:
		r.mu.Unlock()
		done(fmt.Errorf("broker: already %s", b.role()))
		return
	}
	r.promoting = true
	r.gen++
	gen := r.gen
	if r.syncTimer != nil {
		r.syncTimer.Stop()
		r.syncTimer = nil
	}
	r.checking = false
	if r.client != nil {
		r.client.Close()
		r.client = nil
	}
	r.mu.Unlock()
	b.log.Info("broker: promotion to master begins", "role", string(role))
	b.fence.shutThen(func() { b.finishPromotion(role, gen, done) })
}

// finishPromotion runs once no read is in flight; see Promotion.
func (b *Broker) finishPromotion(role Role, gen uint64, done func(error)) {
	r := b.repl
	r.mu.Lock()
	err := b.becomeMasterLocked(role, gen)
	r.mu.Unlock()
	b.fence.reopen()
	if err != nil {
		b.log.Error("broker: promotion failed; copying as a slave again", "err", err)
		done(err)
		return
	}
	b.registerAll()
	done(nil)
}

// becomeMasterLocked does steps 2 to 5 of a promotion, or undoes step 1
// when it fails before the role changes. r.mu is held.
func (b *Broker) becomeMasterLocked(role Role, gen uint64) error {
	r := b.repl
	if gen != r.gen || r.closed {
		return errors.New("broker: closed during the promotion")
	}
	st := b.store
	fail := func(err error) error {
		r.promoting = false
		r.checkedAddr = ""
		r.startSlaveLocked()
		r.syncNowLocked()
		return err
	}
	cut := st.CommitLogMaxOffset()
	if b.cfg.HA.PlantedBug != BugPromoteWithoutTruncation {
		var err error
		if cut, err = st.TruncateTo(cut); err != nil {
			return fail(fmt.Errorf("broker: cutting to the last whole record: %w", err))
		}
	}
	if err := st.Flush(); err != nil {
		return fail(fmt.Errorf("broker: flushing the copied log: %w", err))
	}
	if err := r.startMasterLocked(role); err != nil {
		return fail(err)
	}
	if err := r.beginEpochLocked(cut); err != nil {
		st.SetReplicator(nil)
		if cerr := r.server.Close(); cerr != nil {
			b.log.Warn("broker: closing the HA server", "err", cerr)
		}
		r.server = nil
		r.serverAddr.Store(nil)
		return fail(err)
	}
	if n := b.offsets.clampToQueues(st); n > 0 {
		b.log.Warn("broker: committed offsets past the end of their queues lowered to it", "count", n)
	}
	if err := b.offsets.persist(); err != nil {
		b.log.Error("broker: persisting consumer offsets after the promotion", "err", err)
	}
	b.reloadTransactions()
	b.delay.levels.beginChecksForPromotion()
	b.delay.timer.beginChecksForPromotion()
	b.roleNow.Store(&roleInfo{role: role, brokerID: masterBrokerID})
	r.masterAddr, r.haAddr, r.checkedAddr = "", "", ""
	r.promoting = false
	b.mu.Lock()
	if !b.closed {
		b.startDelayService()
	}
	b.mu.Unlock()
	b.log.Info("broker: promoted to master", "role", string(role), "cut", cut, "epoch", r.entries[len(r.entries)-1].epoch)
	return nil
}

// reloadTransactions rebuilds the transaction state from the op records
// and the check progress the store holds now (a promoted slave copied
// both since it started).
func (b *Broker) reloadTransactions() {
	fresh := b.loadTransactions()
	b.rewindToUnsupported(fresh)
	t := b.txn
	t.roundMu.Lock()
	defer t.roundMu.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ended, t.halfProgress, t.rewindTo = fresh.ended, fresh.halfProgress, fresh.rewindTo
}
