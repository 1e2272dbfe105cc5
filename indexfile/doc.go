// Package indexfile implements RocketMQ's IndexFile: a hash index from
// "topic#key" to the physical (CommitLog) offsets of the messages carrying
// that key (spec/store.md §6), byte-compatible with the files RocketMQ writes
// under <storeRoot>/index/.
//
// # File layout
//
// One index file has a fixed geometry: S hash slots and E entries (RocketMQ's
// maxHashSlotNum and maxIndexNum, 5,000,000 and 20,000,000 by default). Its
// length is exactly 40 + S*4 + E*20 bytes (420,000,040 by default); the file
// is created at full length (sparse) and memory-mapped. All integers are
// big-endian, signed two's complement.
//
//	offset            size    region
//	0                 40      header
//	40                S*4     hash slots, slot i at 40 + i*4
//	40 + S*4          E*20    entries, entry n at 40 + S*4 + n*20
//
// Header:
//
//	offset  size  field
//	0       8     beginTimestamp  int64, store time (ms) of the first entry
//	8       8     endTimestamp    int64, store time (ms) of the newest entry
//	16      8     beginPhyOffset  int64, CommitLog offset of the first entry
//	24      8     endPhyOffset    int64, CommitLog offset of the newest entry
//	32      4     hashSlotCount   int32, slots in use (statistics only)
//	36      4     indexCount      int32, number of the next entry to write;
//	                              starts at 1, entry 0 is never used
//
// A new file that follows a full one starts with all four begin/end fields
// set to the previous file's end values (each only when it is > 0). The
// first entry written then replaces the begin fields, but its own timeDiff
// is computed before that, against the preset begin, as RocketMQ does: in a
// file that follows another, the first entry reads later than its store time
// by the whole seconds between the previous file's end and that store time.
//
// Slot (4 bytes): int32 number of the newest entry whose key hashes to the
// slot; 0 means empty.
//
// Entry (20 bytes):
//
//	offset  size  field
//	0       4     keyHash    int32, |Java String.hashCode of "topic#key"|,
//	                         with Integer.MIN_VALUE mapped to 0
//	4       8     phyOffset  int64, CommitLog offset of the message
//	12      4     timeDiff   int32, seconds from beginTimestamp to the
//	                         message's store time, clamped to
//	                         [0, 2^31-1]; 0 while beginTimestamp <= 0
//	16      4     prevIndex  int32, previous entry of the same slot,
//	                         0 = end of chain
//
// The slot of a key is keyHash % S. Writing entry n = indexCount reads the
// slot value v (treated as 0 when v <= 0 or v > indexCount), stores the entry
// with prevIndex = v, sets the slot to n, increments hashSlotCount when v was
// 0, increments indexCount and sets the end fields. A file is full when
// indexCount >= E.
//
// # Queries
//
// A query follows the chain of the key's slot, newest entry first. An entry
// matches when its keyHash equals the key's and its time, beginTimestamp +
// timeDiff*1000, lies in [begin, end]. The walk stops at maxNum results, at a
// negative timeDiff, at a time before begin, or at a prevIndex that is <= 0,
// not below indexCount, or equal to the current entry. Different keys may
// share a hash, so callers re-read each CommitLog record and compare its
// topic and keys.
//
// # Directory
//
// A Set manages <storeRoot>/index/. Each file is named by its creation time
// as the env Clock reads it (local time for the real clock),
// yyyyMMddHHmmssSSS (17 digits), so that name order is creation order: a time
// not after the newest file's name is moved to 1 ms past it, and a name that
// exists is bumped by 1 ms. Only the newest file is written; queries walk the
// files from newest to oldest. A full file is flushed through
// env.Clock.AfterFunc once the writer has moved to the next one.
//
// # Invariants
//
//   - 1 <= indexCount <= E in memory; entries [1, indexCount) are written,
//     the rest are zero. A header read from disk with indexCount 0 (a file
//     RocketMQ created but never wrote or flushed) is taken as 1.
//   - Every slot and prevIndex value read from a file is checked against
//     [1, indexCount) before use, and a chain walk takes at most indexCount
//     steps, so a corrupt file yields short or wrong results (which callers
//     re-check) but never an access outside the mapping or an endless loop.
//   - A file opened from disk has exactly the length of its geometry and a
//     header with 0 <= indexCount <= E, 0 <= hashSlotCount <= E and
//     non-negative phy offsets; anything else is ErrCorrupt. hashSlotCount
//     is statistics only and never used to address anything.
//   - A file is complete on disk before it gets its final name: it is
//     created under a ".tmp" name, sized, given its header, synced and then
//     renamed, so a crash never leaves a short file with a valid name.
//   - The end timestamp of a full file is reported as indexMsgTimestamp only
//     after that file and every older full file have been flushed.
//
// # Concurrency
//
// File and Set are safe for concurrent use. Writes (Put, PutRecord, rolling
// to a new file, deletion, Close) are exclusive; queries run concurrently
// with each other. Flushing a full file runs off the writer's path, through
// env.Clock.AfterFunc.
package indexfile
