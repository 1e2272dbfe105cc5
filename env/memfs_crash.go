package env

import (
	"bytes"
	"maps"
	"math/rand/v2"
	"slices"
)

// crashPageBytes is the unit in which unsynced file changes survive a
// machine crash: the 4 KiB page of the Linux page cache and of RocketMQ's
// flush arithmetic.
const crashPageBytes = 4096

// crashStream is the second word of the PCG state of a crash, fixed so that
// the seed alone names the outcome.
const crashStream = 0x6a09e667f3bcc909

// CrashOptions tunes CrashMachine.
type CrashOptions struct {
	// KeepNoPages makes every file keep none of its unsynced pages (k = 0)
	// instead of a random prefix of them.
	KeepNoPages bool
	// TornPage makes every file that loses pages keep a random-length byte
	// prefix of the first page it loses.
	TornPage bool
}

// CrashProcess simulates the death of the process: every File, Mapping and
// lock handed out so far becomes invalid, locks are released, and all
// written bytes and live directory entries are kept. Slices from
// Mapping.Bytes stay readable but no longer alias the files.
func (m *MemFS) CrashProcess() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.invalidateLocked()
}

// CrashMachine simulates power loss: what CrashProcess does, then the
// namespace reverts to the durable entries and each file keeps its durable
// bytes plus a seeded random page prefix of its unsynced changes, as the
// package doc details. The result depends only on seed, opts and the state.
func (m *MemFS) CrashMachine(seed uint64, opts CrashOptions) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.invalidateLocked()
	r := rand.New(rand.NewPCG(seed, crashStream))
	m.used = 0
	m.restoreLocked(m.root, r, opts, map[*memNode]bool{m.root: true})
}

// invalidateLocked starts a new handle generation, detaches mapped caches
// from the slices handed out and drops every lock.
func (m *MemFS) invalidateLocked() {
	m.gen++
	for n := range m.mapped {
		n.data = bytes.Clone(n.data)
		n.mapCount = 0
	}
	clear(m.mapped)
	clear(m.locks)
}

// restoreLocked rebuilds dir's live entries from its durable ones and
// crashes each file below it once, in ascending name order.
func (m *MemFS) restoreLocked(dir *memNode, r *rand.Rand, opts CrashOptions, visited map[*memNode]bool) {
	dir.children = maps.Clone(dir.durable)
	if dir.children == nil {
		dir.children = make(map[string]*memNode)
	}
	for _, name := range slices.Sorted(maps.Keys(dir.children)) {
		n := dir.children[name]
		if !visited[n] {
			visited[n] = true
			n.nlink = 0
			if n.isDir {
				m.restoreLocked(n, r, opts, visited)
			} else {
				n.data = crashContent(n.data, n.synced, r, opts)
				n.synced = bytes.Clone(n.data)
			}
		}
		m.linkLocked(dir, name, n)
	}
}

// crashContent returns what a file with page cache cache and durable bytes
// durable holds after power loss (package doc, CrashMachine steps 2-4). The
// result is a fresh array.
func crashContent(cache, durable []byte, r *rand.Rand, opts CrashOptions) []byte {
	pages := differingPages(cache, durable)
	if len(pages) == 0 {
		return bytes.Clone(durable)
	}
	k := 0
	if !opts.KeepNoPages {
		k = r.IntN(len(pages) + 1)
	}
	if k == len(pages) {
		return bytes.Clone(cache)
	}
	length := len(durable)
	if k > 0 {
		length = max(length, min(len(cache), (pages[k-1]+1)*crashPageBytes))
	}
	tornStart, tornBytes := 0, 0
	if opts.TornPage {
		tornStart = pages[k] * crashPageBytes
		if avail := min(crashPageBytes, len(cache)-tornStart); avail > 0 {
			tornBytes = r.IntN(avail)
			length = max(length, tornStart+tornBytes)
		}
	}
	out := make([]byte, length)
	copy(out, durable)
	for _, p := range pages[:k] {
		start := p * crashPageBytes
		end := min(start+crashPageBytes, len(cache))
		if start < end {
			copy(out[start:end], cache[start:end])
		}
	}
	if tornBytes > 0 {
		copy(out[tornStart:tornStart+tornBytes], cache[tornStart:])
	}
	return out
}

// differingPages returns, ascending, the indexes of the crashPageBytes pages
// where cache and durable, each cut to the page and to its own length,
// differ in bytes or in length.
func differingPages(cache, durable []byte) []int {
	var pages []int
	size := max(len(cache), len(durable))
	for p := 0; p*crashPageBytes < size; p++ {
		start := p * crashPageBytes
		if !bytes.Equal(pageOf(cache, start), pageOf(durable, start)) {
			pages = append(pages, p)
		}
	}
	return pages
}

// pageOf returns the part of b in the page starting at start.
func pageOf(b []byte, start int) []byte {
	return b[min(start, len(b)):min(start+crashPageBytes, len(b))]
}
