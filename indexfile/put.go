package indexfile

import (
	"encoding/binary"
	"fmt"
)

// Put adds key (the full index key, "topic#key") for the message at
// phyOffset stored at storeTimestampMs, following RocketMQ's write rules
// exactly (see the package documentation). It returns ErrFull when the file
// has no room left; a negative phyOffset is rejected with an error.
func (f *File) Put(key string, phyOffset, storeTimestampMs int64) error {
	return f.putHash(HashOf(key), phyOffset, storeTimestampMs)
}

// putHash is Put for a precomputed non-negative keyHash.
func (f *File) putHash(keyHash int32, phyOffset, storeTimestampMs int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return ErrClosed
	}
	if f.fullLocked() {
		return ErrFull
	}
	if keyHash < 0 {
		panic("indexfile: negative keyHash")
	}
	if phyOffset < 0 {
		return fmt.Errorf("indexfile: put into %s: negative phy offset %d", f.path, phyOffset)
	}
	b := f.buf
	n := f.hdr.IndexCount
	slotPos := f.geo.slotPos(int(keyHash) % f.geo.HashSlots)
	prev := int32(binary.BigEndian.Uint32(b[slotPos:]))
	if prev <= 0 || prev > n {
		prev = 0
	}
	// RocketMQ computes timeDiff against the begin timestamp before the
	// first entry replaces it; a file preset from its predecessor therefore
	// stores its first timeDiff relative to the predecessor's end.
	EncodeEntry(b[f.geo.entryPos(n):], Entry{
		KeyHash:     keyHash,
		PhyOffset:   phyOffset,
		TimeDiffSec: timeDiffSec(f.hdr.BeginTimestampMs, storeTimestampMs),
		PrevIndex:   prev,
	})
	binary.BigEndian.PutUint32(b[slotPos:], uint32(n))

	if n <= firstEntry {
		f.hdr.BeginPhyOffset = phyOffset
		f.hdr.BeginTimestampMs = storeTimestampMs
		binary.BigEndian.PutUint64(b[hdrBeginPhyOffsetOff:], uint64(phyOffset))
		binary.BigEndian.PutUint64(b[hdrBeginTimestampOff:], uint64(storeTimestampMs))
	}
	if prev == 0 {
		f.hdr.HashSlotCount++
		binary.BigEndian.PutUint32(b[hdrHashSlotCountOff:], uint32(f.hdr.HashSlotCount))
	}
	f.hdr.IndexCount = n + 1
	binary.BigEndian.PutUint32(b[hdrIndexCountOff:], uint32(f.hdr.IndexCount))
	f.hdr.EndPhyOffset = phyOffset
	f.hdr.EndTimestampMs = storeTimestampMs
	binary.BigEndian.PutUint64(b[hdrEndPhyOffsetOff:], uint64(phyOffset))
	binary.BigEndian.PutUint64(b[hdrEndTimestampOff:], uint64(storeTimestampMs))
	f.dirty.Store(true)
	return nil
}
