// Package ha replicates a master's CommitLog to its slaves the way
// RocketMQ's classic HA service does (spec/store.md §12, §14): the Server
// runs on the master, the Client on each slave, and the slave appends the
// master's bytes verbatim, then builds its own ConsumeQueues and index from
// them.
//
// # Wire format
//
// One TCP connection per slave, to the master's HA port (listenPort + 1,
// 10912 by default), carrying raw binary: no remoting header. Integers are
// big-endian and signed (Java long / int).
//
// Slave to master, a report (ReportSizeBytes = 8):
//
//	off  size  field
//	  0     8  maxPhysOffset   the end of the slave's CommitLog, >= 0
//
// Master to slave, a transfer frame (FrameHeaderSizeBytes = 12, then n
// bytes):
//
//	off  size  field
//	  0     8  physOffset      CommitLog offset of the first body byte, >= 0
//	  8     4  bodySize (n)    0 <= n <= the reader's limit; 0 = heartbeat
//	 12     n  body            the master's CommitLog bytes
//	                           [physOffset, physOffset+n), cut anywhere
//
// Example: a frame carrying the 3 bytes AA BB CC at offset 1073741824 (the
// start of the second 1 GiB segment) is
//
//	00 00 00 00 40 00 00 00  00 00 00 03  AA BB CC
//
// and the report that acknowledges it, offset 1073741827, is
//
//	00 00 00 00 40 00 00 03
//
// # Protocol
//
// The slave reports its end (ReplicaEnd) as soon as it is connected, after
// every read that appended bytes, and whenever ReportInterval (5 s) passed
// without a report. The master sends nothing before the first report, which
// fixes where it streams from: an empty slave (0) starts at the beginning of
// the master's newest segment (maxOffset - maxOffset % segmentSize), any
// other slave at the offset it reported. The stream opens with a frame at
// once, an empty one when there is nothing to send, so the slave learns
// where it starts without waiting for a heartbeat. A slave that reports more than the
// master holds is ahead of it: the master streams from its own end instead,
// and a slave that allows it (ClientConfig.TruncateDivergent) cuts its log
// back there; RocketMQ's slave drops the connection and retries. The master
// reads at most TransferBatchBytes (32 KiB) per frame and never crosses a
// segment boundary in one frame, so blank records travel as written and the
// slave's segments roll exactly where the master's do. An idle master sends
// an empty frame at its position every HeartbeatInterval (5 s). Both sides
// close the connection after HousekeepingInterval (20 s) without reading
// anything. Only the last complete report of what the master has read
// counts; a slave drops the connection on a frame that does not start at its
// end (unless its log is empty) and reconnects after ReconnectDelay (5 s),
// or, with ClientConfig.OnLost, once its owner has compared its log with
// the master's history again.
//
// A master under sync flush streams only what it made durable
// (Source.ReplicableEnd), so a slave never holds, nor serves, a record its
// master can lose to a machine crash; under async flush it streams what is
// written, as RocketMQ's does.
//
// # Acknowledgements and SYNC_MASTER
//
// Each connection's acknowledged offset is the slave's last report, but
// never more than the connection has sent (apache/rocketmq#3015): a report
// beyond it is ignored, so a slave that claims bytes it never received
// cannot make a put look replicated. A slave acknowledges what it holds,
// flushed or not (as RocketMQ's does): a put acknowledged under SYNC_MASTER
// survives the crash of either machine, not of both. The best
// acknowledgement over the connected slaves completes the puts waiting on it
// (Server.WaitReplicated, the store's Replicator hook): PUT_OK once it
// reaches the record's end, FLUSH_SLAVE_TIMEOUT after SlaveTimeout (3 s),
// and SLAVE_NOT_AVAILABLE at once when no slave has reported or the best one
// is at least SlaveFallBehindMaxBytes (256 MiB) behind. An ASYNC_MASTER
// answers PUT_OK at once. The highest offset a slave ever acknowledged is
// a SYNC_MASTER's ConfirmedOffset: its store lets consumers see nothing
// past it.
//
// The classic protocol carries no history: a slave's report says how long
// its log is, not which log. A slave whose log parted from its master's
// below the master's end (an old master rejoining after a promotion) is not
// detected here; whoever changes roles cuts it first (Store.TruncateTo at
// the point where the new master's history began).
//
// # Invariants
//
//   - A connection's acknowledged offset never exceeds the end of the bytes
//     it handed to the network.
//   - A waiting put completes exactly once; at most MaxPendingWaiters wait,
//     at most MaxSlaves connections are served, one frame per connection is
//     in flight (holding its CommitLog segment until written), and a slave
//     keeps at most a frame header and a few reports in memory: every
//     buffer is bounded.
//   - The slave appends only bytes that continue its log exactly, so its
//     CommitLog is a byte-for-byte copy of the master's over the range it
//     holds.
//   - Decoders never panic on bad bytes: a negative report, a negative
//     offset or a body size outside [0, limit] closes the connection.
//
// # Concurrency
//
// Everything is driven by env callbacks: the Network's (accept, data,
// close, write done) and the Clock's timers. The package never starts a
// goroutine, never sleeps and reads time only from env.Clock, so the
// simulator runs it deterministically on one goroutine. Under the real env
// the callbacks arrive on many goroutines: a Server guards its table and
// waiters with one mutex and each connection its stream with its own (never
// held together, never held across a Write), and a Client guards everything
// with one mutex, which it holds while it appends to the store.
package ha
