// Package mappedfile keeps a queue of equally sized, memory-mapped segment
// files in one directory: the storage under the CommitLog and every
// ConsumeQueue (spec/store.md §4.1-§4.2).
//
// # Layout
//
// A queue covers one contiguous byte space. Segment i starts at absolute
// offset start_0 + i*SegmentSizeBytes and is stored in a file named by its
// start offset in decimal, zero-padded to 20 digits
// (00000000001073741824 for the second 1 GiB CommitLog segment). Every file
// has exactly SegmentSizeBytes bytes; the space past the write position is
// zeros until written.
//
// # Positions
//
// Each segment has two positions relative to its start:
//
//   - wrote: bytes [0, wrote) hold data. The single writer stores bytes into
//     the mapping first and publishes the new position afterwards (an atomic
//     store), so a lock-free reader that loads wrote sees complete bytes.
//   - flushed: bytes [0, flushed) are durable.
//
// The queue-level FlushedWhere is the absolute offset below which everything
// is durable. Loaded segments start full (wrote = size) and unflushed
// (flushed = 0, since a crashed process may have left their bytes only in
// the page cache); recovery corrects the positions with TruncateTo and the
// next Flush makes the kept bytes durable.
//
// # Invariants
//
//   - Segments are contiguous and ordered; offsets are multiples of the size.
//   - flushed <= wrote <= size for every segment; only the last segment may
//     be partially written.
//   - A segment's mapping stays valid while a reference is held (Acquire /
//     Release): deletion marks it dead and unmaps only when the last
//     reference is gone, so readers never touch unmapped memory.
//   - Bytes past a truncation point are zeroed (and flushed), so stale data
//     can never be mistaken for records after a later crash.
//
// # Concurrency
//
// One writer appends (the caller serializes writes and creation of segments
// for writing). Any number of readers may call Find, Segments and read the
// mapping below Wrote concurrently. Flush may run concurrently with the
// writer. Creation of the next segment ahead of need runs through
// env.Clock.AfterFunc, never on a goroutine of its own.
package mappedfile
