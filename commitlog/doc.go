// Package commitlog is the RocketMQ CommitLog: the record codec and the
// append-only log of records kept in fixed-size memory-mapped segments
// (spec/store.md §2, §3.1, §4).
//
// # Record layout
//
// Every message is one record. All integers are big-endian and signed (Java
// int / long). Offsets below are for the common case, an IPv4 born host, an
// IPv4 store host and the v1 magic:
//
//	off  size  field
//	  0     4  TOTALSIZE                   whole record, this field included
//	  4     4  MAGICCODE                   0xDAA320A7 (v1) or 0xDAA320AB (v2)
//	  8     4  BODYCRC                     CRC-32 IEEE of BODY & 0x7FFFFFFF
//	 12     4  QUEUEID
//	 16     4  FLAG                        the producer's flag, opaque
//	 20     8  QUEUEOFFSET                 index in the consume queue
//	 28     8  PHYSICALOFFSET              log offset of byte 0 of this record
//	 36     4  SYSFLAG                     bit field, see below
//	 40     8  BORNTIMESTAMP               producer clock, ms since the epoch
//	 48     8  BORNHOST                    IPv4 (4) + port as int32 (4)
//	 56     8  STORETIMESTAMP              broker clock, ms since the epoch
//	 64     8  STOREHOSTADDRESS            IPv4 (4) + port as int32 (4)
//	 72     4  RECONSUMETIMES
//	 76     8  PREPAREDTRANSACTIONOFFSET   half message offset, else 0
//	 84     4  BODYLENGTH  (b)
//	 88     b  BODY
//	88+b    1  TOPICLENGTH (t)             2 bytes with the v2 magic
//	89+b    t  TOPIC                       UTF-8
//	89+b+t  2  PROPERTIESLENGTH (p)        signed int16, at most 32767
//	91+b+t  p  PROPERTIES
//
// The fixed overhead is 91 bytes (FixedOverheadBytes). An IPv6 born host
// (SYSFLAG bit 0x10) makes BORNHOST 20 bytes (16 + 4) and shifts every later
// field by 12, so STORETIMESTAMP moves from 56 to 68; an IPv6 store host (bit
// 0x20) makes STOREHOSTADDRESS 20 bytes and shifts the fields after it by
// another 12. The v2 magic widens TOPICLENGTH to 2 bytes. So
//
//	TOTALSIZE = 91 + b + t + p  (+12 per IPv6 host, +1 for v2)
//
// and the smallest record (IPv4 both sides, v1, a one-byte topic, no body, no
// properties) is 92 bytes. The fields at offsets 0 to 47 never move.
//
// # SYSFLAG
//
//	0x001  COMPRESSED       body compressed; type in bits 8-10
//	0x002  MULTI_TAGS       legacy filter type marker
//	0x00C  transaction type 0x0 none, 0x4 PREPARED, 0x8 COMMIT, 0xC ROLLBACK
//	0x010  BORNHOST_V6      BORNHOST is 20 bytes
//	0x020  STOREHOST_V6     STOREHOSTADDRESS is 20 bytes
//	0x040  NEED_UNWRAP      5.x batch marker
//	0x080  INNER_BATCH      5.x: one record carries several messages
//	0x700  compression type 0x100 LZ4, 0x200 ZSTD, 0x300 ZLIB, 0 legacy zlib
//
// The encoder owns the two host bits: it sets or clears 0x10 and 0x20 from
// the addresses it is given (an address that is not plain IPv4 — including an
// IPv4-mapped IPv6 address — is written as 16 bytes) and ignores whatever the
// caller put in those bits. Every other bit is written as given.
//
// PREPARED and ROLLBACK records never enter a consume queue; their QUEUEOFFSET
// is written as 0 and they do not advance the queue's counter.
//
// # Version choice
//
// RocketMQ writes v2 when the topic's Java char length exceeds 127. This
// encoder writes v2 when the topic's UTF-8 length exceeds 127. The two agree
// on every topic Java can read back: the UTF-8 length is never less than the
// Java char length, and where they disagree Java would write a one-byte length
// above 127 that its own reader takes as negative (a corrupt record). Readers
// accept both magics; the v1 length is read as a signed byte, so a v1 topic is
// at most 127 bytes.
//
// Topics are refused before storing when empty, longer than 255 UTF-8 bytes,
// or longer than 127 unless they start with "%RETRY%".
//
// # Blank record
//
// A record is appended only when recordSize+8 <= bytesLeftInSegment.
// Otherwise the writer puts an 8-byte blank record at the write position —
// TOTALSIZE = bytes left in the segment, MAGICCODE = 0xCBD43194 — declares the
// whole remainder written and continues in the next segment. Every full
// segment therefore ends with a blank record of 8 bytes or more; a reader that
// meets it jumps to the next segment start.
//
// # Properties
//
//	name 0x01 value 0x02 name 0x01 value 0x02 ...
//
// Every pair, the last included, ends with 0x02. The reader splits on 0x02 and
// keeps a segment only if it holds a 0x01 after a non-empty name and before a
// non-empty value; the name ends at the first 0x01 and the value may contain
// further 0x01 bytes. A later pair with the same name wins. Names starting
// with "__RMQ.TRANSIENT." are never stored.
//
// # Offset message id
//
// The server-side message id is the store host IP (4 or 16 bytes), the store
// port as int32 and the PHYSICALOFFSET as int64, big-endian, in uppercase hex:
// 32 characters for IPv4, 56 for IPv6.
//
// # Invariants of the codec
//
//   - Decode never panics and never allocates for a valid record; the Record
//     it returns is a view into the caller's bytes.
//   - Decode accepts a record only if TOTALSIZE equals the size recomputed from
//     SYSFLAG, the body, topic and properties lengths, no length is negative,
//     the ports fit 16 bits and (when asked) the body CRC matches. Such a
//     record, turned back into a Message, encodes to the same bytes when its
//     magic is the one the encoder would choose.
//   - Encode never allocates; it writes exactly EncodedSize bytes.
//
// # The log
//
// A Log keeps its records in a mappedfile.Queue: segment files of
// SegmentSizeBytes (1 GiB by default) named by their 20-digit start offset.
// A physical offset is a byte offset in the whole log; the segment holding
// offset o starts at o - o%SegmentSizeBytes. Three positions describe it:
//
//	MinOffset <= FlushedOffset <= MaxOffset
//
// MinOffset is the oldest segment's start (retention moves it), MaxOffset the
// published write end, FlushedOffset the durable end.
//
// Life cycle: Open loads the segments and trusts nothing (every loaded
// segment looks full); Recover scans from a chosen segment, cuts the log
// after the last valid record and starts the flush service; then Append,
// Durable and the readers run until Close. Appends and reads before Recover
// fail with ErrNotRecovered.
//
// Durability: in FlushAsync mode Durable answers at once and a periodic
// service flushes when FlushLeastPages pages are dirty, and everything every
// FlushThoroughInterval. In FlushSync mode Durable registers a waiter; the
// first waiter schedules a group-commit round (Clock.AfterFunc(0)) that
// flushes all published bytes once and completes every waiter it passed, so
// concurrent appenders share one flush; a sweep timer completes waiters still
// pending after SyncFlushTimeout with ErrFlushTimeout. A failed flush is
// sticky (Err) and is handed to every sync waiter.
//
// # Invariants of the log
//
//   - Every byte in [MinOffset, MaxOffset) belongs to a record or to a blank
//     record; no record spans two segments; every segment but the last ends
//     with a blank record.
//   - A record's PHYSICALOFFSET is its own offset, and STORETIMESTAMP never
//     decreases in log order (also across a recovery).
//   - The records of one (topic, queue) carry consecutive queue offsets in
//     log order; PREPARED and ROLLBACK records carry 0 and take none.
//   - Bytes below MaxOffset never change, except by TruncateTo and recovery,
//     which zero everything they drop in the last kept segment so that stale
//     bytes can never be read back as records.
//   - A Durable waiter completes with nil only when FlushedOffset has reached
//     its end offset; at most MaxPendingFlushWaiters are pending.
//   - Replicated bytes (AppendRaw, a slave's copy of its master's log) are
//     published whole record by whole record, so MaxOffset stays a record
//     boundary; the bytes of a record still arriving wait past it, up to
//     RawEnd, and no Append runs while any wait.
//
// # Concurrency
//
// One append mutex serializes Append, AppendBatch, AppendRaw, TruncateTo,
// Recover and the queue offset table; the body CRC is computed before taking it. Readers
// (ReadRecord, Slice, ReadAvailable) take no lock of the log: each holds a
// reference on its segment and reads only below the segment's published
// write position, which the writer stores after the bytes. Flushing runs
// from Clock.AfterFunc callbacks concurrently with appends. Durable's done
// callbacks run with no lock of the log held. The package never starts a
// goroutine and reads time only from env.Clock.
package commitlog
