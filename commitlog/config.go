package commitlog

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// FlushMode says when an append counts as durable (spec §4.4-§4.5).
type FlushMode int

const (
	// FlushAsync acknowledges at once; a periodic service flushes
	// (RocketMQ ASYNC_FLUSH, the default).
	FlushAsync FlushMode = iota
	// FlushSync acknowledges when a group-commit flush has passed the
	// record (RocketMQ SYNC_FLUSH).
	FlushSync
)

// String returns the RocketMQ name of the mode.
func (m FlushMode) String() string {
	switch m {
	case FlushAsync:
		return "ASYNC_FLUSH"
	case FlushSync:
		return "SYNC_FLUSH"
	}
	return fmt.Sprintf("FlushMode(%d)", int(m))
}

// Defaults, as in RocketMQ (spec §2.7, §4.1, §4.4).
const (
	// DefaultSegmentSizeBytes is mappedFileSizeCommitLog, 1 GiB.
	DefaultSegmentSizeBytes = 1 << 30
	// DefaultFlushInterval is flushIntervalCommitLog.
	DefaultFlushInterval = 500 * time.Millisecond
	// DefaultFlushLeastPages is flushCommitLogLeastPages (4 KiB pages).
	DefaultFlushLeastPages = 4
	// DefaultFlushThoroughInterval is flushCommitLogThoroughInterval.
	DefaultFlushThoroughInterval = 10 * time.Second
	// DefaultSyncFlushTimeout is syncFlushTimeout.
	DefaultSyncFlushTimeout = 5 * time.Second
	// DefaultMaxPendingFlushWaiters bounds the sync-flush waiters. RocketMQ
	// queues at most 10000 sends (sendThreadPoolQueueCapacity); a little
	// more than that never refuses a waiter a real broker would hold, and
	// caps the memory a stalled disk can pin.
	DefaultMaxPendingFlushWaiters = 16384
	// DefaultMaxBodySizeBytes is maxMessageSize, 4 MiB.
	DefaultMaxBodySizeBytes = 4 << 20

	// MinSegmentSizeBytes is one page: the smallest segment that holds a
	// record and its blank record is far smaller, but flush arithmetic
	// counts 4 KiB pages.
	MinSegmentSizeBytes = 4096
	// MaxSegmentSizeBytes is the largest segment whose blank record can
	// declare its remainder: TOTALSIZE is a signed int32.
	MaxSegmentSizeBytes = MaxRecordSizeBytes
	// flushRetriesOnClose is how often Close retries a failing flush, as
	// RocketMQ's flush services do on shutdown.
	flushRetriesOnClose = 3
)

// Config configures a Log. Zero numeric fields take the defaults above; the
// zero FlushMode is FlushAsync. PreallocateNext has no default (false means
// off): start from DefaultConfig for RocketMQ's behaviour.
type Config struct {
	// SegmentSizeBytes is the size of every segment file.
	SegmentSizeBytes int64
	// FlushMode selects asynchronous or group-commit synchronous flushing.
	FlushMode FlushMode
	// FlushInterval is the period of the flush service. In FlushAsync mode
	// it flushes when FlushLeastPages pages are dirty; in FlushSync mode it
	// flushes whatever no waiter asked for (WAIT=false records).
	FlushInterval time.Duration
	// FlushLeastPages is the number of dirty 4 KiB pages that make the
	// asynchronous service flush.
	FlushLeastPages int
	// FlushThoroughInterval forces the asynchronous service to flush
	// everything at least this often.
	FlushThoroughInterval time.Duration
	// SyncFlushTimeout is how long a Durable waiter may wait in FlushSync
	// mode before it completes with ErrFlushTimeout.
	SyncFlushTimeout time.Duration
	// MaxPendingFlushWaiters bounds the Durable waiters; beyond it Durable
	// fails at once with ErrFlushWaitersFull.
	MaxPendingFlushWaiters int
	// MaxBodySizeBytes bounds a message body (RocketMQ maxMessageSize).
	MaxBodySizeBytes int
	// PreallocateNext creates the segment after the current one ahead of
	// need, off the append path.
	PreallocateNext bool
	// WarmMappedFile maps every page of a new segment in for writing when
	// the segment is created (warmMapedFileEnable, default false), so
	// appends take no page faults. Segments are always fully allocated on
	// disk when created; warming also populates the page cache, which the
	// kernel then writes back as zeros once.
	WarmMappedFile bool
	// AppendPropCRC appends the property CRC (enabledAppendPropCRC, see
	// PropertyCRC32) to every record: a CRC over the whole record, not only
	// the body, costing one more CRC pass over each record.
	AppendPropCRC bool
	// VerifyPropCRC makes recovery require and check the property CRC of
	// every record (forceVerifyPropCRC), so a record torn outside its body
	// by a power loss is cut rather than served. Only for logs written with
	// AppendPropCRC from their first record: a record without the property
	// fails, and recovery cuts the log there.
	VerifyPropCRC bool
	// Logger receives flush failures; nil means slog.Default().
	Logger *slog.Logger
	// OnFlushFailure, when set, is called once, with no lock of the log
	// held, with the first flush failure (see Log.Err).
	OnFlushFailure func(error)
	// OnFlushed, when set, is called with no lock of the log held after
	// each flush that moved the durable end, with the new end: a group
	// commit round (before its waiters complete), a periodic flush or a
	// Flush call. It must not block.
	OnFlushed func(flushedOffset int64)
}

// DefaultConfig returns RocketMQ's defaults.
func DefaultConfig() Config {
	return Config{
		SegmentSizeBytes:       DefaultSegmentSizeBytes,
		FlushMode:              FlushAsync,
		FlushInterval:          DefaultFlushInterval,
		FlushLeastPages:        DefaultFlushLeastPages,
		FlushThoroughInterval:  DefaultFlushThoroughInterval,
		SyncFlushTimeout:       DefaultSyncFlushTimeout,
		MaxPendingFlushWaiters: DefaultMaxPendingFlushWaiters,
		MaxBodySizeBytes:       DefaultMaxBodySizeBytes,
		PreallocateNext:        true,
	}
}

// ErrConfig reports an unusable Config.
var ErrConfig = errors.New("commitlog: invalid config")

// withDefaults fills zero fields and checks the bounds.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if c.SegmentSizeBytes == 0 {
		c.SegmentSizeBytes = d.SegmentSizeBytes
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = d.FlushInterval
	}
	if c.FlushLeastPages == 0 {
		c.FlushLeastPages = d.FlushLeastPages
	}
	if c.FlushThoroughInterval == 0 {
		c.FlushThoroughInterval = d.FlushThoroughInterval
	}
	if c.SyncFlushTimeout == 0 {
		c.SyncFlushTimeout = d.SyncFlushTimeout
	}
	if c.MaxPendingFlushWaiters == 0 {
		c.MaxPendingFlushWaiters = d.MaxPendingFlushWaiters
	}
	if c.MaxBodySizeBytes == 0 {
		c.MaxBodySizeBytes = d.MaxBodySizeBytes
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	switch {
	case c.SegmentSizeBytes < MinSegmentSizeBytes || c.SegmentSizeBytes > MaxSegmentSizeBytes:
		return c, fmt.Errorf("%w: SegmentSizeBytes %d outside [%d, %d]",
			ErrConfig, c.SegmentSizeBytes, MinSegmentSizeBytes, MaxSegmentSizeBytes)
	case c.FlushMode != FlushAsync && c.FlushMode != FlushSync:
		return c, fmt.Errorf("%w: %v", ErrConfig, c.FlushMode)
	case c.FlushInterval < 0 || c.FlushThoroughInterval < 0 || c.SyncFlushTimeout < 0:
		return c, fmt.Errorf("%w: negative interval", ErrConfig)
	case c.FlushLeastPages < 0 || c.MaxPendingFlushWaiters < 0 || c.MaxBodySizeBytes < 0:
		return c, fmt.Errorf("%w: negative limit", ErrConfig)
	}
	return c, nil
}
