// Package store is Apogee's message store: RocketMQ's DefaultMessageStore
// over the mapped CommitLog, the ConsumeQueues and the IndexFiles, with
// RocketMQ's directory layout (spec/store.md §1):
//
//	<root>/commitlog/<20-digit offset>                  CommitLog segments
//	<root>/consumequeue/<topic>/<queueId>/<20 digits>   ConsumeQueue segments
//	<root>/index/<yyyyMMddHHmmssSSS>                    IndexFiles
//	<root>/checkpoint                                   recovery timestamps (§4.6)
//	<root>/abort                                        present while running
//	<root>/lock                                         exclusive process lock
//	<root>/config/*.json                                metadata (package configfile)
//
// # Data flow
//
// Put appends to the CommitLog under its single append lock and completes
// when the configured durability holds: at once under async flush, when the
// group commit passes the record under sync flush (FLUSH_DISK_TIMEOUT after
// syncFlushTimeout). The dispatcher follows the CommitLog — up to the
// written offset under async flush, up to the flushed offset under sync flush,
// so a consumer never sees a message that a crash could take back after its
// sender was told it is safe — and appends ConsumeQueue units and index
// entries, then tells the arrival listener (long polling). Dispatch runs on
// the caller that published new data; a concurrent caller hands its work to
// the one already dispatching, so there is never more than one dispatcher and
// never a goroutine.
//
// Get reads ConsumeQueue units from a logical offset, filters them by tag
// code, and returns slices of the mapped CommitLog records without copying;
// the caller releases them.
//
// # Recovery
//
// Open takes the lock file, loads every file, and recovers:
//
//   - ConsumeQueues are trimmed to their valid units.
//   - Without an abort file (clean shutdown) the CommitLog scan starts at the
//     newest segment whose first record is not beyond what the ConsumeQueues
//     already hold.
//   - With an abort file (crash) the scan starts at the newest segment whose
//     first record is older than the checkpoint's minTimestamp (the oldest
//     segment when none is, or when the checkpoint is unreadable).
//   - The scan checks every record's body CRC (and, with VerifyPropCRC, the
//     whole-record property CRC, which also catches a record torn outside
//     its body); the first invalid record ends the log. Everything after it is cut (and zeroed), ConsumeQueue units and
//     index entries pointing at or past it are dropped, and every record from
//     the scan start is dispatched again (dispatch is idempotent). The next
//     queue offset of each queue is then its ConsumeQueue's max offset, so a
//     queue offset held by a surviving record is never handed out again.
//   - With MessageIndexSafe, index files written since the index was last
//     known durable (the checkpoint's IndexSafePhyOffset) are dropped after
//     a crash and rebuilt by dispatching again from the end of the last kept
//     file; without it, as in RocketMQ, a crash may lose the newest entries.
//
// A wrong-size segment or a badly named file makes Open fail with a clear
// error; a corrupt record ends the log at the last valid record before it,
// and the reason is logged and kept in RecoveryReport.
//
// # Replication
//
// A master streams its CommitLog to slaves raw (ReadCommitLog), under sync
// flush only what it made durable (ReplicableEnd); with a Replicator
// installed (SetReplicator, SYNC_MASTER) a waiting put also waits for a
// slave's acknowledgement, in parallel with a sync flush, and reports
// FLUSH_SLAVE_TIMEOUT or SLAVE_NOT_AVAILABLE when it does not come; the
// record is stored either way. A SYNC_MASTER's dispatch also stops at the
// replicator's ConfirmedOffset, the end of what a slave acknowledged: its
// consumers see only what two machines hold, so none moves past a queue
// offset that a slave promoted after the master's loss would hand out to
// another message (RocketMQ 5 bounds reads by its confirm offset alike). A slave appends its master's bytes
// verbatim (AppendReplica), publishing whole records only, dispatches them
// for itself under its own flush mode and lets its queue offsets follow the
// replicated records, so that once promoted it never hands out an offset
// twice. TruncateTo cuts the CommitLog, the ConsumeQueues and the index
// back to a record boundary when histories part.
//
// # Retention
//
// Every CleanResourceInterval the store deletes CommitLog segments older
// than FileReservedTime at the DeleteWhen hours or when disk usage passes
// DiskMaxUsedSpaceRatio (regardless of age past DiskSpaceCleanForciblyRatio),
// never the newest one, at most DeleteFileBatchMax per round, then the
// ConsumeQueue and index files that only point below the new minimum.
// Past DiskSpaceWarningLevelRatio, or after the device reported no space,
// puts are refused with SERVICE_NOT_AVAILABLE until usage falls back.
package store
