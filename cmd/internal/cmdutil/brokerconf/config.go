package brokerconf

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/indexfile"
)

// ErrConfig marks a configuration that cannot be used: a bad value, a
// setting Apogee cannot honour, or settings that contradict each other.
var ErrConfig = errors.New("bad broker configuration")

// ErrUnknownKey is returned by Set for a key it does not handle.
var ErrUnknownKey = errors.New("unknown key")

// Config is a broker's effective configuration: what broker.conf, the
// command line and the environment say, over the defaults.
type Config struct {
	// Broker is what broker.New gets, except ListenAddr, which
	// BrokerConfig derives from BindAddress and ListenPort.
	Broker broker.Config
	// ListenPort is listenPort (10911; 0 picks a free port).
	ListenPort int
	// BindAddress is bindAddress, the interface to listen on ("0.0.0.0").
	BindAddress netip.Addr
	// HAListenPort is haListenPort, where a master's HA server listens on
	// BindAddress; 0 (the default) is listenPort + 1.
	HAListenPort int
	// StorePathCommitLog is storePathCommitLog as given, "" when not: the
	// CommitLog always lives in <storePathRootDir>/commitlog, and Validate
	// refuses any other directory.
	StorePathCommitLog string
	// LogDir is logDir, the directory of broker.log (Apogee's key).
	LogDir string
}

// Default returns RocketMQ's defaults for a user whose home directory is
// home: the store in home/store, the log in home/logs/rocketmqlogs (where
// RocketMQ's broker writes broker.log), published as hostIP.
func Default(home string, hostIP netip.Addr) Config {
	b := broker.DefaultConfig(filepath.Join(home, "store"))
	b.BrokerIP1 = hostIP
	return Config{
		Broker:      b,
		ListenPort:  broker.DefaultListenPort,
		BindAddress: netip.IPv4Unspecified(),
		LogDir:      filepath.Join(home, "logs", "rocketmqlogs"),
	}
}

// ListenAddr returns BindAddress:ListenPort.
func (c Config) ListenAddr() string {
	return net.JoinHostPort(c.BindAddress.String(), strconv.Itoa(c.ListenPort))
}

// CommitLogDir returns where the CommitLog lives: <storePathRootDir>/commitlog.
func (c Config) CommitLogDir() string {
	return filepath.Join(c.Broker.Store.RootDir, "commitlog")
}

// BrokerConfig returns the configuration for broker.New: Broker with its
// ListenAddr (and HAListenAddr when haListenPort is set), and the
// CommitLog's body limit equal to maxMessageSize.
func (c Config) BrokerConfig() broker.Config {
	b := c.Broker
	b.ListenAddr = c.ListenAddr()
	if c.HAListenPort != 0 {
		b.HAListenAddr = net.JoinHostPort(c.BindAddress.String(), strconv.Itoa(c.HAListenPort))
	}
	b.Store.CommitLog.MaxBodySizeBytes = b.MaxMessageSize
	return b
}

// Validate checks what no single key can: settings that contradict each
// other or that the store cannot honour. Every error matches ErrConfig.
func (c Config) Validate() error {
	b := c.Broker
	s := b.Store
	switch {
	case !b.BrokerIP1.IsValid() || !c.BindAddress.IsValid():
		return fmt.Errorf("%w: brokerIP1 (%v) and bindAddress (%v) must be set", ErrConfig, b.BrokerIP1, c.BindAddress)
	case b.Store.RootDir == "" || c.LogDir == "":
		return fmt.Errorf("%w: storePathRootDir (%q) and logDir (%q) must be set", ErrConfig, b.Store.RootDir, c.LogDir)
	case c.StorePathCommitLog != "" && filepath.Clean(c.StorePathCommitLog) != filepath.Clean(c.CommitLogDir()):
		return fmt.Errorf("%w: storePathCommitLog=%q: Apogee keeps the CommitLog in <storePathRootDir>/commitlog (%s); "+
			"move it there or set storePathRootDir to its parent", ErrConfig, c.StorePathCommitLog, c.CommitLogDir())
	case b.Role != broker.RoleSlave && b.BrokerID != 0:
		return fmt.Errorf("%w: brokerId=%d with brokerRole=%s: a master's brokerId is 0", ErrConfig, b.BrokerID, b.Role)
	case b.Role == broker.RoleSlave && b.BrokerID == 0:
		return fmt.Errorf("%w: brokerId=0 with brokerRole=SLAVE: a slave's brokerId is above 0", ErrConfig)
	case int64(b.MaxMessageSize) >= s.CommitLog.SegmentSizeBytes:
		return fmt.Errorf("%w: maxMessageSize=%d does not fit a CommitLog file of mappedFileSizeCommitLog=%d bytes",
			ErrConfig, b.MaxMessageSize, s.CommitLog.SegmentSizeBytes)
	case s.DiskSpaceCleanForciblyRatio > s.DiskSpaceWarningLevelRatio:
		return fmt.Errorf("%w: diskSpaceCleanForciblyRatio=%s is above diskSpaceWarningLevelRatio=%s",
			ErrConfig, formatPercent(s.DiskSpaceCleanForciblyRatio), formatPercent(s.DiskSpaceWarningLevelRatio))
	case s.CommitLog.VerifyPropCRC && !s.CommitLog.AppendPropCRC:
		return fmt.Errorf("%w: forceVerifyPropCRC=true needs enabledAppendPropCRC=true: "+
			"records written without the property CRC would be cut at recovery", ErrConfig)
	}
	if s.MessageIndexEnable {
		g := indexfile.Geometry{HashSlots: s.IndexHashSlots, MaxEntries: s.IndexMaxEntries}
		if err := g.Validate(); err != nil {
			return fmt.Errorf("%w: maxHashSlotNum=%d, maxIndexNum=%d: %w", ErrConfig, s.IndexHashSlots, s.IndexMaxEntries, err)
		}
	}
	return nil
}
