package commitlog

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net/netip"
	"strings"
)

// bodyCRCMask clears the sign bit so the CRC reads non-negative as a Java int.
const bodyCRCMask = 0x7FFFFFFF

// BodyCRC returns the masked CRC-32 (IEEE) of body stored in BODYCRC. Callers
// compute it before taking the append lock.
func BodyCRC(body []byte) uint32 { return crc32.ChecksumIEEE(body) & bodyCRCMask }

// hostBytes returns the encoded size of a host field for a.
func hostBytes(a netip.Addr) int {
	if a.Is4() {
		return ipv4HostBytes
	}
	return ipv6HostBytes
}

// topicLengthBytes returns the width of TOPICLENGTH for a topic of n bytes.
func topicLengthBytes(n int) int {
	if n > MaxV1TopicBytes {
		return 2
	}
	return 1
}

// EncodedSize validates m and returns the size of its record. The errors are
// ErrTopicEmpty, ErrTopicTooLong, ErrPropertiesTooLong, ErrBodyTooLarge (only
// when the record would not fit a Java int; the configured body limit is the
// caller's) and ErrInvalidHost, wrapped with the offending length.
func EncodedSize(m *Message) (int, error) {
	topicBytes := len(m.Topic)
	switch {
	case topicBytes == 0:
		return 0, ErrTopicEmpty
	case topicBytes > MaxTopicBytes:
		return 0, fmt.Errorf("%w: %d bytes, limit %d", ErrTopicTooLong, topicBytes, MaxTopicBytes)
	case topicBytes > MaxV1TopicBytes && !strings.HasPrefix(m.Topic, RetryTopicPrefix):
		return 0, fmt.Errorf("%w: %d bytes, limit %d for topics not starting with %s",
			ErrTopicTooLong, topicBytes, MaxV1TopicBytes, RetryTopicPrefix)
	}
	if len(m.Properties) > MaxPropertiesBytes {
		return 0, fmt.Errorf("%w: %d bytes, limit %d", ErrPropertiesTooLong, len(m.Properties), MaxPropertiesBytes)
	}
	if !m.BornHost.Addr().IsValid() || !m.StoreHost.Addr().IsValid() {
		return 0, fmt.Errorf("%w: born %v, store %v", ErrInvalidHost, m.BornHost, m.StoreHost)
	}
	headerBytes := FixedOverheadBytes - 2*ipv4HostBytes - 1 +
		hostBytes(m.BornHost.Addr()) + hostBytes(m.StoreHost.Addr()) + topicLengthBytes(topicBytes)
	rest := headerBytes + topicBytes + len(m.Properties)
	if len(m.Body) > MaxRecordSizeBytes-rest {
		return 0, fmt.Errorf("%w: %d bytes do not fit a record", ErrBodyTooLarge, len(m.Body))
	}
	return rest + len(m.Body), nil
}

// recordSysFlag returns m.SysFlag with the host bits derived from the addresses.
func recordSysFlag(m *Message) int32 {
	sysFlag := m.SysFlag &^ (SysFlagBornHostV6 | SysFlagStoreHostV6)
	if !m.BornHost.Addr().Is4() {
		sysFlag |= SysFlagBornHostV6
	}
	if !m.StoreHost.Addr().Is4() {
		sysFlag |= SysFlagStoreHostV6
	}
	return sysFlag
}

// putHost writes a host field (address then port as int32) and returns its size.
func putHost(dst []byte, h netip.AddrPort) int {
	a := h.Addr()
	n := 0
	if a.Is4() {
		ip := a.As4()
		n = copy(dst, ip[:])
	} else {
		ip := a.As16()
		n = copy(dst, ip[:])
	}
	binary.BigEndian.PutUint32(dst[n:], uint32(h.Port()))
	return n + 4
}

// Encode writes the record of m into dst and returns its size. m must have
// passed EncodedSize and dst must hold that many bytes: anything else is a
// programming error and panics. bodyCRC is BodyCRC(m.Body), computed by the
// caller outside the append lock. Encode does not allocate.
func Encode(dst []byte, m *Message, bodyCRC uint32, queueOffset, physOffset, storeTimestampMs int64) int {
	size, err := EncodedSize(m)
	if err != nil {
		panic(fmt.Sprintf("commitlog: Encode of an invalid message: %v", err))
	}
	if len(dst) < size {
		panic(fmt.Sprintf("commitlog: Encode needs %d bytes, has %d", size, len(dst)))
	}
	dst = dst[:size]
	be := binary.BigEndian
	magic := MagicV1
	if topicLengthBytes(len(m.Topic)) == 2 {
		magic = MagicV2
	}
	be.PutUint32(dst[offTotalSize:], uint32(size))
	be.PutUint32(dst[offMagic:], magic)
	be.PutUint32(dst[offBodyCRC:], bodyCRC)
	be.PutUint32(dst[offQueueID:], uint32(m.QueueID))
	be.PutUint32(dst[offFlag:], uint32(m.Flag))
	be.PutUint64(dst[offQueueOffset:], uint64(queueOffset))
	be.PutUint64(dst[offPhysOffset:], uint64(physOffset))
	be.PutUint32(dst[offSysFlag:], uint32(recordSysFlag(m)))
	be.PutUint64(dst[offBornTime:], uint64(m.BornTimestampMs))
	pos := offBornHost
	pos += putHost(dst[pos:], m.BornHost)
	be.PutUint64(dst[pos:], uint64(storeTimestampMs))
	pos += 8
	pos += putHost(dst[pos:], m.StoreHost)
	be.PutUint32(dst[pos:], uint32(m.ReconsumeTimes))
	pos += 4
	be.PutUint64(dst[pos:], uint64(m.PreparedTransactionOffset))
	pos += 8
	be.PutUint32(dst[pos:], uint32(len(m.Body)))
	pos += 4
	pos += copy(dst[pos:], m.Body)
	if magic == MagicV2 {
		be.PutUint16(dst[pos:], uint16(len(m.Topic)))
		pos += 2
	} else {
		dst[pos] = byte(len(m.Topic))
		pos++
	}
	pos += copy(dst[pos:], m.Topic)
	be.PutUint16(dst[pos:], uint16(len(m.Properties)))
	pos += 2
	pos += copy(dst[pos:], m.Properties)
	if pos != size {
		panic(fmt.Sprintf("commitlog: Encode wrote %d bytes, computed %d", pos, size))
	}
	return size
}

// EncodeBlank writes the 8-byte head of a blank record declaring sizeBytes
// (the bytes left in the segment) into dst. sizeBytes below
// BlankRecordSizeBytes or a short dst is a programming error and panics.
func EncodeBlank(dst []byte, sizeBytes int32) {
	if sizeBytes < BlankRecordSizeBytes || len(dst) < BlankRecordSizeBytes {
		panic(fmt.Sprintf("commitlog: blank record of %d bytes into %d", sizeBytes, len(dst)))
	}
	binary.BigEndian.PutUint32(dst[offTotalSize:], uint32(sizeBytes))
	binary.BigEndian.PutUint32(dst[offMagic:], MagicBlank)
}
