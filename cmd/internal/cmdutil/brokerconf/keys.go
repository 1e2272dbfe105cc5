package brokerconf

import (
	"math"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/consumequeue"
	"github.com/apogeemq/apogee/ha"
	"github.com/apogeemq/apogee/indexfile"
	"github.com/apogeemq/apogee/remoting"
)

// Bounds of single keys, each with the reason it exists.
const (
	// pageBytes is the page of the "least pages" flush arithmetic.
	pageBytes = 4096
	// maxLeastPages bounds flushCommitLogLeastPages and
	// flushConsumeQueueLeastPages: a larger count than the largest file
	// holds would never trigger a flush.
	maxLeastPages = commitlog.MaxSegmentSizeBytes / pageBytes
	// maxTopicQueueNums bounds defaultTopicQueueNums: every queue is a
	// ConsumeQueue directory with mapped files; deployments use tens.
	maxTopicQueueNums = 1024
	// maxTransferCount bounds maxTransferCountOnMessageInMemory: one pull
	// answers at most this many messages in one frame, and even the
	// smallest records would pass the frame bound beyond it.
	maxTransferCount = 1 << 16
	// maxFrameBodyBytes bounds maxMessageSize and
	// maxTransferBytesOnMessageInMemory: a message, and a pull's answer,
	// travel in one remoting frame.
	maxFrameBodyBytes = remoting.DefaultMaxFrameBytes
	// maxDeleteBatch bounds deleteFileBatchMax: files deleted in one
	// cleaning round; more is the same as no bound.
	maxDeleteBatch = 10000
	// permBits are RocketMQ's permission bits: PRIORITY 8, READ 4,
	// WRITE 2, INHERIT 1.
	permBits = 15
)

// key is one broker.conf key: its canonical spelling (the one -p prints),
// the other spellings it accepts, and how it reads and writes its value.
type key struct {
	name      string
	aliases   []string
	important bool
	set       func(c *Config, key, value string) error
	get       func(c *Config) string
}

// keys lists every key Apogee applies, in the order the package doc
// describes them.
var keys = []key{
	valueKey("brokerClusterName", true, parseName, identity, func(c *Config) *string { return &c.Broker.ClusterName }),
	valueKey("brokerName", true, parseName, identity, func(c *Config) *string { return &c.Broker.BrokerName }),
	intKey("brokerId", true, 0, math.MaxInt64, func(c *Config) *int64 { return &c.Broker.BrokerID }),
	{name: "brokerRole", important: true,
		set: func(c *Config, k, v string) error {
			switch r := broker.Role(v); r {
			case broker.RoleAsyncMaster, broker.RoleSyncMaster, broker.RoleSlave:
				c.Broker.Role = r
				return nil
			}
			return badValue(k, v, "want ASYNC_MASTER, SYNC_MASTER or SLAVE")
		},
		get: func(c *Config) string { return string(c.Broker.Role) }},
	valueKey("namesrvAddr", true, parseNamesrvAddrs, func(a []string) string { return strings.Join(a, ";") },
		func(c *Config) *[]string { return &c.Broker.NamesrvAddrs }),
	intKey("listenPort", true, 0, math.MaxUint16, func(c *Config) *int { return &c.ListenPort }),
	valueKey("bindAddress", false, parseBindAddress, netip.Addr.String, func(c *Config) *netip.Addr { return &c.BindAddress }),
	valueKey("brokerIP1", true, parsePublishedIP, netip.Addr.String, func(c *Config) *netip.Addr { return &c.Broker.BrokerIP1 }),
	valueKey("storePathRootDir", true, nonEmpty, identity, func(c *Config) *string { return &c.Broker.Store.RootDir }),
	{name: "storePathCommitLog",
		set: func(c *Config, k, v string) error {
			if strings.Contains(v, ";") {
				return badValue(k, v, "several CommitLog directories are not supported")
			}
			c.StorePathCommitLog = v
			return nil
		},
		get: func(c *Config) string { return c.CommitLogDir() }},
	valueKey("logDir", false, nonEmpty, identity, func(c *Config) *string { return &c.LogDir }),

	// The store: files and flushing.
	intKey("mappedFileSizeCommitLog", false, commitlog.MinSegmentSizeBytes, commitlog.MaxSegmentSizeBytes,
		func(c *Config) *int64 { return &c.Broker.Store.CommitLog.SegmentSizeBytes }, "mapedFileSizeCommitLog"),
	{name: "mappedFileSizeConsumeQueue", aliases: []string{"mapedFileSizeConsumeQueue"},
		set: func(c *Config, k, v string) error {
			n, err := parseInt(k, v, 1, consumequeue.MaxFileSizeBytes)
			if err != nil {
				return err
			}
			// RocketMQ rounds the size up to whole 20-byte units.
			c.Broker.Store.ConsumeQueueUnitsPerFile = int((n + consumequeue.UnitSize - 1) / consumequeue.UnitSize)
			return nil
		},
		get: func(c *Config) string {
			return strconv.FormatInt(int64(c.Broker.Store.ConsumeQueueUnitsPerFile)*consumequeue.UnitSize, 10)
		}},
	{name: "flushDiskType", important: true,
		set: func(c *Config, k, v string) error {
			switch v {
			case commitlog.FlushAsync.String():
				c.Broker.Store.CommitLog.FlushMode = commitlog.FlushAsync
			case commitlog.FlushSync.String():
				c.Broker.Store.CommitLog.FlushMode = commitlog.FlushSync
			default:
				return badValue(k, v, "want ASYNC_FLUSH or SYNC_FLUSH")
			}
			return nil
		},
		get: func(c *Config) string { return c.Broker.Store.CommitLog.FlushMode.String() }},
	millisKey("flushIntervalCommitLog", func(c *Config) *time.Duration { return &c.Broker.Store.CommitLog.FlushInterval }),
	leastPagesKey("flushCommitLogLeastPages", func(c *Config) *int { return &c.Broker.Store.CommitLog.FlushLeastPages }),
	millisKey("flushCommitLogThoroughInterval", func(c *Config) *time.Duration { return &c.Broker.Store.CommitLog.FlushThoroughInterval }),
	millisKey("syncFlushTimeout", func(c *Config) *time.Duration { return &c.Broker.Store.CommitLog.SyncFlushTimeout }),
	millisKey("flushIntervalConsumeQueue", func(c *Config) *time.Duration { return &c.Broker.Store.FlushConsumeQueueInterval }),
	leastPagesKey("flushConsumeQueueLeastPages", func(c *Config) *int { return &c.Broker.Store.FlushConsumeQueueLeastPages }),
	millisKey("flushConsumeQueueThoroughInterval", func(c *Config) *time.Duration { return &c.Broker.Store.FlushConsumeQueueThoroughInterval }),
	boolKey("warmMapedFileEnable", func(c *Config) *bool { return &c.Broker.Store.CommitLog.WarmMappedFile }, "warmMappedFileEnable"),
	boolKey("enabledAppendPropCRC", func(c *Config) *bool { return &c.Broker.Store.CommitLog.AppendPropCRC }),
	boolKey("forceVerifyPropCRC", func(c *Config) *bool { return &c.Broker.Store.CommitLog.VerifyPropCRC }),

	// The store: the key index.
	boolKey("messageIndexEnable", func(c *Config) *bool { return &c.Broker.Store.MessageIndexEnable }),
	boolKey("messageIndexSafe", func(c *Config) *bool { return &c.Broker.Store.MessageIndexSafe }),
	intKey("maxHashSlotNum", false, 1, math.MaxInt32, func(c *Config) *int { return &c.Broker.Store.IndexHashSlots }),
	intKey("maxIndexNum", false, 1, math.MaxInt32, func(c *Config) *int { return &c.Broker.Store.IndexMaxEntries }),
	intKey("maxMsgsNumBatch", false, 1, indexfile.MaxQueryResultsLimit, func(c *Config) *int { return &c.Broker.Store.MaxQueryResults }),

	// The store: retention and disk space.
	valueKey("deleteWhen", false, parseDeleteWhen, formatDeleteWhen, func(c *Config) *[]int { return &c.Broker.Store.DeleteWhen }),
	{name: "fileReservedTime",
		set: func(c *Config, k, v string) error {
			n, err := parseInt(k, v, 1, maxReservedHours)
			if err == nil {
				c.Broker.Store.FileReservedTime = time.Duration(n) * time.Hour
			}
			return err
		},
		get: func(c *Config) string { return strconv.FormatInt(int64(c.Broker.Store.FileReservedTime/time.Hour), 10) }},
	percentKey("diskMaxUsedSpaceRatio", 10, 95, func(c *Config) *float64 { return &c.Broker.Store.DiskMaxUsedSpaceRatio }),
	percentKey("diskSpaceWarningLevelRatio", 35, 90, func(c *Config) *float64 { return &c.Broker.Store.DiskSpaceWarningLevelRatio }),
	percentKey("diskSpaceCleanForciblyRatio", 30, 85, func(c *Config) *float64 { return &c.Broker.Store.DiskSpaceCleanForciblyRatio }),
	millisKey("cleanResourceInterval", func(c *Config) *time.Duration { return &c.Broker.Store.CleanResourceInterval }),
	intKey("deleteFileBatchMax", false, 1, maxDeleteBatch, func(c *Config) *int { return &c.Broker.Store.DeleteFileBatchMax }),

	// The store: reads and delays.
	valueKey("messageDelayLevel", false, parseDelayLevels, formatDelayLevels,
		func(c *Config) *[]time.Duration { return &c.Broker.Store.DelayLevels }),
	intKey("maxTransferCountOnMessageInMemory", false, 1, maxTransferCount,
		func(c *Config) *int { return &c.Broker.Store.MaxTransferCountOnMessage }),
	intKey("maxTransferBytesOnMessageInMemory", false, 1, maxFrameBodyBytes,
		func(c *Config) *int { return &c.Broker.Store.MaxTransferBytesOnMessage }),

	// The broker.
	intKey("maxMessageSize", false, 1, maxFrameBodyBytes, func(c *Config) *int { return &c.Broker.MaxMessageSize }),
	intKey("defaultTopicQueueNums", false, 1, maxTopicQueueNums, func(c *Config) *int32 { return &c.Broker.DefaultTopicQueueNums }),
	{name: "brokerPermission",
		set: func(c *Config, k, v string) error {
			n, err := parseInt(k, v, 0, permBits)
			switch {
			case err != nil:
				return err
			case n == 0:
				// broker.Config reads 0 as "not set" and would publish 6.
				return badValue(k, v, "Apogee cannot run a broker with no permission; use 4 (read only) to drain one")
			}
			c.Broker.BrokerPermission = int32(n)
			return nil
		},
		get: func(c *Config) string { return strconv.Itoa(int(c.Broker.BrokerPermission)) }},
	boolKey("autoCreateTopicEnable", func(c *Config) *bool { return &c.Broker.AutoCreateTopicEnable }),
	boolKey("autoCreateSubscriptionGroup", func(c *Config) *bool { return &c.Broker.AutoCreateSubscriptionGroup }),
	boolKey("longPollingEnable", func(c *Config) *bool { return &c.Broker.LongPollingEnable }),
	millisKey("shortPollingTimeMills", func(c *Config) *time.Duration { return &c.Broker.ShortPollingTime }),
	millisKey("registerNameServerPeriod", func(c *Config) *time.Duration { return &c.Broker.RegisterPeriod }),
	millisKey("registerBrokerTimeoutMills", func(c *Config) *time.Duration { return &c.Broker.RegisterTimeout }),
	millisKey("flushConsumerOffsetInterval", func(c *Config) *time.Duration { return &c.Broker.FlushOffsetInterval }),
	millisKey("flushDelayOffsetInterval", func(c *Config) *time.Duration { return &c.Broker.FlushDelayOffsetInterval }),
	millisKey("channelExpiredTimeout", func(c *Config) *time.Duration { return &c.Broker.ChannelExpiredTimeout }),

	// Replication.
	intKey("haListenPort", false, 0, math.MaxUint16, func(c *Config) *int { return &c.HAListenPort }),
	valueKey("haMasterAddress", false, parseHAMasterAddress, identity, func(c *Config) *string { return &c.Broker.HAMasterAddr }),
	boolKey("slaveReadEnable", func(c *Config) *bool { return &c.Broker.SlaveReadEnable }),
	intKey("haTransferBatchSize", false, 1, ha.MaxTransferBatchBytes, func(c *Config) *int { return &c.Broker.HA.TransferBatchBytes }),
	millisKey("haSendHeartbeatInterval", func(c *Config) *time.Duration { return &c.Broker.HA.HeartbeatInterval }),
	millisKey("haHousekeepingInterval", func(c *Config) *time.Duration { return &c.Broker.HA.HousekeepingInterval }),
	intKey("haSlaveFallbehindMax", false, 1, math.MaxInt64, func(c *Config) *int64 { return &c.Broker.HA.SlaveFallBehindMaxBytes }),
	millisKey("slaveTimeout", func(c *Config) *time.Duration { return &c.Broker.HA.SlaveTimeout }),

	// Transactions.
	millisKey("transactionCheckInterval", func(c *Config) *time.Duration { return &c.Broker.Transaction.CheckInterval }),
	millisKey("transactionTimeOut", func(c *Config) *time.Duration { return &c.Broker.Transaction.Timeout }),
	intKey("transactionCheckMax", false, 1, maxTransactionChecks, func(c *Config) *int { return &c.Broker.Transaction.CheckMax }),
}

// maxTransactionChecks bounds transactionCheckMax: each check re-appends
// the half message, so a thousand checks of one message are already far
// past any use.
const maxTransactionChecks = 1000

func nonEmpty(key, value string) (string, error) {
	if value == "" {
		return "", badValue(key, value, "empty")
	}
	return value, nil
}

func identity(s string) string { return s }

// parseHAMasterAddress reads haMasterAddress: empty (the name servers'
// answer is used) or host:port.
func parseHAMasterAddress(key, value string) (string, error) {
	if value == "" {
		return "", nil
	}
	host, port, err := net.SplitHostPort(value)
	if err != nil || host == "" {
		return "", badValue(key, value, "want host:port")
	}
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
		return "", badValue(key, value, "want a port in 1..65535")
	}
	return value, nil
}

// valueKey is a key whose value parse reads into *field and format writes
// back; the field changes only when the whole value is valid.
func valueKey[T any](name string, important bool, parse func(key, value string) (T, error), format func(T) string,
	field func(*Config) *T) key {
	return key{name: name, important: important,
		set: func(c *Config, k, v string) error {
			x, err := parse(k, v)
			if err == nil {
				*field(c) = x
			}
			return err
		},
		get: func(c *Config) string { return format(*field(c)) }}
}

func intKey[T ~int | ~int32 | ~int64](name string, important bool, lo, hi int64, field func(*Config) *T, aliases ...string) key {
	return key{name: name, aliases: aliases, important: important,
		set: func(c *Config, k, v string) error {
			n, err := parseInt(k, v, lo, hi)
			if err == nil {
				*field(c) = T(n)
			}
			return err
		},
		get: func(c *Config) string { return strconv.FormatInt(int64(*field(c)), 10) }}
}

// leastPagesKey reads a "least pages" count. RocketMQ's 0 (flush whatever
// is dirty) is refused: the store reads 0 as its default of several pages,
// which is not what 0 asks for.
func leastPagesKey(name string, field func(*Config) *int) key {
	return key{name: name,
		set: func(c *Config, k, v string) error {
			n, err := parseInt(k, v, 0, maxLeastPages)
			switch {
			case err != nil:
				return err
			case n == 0:
				return badValue(k, v, "0 (flush any dirty byte) is not supported; use 1")
			}
			*field(c) = int(n)
			return nil
		},
		get: func(c *Config) string { return strconv.Itoa(*field(c)) }}
}

func boolKey(name string, field func(*Config) *bool, aliases ...string) key {
	return key{name: name, aliases: aliases,
		set: func(c *Config, k, v string) error {
			b, err := parseBool(k, v)
			if err == nil {
				*field(c) = b
			}
			return err
		},
		get: func(c *Config) string { return strconv.FormatBool(*field(c)) }}
}

// millisKey reads a period or timeout in milliseconds. Zero is refused: the
// components read a zero duration as their default (or as "never"), which
// is not what RocketMQ does with it.
func millisKey(name string, field func(*Config) *time.Duration) key {
	return key{name: name,
		set: func(c *Config, k, v string) error {
			d, err := parseMillis(k, v, time.Millisecond, maxInterval)
			if err == nil {
				*field(c) = d
			}
			return err
		},
		get: func(c *Config) string { return formatMillis(*field(c)) }}
}

func percentKey(name string, lo, hi int64, field func(*Config) *float64) key {
	return key{name: name,
		set: func(c *Config, k, v string) error {
			r, err := parsePercent(k, v, lo, hi)
			if err == nil {
				*field(c) = r
			}
			return err
		},
		get: func(c *Config) string { return formatPercent(*field(c)) }}
}
