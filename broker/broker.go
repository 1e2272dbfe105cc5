package broker

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/remoting"
	"github.com/apogeemq/apogee/store"
)

// Broker serves RocketMQ's broker requests from a message store. Its methods
// are safe for concurrent use.
type Broker struct {
	env    env.Env
	cfg    Config
	log    *slog.Logger
	store  *store.Store
	server *remoting.Server
	// nsClient talks to the name servers (registration).
	nsClient *remoting.Client

	topics  *topicManager
	groups  *groupManager
	offsets *offsetManager
	clients *clientManager
	holds   *pullHolds
	txn     *transactions
	locks   *lockTable    // orderly consumers' queue locks (lock.go)
	delay   *delayService // delayed and timer messages (delay_service.go)
	stats   stats
	// repl is the broker's part in replication (ha_role.go); roleNow the
	// role a promotion set, nil while the configured one holds; fence keeps
	// store reads away from the cuts replication makes (ha_fence.go).
	repl    *replication
	roleNow atomic.Pointer[roleInfo]
	fence   *readFence

	mu        sync.Mutex
	started   bool
	closed    bool
	addr      string         // "ip:port" published to name servers
	storeHost netip.AddrPort // written into records
	// host is storeHost for the send path, set once by Start.
	host   atomic.Pointer[netip.AddrPort]
	timers map[string]env.Timer
}

// New opens the store under cfg.Store.RootDir (recovering it) and loads the
// broker's metadata files; the broker does not listen until Start.
func New(e env.Env, cfg Config) (*Broker, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	b := &Broker{env: e, cfg: cfg, log: cfg.Logger, clients: newClientManager(),
		holds: newPullHolds(e.Clock, cfg.MaxHeldPulls), timers: map[string]env.Timer{}}
	b.locks = newLockTable(lockLiveTime(&cfg), maxQueueLocks)
	// A slave serves no read before its log was found to agree with its
	// master's history (ha_slave.go opens the fence).
	b.fence = newReadFence(e.Clock, cfg.Role != RoleSlave)
	// The store host must be known before the first record is written;
	// with a port picked at Start (":0"), records carry the configured
	// address until then, and Start sets it before serving.
	scfg := cfg.Store
	if scfg.Logger == nil {
		scfg.Logger = cfg.Logger
	}
	if scfg.CommitLog.MaxBodySizeBytes <= 0 || scfg.CommitLog.MaxBodySizeBytes > cfg.MaxMessageSize {
		scfg.CommitLog.MaxBodySizeBytes = cfg.MaxMessageSize
	}
	if port, err := listenPort(cfg.ListenAddr); err == nil && port != 0 {
		scfg.StoreHost = netip.AddrPortFrom(cfg.BrokerIP1, port)
	}
	b.cfg.Store = scfg
	if b.store, err = store.Open(e, scfg); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	now := func() int64 { return e.Clock.Now().UnixMilli() }
	fail := func(err error) (*Broker, error) {
		b.store.Close()
		return nil, err
	}
	if b.topics, err = newTopicManager(e.FS, scfg.RootDir, now); err != nil {
		return fail(err)
	}
	if err := b.topics.ensureSystemTopics(&b.cfg); err != nil {
		return fail(err)
	}
	if b.groups, err = newGroupManager(e.FS, scfg.RootDir, now); err != nil {
		return fail(err)
	}
	if b.offsets, err = newOffsetManager(e.FS, scfg.RootDir, now); err != nil {
		return fail(err)
	}
	b.repl = newReplication(b)
	if err := b.repl.load(); err != nil {
		return fail(err)
	}
	b.txn = b.loadTransactions()
	if b.delay, err = newDelayService(b); err != nil {
		return fail(err)
	}
	b.store.SetArrivalListener(b.onStoreArrival)
	b.server = remoting.NewServer(e, remoting.ServerConfig{
		ListenAddr:    cfg.ListenAddr,
		MaxFrameBytes: cfg.MaxFrameBytes,
		Logger:        cfg.Logger,
	})
	for code, h := range b.handlers() {
		b.server.Handle(code, h)
	}
	b.server.OnDisconnect(b.clientGone)
	b.nsClient = remoting.NewClient(e, remoting.ClientConfig{MaxFrameBytes: cfg.MaxFrameBytes, Logger: cfg.Logger})
	return b, nil
}

// handlers maps the request codes the broker serves to their processors.
func (b *Broker) handlers() map[int32]remoting.Handler {
	return map[int32]remoting.Handler{
		remoting.ReqSendMessage:                      b.send,
		remoting.ReqSendMessageV2:                    b.send,
		remoting.ReqSendBatchMessage:                 b.send,
		remoting.ReqPullMessage:                      b.pull,
		remoting.ReqHeartBeat:                        b.heartbeat,
		remoting.ReqUnregisterClient:                 b.unregisterClient,
		remoting.ReqGetConsumerListByGroup:           b.getConsumerList,
		remoting.ReqQueryConsumerOffset:              b.queryConsumerOffset,
		remoting.ReqUpdateConsumerOffset:             b.updateConsumerOffset,
		remoting.ReqGetMaxOffset:                     b.fencedRead(b.getMaxOffset),
		remoting.ReqGetMinOffset:                     b.fencedRead(b.getMinOffset),
		remoting.ReqSearchOffsetByTimestamp:          b.fencedRead(b.searchOffset),
		remoting.ReqGetEarliestMsgStoreTime:          b.fencedRead(b.getEarliestMsgStoreTime),
		remoting.ReqUpdateAndCreateTopic:             b.createTopic,
		remoting.ReqDeleteTopicInBroker:              b.deleteTopic,
		remoting.ReqGetAllTopicConfig:                b.getAllTopicConfig,
		remoting.ReqUpdateAndCreateSubscriptionGroup: b.createGroup,
		remoting.ReqDeleteSubscriptionGroup:          b.deleteGroup,
		remoting.ReqGetAllSubscriptionGroupConfig:    b.getAllGroups,
		remoting.ReqGetBrokerRuntimeInfo:             b.runtimeInfo,
		remoting.ReqGetTopicStatsInfo:                b.fencedRead(b.topicStats),
		remoting.ReqGetConsumeStats:                  b.fencedRead(b.consumeStats),
		remoting.ReqGetConsumerConnectionList:        b.consumerConnections,
		remoting.ReqGetBrokerConfig:                  b.brokerConfig,
		remoting.ReqEndTransaction:                   b.endTransaction,
		remoting.ReqConsumerSendMsgBack:              b.consumerSendMsgBack,
		remoting.ReqLockBatchMQ:                      b.lockBatchMQ,
		remoting.ReqUnlockBatchMQ:                    b.unlockBatchMQ,
		remoting.ReqQueryMessage:                     b.fencedRead(b.queryMessage),
		remoting.ReqViewMessageByID:                  b.fencedRead(b.viewMessageByID),
		remoting.ReqGetConsumerRunningInfo:           b.getConsumerRunningInfo,
		remoting.ReqConsumeMessageDirectly:           b.fencedRead(b.consumeMessageDirectly),
		remoting.ReqInvokeBrokerToResetOffset:        b.fencedRead(b.resetOffset),
		remoting.ReqInvokeBrokerToGetConsumerStatus:  b.getConsumerStatus,
		remoting.ReqGetAllConsumerOffset:             b.getAllConsumerOffset,
		remoting.ReqGetAllDelayOffset:                b.getAllDelayOffset,
		remoting.ReqGetBrokerEpochCache:              b.getEpochCache,
		remoting.ReqUpdateBrokerConfig:               b.updateBrokerConfig,
	}
}

// Start listens, starts replication (a master's HA server, a slave's
// client), registers with the name servers and schedules the periodic
// work. It may be called once; after an error the broker is still to be
// closed.
func (b *Broker) Start() error {
	b.mu.Lock()
	switch {
	case b.closed:
		b.mu.Unlock()
		return errors.New("broker: start after close")
	case b.started:
		b.mu.Unlock()
		return errors.New("broker: already started")
	}
	if err := b.server.Start(); err != nil {
		b.mu.Unlock()
		return fmt.Errorf("broker: %w", err)
	}
	port, err := listenPort(b.server.Addr())
	if err != nil {
		b.mu.Unlock()
		b.server.Close()
		return err
	}
	b.storeHost = netip.AddrPortFrom(b.cfg.BrokerIP1, port)
	host := b.storeHost
	b.host.Store(&host)
	b.addr = b.storeHost.String()
	b.started = true
	b.stats.bootMs = b.env.Clock.Now().UnixMilli()
	b.schedule("register", b.cfg.RegisterPeriod, b.registerAll)
	b.schedule("scanClients", b.cfg.ClientScanInterval, b.scanClients)
	b.schedule("sweepLocks", lockLiveTime(&b.cfg), func() { b.locks.sweep(b.env.Clock.Now()) })
	b.schedule("checkTransactions", b.cfg.Transaction.CheckInterval, b.checkTransactions)
	b.startDelayService()
	b.schedule("persistOffsets", b.cfg.FlushOffsetInterval, func() {
		if err := b.offsets.persist(); err != nil {
			b.log.Error("broker: persisting consumer offsets failed", "err", err)
		}
	})
	b.mu.Unlock()
	// Replication starts outside b.mu: its own lock comes first.
	if err := b.repl.start(); err != nil {
		return err
	}
	b.log.Info("broker: listening", slog.String("addr", b.server.Addr()), slog.String("published", b.addr),
		slog.String("cluster", b.cfg.ClusterName), slog.String("name", b.cfg.BrokerName), slog.String("store", b.cfg.Store.RootDir))
	b.registerAll()
	return nil
}

// schedule runs f every period until Close. b.mu is held.
func (b *Broker) schedule(name string, d time.Duration, f func()) {
	var tick func()
	tick = func() {
		f()
		b.mu.Lock()
		defer b.mu.Unlock()
		if !b.closed {
			b.timers[name] = b.env.Clock.AfterFunc(d, tick)
		}
	}
	b.timers[name] = b.env.Clock.AfterFunc(d, tick)
}

// Addr returns the address the broker publishes to name servers and
// clients ("ip:port"), or "" before Start.
func (b *Broker) Addr() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.addr
}

// ListenAddr returns the address the remoting server is bound to.
func (b *Broker) ListenAddr() string { return b.server.Addr() }

// Store returns the broker's message store.
func (b *Broker) Store() *store.Store { return b.store }

// Err returns the failure that stopped the broker's store (see
// store.Store.Err), or nil. A broker whose store failed refuses every send;
// its process should exit and be restarted, which recovers the store.
func (b *Broker) Err() error { return b.store.Err() }

// Config returns the effective configuration, with the role and broker id
// in force now (a promotion changes them).
func (b *Broker) Config() Config {
	c := b.cfg
	c.Role, c.BrokerID = b.role(), b.brokerID()
	return c
}

// Close stops serving, answers the held pulls, persists the consumer
// offsets and closes the store with a final flush. Name servers drop the
// broker when its connections close. It is idempotent.
func (b *Broker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	for _, t := range b.timers {
		t.Stop()
	}
	b.mu.Unlock()
	for _, hp := range b.holds.closeAll() {
		b.rerunHeld(hp)
	}
	errs := []error{b.server.Close()}
	b.repl.close()
	b.nsClient.Close()
	errs = append(errs, b.delay.close(b.store))
	errs = append(errs, b.offsets.persist(), b.store.Close())
	return errors.Join(errs...)
}

// Abandon drops the broker as a crash would: the store is abandoned (see
// store.Abandon) and nothing is persisted. Tests and the simulator use it.
func (b *Broker) Abandon() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	for _, t := range b.timers {
		t.Stop()
	}
	b.mu.Unlock()
	b.holds.closeAll()
	b.server.Close()
	b.repl.close()
	b.nsClient.Close()
	b.delay.abandon()
	b.store.Abandon()
}

func listenPort(addr string) (uint16, error) {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return ap.Port(), nil
	}
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			p, err := strconv.ParseUint(addr[i+1:], 10, 16)
			if err != nil {
				break
			}
			return uint16(p), nil
		}
	}
	return 0, fmt.Errorf("broker: cannot read the port of %q", addr)
}

// header decodes a request's custom header; when it cannot, it answers
// SYSTEM_ERROR with the decoding error, as RocketMQ answers a
// RemotingCommandException, and reports false.
func header[T any](req *remoting.Command, reply func(*remoting.Command), decode func(map[string]string) (T, error)) (T, bool) {
	h, err := decode(req.ExtFields)
	if err != nil {
		reply(remoting.NewResponse(req, remoting.ResSystemError, err.Error()))
		return h, false
	}
	return h, true
}
