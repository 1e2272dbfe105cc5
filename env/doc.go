// Package env is the seam between Apogee and the outside world.
//
// Every package outside env and cmd reaches the wall clock, timers, the file
// system, the network and randomness only through the values defined here. That
// rule is what lets the deterministic simulator run whole clusters in one
// goroutine: it supplies a virtual Clock, an in-memory crashable FS, an
// in-memory Network and a seeded Rand, and the code under test cannot tell.
//
// There are two implementations of each seam and only two:
//
//	seam      real (Real)                simulated
//	Clock     wall clock (time)          ManualClock
//	FS        os + mmap                  MemFS
//	Network   TCPNetwork (package net)   MemNetwork
//	Rand      math/rand/v2 top level     NewSeededRand
//
// The lint test in this package fails the build when a
// package outside env and cmd imports os, net or math/rand, calls a wall-clock
// or timer function of time, or starts a goroutine.
//
// Concurrency: the real implementations are safe for concurrent use and call
// timer callbacks on their own goroutines, so components guard their state.
// The simulated ones are also safe for concurrent use, but a simulator drives
// them from a single goroutine.
//
// # The lint rule
//
// Non-test Go files outside env/ and cmd/ must not import os, os/..., net,
// net/... (net/netip is allowed: it holds value types and does no I/O),
// math/rand, math/rand/v2, syscall or golang.org/x/sys/...; must not refer to
// time.Now, Since, Until, Sleep, After, AfterFunc, NewTimer, NewTicker or Tick
// (under whatever name time is imported; a dot import of time is refused); and
// must not contain a go statement. Test files (_test.go) are exempt
// everywhere: a test may use the OS (t.TempDir, testdata files) and
// goroutines to drive the component it tests, but the component itself never
// does.
//
// # The real implementations
//
// Real returns the wall clock (time.Now, time.AfterFunc), a FS over package
// os, math/rand/v2's concurrency-safe top-level generator, and a TCPNetwork.
//
//   - File.Sync is fsync; SyncDir opens the directory and fsyncs it.
//   - File.Map maps [0, size) with mmap(PROT_READ|PROT_WRITE, MAP_SHARED)
//     through github.com/edsrzf/mmap-go. Mapping.Flush(off, n) calls
//     msync(MS_SYNC) on the range widened down to a page boundary.
//   - Usage is statfs: TotalBytes = blocks*bsize, FreeBytes = bavail*bsize
//     (the space an unprivileged writer may still use).
//   - Lock opens (creating) the file, takes flock(LOCK_EX|LOCK_NB) and writes
//     "lock" at offset 0, as RocketMQ does with its lock file. The lock
//     belongs to the open file, so a second Lock of the same name fails with
//     ErrLocked even inside one process.
//   - Every error that carries ENOSPC also matches ErrNoSpace (and still
//     syscall.ENOSPC) under errors.Is. Storing into a mapping of a sparse
//     file on a full device raises SIGBUS instead: no error can be returned
//     from a memory store, so callers watch Usage (RocketMQ's
//     diskMaxUsedSpaceRatio) before the device fills.
//
// NewSeededRand returns a deterministic, mutex-protected PCG generator for
// the simulator.
//
// # TCPNetwork
//
// TCPNetwork is the Network over package net; the handlers of its
// connections run on goroutines of env, so components guard their state.
//
//   - Listen binds with net.Listen("tcp") and runs one accept goroutine.
//     Transient Accept failures (EMFILE, ENFILE, ENOBUFS, ENOMEM,
//     ECONNABORTED, ...) are retried after a backoff doubling from 5 ms to
//     1 s; any other failure closes the listener. Listener.Close ends the
//     goroutine; a connection accepted in that instant is closed unserved.
//   - Dial runs net.DialTimeout on its own goroutine and calls done from it.
//     Refusals match ErrConnRefused, timeouts ErrDialTimeout, and a busy
//     address on Listen ErrAddrInUse (each also matches the underlying
//     error). TCP_NODELAY is on for every connection.
//   - Start launches a reader and a writer goroutine. The reader reads into
//     one reused 64 KiB buffer and calls onData with each filled slice;
//     when the socket ends it calls onClose once: nil for EOF or for Close,
//     the wrapped error otherwise (ECONNRESET and EPIPE also match
//     ErrConnReset). Writes made before Start wait for it.
//   - Writes are sent in batches, one batch in flight at a time: a batch
//     is every Write queued when it is taken; its buffers go to the kernel
//     in one writev (several past 1024 buffers; several buffers of at
//     most 2 KiB in all are first copied into one), and its done callbacks
//     then run in order on the goroutine that sent it.
//   - Writes made while the reader is inside onData, from any goroutine,
//     are held, up to 64 KiB queued: when onData returns, the reader takes
//     them as a batch and offers it to the kernel with one non-blocking
//     writev (through the socket's RawConn). If the kernel takes it all,
//     the reader calls the done callbacks itself, before reading again;
//     otherwise the writer sends the rest with blocking writes while the
//     reader goes on reading. A request answered from inside onData thus
//     costs the server one read and one write on one goroutine, as a
//     blocking socket would, instead of a hand-over to the writer and
//     back. A held batch past 64 KiB wakes the writer, which sends
//     everything queued with blocking writes (net.Buffers.WriteTo).
//   - The first Write made after a delivery (or after Start), outside
//     onData, while nothing is queued or in flight, is taken as a batch by
//     the goroutine that makes it and offered to the kernel the same way,
//     with one non-blocking writev. If the kernel takes it all, its done
//     runs with nil before Write returns: a client sending a request once
//     the answer to the previous one has arrived costs one system call
//     and no wake-up of the writer. The rest of a short send goes to the
//     writer; a send that fails closes the connection, and the writer then
//     calls done with the error, so that no error is ever reported from
//     inside Write. Any other Write (behind queued writes or a batch in
//     flight, or the second of a burst made with no delivery in between)
//     wakes the writer, which takes everything queued as the next batch:
//     a goroutine streaming requests is not slowed by a system call per
//     write, and its writes are coalesced.
//   - The bytes queued and not yet handed to the kernel are bounded per
//     connection (TCPNetwork.MaxQueuedWriteBytes, default
//     DefaultMaxQueuedWriteBytes = 64 MiB). The Write that would pass the
//     bound closes the connection; it and every queued write fail with an
//     error matching both ErrConnClosed and ErrWriteQueueFull, and onClose
//     reports ErrWriteQueueFull.
//   - Close marks the connection closed and closes the socket without
//     waiting: both goroutines end promptly, queued writes fail with
//     ErrConnClosed, no onData follows, onClose runs once on the reader.
//     One goroutine at a time calls done callbacks (whoever sent the batch
//     in flight, be it the writer, the reader or a direct Write, the
//     writer failing what was queued at the close, or after the writer a
//     short-lived one that fails what was queued later), so they never
//     overlap.
//
// # Latch
//
// Latch is how a goroutine blocks until a callback lets it go on: the
// blocking forms of callback-driven calls, such as a client's sync send, are
// built on it. It parks the goroutine on a pipe, through the runtime's
// network poller, instead of on a channel. A goroutine made ready through a
// channel while a processor is idle makes the runtime wake another thread to
// run it; on a machine of two cores that thread competes with the one that
// delivered the answer, and each sync round trip pays a thread wake-up and a
// context switch (the median sync send of the end-to-end benchmark took
// about 57 µs so, 40 µs with the latch). A goroutine parked on a pipe is
// picked up by the thread that wrote to the pipe, at its next poll, once it
// has nothing else to run: the connection's reader, once it has delivered
// the answer. Latches are reused; at most 256 hold a pipe at once (512
// descriptors) and at most 64 stay idle. Past that bound, or when the
// process is out of descriptors, a latch waits on a channel instead. Latch
// has no simulated counterpart: nothing in the simulator blocks.
//
// # MemNetwork
//
// MemNetwork is the in-memory Network for deterministic tests. Every
// callback it makes (accept, Dial's done, onData, onClose, Write's done)
// runs from a clock.AfterFunc(0) callback, never from inside a call of the
// caller; with a ManualClock a test delivers with RunDue. The network's one
// mutex guards all its state and is never held while a callback runs.
//
//   - Addresses are "host:port". Listen on port 0 takes the next free port
//     of [10000, 49151]; dialing ends get "127.0.0.1:p" with p from
//     [49152, 65535]. Both ranges are walked by a cursor that wraps and
//     skips ports in use, so ports are assigned deterministically and not
//     reused until the range goes round. A host "", "0.0.0.0" or "::"
//     listens on every host; a second listener on a port taken on the same
//     or a wildcard host fails with ErrAddrInUse.
//   - Dial schedules one callback: if a listener is bound at that moment
//     (the exact host first, else a wildcard one), it calls accept with the
//     server end and then done with the client end; else done gets
//     ErrConnRefused. The handshake takes one latency each way; the dial
//     timeout matters only when a link is cut or the handshake is slow
//     (ErrDialTimeout).
//   - Write hands the bytes to the network at once and queues done(nil);
//     they reach the peer's inbound buffer after the link's latency, in
//     order. Each end has at most one delivery callback scheduled; it
//     passes everything inbound to one onData call, so pending bytes are
//     coalesced. Done callbacks run in Write order from one callback per
//     batch.
//   - Close (or a write past the bound) finishes one end: its undelivered
//     inbound bytes are dropped, its onClose reports the reason, and the
//     peer receives what was sent before, then onClose(nil). Bytes written
//     to an end whose peer has finished vanish, as on a closed socket.
//   - The unsent bytes of one direction (held before Start, in flight or
//     held by a cut link, not yet delivered) are bounded by
//     DefaultMaxQueuedWriteBytes like TCP's write queue.
//
// Faults for the simulator (see the MemNetwork type for the full model):
// Host gives each node its own address; SetLatency draws a one-way delay
// per chunk, order kept; SetBlocked holds one direction between two hosts
// (a partition: bytes wait, as TCP retransmits them, until unblocked);
// ResetBetween resets every connection between two hosts (ErrConnReset on
// both ends); CrashHost ends a host's process: its listeners close, its
// peers see resets, and none of its callbacks runs again. Packet loss is
// not modelled below TCP: a stream is lossless until it is reset.
//
// Invariants of both networks (checked by the tests against each): per
// connection end, onData calls never overlap and none follows onClose;
// onClose runs exactly once once the end is started; every Write's done
// runs exactly once, in Write order, never from inside onData, from inside
// Write only with a nil error (TCP's direct send), and never overlapping
// another done of that connection; the bytes of one
// Write arrive contiguous and in order after those of earlier Writes,
// whether it was made inside onData, inside a done callback or from
// another goroutine.
//
// # ManualClock
//
// A ManualClock only moves when told. AfterFunc(d, f) schedules f at
// Now()+max(d, 0). Advance(d) fires, on the caller's goroutine and in (due
// time, scheduling order) order, every timer due up to Now()+d, setting Now()
// to each timer's due time before calling it; timers scheduled by those
// callbacks fire in the same Advance when they fall inside the window. The
// clock's mutex is never held while a callback runs, so callbacks may call
// Now, AfterFunc and Stop. RunDue fires what is already due without moving
// time; FireNext fires exactly one timer. More than maxFiresPerInstant (a
// million) callbacks at one instant within one Advance or RunDue means timers keep
// rescheduling themselves with no delay (a livelock): the clock panics.
//
// # The MemFS model
//
// MemFS is an in-memory file system that can lose power. It keeps two
// versions of everything: the live version that reads see (the page cache and
// the in-memory directory entries), and the durable version that survives a
// machine crash.
//
// Paths. A path is cleaned with path.Clean and taken relative to one root:
// "/a/b", "a/b" and "a//b/" name the same file, and "", "." and "/" name the
// root directory. Name returns the path as it was given.
//
// Files. Each file (an inode; two names may share one after a crash, see
// below) holds cache bytes and durable bytes, each with its own length.
//
//	operation                     cache              durable
//	WriteAt, Truncate, Create     changed            unchanged
//	stores through Mapping.Bytes  changed            unchanged
//	File.Sync                     unchanged          := cache (bytes and length)
//	Mapping.Flush(off, n)         unchanged          [off, off+n) := cache's; length := cache length
//
// Flush also makes the current length durable because on Linux msync(MS_SYNC)
// ends in fdatasync of the range, which commits a size change.
//
// Directories. Each directory holds live entries (name -> inode) and durable
// entries. Create, Rename, Remove and RemoveAll change live entries only;
// SyncDir(dir) copies dir's live entries to its durable entries. A rename
// between two directories is durable in each directory only after that
// directory is synced, so a crash may leave the file under both names (one
// inode, two names) or under neither. MkdirAll enters each directory it
// creates in both the live and the durable entries of its parent at once, so
// a created directory survives a machine crash whenever its parent does.
//
// Mappings. File.Map(size) needs size <= the file's length and a file opened
// for writing. Bytes returns a slice of the file's cache array itself, so
// stores through one mapping are seen by ReadAt and by every other mapping of
// the file, and WriteAt is seen by mappings. While a file has a live mapping
// its cache array must not move: an operation that would change its length
// (Truncate to another length, a WriteAt past the end, Create of the name)
// fails with an error and has no effect. When the last mapping of a file is
// unmapped the file's cache moves to a fresh array and the old array is
// filled with poisonByte (0xDB), so a use after Unmap reads garbage (and breaks
// CRCs) instead of going unnoticed. Unmap sets Bytes to nil. Stores through a
// mapping that run concurrently with Sync, Flush or ReadAt of the same bytes
// are data races under the race detector (a real page cache tolerates them;
// the simulator drives MemFS from one goroutine, where they cannot happen).
//
// CrashProcess simulates the death of the process: every File, Mapping and
// lock handed out before becomes invalid (later calls return an error that
// matches io/fs.ErrClosed; nothing panics), locks are released, and the live
// version is kept whole: the page cache of a machine that stays up survives
// the process. Slices obtained from Bytes stay readable but are detached from
// the files. The same MemFS goes on being used; the restarted process reopens
// its files.
//
// CrashMachine(seed, opts) simulates power loss. It does all CrashProcess
// does, then:
//
//  1. The namespace reverts to the durable entries, walked from the root;
//     inodes reachable from no durable entry are gone.
//  2. For every surviving file, depth first from the root with the entries
//     of each directory in ascending name order (an inode reached twice is
//     done once), with one PCG generator seeded from seed: let P =
//     crashPageBytes (4 KiB), C the cache and D the durable bytes. Page p
//     covers [p*P, (p+1)*P). Page p differs when C and D, each cut to that
//     page and to its own length, are not equal (bytes or lengths). Let
//     d_1 < ... < d_m be the differing pages. Draw k uniformly from [0, m]
//     (k = 0 when opts.KeepNoPages).
//  3. If k = m the file becomes C exactly. Otherwise it starts as D; pages
//     d_1..d_k take C's bytes (where C has them); and its length becomes
//     max(len(D), min(len(C), (d_k+1)*P)) (len(D) when k = 0). So a synced
//     length is kept, an unsynced growth survives only as far as the kept
//     pages reach, and an unsynced shrink takes effect only when every change
//     is kept.
//  4. If opts.TornPage and k < m, page t = d_{k+1} is torn: a number j drawn
//     uniformly from [0, min(P, len(C)-t*P)) of its first bytes take C's
//     bytes, and the length grows to t*P+j if shorter (no tear when C ends
//     before page t).
//
// After the crash each file's cache and durable bytes are both the result.
// The outcome depends only on the seed, the options and the state before the
// crash: the unsynced changes that survive are always a page prefix of each
// file's changes in offset order, never a later page without the earlier
// ones, which is what a log writer that flushes in order may rely on (and
// what a torn last page tests).
//
// Faults. SetRule installs a function called with an Op before each
// Create, Open/OpenRW, ReadAt, WriteAt, Truncate, Sync, Map, Mapping.Flush,
// SyncDir, Rename, Remove/RemoveAll and MkdirAll. If it returns an error the
// operation fails with an error that matches both ErrInjected and the rule's
// error (so a rule may return ErrNoSpace to fake a full disk at one spot),
// and has no effect. The rule runs without the MemFS mutex held and may keep
// state (FailOnce, FailAfter).
//
// Capacity. SetCapacity(bytes) caps the sum of the lengths of all files that
// have a live name. A WriteAt, Truncate or Lock that would grow past it fails
// with an error matching ErrNoSpace and has no effect. Usage reports the
// capacity (defaultCapacityBytes, 1 TiB, when unlimited) and the space left. Files
// longer than maxMemFileBytes (2 GiB - 1) are refused: MemFS holds every byte in memory.
//
// Times. ModTime is the Clock's time of the file's creation or last
// WriteAt, Truncate, Map or Mapping.Flush (stores through a mapping are
// invisible until then); SetModTime overrides it for retention tests.
//
// Invariants (checked by the tests): a live mapping's Bytes aliases its
// file's cache array from offset 0; the used byte count equals the sum of the
// cache lengths of the files with a live name; a handle from before a crash
// never changes a file after it.
package env
