package store

import (
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/apogeemq/apogee/commitlog"
)

// Config configures a Store. Zero sizes, periods, bounds and ratios take
// RocketMQ's defaults (see DefaultConfig); a zero FlushConsumeQueueLeastPages
// and an empty DeleteWhen keep their meaning. The names follow RocketMQ's
// broker.conf keys.
type Config struct {
	// RootDir is storePathRootDir; everything lives below it.
	RootDir string
	// CommitLog configures segments and flushing (mappedFileSizeCommitLog,
	// flushDiskType, flushIntervalCommitLog, ...).
	CommitLog commitlog.Config
	// StoreHost is the broker address written into every record (brokerIP1
	// and listenPort).
	StoreHost netip.AddrPort

	// ConsumeQueueUnitsPerFile is mappedFileSizeConsumeQueue / 20.
	ConsumeQueueUnitsPerFile int
	// FlushConsumeQueueInterval, FlushConsumeQueueLeastPages and
	// FlushConsumeQueueThoroughInterval drive the ConsumeQueue flusher; a
	// thorough round also persists the checkpoint.
	FlushConsumeQueueInterval         time.Duration
	FlushConsumeQueueLeastPages       int
	FlushConsumeQueueThoroughInterval time.Duration

	// MessageIndexEnable builds the key index (messageIndexEnable).
	MessageIndexEnable bool
	// MessageIndexSafe makes crash recovery rebuild every index file newer
	// than the last durable full one (messageIndexSafe): key lookups stay
	// complete after a machine crash, at the price of re-scanning the
	// CommitLog back to that file. Off, as in RocketMQ, a crash may lose
	// index entries written since the last flush.
	MessageIndexSafe bool
	// IndexHashSlots and IndexMaxEntries size each IndexFile
	// (maxHashSlotNum, maxIndexNum).
	IndexHashSlots  int
	IndexMaxEntries int
	// MaxQueryResults caps key queries (maxMsgsNumBatch).
	MaxQueryResults int

	// DelayLevels is messageDelayLevel: the delay of each level, 1-based
	// level i at index i-1. Dispatch turns the DELAY property of a record in
	// SCHEDULE_TOPIC_XXXX into its delivery time.
	DelayLevels []time.Duration

	// Retention: files older than FileReservedTime are deleted at the hours
	// in DeleteWhen, or at any hour once disk usage passes
	// DiskMaxUsedSpaceRatio; past DiskSpaceCleanForciblyRatio age is
	// ignored; past DiskSpaceWarningLevelRatio puts are refused until usage
	// drops to DiskSpaceCleanForciblyRatio again.
	FileReservedTime            time.Duration
	DeleteWhen                  []int // local hours
	DiskMaxUsedSpaceRatio       float64
	DiskSpaceWarningLevelRatio  float64
	DiskSpaceCleanForciblyRatio float64
	CleanResourceInterval       time.Duration
	DeleteFileBatchMax          int

	// MaxTransferCountOnMessage and MaxTransferBytesOnMessage bound one Get
	// (maxTransferCountOnMessageInMemory, maxTransferBytesOnMessageInMemory).
	MaxTransferCountOnMessage int
	MaxTransferBytesOnMessage int

	// Logger receives the store's log lines; nil discards them.
	Logger *slog.Logger

	// PlantedBug switches on one deliberate bug (Bug* constants) so that
	// the simulator can prove its checkers catch it. Empty in production.
	PlantedBug string
}

// Planted bugs (Config.PlantedBug), each a mistake a storage engine could
// make, for the simulator's campaigns.
const (
	// BugAckBeforeFlush answers a sync-flush put before the group commit
	// made it durable: a machine crash then loses acknowledged messages.
	BugAckBeforeFlush = "ack-before-flush"
	// BugReuseQueueOffset restarts each queue one offset too low after
	// recovery: the next message takes the offset of the last one.
	BugReuseQueueOffset = "reuse-queue-offset"
)

// ScheduleTopic is the topic that parks delayed messages.
const ScheduleTopic = "SCHEDULE_TOPIC_XXXX"

// maxFilterScanUnits bounds the ConsumeQueue units one Get examines when a
// tag filter skips messages, as RocketMQ's 16000: a pull never scans an
// unbounded stretch of a queue.
const maxFilterScanUnits = 16000

// DefaultDelayLevels is RocketMQ's messageDelayLevel
// "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h".
const DefaultDelayLevels = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h"

// ParseDelayLevels parses a messageDelayLevel string: space-separated
// numbers with a unit of s, m, h or d.
func ParseDelayLevels(s string) ([]time.Duration, error) {
	var levels []time.Duration
	for _, f := range strings.Fields(s) {
		if len(f) < 2 {
			return nil, fmt.Errorf("store: bad delay level %q", f)
		}
		n, err := strconv.ParseInt(f[:len(f)-1], 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("store: bad delay level %q", f)
		}
		var unit time.Duration
		switch f[len(f)-1] {
		case 's':
			unit = time.Second
		case 'm':
			unit = time.Minute
		case 'h':
			unit = time.Hour
		case 'd':
			unit = 24 * time.Hour
		default:
			return nil, fmt.Errorf("store: bad delay level unit in %q", f)
		}
		levels = append(levels, time.Duration(n)*unit)
	}
	if len(levels) == 0 {
		return nil, fmt.Errorf("store: no delay levels in %q", s)
	}
	return levels, nil
}

// DefaultConfig returns RocketMQ's defaults rooted at dir.
func DefaultConfig(dir string) Config {
	levels, err := ParseDelayLevels(DefaultDelayLevels)
	if err != nil {
		panic(err)
	}
	return Config{
		RootDir:                           dir,
		CommitLog:                         commitlog.DefaultConfig(),
		StoreHost:                         netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), 10911),
		ConsumeQueueUnitsPerFile:          300000,
		FlushConsumeQueueInterval:         time.Second,
		FlushConsumeQueueLeastPages:       2,
		FlushConsumeQueueThoroughInterval: time.Minute,
		MessageIndexEnable:                true,
		IndexHashSlots:                    5000000,
		IndexMaxEntries:                   20000000,
		MaxQueryResults:                   64,
		DelayLevels:                       levels,
		FileReservedTime:                  72 * time.Hour,
		DeleteWhen:                        []int{4},
		DiskMaxUsedSpaceRatio:             0.75,
		DiskSpaceWarningLevelRatio:        0.90,
		DiskSpaceCleanForciblyRatio:       0.85,
		CleanResourceInterval:             10 * time.Second,
		DeleteFileBatchMax:                10,
		MaxTransferCountOnMessage:         32,
		MaxTransferBytesOnMessage:         256 * 1024,
	}
}

// withDefaults fills the zero fields that have no meaning as zero (sizes,
// periods, bounds and ratios) from DefaultConfig. FlushConsumeQueueLeastPages
// and DeleteWhen keep their zero values: "flush any dirty page" and "at no
// hour of the day".
func (c Config) withDefaults() Config {
	d := DefaultConfig(c.RootDir)
	fillInt := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	fillDur := func(p *time.Duration, v time.Duration) {
		if *p <= 0 {
			*p = v
		}
	}
	fillRatio := func(p *float64, v float64) {
		if *p <= 0 || *p > 1 {
			*p = v
		}
	}
	fillInt(&c.ConsumeQueueUnitsPerFile, d.ConsumeQueueUnitsPerFile)
	fillDur(&c.FlushConsumeQueueInterval, d.FlushConsumeQueueInterval)
	fillDur(&c.FlushConsumeQueueThoroughInterval, d.FlushConsumeQueueThoroughInterval)
	fillInt(&c.IndexHashSlots, d.IndexHashSlots)
	fillInt(&c.IndexMaxEntries, d.IndexMaxEntries)
	fillInt(&c.MaxQueryResults, d.MaxQueryResults)
	if len(c.DelayLevels) == 0 {
		c.DelayLevels = d.DelayLevels
	}
	fillDur(&c.FileReservedTime, d.FileReservedTime)
	fillRatio(&c.DiskMaxUsedSpaceRatio, d.DiskMaxUsedSpaceRatio)
	fillRatio(&c.DiskSpaceWarningLevelRatio, d.DiskSpaceWarningLevelRatio)
	fillRatio(&c.DiskSpaceCleanForciblyRatio, d.DiskSpaceCleanForciblyRatio)
	fillDur(&c.CleanResourceInterval, d.CleanResourceInterval)
	fillInt(&c.DeleteFileBatchMax, d.DeleteFileBatchMax)
	fillInt(&c.MaxTransferCountOnMessage, d.MaxTransferCountOnMessage)
	fillInt(&c.MaxTransferBytesOnMessage, d.MaxTransferBytesOnMessage)
	return c
}
