// Package consumequeue is RocketMQ's ConsumeQueue: for one (topic, queueId)
// a dense array of fixed-size units that maps every logical queue offset to
// the position of its message in the CommitLog (spec/store.md §1, §4.8, §5.1,
// §5.3, §11).
//
// # Unit
//
// A unit is 20 bytes, every integer big-endian and signed (Java long / int):
//
//	off  size  field
//	  0     8  physOffset  PHYSICALOFFSET of the record in the CommitLog
//	  8     4  sizeBytes   TOTALSIZE of the record
//	 12     8  tagCode     Java String.hashCode of the TAGS property,
//	                       sign-extended to 64 bits; 0 without tags
//
// For SCHEDULE_TOPIC_XXXX the dispatcher puts the delivery time (ms since the
// epoch) in the tagCode slot instead; this package stores whatever it is
// given. Example: physOffset 0x0102030405060708, sizeBytes 92, tags "TagA"
// (hash 2598919 = 0x0027A807) encode as
//
//	01 02 03 04 05 06 07 08  00 00 00 5C  00 00 00 00 00 27 A8 07
//
// # Byte space and files
//
// Logical queue offset q lives at byte q*20 of the queue's byte space. The
// space is cut into files of FileSizeBytes bytes each (default 6,000,000 =
// 300,000 units; a configured size is rounded up to a multiple of 20), stored
// as
//
//	<root>/consumequeue/<topic>/<queueId>/<20-digit byte offset>
//
// where the name is the file's first byte offset in decimal, zero-padded to
// 20 digits (the second default file is 00000000000006000000). The file that
// holds q starts at q*20 - (q*20) % FileSizeBytes. A topic directory must be
// a valid RocketMQ topic name (1 to 255 characters of [%|a-zA-Z0-9_-]) and a
// queue directory the canonical decimal form of a non-negative int32.
//
// Loading a store (OpenAll) skips, with a warning, any entry that breaks
// those naming rules or is not a directory, as RocketMQ skips them; inside a
// queue directory a file that is not a 20-digit aligned name, a file of the
// wrong size or a gap between files fails the load, as RocketMQ refuses to
// start (a zero-length newest file is deleted instead).
//
// # Filler units
//
// A filler unit is (physOffset 0, sizeBytes 0x7FFFFFFF, tagCode 0). When a
// brand-new queue (no files) receives its first unit at a logical offset
// q > 0 (its older files all expired), the file containing q is created and
// units from the file's start up to q are written as fillers ("pre-blank"),
// and the queue's minimum offset becomes q. Flushing starts at the file's
// first byte (RocketMQ starts at q), so the fillers are durable before any
// unit after them. A filler is valid data (it does
// not end the queue) but names no message: readers skip it. A real record
// can never be 0x7FFFFFFF bytes long, so fillers are told apart by physOffset
// 0 and that size (the tag is not examined).
//
// # End of data
//
// The data of a queue ends at the first unit with physOffset < 0 or
// sizeBytes <= 0; an all-zero unit (the unwritten tail of a file) therefore
// ends it too. This package also treats a unit whose physOffset+sizeBytes
// overflows int64 as the end: no CommitLog can hold it.
//
// # Positions
//
//   - MaxOffset = (last file start + its write position) / 20: the next
//     logical offset to be written.
//   - MinOffset = the first non-filler unit at or after the first file's
//     start, raised by CorrectMinOffset past units whose records were
//     deleted from the CommitLog; never above MaxOffset.
//   - MaxPhysicOffset = physOffset+sizeBytes of the last non-filler unit:
//     dispatch of a record that ends at or below it is an idempotent repeat
//     and is skipped. Deleting old files does not lower it; when no real
//     unit is left, Recover sets it to 0 and a truncation at CommitLog
//     offset p to at most p.
//
// # Dispatch rules (Append)
//
// A unit for logical offset q (the record's QUEUEOFFSET) whose record ends at
// or below MaxPhysicOffset is skipped silently. Otherwise, with w the current
// write position in bytes: q*20 < w is a repeat and is skipped; q*20 > w is a
// gap, which RocketMQ reports as "[BUG]". RocketMQ then writes the unit at w,
// so that offset q no longer finds its own message; this package instead
// fills the gap with filler units and writes the unit at q*20, so unit q
// always describes the record whose QUEUEOFFSET is q. When the queue held no
// message before the gap, MinOffset moves past the fillers. A gap longer
// than two files is refused with ErrGap (a corrupt QUEUEOFFSET, not a lost
// unit or two).
//
// # Recovery and truncation
//
// Recover (§4.8) reads units from the third-last file (or the first) while
// they are valid, continues into the next file only when a file is valid to
// its end, and cuts the queue at the end of the valid data: the rest of that
// file is zeroed and later files are deleted. TruncateByPhysOffset drops units
// whose record starts at or beyond a CommitLog offset, scanning back from the
// last file and deleting files whose first unit is already beyond.
// DeleteBelowPhysOffset (§11) deletes, oldest first and never the newest,
// files whose last unit points below the CommitLog's minimum offset. When a
// cut would leave no file at all, an empty file is kept at the position of
// the cut so that the queue's logical offsets never restart from 0 (a queue
// offset is never handed out twice).
//
// # Invariants
//
//   - Units in [first file start, MaxOffset*20) are all valid; every file
//     but the last is full.
//   - Below MaxOffset*20 unit q (if not a filler) describes the record whose
//     QUEUEOFFSET is q; real units appear in increasing physOffset order.
//   - MinOffset <= MaxOffset, and the unit at MinOffset is never a filler;
//     bytes past the write position are zero after recovery or a
//     truncation.
//   - A reader touches a file's mapping only while holding a reference
//     (mappedfile Acquire/Release), so deleting a file never pulls memory
//     from under a reader.
//
// # Concurrency
//
// One writer (the dispatcher) calls Append. Recover, the truncations,
// DeleteBelowPhysOffset, CorrectMinOffset and Destroy are serialized with it
// by a per-queue mutex. Get, Units, OffsetByTime and the position getters
// are lock-free and safe concurrently with all of the above except Recover
// and the truncations, which rewrite bytes and run before serving starts.
// Flush may run concurrently with everything. A Set guards its table with an
// RWMutex; its methods iterate queues in (topic, queueId) order.
package consumequeue
