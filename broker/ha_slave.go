package broker

import (
	"slices"
	"time"

	"github.com/apogeemq/apogee/ha"
	"github.com/apogeemq/apogee/remoting"
)

// slaveRequestTimeout bounds each request a slave sends its master to copy
// metadata or epochs (RocketMQ's SlaveSynchronize uses 3 s).
const slaveRequestTimeout = 3 * time.Second

// startSlaveLocked creates the slave's HA client, which streams only once
// the log is known to agree with the master's history: the master's
// remoting address comes with the name servers' answer to the
// registration, and the first sync compares epochs. Without name servers
// there is nobody to compare with: a configured haMasterAddress is
// streamed from at once, as RocketMQ's slave does. r.mu is held.
func (r *replication) startSlaveLocked() {
	hc := r.b.cfg.HA
	cc := ha.ClientConfig{
		ReportInterval:       hc.HeartbeatInterval,
		HousekeepingInterval: hc.HousekeepingInterval,
		ReconnectDelay:       hc.ReconnectDelay,
		Logger:               r.log,
	}
	if len(r.b.cfg.NamesrvAddrs) > 0 {
		gen := r.gen
		cc.OnLost = func() { r.lost(gen) }
	}
	r.client = ha.NewClient(r.b.env, r.b.store, cc)
	r.client.Start()
	if r.b.cfg.HAMasterAddr != "" {
		r.haAddr = r.b.cfg.HAMasterAddr
	}
	if len(r.b.cfg.NamesrvAddrs) == 0 {
		if r.haAddr == "" {
			r.log.Warn("broker: a slave without name servers or haMasterAddress has no master to copy")
			return
		}
		r.log.Warn("broker: no name servers: replicating from haMasterAddress without comparing epochs or copying metadata",
			"haMasterAddress", r.haAddr)
		r.client.SetMasterAddr(r.haAddr)
		return
	}
	r.scheduleSyncLocked()
}

// registered takes a name server's answer to a slave's registration: the
// master's remoting and HA addresses, empty while no master is
// registered (the slave keeps what it knew and its client keeps trying).
func (r *replication) registered(h remoting.RegisterBrokerResponseHeader) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.promoting || r.b.role() != RoleSlave {
		return
	}
	if r.b.cfg.HAMasterAddr == "" && h.HAServerAddr != "" {
		r.haAddr = h.HAServerAddr
	}
	if h.MasterAddr != "" && h.MasterAddr != r.masterAddr {
		r.log.Info("broker: master learned from the name server", "master", h.MasterAddr, "masterHA", r.haAddr)
		r.masterAddr = h.MasterAddr
		// Another master: nothing streams until its history is compared.
		r.client.SetMasterAddr("")
		r.syncNowLocked()
		return
	}
	if r.checkedAddr != "" && r.checkedAddr == r.masterAddr && r.haAddr != "" {
		r.client.SetMasterAddr(r.haAddr)
	}
}

// scheduleSyncLocked runs the next sync after SlaveSyncInterval. r.mu is
// held.
func (r *replication) scheduleSyncLocked() {
	if r.syncTimer != nil {
		r.syncTimer.Stop()
	}
	gen := r.gen
	r.syncTimer = r.clock.AfterFunc(r.b.cfg.SlaveSyncInterval, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if gen == r.gen && !r.closed {
			r.syncNowLocked()
		}
	})
}

// syncNowLocked asks the master for its epochs, topics, groups, consumer
// offsets and delay progress, and schedules the next round. r.mu is held.
func (r *replication) syncNowLocked() {
	r.scheduleSyncLocked()
	addr := r.masterAddr
	if addr == "" {
		return
	}
	gen := r.gen
	ask := func(code int32, apply func(resp *remoting.Command) error) {
		r.b.nsClient.Invoke(addr, remoting.NewRequest(code, nil, nil), slaveRequestTimeout, func(resp *remoting.Command, err error) {
			if err == nil && resp.Code != remoting.ResSuccess {
				err = remoting.ErrorForCode(resp.Code, resp.Remark)
			}
			if err != nil {
				// The epoch request fails alike and says so at Warn.
				r.log.Debug("broker: asking the master failed", "master", addr, "request", remoting.RequestCodeName(code), "err", err)
				return
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			if gen != r.gen || r.closed || addr != r.masterAddr {
				return
			}
			if err := apply(resp); err != nil {
				r.log.Error("broker: applying the master's answer failed", "master", addr, "request", remoting.RequestCodeName(code), "err", err)
			}
		})
	}
	r.askEpochsLocked()
	ask(remoting.ReqGetAllTopicConfig, r.adoptTopicsLocked)
	ask(remoting.ReqGetAllSubscriptionGroupConfig, r.adoptGroupsLocked)
	ask(remoting.ReqGetAllConsumerOffset, r.adoptOffsetsLocked)
	ask(remoting.ReqGetAllDelayOffset, r.adoptDelayOffsetsLocked)
}

// epochsAnswered compares the master's epochs with the slave's log and
// streams from the master when they agree, cutting the slave's log back
// first when it holds a history the master does not.
func (r *replication) epochsAnswered(gen uint64, addr string, resp *remoting.Command, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if gen != r.gen || r.closed {
		return
	}
	r.checking = false
	if addr != r.masterAddr {
		return
	}
	if err == nil && resp.Code == remoting.ResRequestCodeNotSupported {
		// A master without epochs (RocketMQ 4.x): stream as RocketMQ's
		// slave does, without knowing whether the histories agree.
		r.warnOnceLocked(addr, "broker: the master keeps no epochs; replicating without comparing histories")
		r.streamLocked(addr)
		return
	}
	if err == nil && resp.Code != remoting.ResSuccess {
		err = remoting.ErrorForCode(resp.Code, resp.Remark)
	}
	if err != nil {
		if r.checkedAddr == "" && r.retryCheckLocked(gen) {
			r.log.Debug("broker: asking the master for its epochs failed; retrying", "master", addr, "err", err)
			return
		}
		r.log.Warn("broker: asking the master for its epochs failed", "master", addr, "err", err)
		return
	}
	remote, err := decodeEpochCache(resp.Body)
	if err != nil {
		r.log.Error("broker: the master's epochs do not decode", "master", addr, "err", err)
		return
	}
	st := r.b.store
	end := st.ReplicaEnd()
	switch {
	case len(remote.entries) == 0:
		r.warnOnceLocked(addr, "broker: the master lists no epochs; replicating without comparing histories")
		r.streamLocked(addr)
		return
	case end <= st.CommitLogMinOffset():
		// Nothing held, nothing to disagree with.
		r.adoptThenStreamLocked(gen, addr, remote.entries)
		return
	case len(r.entries) == 0:
		r.warnOnceLocked(addr, "broker: this slave's log has no epochs; replicating without comparing histories")
		r.adoptThenStreamLocked(gen, addr, remote.entries)
		return
	}
	point, ok := consistentPoint(r.entries, end, remote.entries)
	if !ok {
		r.checkedAddr = ""
		r.client.SetMasterAddr("")
		r.log.Error("broker: this slave's log shares no epoch with its master's; not replicating (empty the store, or cut it, to copy this master)",
			"master", addr, "local", r.entries, "remote", remote.entries)
		return
	}
	if point >= end {
		r.adoptThenStreamLocked(gen, addr, remote.entries)
		return
	}
	r.log.Warn("broker: this slave's log parts from its master's history; cutting it back", "master", addr,
		"end", end, "commonUpTo", point)
	// Nothing may append while the cut waits: registration answers only
	// resume a checked master.
	r.checking = true
	r.checkedAddr = ""
	r.client.SetMasterAddr("")
	r.b.fence.shutThen(func() { r.cutToMaster(gen, addr, remote.entries) })
}

// cutToMaster cuts the slave's log back to where it agrees with the
// master's history, with replication paused and no read in flight, then
// streams from there.
func (r *replication) cutToMaster(gen uint64, addr string, remote []epochEntry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if gen != r.gen || r.closed {
		return
	}
	r.checking = false
	defer r.b.fence.reopen()
	if addr != r.masterAddr {
		return
	}
	st := r.b.store
	point, ok := consistentPoint(r.entries, st.ReplicaEnd(), remote)
	if !ok {
		return
	}
	cut, err := st.TruncateTo(point)
	if err != nil {
		r.log.Error("broker: cutting the log back to the master's history failed", "master", addr, "point", point, "err", err)
		return
	}
	r.log.Warn("broker: log cut back to the master's history", "master", addr, "cut", cut)
	r.entries = truncateEpochs(r.entries, cut)
	r.adoptThenStreamLocked(gen, addr, remote)
}

// streamLocked marks the log as agreeing with addr's history: reads are
// served and the client streams from the master's HA address. r.mu is
// held.
func (r *replication) streamLocked(addr string) {
	r.checkedAddr = addr
	r.b.fence.reopen()
	if r.haAddr == "" {
		r.log.Warn("broker: the master's HA address is not known yet", "master", addr)
		return
	}
	r.client.SetMasterAddr(r.haAddr)
}

// adoptThenStreamLocked takes the master's epoch list as the slave's own
// and streams from addr. The list must be saved first: a slave that
// streamed a new epoch without listing it would later compare its log by
// its old list, find the master's newest epoch missing, and cut what it
// copied in it (found by the simulator, seed 578: a full disk refused the
// save). When the save fails, nothing streams and the comparison runs
// again after ReconnectDelay. r.mu is held.
func (r *replication) adoptThenStreamLocked(gen uint64, addr string, remote []epochEntry) {
	if !slices.Equal(remote, r.entries) {
		if err := r.file.save(remote); err != nil {
			r.log.Error("broker: saving the master's epochs failed; not replicating until it succeeds", "err", err)
			r.checkedAddr = ""
			r.client.SetMasterAddr("")
			r.retryCheckLocked(gen)
			return
		}
		r.entries = slices.Clone(remote)
	}
	r.streamLocked(addr)
}

// warnOnceLocked logs msg once per master address. r.mu is held.
func (r *replication) warnOnceLocked(addr, msg string) {
	if r.warned[addr+"\x00"+msg] {
		return
	}
	r.warned[addr+"\x00"+msg] = true
	r.log.Warn(msg, "master", addr)
}

// lost follows the end of the stream from the master (the connection
// ended or could not be made): the log is compared with the master's
// history again before anything more is streamed. The master may have
// restarted without a tail this slave holds (a machine crash under async
// flush) and begun a new epoch at the same offsets; streaming on would
// append its new history after the old tail. Until the check, reads go
// on: consumers keep reading the slave while the master is down.
func (r *replication) lost(gen uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if gen != r.gen || r.closed || r.promoting || r.b.role() != RoleSlave {
		return
	}
	r.checkedAddr = ""
	r.askEpochsLocked()
}

// askEpochsLocked asks the master for its epochs, unless a check is under
// way. r.mu is held.
func (r *replication) askEpochsLocked() {
	addr := r.masterAddr
	if r.checking || addr == "" {
		return
	}
	r.checking = true
	gen := r.gen
	r.b.nsClient.Invoke(addr, remoting.NewRequest(remoting.ReqGetBrokerEpochCache, nil, nil), slaveRequestTimeout,
		func(resp *remoting.Command, err error) { r.epochsAnswered(gen, addr, resp, err) })
}

// retryCheckLocked asks for the epochs again after the HA reconnect delay,
// while the slave streams from nobody; it reports false when it will not
// (another generation). r.mu is held.
func (r *replication) retryCheckLocked(gen uint64) bool {
	if gen != r.gen || r.closed {
		return false
	}
	delay := r.b.cfg.HA.ReconnectDelay
	if delay <= 0 {
		delay = ha.DefaultReconnectDelay
	}
	r.clock.AfterFunc(delay, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if gen == r.gen && !r.closed && r.checkedAddr == "" {
			r.askEpochsLocked()
		}
	})
	return true
}
