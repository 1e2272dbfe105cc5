package indexfile

import "encoding/binary"

// msPerSecond converts an entry's timeDiff (seconds) to milliseconds.
const msPerSecond = 1000

// Query appends to dst the phy offsets of the entries for key (the full index
// key, "topic#key") whose time lies in [beginMs, endMs], newest first, until
// len(dst) reaches maxNum. Offsets of other keys with the same hash may be
// among them. It reads every slot and prevIndex value from the file through a
// bounds check and takes at most indexCount steps, so a corrupt file gives
// short or wrong results but never a panic or an endless walk.
func (f *File) Query(dst []int64, key string, maxNum int, beginMs, endMs int64) ([]int64, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.closed {
		return dst, ErrClosed
	}
	return f.selectLocked(dst, HashOf(key), maxNum, beginMs, endMs), nil
}

// search is one step of a Set query: it walks the chain only when the file's
// time range overlaps [beginMs, endMs], and returns the file's begin
// timestamp, which decides whether older files are searched too.
func (f *File) search(dst []int64, keyHash int32, maxNum int, beginMs, endMs int64) ([]int64, int64) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.closed {
		panic("indexfile: search of a closed file still in the set")
	}
	if f.hdr.overlaps(beginMs, endMs) {
		dst = f.selectLocked(dst, keyHash, maxNum, beginMs, endMs)
	}
	return dst, f.hdr.BeginTimestampMs
}

// overlaps is RocketMQ's IndexFile.isTimeMatched: the query range covers the
// file's range, or one of its ends lies inside it.
func (h Header) overlaps(beginMs, endMs int64) bool {
	return (beginMs < h.BeginTimestampMs && endMs > h.EndTimestampMs) ||
		(beginMs >= h.BeginTimestampMs && beginMs <= h.EndTimestampMs) ||
		(endMs >= h.BeginTimestampMs && endMs <= h.EndTimestampMs)
}

// selectLocked walks the chain of keyHash's slot (RocketMQ's selectPhyOffset
// with bounds checks). The caller holds f.mu.
func (f *File) selectLocked(dst []int64, keyHash int32, maxNum int, beginMs, endMs int64) []int64 {
	count := f.hdr.IndexCount
	if count <= firstEntry || keyHash < 0 {
		return dst
	}
	b := f.buf
	cur := int32(binary.BigEndian.Uint32(b[f.geo.slotPos(int(keyHash)%f.geo.HashSlots):]))
	// Entries [1, count) are written and count <= MaxEntries, so a number in
	// that range addresses an entry inside the mapping. Each step visits one
	// entry, so more than count-1 steps means the chain loops.
	for steps := int32(0); cur >= firstEntry && cur < count && steps < count; steps++ {
		if len(dst) >= maxNum {
			break
		}
		e := decodeEntry(b[f.geo.entryPos(cur):])
		if e.TimeDiffSec < 0 {
			break
		}
		timeMs := f.hdr.BeginTimestampMs + int64(e.TimeDiffSec)*msPerSecond
		if e.KeyHash == keyHash && timeMs >= beginMs && timeMs <= endMs {
			dst = append(dst, e.PhyOffset)
		}
		if e.PrevIndex == cur || timeMs < beginMs {
			break
		}
		cur = e.PrevIndex
	}
	return dst
}
