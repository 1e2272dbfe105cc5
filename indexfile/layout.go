package indexfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Sizes and offsets of the file layout (see the package documentation).
const (
	// HeaderSizeBytes is the length of the file header.
	HeaderSizeBytes = 40
	// SlotSizeBytes is the length of one hash slot.
	SlotSizeBytes = 4
	// EntrySizeBytes is the length of one index entry.
	EntrySizeBytes = 20

	hdrBeginTimestampOff = 0
	hdrEndTimestampOff   = 8
	hdrBeginPhyOffsetOff = 16
	hdrEndPhyOffsetOff   = 24
	hdrHashSlotCountOff  = 32
	hdrIndexCountOff     = 36

	entKeyHashOff   = 0
	entPhyOffsetOff = 4
	entTimeDiffOff  = 12
	entPrevIndexOff = 16

	// firstEntry is the number of the first entry written; entry 0 is never
	// used so that a slot or prevIndex of 0 can mean "none".
	firstEntry = 1
)

// Default geometry, RocketMQ's maxHashSlotNum and maxIndexNum.
const (
	DefaultHashSlots  = 5_000_000
	DefaultMaxEntries = 20_000_000
)

// MaxFileSizeBytes bounds the length of an index file. RocketMQ computes the
// length in a Java int, so no compatible file is longer.
const MaxFileSizeBytes = math.MaxInt32

// minMaxEntries is the smallest usable entry count: entry 0 is never used, so
// a file needs room for at least one more.
const minMaxEntries = 2

// ErrCorrupt reports an index file whose length or header cannot be trusted.
var ErrCorrupt = errors.New("indexfile: corrupt index file")

// Geometry is the shape of an index file: its slot and entry counts. Every
// file of a directory must be opened with the geometry it was written with.
type Geometry struct {
	// HashSlots is the number of hash slots (maxHashSlotNum).
	HashSlots int
	// MaxEntries is the number of entry positions including the unused
	// entry 0 (maxIndexNum); a file is full when indexCount reaches it.
	MaxEntries int
}

// DefaultGeometry returns RocketMQ's default geometry (5,000,000 slots,
// 20,000,000 entries, 420,000,040 bytes per file).
func DefaultGeometry() Geometry {
	return Geometry{HashSlots: DefaultHashSlots, MaxEntries: DefaultMaxEntries}
}

// Validate reports whether g describes a file RocketMQ could have written.
func (g Geometry) Validate() error {
	if g.HashSlots < 1 {
		return fmt.Errorf("indexfile: geometry: %d hash slots, want at least 1", g.HashSlots)
	}
	if g.MaxEntries < minMaxEntries {
		return fmt.Errorf("indexfile: geometry: %d entries, want at least %d", g.MaxEntries, minMaxEntries)
	}
	// Check each term before adding so the sum cannot overflow.
	if int64(g.HashSlots) > MaxFileSizeBytes/SlotSizeBytes ||
		int64(g.MaxEntries) > MaxFileSizeBytes/EntrySizeBytes ||
		g.FileSizeBytes() > MaxFileSizeBytes {
		return fmt.Errorf("indexfile: geometry: %d slots and %d entries exceed the %d-byte file limit",
			g.HashSlots, g.MaxEntries, int64(MaxFileSizeBytes))
	}
	return nil
}

// FileSizeBytes returns the exact length of a file of this geometry.
func (g Geometry) FileSizeBytes() int64 {
	return HeaderSizeBytes + int64(g.HashSlots)*SlotSizeBytes + int64(g.MaxEntries)*EntrySizeBytes
}

// slotPos returns the byte position of slot i.
func (g Geometry) slotPos(i int) int {
	return HeaderSizeBytes + i*SlotSizeBytes
}

// entryPos returns the byte position of entry n.
func (g Geometry) entryPos(n int32) int {
	return HeaderSizeBytes + g.HashSlots*SlotSizeBytes + int(n)*EntrySizeBytes
}

// Header is the decoded 40-byte file header.
type Header struct {
	// BeginTimestampMs is the store time of the first entry (or the preset
	// value inherited from the previous file).
	BeginTimestampMs int64
	// EndTimestampMs is the store time of the newest entry.
	EndTimestampMs int64
	// BeginPhyOffset is the CommitLog offset of the first entry.
	BeginPhyOffset int64
	// EndPhyOffset is the CommitLog offset of the newest entry.
	EndPhyOffset int64
	// HashSlotCount counts the slots in use; it is statistics only.
	HashSlotCount int32
	// IndexCount is the number of the next entry to write (1 when empty).
	IndexCount int32
}

// EncodeHeader writes h into the first HeaderSizeBytes of b.
func EncodeHeader(b []byte, h Header) {
	_ = b[HeaderSizeBytes-1]
	binary.BigEndian.PutUint64(b[hdrBeginTimestampOff:], uint64(h.BeginTimestampMs))
	binary.BigEndian.PutUint64(b[hdrEndTimestampOff:], uint64(h.EndTimestampMs))
	binary.BigEndian.PutUint64(b[hdrBeginPhyOffsetOff:], uint64(h.BeginPhyOffset))
	binary.BigEndian.PutUint64(b[hdrEndPhyOffsetOff:], uint64(h.EndPhyOffset))
	binary.BigEndian.PutUint32(b[hdrHashSlotCountOff:], uint32(h.HashSlotCount))
	binary.BigEndian.PutUint32(b[hdrIndexCountOff:], uint32(h.IndexCount))
}

// DecodeHeader reads the header from the first HeaderSizeBytes of b without
// judging it; see Geometry.CheckHeader.
func DecodeHeader(b []byte) (Header, error) {
	if len(b) < HeaderSizeBytes {
		return Header{}, fmt.Errorf("%w: %d bytes, want a %d-byte header", ErrCorrupt, len(b), HeaderSizeBytes)
	}
	return Header{
		BeginTimestampMs: int64(binary.BigEndian.Uint64(b[hdrBeginTimestampOff:])),
		EndTimestampMs:   int64(binary.BigEndian.Uint64(b[hdrEndTimestampOff:])),
		BeginPhyOffset:   int64(binary.BigEndian.Uint64(b[hdrBeginPhyOffsetOff:])),
		EndPhyOffset:     int64(binary.BigEndian.Uint64(b[hdrEndPhyOffsetOff:])),
		HashSlotCount:    int32(binary.BigEndian.Uint32(b[hdrHashSlotCountOff:])),
		IndexCount:       int32(binary.BigEndian.Uint32(b[hdrIndexCountOff:])),
	}, nil
}

// CheckHeader judges a header read from a file of geometry g and returns it
// normalized: an indexCount of 0, which RocketMQ leaves on disk in a file it
// created but never wrote or flushed, becomes 1. The error matches
// ErrCorrupt.
func (g Geometry) CheckHeader(h Header) (Header, error) {
	if h.IndexCount < 0 || int64(h.IndexCount) > int64(g.MaxEntries) {
		return h, fmt.Errorf("%w: indexCount %d outside [0, %d]", ErrCorrupt, h.IndexCount, g.MaxEntries)
	}
	if h.IndexCount == 0 {
		h.IndexCount = firstEntry
	}
	// hashSlotCount is statistics. Since RocketMQ 4.7.1 it counts newly used
	// slots, before that every entry; and a header page written back between
	// its increment and indexCount's is one ahead. So only bound it by the
	// entry count.
	if h.HashSlotCount < 0 || int64(h.HashSlotCount) > int64(g.MaxEntries) {
		return h, fmt.Errorf("%w: hashSlotCount %d outside [0, %d]", ErrCorrupt, h.HashSlotCount, g.MaxEntries)
	}
	if h.BeginPhyOffset < 0 || h.EndPhyOffset < 0 {
		return h, fmt.Errorf("%w: negative phy offset (begin %d, end %d)", ErrCorrupt, h.BeginPhyOffset, h.EndPhyOffset)
	}
	return h, nil
}

// Entry is one decoded 20-byte index entry.
type Entry struct {
	// KeyHash is the non-negative hash of "topic#key" (see KeyHash).
	KeyHash int32
	// PhyOffset is the CommitLog offset of the message.
	PhyOffset int64
	// TimeDiffSec is the store time in seconds after the header's
	// BeginTimestampMs.
	TimeDiffSec int32
	// PrevIndex is the previous entry of the same slot, 0 for none.
	PrevIndex int32
}

// EncodeEntry writes e into the first EntrySizeBytes of b.
func EncodeEntry(b []byte, e Entry) {
	_ = b[EntrySizeBytes-1]
	binary.BigEndian.PutUint32(b[entKeyHashOff:], uint32(e.KeyHash))
	binary.BigEndian.PutUint64(b[entPhyOffsetOff:], uint64(e.PhyOffset))
	binary.BigEndian.PutUint32(b[entTimeDiffOff:], uint32(e.TimeDiffSec))
	binary.BigEndian.PutUint32(b[entPrevIndexOff:], uint32(e.PrevIndex))
}

// decodeEntry reads an entry from the first EntrySizeBytes of b; callers
// bound-check the position first.
func decodeEntry(b []byte) Entry {
	_ = b[EntrySizeBytes-1]
	return Entry{
		KeyHash:     int32(binary.BigEndian.Uint32(b[entKeyHashOff:])),
		PhyOffset:   int64(binary.BigEndian.Uint64(b[entPhyOffsetOff:])),
		TimeDiffSec: int32(binary.BigEndian.Uint32(b[entTimeDiffOff:])),
		PrevIndex:   int32(binary.BigEndian.Uint32(b[entPrevIndexOff:])),
	}
}

// timeDiffSec computes an entry's timeDiff the way RocketMQ does: whole
// seconds (truncated toward zero) from beginMs to storeMs, clamped to
// [0, MaxInt32], and 0 while beginMs <= 0.
func timeDiffSec(beginMs, storeMs int64) int32 {
	if beginMs <= 0 {
		return 0
	}
	d := (storeMs - beginMs) / 1000
	switch {
	case d > math.MaxInt32:
		return math.MaxInt32
	case d < 0:
		return 0
	}
	return int32(d)
}
