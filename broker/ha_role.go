package broker

import (
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/ha"
	"github.com/apogeemq/apogee/remoting"
)

// masterBrokerID is the brokerId of a broker group's master (MixAll.MASTER_ID).
const masterBrokerID int64 = 0

// roleInfo is a role set at run time (a promotion).
type roleInfo struct {
	role     Role
	brokerID int64
}

// role returns the broker's role now: the configured one until a role
// change.
func (b *Broker) role() Role {
	if ri := b.roleNow.Load(); ri != nil {
		return ri.role
	}
	return b.cfg.Role
}

// brokerID returns the broker's id now.
func (b *Broker) brokerID() int64 {
	if ri := b.roleNow.Load(); ri != nil {
		return ri.brokerID
	}
	return b.cfg.BrokerID
}

// isSlave reports whether the broker is a slave now.
func (b *Broker) isSlave() bool { return b.role() == RoleSlave }

// Role returns the broker's role now (brokerRole), which a promotion
// changes.
func (b *Broker) Role() Role { return b.role() }

// replication is the broker's part in master/slave replication: a
// master's ha.Server, a slave's ha.Client with the copy of its master's
// metadata, and the epoch list of both (see the package doc, Roles and
// replication). Its mutex serializes role changes, epoch checks and the
// application of copied metadata; it is never taken on a store callback,
// and it is taken before the Client's mutex, never after.
type replication struct {
	b     *Broker
	file  epochFile
	log   *slog.Logger
	clock env.Clock

	mu sync.Mutex
	// entries is the epoch list, as in the file.
	entries []epochEntry
	// server is a master's, client a slave's.
	server *ha.Server
	client *ha.Client
	// masterAddr is the master's remoting address (the name servers'
	// answer), haAddr its HA address (haMasterAddress, else the answer).
	masterAddr, haAddr string
	// checkedAddr is the master whose history the log was found to agree
	// with; the client streams only from it.
	checkedAddr string
	// checking is set while an epoch check is asked for or a cut waits.
	checking bool
	// gen changes when the role changes or the broker closes: answers and
	// cuts of an older generation do nothing.
	gen       uint64
	syncTimer env.Timer
	promoting bool
	closed    bool
	// warned remembers the log lines said once per master address.
	warned map[string]bool

	// serverAddr is the running HA server's address, read without r.mu
	// when the broker registers.
	serverAddr atomic.Pointer[string]
}

func newReplication(b *Broker) *replication {
	return &replication{b: b, file: newEpochFile(b.env.FS, b.cfg.Store.RootDir), log: b.log, clock: b.env.Clock,
		warned: map[string]bool{}}
}

// load reads the epoch file; a master starts a new epoch at the end of
// its log, so that a slave whose copy of the old epoch goes further (this
// broker lost a tail in a crash) finds out and cuts it.
func (r *replication) load() error {
	entries, err := r.file.load()
	if err != nil {
		return err
	}
	r.entries = entries
	if r.b.cfg.Role == RoleSlave {
		return nil
	}
	return r.beginEpochLocked(r.b.store.CommitLogMaxOffset())
}

// beginEpochLocked appends a new epoch starting at startOffset, persists
// it and stamps the topic table's state version with it, so that name
// servers prefer this master's registration over an older master's.
// r.mu is held (or the broker is not serving yet).
func (r *replication) beginEpochLocked(startOffset int64) error {
	next, err := nextEpoch(r.entries, startOffset)
	if err != nil {
		return err
	}
	if err := r.file.save(next); err != nil {
		return err
	}
	r.entries = next
	epoch := next[len(next)-1].epoch
	if err := r.b.topics.setStateVersion(int64(epoch)); err != nil {
		return err
	}
	r.log.Info("broker: master epoch begins", "epoch", epoch, "startOffset", startOffset)
	return nil
}

// haListenAddr returns where a master's HA server listens: HAListenAddr,
// else the remoting listener's host with its port + 1; a listener on a
// port the system picked (":0") gets an HA port the system picks too.
func (r *replication) haListenAddr() (string, error) {
	if r.b.cfg.HAListenAddr != "" {
		return r.b.cfg.HAListenAddr, nil
	}
	addr := r.b.server.Addr()
	port, err := listenPort(addr)
	if err != nil {
		return "", err
	}
	host := addr[:len(addr)-len(strconv.Itoa(int(port)))-1]
	if configured, err := listenPort(r.b.cfg.ListenAddr); err == nil && configured == 0 {
		return host + ":0", nil
	}
	return fmt.Sprintf("%s:%d", host, int(port)+1), nil
}

// startMasterLocked starts the HA server and installs it as the store's
// replicator: a SYNC_MASTER's sends wait for a slave, an ASYNC_MASTER's
// only tell it the log grew. r.mu is held.
func (r *replication) startMasterLocked(role Role) error {
	addr, err := r.haListenAddr()
	if err != nil {
		return fmt.Errorf("broker: HA listen address: %w", err)
	}
	hc := r.b.cfg.HA
	s, err := ha.NewServer(r.b.env, r.b.store, ha.ServerConfig{
		ListenAddr:              addr,
		SyncMaster:              role == RoleSyncMaster,
		TransferBatchBytes:      hc.TransferBatchBytes,
		HeartbeatInterval:       hc.HeartbeatInterval,
		HousekeepingInterval:    hc.HousekeepingInterval,
		SlaveTimeout:            hc.SlaveTimeout,
		SlaveFallBehindMaxBytes: hc.SlaveFallBehindMaxBytes,
		Logger:                  r.log,
		PlantedBug:              hc.PlantedBug,
	})
	if err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	if err := s.Start(); err != nil {
		return fmt.Errorf("broker: HA server: %w", err)
	}
	r.server = s
	addrNow := s.Addr()
	r.serverAddr.Store(&addrNow)
	r.b.store.SetReplicator(s)
	r.log.Info("broker: HA server listening", "addr", s.Addr(), "role", string(role))
	return nil
}

// start starts the role's side of replication once the broker listens.
func (r *replication) start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.b.cfg.Role != RoleSlave {
		return r.startMasterLocked(r.b.cfg.Role)
	}
	r.startSlaveLocked()
	return nil
}

// haServerAddr returns the HA address to publish: the running server's
// with the published host, else the listen port + 1 (a slave publishes
// one too, as RocketMQ's does).
func (r *replication) haServerAddr(storeHost netip.AddrPort) string {
	if p := r.serverAddr.Load(); p != nil {
		if port, err := listenPort(*p); err == nil {
			return netip.AddrPortFrom(storeHost.Addr(), port).String()
		}
	}
	if r.b.cfg.HAListenAddr != "" {
		if port, err := listenPort(r.b.cfg.HAListenAddr); err == nil && port != 0 {
			return netip.AddrPortFrom(storeHost.Addr(), port).String()
		}
	}
	return netip.AddrPortFrom(storeHost.Addr(), storeHost.Port()+1).String()
}

// close stops replication: no append reaches the store after it returns.
func (r *replication) close() {
	r.mu.Lock()
	r.closed = true
	r.gen++
	if r.syncTimer != nil {
		r.syncTimer.Stop()
		r.syncTimer = nil
	}
	s, c := r.server, r.client
	r.mu.Unlock()
	if c != nil {
		c.Close()
	}
	if s != nil {
		r.b.store.SetReplicator(nil)
		if err := s.Close(); err != nil {
			r.log.Warn("broker: closing the HA server", "err", err)
		}
	}
}

// getEpochCache serves GET_BROKER_EPOCH_CACHE: the broker's epoch list and
// CommitLog end, which a slave compares with its own before it copies.
func (b *Broker) getEpochCache(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	r := b.repl
	r.mu.Lock()
	c := epochCache{clusterName: b.cfg.ClusterName, brokerName: b.cfg.BrokerName, brokerID: b.brokerID(),
		entries: r.entries, maxOffset: b.store.CommitLogMaxOffset()}
	body := appendEpochCacheJSON(nil, &c)
	r.mu.Unlock()
	resp := remoting.NewResponse(req, remoting.ResSuccess, "")
	resp.Body = body
	reply(resp)
}

// HAState describes the broker's replication, for tests and status pages.
type HAState struct {
	// Role and BrokerID are the broker's now.
	Role     Role
	BrokerID int64
	// Epochs are the epoch list's entries as "epoch-startOffset".
	Epochs []string
	// HAAddr is a master's HA server address.
	HAAddr string
	// Slaves are a master's connected slaves.
	Slaves []ha.SlaveState
	// MasterAddr and MasterHAAddr are a slave's master's addresses;
	// Checked says its log was found to agree with that master's history,
	// Client describes its replication connection.
	MasterAddr, MasterHAAddr string
	Checked                  bool
	Client                   ha.ClientState
	// ReadsOpen says reads of the store are served (a slave turns them
	// away until its log is checked).
	ReadsOpen bool
}

// HAState returns the broker's replication state now.
func (b *Broker) HAState() HAState {
	r := b.repl
	r.mu.Lock()
	st := HAState{Role: b.role(), BrokerID: b.brokerID(), MasterAddr: r.masterAddr, MasterHAAddr: r.haAddr,
		Checked: r.checkedAddr != "" && r.checkedAddr == r.masterAddr}
	for _, e := range r.entries {
		st.Epochs = append(st.Epochs, fmt.Sprintf("%d-%d", e.epoch, e.startOffset))
	}
	s, c := r.server, r.client
	r.mu.Unlock()
	if s != nil {
		st.HAAddr = s.Addr()
		st.Slaves = s.Slaves()
	}
	if c != nil {
		st.Client = c.State()
	}
	st.ReadsOpen = b.fence.isOpen()
	return st
}
