package ha

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Defaults, as in RocketMQ (spec/store.md §12) where it has them.
const (
	// DefaultTransferBatchBytes is haTransferBatchSize: the most a master
	// sends in one frame.
	DefaultTransferBatchBytes = 32 << 10
	// DefaultHeartbeatInterval is haSendHeartbeatInterval: an idle master
	// sends an empty frame, and a slave reports, at least this often.
	DefaultHeartbeatInterval = 5 * time.Second
	// DefaultHousekeepingInterval is haHousekeepingInterval: either side
	// closes a connection it read nothing from for this long.
	DefaultHousekeepingInterval = 20 * time.Second
	// DefaultSlaveTimeout is slaveTimeout: how long a SYNC_MASTER put waits
	// for a slave's acknowledgement.
	DefaultSlaveTimeout = 3 * time.Second
	// DefaultSlaveFallBehindMaxBytes is haSlaveFallbehindMax: a slave this
	// far behind is not waited for (SLAVE_NOT_AVAILABLE at once).
	DefaultSlaveFallBehindMaxBytes = 256 << 20
	// DefaultMaxSlaves bounds the connections a master serves. A broker
	// group has a handful of slaves; each connection holds a timer and a
	// CommitLog segment while a frame is in flight, so more than this is a
	// misconfiguration or a flood, not a deployment.
	DefaultMaxSlaves = 16
	// DefaultMaxPendingWaiters bounds the SYNC_MASTER puts waiting for a
	// slave, as commitlog.DefaultMaxPendingFlushWaiters bounds the flush
	// waiters and for the same reason: a little more than the sends RocketMQ
	// queues (10000), and a cap on what a stalled slave can pin.
	DefaultMaxPendingWaiters = 16384
	// DefaultReconnectDelay is the pause before a slave connects again
	// (RocketMQ's HAClient waits 5 s).
	DefaultReconnectDelay = 5 * time.Second
	// DefaultMaxReconnectDelay caps the doubling of the pause after
	// connections that fail in a row: a master that is down for long is
	// still tried every minute.
	DefaultMaxReconnectDelay = time.Minute
	// DefaultDialTimeout bounds the connection handshake (RocketMQ's
	// connect timeout).
	DefaultDialTimeout = 3 * time.Second
)

// MaxTransferBatchBytes is the largest TransferBatchBytes: a frame must fit
// the body limit of the slaves' readers (DefaultMaxFrameBodyBytes).
const MaxTransferBatchBytes = DefaultMaxFrameBodyBytes

// minTick spaces the timer rounds of a connection whose next deadline has
// already passed (a heartbeat due while a frame is still in flight), so
// that the timer cannot fire in a loop; RocketMQ's services wake this often.
const minTick = 100 * time.Millisecond

// ErrConfig reports an unusable configuration.
var ErrConfig = errors.New("ha: invalid config")

// BugTrustSlaveOffset is a planted bug (ServerConfig.PlantedBug) for the
// simulator's campaigns: the master takes a slave's report as its
// acknowledgement even beyond what it sent (apache/rocketmq#3015), so a
// slave that claims bytes it never received makes puts look replicated.
const BugTrustSlaveOffset = "trust-slave-offset"

// ServerConfig configures a master's Server. Zero durations, sizes and
// bounds take the defaults.
type ServerConfig struct {
	// ListenAddr is the HA address (haListenPort, listenPort + 1).
	ListenAddr string
	// SyncMaster makes WaitReplicated wait for a slave (SYNC_MASTER);
	// otherwise it answers PUT_OK at once (ASYNC_MASTER).
	SyncMaster bool
	// TransferBatchBytes is the most one frame carries (haTransferBatchSize),
	// at most MaxTransferBatchBytes.
	TransferBatchBytes int
	// HeartbeatInterval spaces the empty frames of an idle connection.
	HeartbeatInterval time.Duration
	// HousekeepingInterval closes a connection that sent nothing for that
	// long.
	HousekeepingInterval time.Duration
	// SlaveTimeout is how long a put waits for an acknowledgement.
	SlaveTimeout time.Duration
	// SlaveFallBehindMaxBytes: a put whose record ends this far or farther
	// past the best acknowledgement does not wait (SLAVE_NOT_AVAILABLE).
	SlaveFallBehindMaxBytes int64
	// MaxSlaves bounds the connections served; more are closed at once.
	MaxSlaves int
	// MaxPendingWaiters bounds the waiting puts; more answer
	// FLUSH_SLAVE_TIMEOUT at once.
	MaxPendingWaiters int
	// Logger receives connection events; nil discards them.
	Logger *slog.Logger
	// PlantedBug switches on a deliberate bug (BugTrustSlaveOffset) for the
	// simulator. Empty in production.
	PlantedBug string
}

// withDefaults fills the zero fields and checks the rest.
func (c ServerConfig) withDefaults() (ServerConfig, error) {
	fillDur(&c.HeartbeatInterval, DefaultHeartbeatInterval)
	fillDur(&c.HousekeepingInterval, DefaultHousekeepingInterval)
	fillDur(&c.SlaveTimeout, DefaultSlaveTimeout)
	fillInt(&c.TransferBatchBytes, DefaultTransferBatchBytes)
	fillInt(&c.MaxSlaves, DefaultMaxSlaves)
	fillInt(&c.MaxPendingWaiters, DefaultMaxPendingWaiters)
	if c.SlaveFallBehindMaxBytes <= 0 {
		c.SlaveFallBehindMaxBytes = DefaultSlaveFallBehindMaxBytes
	}
	if c.TransferBatchBytes > MaxTransferBatchBytes {
		return c, fmt.Errorf("%w: TransferBatchBytes %d over %d", ErrConfig, c.TransferBatchBytes, MaxTransferBatchBytes)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// ClientConfig configures a slave's Client. Zero durations and sizes take
// the defaults.
type ClientConfig struct {
	// MasterAddr is the master's HA address (haMasterAddress, or what the
	// name server's registration answered); empty waits for SetMasterAddr.
	MasterAddr string
	// ReportInterval spaces the reports of an idle slave
	// (haSendHeartbeatInterval).
	ReportInterval time.Duration
	// HousekeepingInterval closes a connection that sent nothing for that
	// long.
	HousekeepingInterval time.Duration
	// ReconnectDelay is the pause before connecting again; it doubles after
	// each connection that failed before any frame arrived, up to
	// MaxReconnectDelay.
	ReconnectDelay    time.Duration
	MaxReconnectDelay time.Duration
	// DialTimeout bounds connecting.
	DialTimeout time.Duration
	// MaxFrameBodyBytes bounds a frame's body; a larger one closes the
	// connection.
	MaxFrameBodyBytes int
	// TruncateDivergent lets the slave cut its log back when the master's
	// first frame starts below its end (the slave holds bytes the master
	// does not: it was ahead of it). Off, the slave drops the connection
	// and retries, as RocketMQ's does, and never catches up until an
	// operator cuts it.
	TruncateDivergent bool
	// OnLost, when set, replaces reconnecting: when a connection ends or
	// cannot be made, the client forgets the master's address and calls
	// OnLost (on the clock, with no lock held), and connects again only
	// when SetMasterAddr names a master. A broker uses it to compare its
	// log with the master's history before streaming again: a master that
	// comes back may have lost a tail the slave holds, and begun another
	// history at the same offsets.
	OnLost func()
	// Logger receives connection events; nil discards them.
	Logger *slog.Logger
}

// withDefaults fills the zero fields.
func (c ClientConfig) withDefaults() ClientConfig {
	fillDur(&c.ReportInterval, DefaultHeartbeatInterval)
	fillDur(&c.HousekeepingInterval, DefaultHousekeepingInterval)
	fillDur(&c.ReconnectDelay, DefaultReconnectDelay)
	fillDur(&c.MaxReconnectDelay, DefaultMaxReconnectDelay)
	fillDur(&c.DialTimeout, DefaultDialTimeout)
	fillInt(&c.MaxFrameBodyBytes, DefaultMaxFrameBodyBytes)
	c.MaxReconnectDelay = max(c.MaxReconnectDelay, c.ReconnectDelay)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func fillDur(p *time.Duration, v time.Duration) {
	if *p <= 0 {
		*p = v
	}
}

func fillInt(p *int, v int) {
	if *p <= 0 {
		*p = v
	}
}
