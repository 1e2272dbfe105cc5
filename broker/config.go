package broker

import (
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/ha"
	"github.com/apogeemq/apogee/store"
)

// Role is brokerRole: how a broker takes part in replication.
type Role string

// Broker roles (brokerRole).
const (
	RoleAsyncMaster Role = "ASYNC_MASTER"
	RoleSyncMaster  Role = "SYNC_MASTER"
	RoleSlave       Role = "SLAVE"
)

// Defaults, RocketMQ's BrokerConfig values unless stated.
const (
	DefaultClusterName           = "DefaultCluster"
	DefaultBrokerName            = "broker-a"
	DefaultListenPort            = 10911
	DefaultTopicQueueNums        = 8
	DefaultMaxMessageSize        = 4 << 20
	DefaultRegisterPeriod        = 30 * time.Second
	DefaultRegisterTimeout       = 6 * time.Second
	DefaultChannelExpiredTimeout = 120 * time.Second
	DefaultClientScanInterval    = 10 * time.Second
	DefaultFlushOffsetInterval   = 5 * time.Second
	DefaultShortPollingTime      = time.Second
	DefaultMaxHeldPulls          = 100_000
	DefaultMaxPullBatch          = 32
	DefaultBrokerPermission      = 6
	// DefaultSlaveSyncInterval is how often a slave copies its master's
	// topics, groups, consumer offsets, delay progress and epochs
	// (RocketMQ's SlaveSynchronize runs every 10 s).
	DefaultSlaveSyncInterval = 10 * time.Second
	// DefaultSlowConsumerLagBytes stands for RocketMQ's
	// accessMessageInMemoryMaxRatio (40) of the machine's memory: 40% of
	// 8 GiB, a common broker's. A pull this far behind the CommitLog's end
	// reads what the page cache has likely dropped.
	DefaultSlowConsumerLagBytes int64 = 8 << 30 * 40 / 100
)

// Config configures a Broker. Field comments name the broker.conf key.
type Config struct {
	// ClusterName is brokerClusterName.
	ClusterName string
	// BrokerName is brokerName; master and slaves of one replica set share it.
	BrokerName string
	// BrokerID is brokerId: 0 for the master, > 0 for a slave.
	BrokerID int64
	// Role is brokerRole.
	Role Role
	// NamesrvAddrs are the name servers (namesrvAddr, ';'-separated there);
	// the broker registers with each of them. Empty runs without a name
	// server.
	NamesrvAddrs []string
	// ListenAddr is where the remoting server listens ("0.0.0.0:10911";
	// "127.0.0.1:0" picks a free port).
	ListenAddr string
	// BrokerIP1 is the address published to name servers and written
	// into every record as the store host; with its port taken from the
	// listener once started. The zero value means 127.0.0.1.
	BrokerIP1 netip.Addr
	// Store configures the message store (storePathRootDir,
	// storePathCommitLog, mapedFileSizeCommitLog, flushDiskType,
	// deleteWhen, fileReservedTime, ...). Store.StoreHost is set by the
	// broker.
	Store store.Config
	// BrokerPermission is brokerPermission: 6 read and write.
	BrokerPermission int32
	// AutoCreateTopicEnable is autoCreateTopicEnable: a send to an unknown
	// topic creates it from TBW102's settings.
	AutoCreateTopicEnable bool
	// AutoCreateSubscriptionGroup is autoCreateSubscriptionGroup.
	AutoCreateSubscriptionGroup bool
	// DefaultTopicQueueNums is defaultTopicQueueNums: the queues of
	// automatically created topics (capped by the sender's own number).
	DefaultTopicQueueNums int32
	// MaxMessageSize is maxMessageSize: the largest body (after the
	// producer's compression) and the largest batch.
	MaxMessageSize int
	// LongPollingEnable is longPollingEnable; off, a pull with nothing to
	// read is held ShortPollingTime instead of its own suspend time.
	LongPollingEnable bool
	ShortPollingTime  time.Duration
	// MaxHeldPulls bounds the pulls held for long polling, all queues
	// together; beyond it a pull is answered PULL_NOT_FOUND at once.
	MaxHeldPulls int
	// RegisterPeriod is registerNameServerPeriod.
	RegisterPeriod time.Duration
	// RegisterTimeout is registerBrokerTimeoutMills.
	RegisterTimeout time.Duration
	// ChannelExpiredTimeout is channelExpiredTimeout: a client that sent no
	// heartbeat for this long is dropped.
	ChannelExpiredTimeout time.Duration
	// ClientScanInterval is how often expired clients are looked for.
	ClientScanInterval time.Duration
	// FlushOffsetInterval is flushConsumerOffsetInterval: how often
	// consumerOffset.json is written when offsets changed.
	FlushOffsetInterval time.Duration
	// FlushDelayOffsetInterval is flushDelayOffsetInterval: how often
	// delayOffset.json and timerOffset.json are written when the delivery
	// of delayed and timer messages moved on.
	FlushDelayOffsetInterval time.Duration
	// RebalanceLockMaxLiveTime is how long an orderly consumer's queue
	// lock lasts without renewal (RocketMQ's system property
	// rocketmq.broker.rebalance.lockMaxLiveTime; default
	// DefaultRebalanceLockMaxLiveTime).
	RebalanceLockMaxLiveTime time.Duration
	// MaxFrameBytes bounds a remoting frame (default the transport's).
	MaxFrameBytes int
	// Transaction configures transactional messages
	// (transactionCheckInterval, transactionTimeOut, transactionCheckMax).
	Transaction TransactionConfig
	// HAListenAddr is where a master's HA server listens (haListenPort,
	// with the listener's host); empty: ListenAddr's host and its port + 1,
	// once the remoting listener is bound.
	HAListenAddr string
	// HAMasterAddr is haMasterAddress: the master's HA address a slave
	// replicates from, instead of the one the name servers answer.
	HAMasterAddr string
	// SlaveReadEnable is slaveReadEnable: pull answers suggest the broker
	// id the group's config names (its brokerId, or its
	// whichBrokerWhenConsumeSlowly for a consumer SlowConsumerLagBytes
	// behind) instead of always the master.
	SlaveReadEnable bool
	// SlowConsumerLagBytes is how far behind the CommitLog's end a pull's
	// last message must lie for the consumer to count as slow (RocketMQ:
	// accessMessageInMemoryMaxRatio of the physical memory).
	SlowConsumerLagBytes int64
	// SlaveSyncInterval is how often a slave copies its master's metadata
	// and compares their epochs (no broker.conf key; RocketMQ: 10 s).
	SlaveSyncInterval time.Duration
	// HA tunes replication (haTransferBatchSize, haSendHeartbeatInterval,
	// haHousekeepingInterval, haSlaveFallbehindMax, slaveTimeout).
	HA HAConfig
	// Logger receives the broker's log lines (default slog.Default()).
	Logger *slog.Logger
}

// HAConfig tunes master/slave replication (package ha). Zero values take
// package ha's defaults, which are RocketMQ's.
type HAConfig struct {
	// TransferBatchBytes is haTransferBatchSize: the most one frame to a
	// slave carries.
	TransferBatchBytes int
	// HeartbeatInterval is haSendHeartbeatInterval.
	HeartbeatInterval time.Duration
	// HousekeepingInterval is haHousekeepingInterval.
	HousekeepingInterval time.Duration
	// SlaveFallBehindMaxBytes is haSlaveFallbehindMax: a SYNC_MASTER does
	// not wait for a slave this far behind.
	SlaveFallBehindMaxBytes int64
	// SlaveTimeout is slaveTimeout: how long a SYNC_MASTER send waits for
	// a slave's acknowledgement.
	SlaveTimeout time.Duration
	// ReconnectDelay is the pause before a slave connects to its master
	// again.
	ReconnectDelay time.Duration
	// PlantedBug switches on a planted bug for the simulator: package
	// ha's ha.BugTrustSlaveOffset, or BugPromoteWithoutTruncation in the
	// broker's promotion. Empty in production.
	PlantedBug string
}

// DefaultConfig returns RocketMQ's defaults with the store under rootDir.
func DefaultConfig(rootDir string) Config {
	return Config{
		ClusterName:                 DefaultClusterName,
		BrokerName:                  DefaultBrokerName,
		Role:                        RoleAsyncMaster,
		ListenAddr:                  fmt.Sprintf("0.0.0.0:%d", DefaultListenPort),
		Store:                       store.DefaultConfig(rootDir),
		BrokerPermission:            DefaultBrokerPermission,
		AutoCreateTopicEnable:       true,
		AutoCreateSubscriptionGroup: true,
		DefaultTopicQueueNums:       DefaultTopicQueueNums,
		MaxMessageSize:              DefaultMaxMessageSize,
		LongPollingEnable:           true,
		ShortPollingTime:            DefaultShortPollingTime,
		MaxHeldPulls:                DefaultMaxHeldPulls,
		RegisterPeriod:              DefaultRegisterPeriod,
		RegisterTimeout:             DefaultRegisterTimeout,
		ChannelExpiredTimeout:       DefaultChannelExpiredTimeout,
		ClientScanInterval:          DefaultClientScanInterval,
		FlushOffsetInterval:         DefaultFlushOffsetInterval,
		FlushDelayOffsetInterval:    DefaultFlushDelayOffsetInterval,
		Transaction:                 DefaultTransactionConfig(),
		SlowConsumerLagBytes:        DefaultSlowConsumerLagBytes,
		SlaveSyncInterval:           DefaultSlaveSyncInterval,
		HA: HAConfig{
			TransferBatchBytes:      ha.DefaultTransferBatchBytes,
			HeartbeatInterval:       ha.DefaultHeartbeatInterval,
			HousekeepingInterval:    ha.DefaultHousekeepingInterval,
			SlaveFallBehindMaxBytes: ha.DefaultSlaveFallBehindMaxBytes,
			SlaveTimeout:            ha.DefaultSlaveTimeout,
			ReconnectDelay:          ha.DefaultReconnectDelay,
		},
	}
}

// withDefaults fills zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig(c.Store.RootDir)
	if c.Store.RootDir == "" {
		return c, fmt.Errorf("broker: config: no store root directory")
	}
	if c.ClusterName == "" {
		c.ClusterName = d.ClusterName
	}
	if c.BrokerName == "" {
		c.BrokerName = d.BrokerName
	}
	if c.Role == "" {
		c.Role = d.Role
	}
	switch c.Role {
	case RoleAsyncMaster, RoleSyncMaster, RoleSlave:
	default:
		return c, fmt.Errorf("broker: config: unknown brokerRole %q", c.Role)
	}
	if c.BrokerID < 0 {
		return c, fmt.Errorf("broker: config: negative brokerId %d", c.BrokerID)
	}
	if c.ListenAddr == "" {
		c.ListenAddr = d.ListenAddr
	}
	if !c.BrokerIP1.IsValid() {
		c.BrokerIP1 = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	if c.BrokerPermission == 0 {
		c.BrokerPermission = d.BrokerPermission
	}
	if c.DefaultTopicQueueNums <= 0 {
		c.DefaultTopicQueueNums = d.DefaultTopicQueueNums
	}
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = d.MaxMessageSize
	}
	if c.ShortPollingTime <= 0 {
		c.ShortPollingTime = d.ShortPollingTime
	}
	if c.MaxHeldPulls <= 0 {
		c.MaxHeldPulls = d.MaxHeldPulls
	}
	if c.RegisterPeriod <= 0 {
		c.RegisterPeriod = d.RegisterPeriod
	}
	if c.RegisterTimeout <= 0 {
		c.RegisterTimeout = d.RegisterTimeout
	}
	if c.ChannelExpiredTimeout <= 0 {
		c.ChannelExpiredTimeout = d.ChannelExpiredTimeout
	}
	if c.ClientScanInterval <= 0 {
		c.ClientScanInterval = d.ClientScanInterval
	}
	if c.FlushOffsetInterval <= 0 {
		c.FlushOffsetInterval = d.FlushOffsetInterval
	}
	if c.FlushDelayOffsetInterval <= 0 {
		c.FlushDelayOffsetInterval = d.FlushDelayOffsetInterval
	}
	if c.SlowConsumerLagBytes <= 0 {
		c.SlowConsumerLagBytes = d.SlowConsumerLagBytes
	}
	if c.SlaveSyncInterval <= 0 {
		c.SlaveSyncInterval = d.SlaveSyncInterval
	}
	if c.Role == RoleSlave && c.BrokerID == 0 {
		return c, fmt.Errorf("broker: config: a slave's brokerId must be above 0 (0 is the master's)")
	}
	if c.Role != RoleSlave && c.BrokerID != 0 {
		return c, fmt.Errorf("broker: config: brokerId %d with brokerRole %s: a master's brokerId is 0", c.BrokerID, c.Role)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	var err error
	if c.Transaction, err = c.Transaction.withDefaults(); err != nil {
		return c, err
	}
	return c, nil
}

// Properties returns the effective settings under their broker.conf keys, as
// GET_BROKER_CONFIG and `mqbroker -p` show them.
func (c Config) Properties() map[string]string {
	s := c.Store
	cl := s.CommitLog
	flush := "ASYNC_FLUSH"
	if cl.FlushMode == commitlog.FlushSync {
		flush = "SYNC_FLUSH"
	}
	hours := make([]string, len(s.DeleteWhen))
	for i, h := range s.DeleteWhen {
		hours[i] = fmt.Sprintf("%02d", h)
	}
	ms := func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
	return map[string]string{
		"brokerClusterName":                 c.ClusterName,
		"brokerName":                        c.BrokerName,
		"brokerId":                          strconv.FormatInt(c.BrokerID, 10),
		"brokerRole":                        string(c.Role),
		"namesrvAddr":                       strings.Join(c.NamesrvAddrs, ";"),
		"listenAddr":                        c.ListenAddr,
		"brokerIP1":                         c.BrokerIP1.String(),
		"brokerPermission":                  strconv.Itoa(int(c.BrokerPermission)),
		"autoCreateTopicEnable":             strconv.FormatBool(c.AutoCreateTopicEnable),
		"autoCreateSubscriptionGroup":       strconv.FormatBool(c.AutoCreateSubscriptionGroup),
		"defaultTopicQueueNums":             strconv.Itoa(int(c.DefaultTopicQueueNums)),
		"maxMessageSize":                    strconv.Itoa(c.MaxMessageSize),
		"longPollingEnable":                 strconv.FormatBool(c.LongPollingEnable),
		"shortPollingTimeMills":             ms(c.ShortPollingTime),
		"registerNameServerPeriod":          ms(c.RegisterPeriod),
		"registerBrokerTimeoutMills":        ms(c.RegisterTimeout),
		"channelExpiredTimeout":             ms(c.ChannelExpiredTimeout),
		"flushConsumerOffsetInterval":       ms(c.FlushOffsetInterval),
		"flushDelayOffsetInterval":          ms(c.FlushDelayOffsetInterval),
		"transactionCheckInterval":          ms(c.Transaction.CheckInterval),
		"transactionTimeOut":                ms(c.Transaction.Timeout),
		"transactionCheckMax":               strconv.Itoa(c.Transaction.CheckMax),
		"storePathRootDir":                  s.RootDir,
		"storePathCommitLog":                filepath.Join(s.RootDir, "commitlog"),
		"mappedFileSizeCommitLog":           strconv.FormatInt(cl.SegmentSizeBytes, 10),
		"mappedFileSizeConsumeQueue":        strconv.Itoa(s.ConsumeQueueUnitsPerFile * 20),
		"flushDiskType":                     flush,
		"flushIntervalCommitLog":            ms(cl.FlushInterval),
		"flushCommitLogLeastPages":          strconv.Itoa(cl.FlushLeastPages),
		"flushCommitLogThoroughInterval":    ms(cl.FlushThoroughInterval),
		"syncFlushTimeout":                  ms(cl.SyncFlushTimeout),
		"warmMapedFileEnable":               strconv.FormatBool(cl.WarmMappedFile),
		"flushIntervalConsumeQueue":         ms(s.FlushConsumeQueueInterval),
		"messageIndexEnable":                strconv.FormatBool(s.MessageIndexEnable),
		"messageIndexSafe":                  strconv.FormatBool(s.MessageIndexSafe),
		"maxHashSlotNum":                    strconv.Itoa(s.IndexHashSlots),
		"maxIndexNum":                       strconv.Itoa(s.IndexMaxEntries),
		"fileReservedTime":                  strconv.FormatInt(int64(s.FileReservedTime/time.Hour), 10),
		"deleteWhen":                        strings.Join(hours, ";"),
		"diskMaxUsedSpaceRatio":             strconv.Itoa(int(s.DiskMaxUsedSpaceRatio * 100)),
		"cleanResourceInterval":             ms(s.CleanResourceInterval),
		"maxTransferCountOnMessageInMemory": strconv.Itoa(s.MaxTransferCountOnMessage),
		"maxTransferBytesOnMessageInMemory": strconv.Itoa(s.MaxTransferBytesOnMessage),
		"haListenPort":                      haPortOf(c),
		"haMasterAddress":                   c.HAMasterAddr,
		"slaveReadEnable":                   strconv.FormatBool(c.SlaveReadEnable),
		"haTransferBatchSize":               strconv.Itoa(orDefault(c.HA.TransferBatchBytes, ha.DefaultTransferBatchBytes)),
		"haSendHeartbeatInterval":           ms(orDefault(c.HA.HeartbeatInterval, ha.DefaultHeartbeatInterval)),
		"haHousekeepingInterval":            ms(orDefault(c.HA.HousekeepingInterval, ha.DefaultHousekeepingInterval)),
		"haSlaveFallbehindMax":              strconv.FormatInt(orDefault(c.HA.SlaveFallBehindMaxBytes, ha.DefaultSlaveFallBehindMaxBytes), 10),
		"slaveTimeout":                      ms(orDefault(c.HA.SlaveTimeout, ha.DefaultSlaveTimeout)),
	}
}

// orDefault returns v, or def when v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// haPortOf returns haListenPort: HAListenAddr's port, else the listen
// port + 1 ("" when neither can be read).
func haPortOf(c Config) string {
	if c.HAListenAddr != "" {
		if p, err := listenPort(c.HAListenAddr); err == nil {
			return strconv.Itoa(int(p))
		}
		return ""
	}
	if p, err := listenPort(c.ListenAddr); err == nil && p != 0 {
		return strconv.Itoa(int(p) + 1)
	}
	return ""
}
