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
	r.client = ha.NewClient(r.b.env, r.b.store, ha.ClientConfig{
		ReportInterval:       hc.HeartbeatInterval,
		HousekeepingInterval: hc.HousekeepingInterval,
		ReconnectDelay:       hc.ReconnectDelay,
		Logger:               r.log,
	})
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
	if !r.checking {
		r.checking = true
		r.b.nsClient.Invoke(addr, remoting.NewRequest(remoting.ReqGetBrokerEpochCache, nil, nil), slaveRequestTimeout,
			func(resp *remoting.Command, err error) { r.epochsAnswered(gen, addr, resp, err) })
	}
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
		r.adoptEpochsLocked(remote.entries)
		r.streamLocked(addr)
		return
	case len(r.entries) == 0:
		r.warnOnceLocked(addr, "broker: this slave's log has no epochs; replicating without comparing histories")
		r.adoptEpochsLocked(remote.entries)
		r.streamLocked(addr)
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
		r.adoptEpochsLocked(remote.entries)
		r.streamLocked(addr)
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
	r.adoptEpochsLocked(remote)
	r.streamLocked(addr)
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

// adoptEpochsLocked takes the master's epoch list as the slave's own. r.mu
// is held.
func (r *replication) adoptEpochsLocked(remote []epochEntry) {
	if slices.Equal(remote, r.entries) {
		return
	}
	if err := r.file.save(remote); err != nil {
		r.log.Error("broker: saving the master's epochs failed", "err", err)
		return
	}
	r.entries = slices.Clone(remote)
}

// warnOnceLocked logs msg once per master address. r.mu is held.
func (r *replication) warnOnceLocked(addr, msg string) {
	if r.warned[addr+"\x00"+msg] {
		return
	}
	r.warned[addr+"\x00"+msg] = true
	r.log.Warn(msg, "master", addr)
}
