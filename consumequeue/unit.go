package consumequeue

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/apogeemq/apogee/internal/javahash"
)

// Unit layout; see the package doc.
const (
	// UnitSize is the length of one unit in bytes.
	UnitSize = 20

	unitPhysOffsetAt = 0
	unitSizeAt       = 8
	unitTagCodeAt    = 12

	// FillerSizeBytes is the sizeBytes of a filler unit (Java Integer.MAX_VALUE).
	FillerSizeBytes = math.MaxInt32

	// maxQueueOffset is the largest logical offset whose byte position
	// q*UnitSize fits in an int64.
	maxQueueOffset = math.MaxInt64 / UnitSize
)

// ErrShortUnit is returned by DecodeUnit for fewer than UnitSize bytes.
var ErrShortUnit = errors.New("consumequeue: unit shorter than 20 bytes")

// Unit is one decoded ConsumeQueue entry.
type Unit struct {
	// PhysOffset is the CommitLog offset of the record.
	PhysOffset int64
	// SizeBytes is the record's TOTALSIZE.
	SizeBytes int32
	// TagCode is the tag hash (or the delivery time of a scheduled message).
	TagCode int64
}

// fillerUnit is what pre-blank and gap filling write.
var fillerUnit = Unit{PhysOffset: 0, SizeBytes: FillerSizeBytes, TagCode: 0}

// Valid reports whether u is data rather than the end of the queue's data:
// PhysOffset >= 0, SizeBytes > 0 and PhysOffset+SizeBytes fits in an int64.
// Filler units are valid.
func (u Unit) Valid() bool {
	return u.PhysOffset >= 0 && u.SizeBytes > 0 && u.PhysOffset <= math.MaxInt64-int64(u.SizeBytes)
}

// IsFiller reports whether u is a filler unit, which names no message.
func (u Unit) IsFiller() bool {
	return u.PhysOffset == 0 && u.SizeBytes == FillerSizeBytes
}

// PhysEnd returns the CommitLog offset just past the record, PhysOffset +
// SizeBytes. It is meaningful only for a valid unit.
func (u Unit) PhysEnd() int64 { return u.PhysOffset + int64(u.SizeBytes) }

// String formats u for logs and test failures.
func (u Unit) String() string {
	if u.IsFiller() {
		return "filler"
	}
	return fmt.Sprintf("{phys %d size %d tag %d}", u.PhysOffset, u.SizeBytes, u.TagCode)
}

// EncodeUnit writes u into b[0:UnitSize]. It panics if b is shorter, like
// encoding/binary's Put functions: the caller sizes its buffer.
func EncodeUnit(b []byte, u Unit) {
	_ = b[UnitSize-1] // one bounds check for the three stores
	binary.BigEndian.PutUint64(b[unitPhysOffsetAt:], uint64(u.PhysOffset))
	binary.BigEndian.PutUint32(b[unitSizeAt:], uint32(u.SizeBytes))
	binary.BigEndian.PutUint64(b[unitTagCodeAt:], uint64(u.TagCode))
}

// DecodeUnit reads the unit in b[0:UnitSize]. Any 20 bytes decode; whether
// they are data is for Valid to say.
func DecodeUnit(b []byte) (Unit, error) {
	if len(b) < UnitSize {
		return Unit{}, fmt.Errorf("%w: got %d", ErrShortUnit, len(b))
	}
	return decodeUnit(b), nil
}

// decodeUnit reads a unit from b, which the caller guarantees holds one.
func decodeUnit(b []byte) Unit {
	_ = b[UnitSize-1]
	return Unit{
		PhysOffset: int64(binary.BigEndian.Uint64(b[unitPhysOffsetAt:])),
		SizeBytes:  int32(binary.BigEndian.Uint32(b[unitSizeAt:])),
		TagCode:    int64(binary.BigEndian.Uint64(b[unitTagCodeAt:])),
	}
}

// TagCode returns the tag code RocketMQ stores for a TAGS property: Java's
// String.hashCode of tags, sign-extended to int64, and 0 for no tags.
func TagCode(tags string) int64 {
	if tags == "" {
		return 0
	}
	return int64(javahash.String(tags))
}
