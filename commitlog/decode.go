package commitlog

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// maxPort is the largest value a host's int32 port field may hold.
const maxPort = 65535

// BlankSize reports whether b starts with a blank record and, if so, the
// TOTALSIZE it declares (not validated).
func BlankSize(b []byte) (int32, bool) {
	if len(b) < BlankRecordSizeBytes || binary.BigEndian.Uint32(b[offMagic:]) != MagicBlank {
		return 0, false
	}
	return int32(binary.BigEndian.Uint32(b[offTotalSize:])), true
}

// corrupt wraps ErrCorrupt and a reason with detail.
func corrupt(reason error, format string, args ...any) error {
	return fmt.Errorf("%w: %w: %s", ErrCorrupt, reason, fmt.Sprintf(format, args...))
}

// Decode reads the record at the start of b; b may continue past it. With
// checkCRC the body CRC is verified. It returns:
//   - ErrShort when b ends before the 8-byte head or before TOTALSIZE bytes;
//   - ErrBlank, with TotalSize, Magic and Raw set, for a blank record;
//   - an error wrapping ErrCorrupt and a reason (ErrZeroRegion, ErrBadMagic,
//     ErrNegativeLength, ErrSizeMismatch, ErrBadPort, ErrCRCMismatch) when b
//     does not start with a record.
//
// Decode never panics and does not allocate when the record is valid.
func Decode(b []byte, checkCRC bool) (Record, error) {
	be := binary.BigEndian
	if len(b) < BlankRecordSizeBytes {
		return Record{}, fmt.Errorf("%w: %d bytes, need %d for the head", ErrShort, len(b), BlankRecordSizeBytes)
	}
	total := int32(be.Uint32(b[offTotalSize:]))
	magic := be.Uint32(b[offMagic:])
	if total == 0 && magic == 0 {
		return Record{}, corrupt(ErrZeroRegion, "TOTALSIZE and MAGICCODE are 0")
	}
	if total < 0 {
		return Record{}, corrupt(ErrNegativeLength, "TOTALSIZE %d", total)
	}
	switch magic {
	case MagicBlank:
		if total < BlankRecordSizeBytes {
			return Record{}, corrupt(ErrSizeMismatch, "blank record of %d bytes, minimum %d", total, BlankRecordSizeBytes)
		}
		if int(total) > len(b) {
			return Record{}, fmt.Errorf("%w: blank record of %d bytes, %d available", ErrShort, total, len(b))
		}
		return Record{TotalSize: total, Magic: magic, Raw: b[:total]}, ErrBlank
	case MagicV1, MagicV2:
	default:
		return Record{}, corrupt(ErrBadMagic, "0x%08X", magic)
	}
	if total < FixedOverheadBytes {
		return Record{}, corrupt(ErrSizeMismatch, "TOTALSIZE %d below the fixed overhead %d", total, FixedOverheadBytes)
	}
	if int(total) > len(b) {
		return Record{}, fmt.Errorf("%w: record of %d bytes, %d available", ErrShort, total, len(b))
	}
	raw := b[:total]
	r := Record{
		TotalSize:       total,
		Magic:           magic,
		BodyCRC:         be.Uint32(raw[offBodyCRC:]),
		QueueID:         int32(be.Uint32(raw[offQueueID:])),
		Flag:            int32(be.Uint32(raw[offFlag:])),
		QueueOffset:     int64(be.Uint64(raw[offQueueOffset:])),
		PhysOffset:      int64(be.Uint64(raw[offPhysOffset:])),
		SysFlag:         int32(be.Uint32(raw[offSysFlag:])),
		BornTimestampMs: int64(be.Uint64(raw[offBornTime:])),
		Raw:             raw,
	}
	bornHostBytes, storeHostBytes := ipv4HostBytes, ipv4HostBytes
	if r.SysFlag&SysFlagBornHostV6 != 0 {
		bornHostBytes = ipv6HostBytes
	}
	if r.SysFlag&SysFlagStoreHostV6 != 0 {
		storeHostBytes = ipv6HostBytes
	}
	// Everything up to and including BODYLENGTH; within the fixed-overhead
	// bound for IPv4 hosts, so check it against TOTALSIZE before reading.
	headEnd := offBornHost + bornHostBytes + 8 + storeHostBytes + 4 + 8 + 4
	if headEnd > len(raw) {
		return Record{}, corrupt(ErrSizeMismatch, "TOTALSIZE %d shorter than the %d-byte header", total, headEnd)
	}
	pos := offBornHost
	var bornPort, storePort int32
	r.BornHost, bornPort = readHost(raw[pos : pos+bornHostBytes])
	pos += bornHostBytes
	r.StoreTimestampMs = int64(be.Uint64(raw[pos:]))
	pos += 8
	r.StoreHost, storePort = readHost(raw[pos : pos+storeHostBytes])
	pos += storeHostBytes
	r.ReconsumeTimes = int32(be.Uint32(raw[pos:]))
	pos += 4
	r.PreparedTransactionOffset = int64(be.Uint64(raw[pos:]))
	pos += 8
	bodyLen := int(int32(be.Uint32(raw[pos:])))
	pos += 4
	if bodyLen < 0 {
		return Record{}, corrupt(ErrNegativeLength, "BODYLENGTH %d", bodyLen)
	}
	topicLenBytes := 1
	if magic == MagicV2 {
		topicLenBytes = 2
	}
	// The body, TOPICLENGTH and PROPERTIESLENGTH must fit before reading on.
	if bodyLen > len(raw)-pos-topicLenBytes-2 {
		return Record{}, corrupt(ErrSizeMismatch, "BODYLENGTH %d overruns TOTALSIZE %d", bodyLen, total)
	}
	r.Body = raw[pos : pos+bodyLen]
	pos += bodyLen
	var topicLen int
	if topicLenBytes == 2 {
		topicLen = int(int16(be.Uint16(raw[pos:])))
	} else {
		topicLen = int(int8(raw[pos]))
	}
	pos += topicLenBytes
	if topicLen < 0 {
		return Record{}, corrupt(ErrNegativeLength, "TOPICLENGTH %d", topicLen)
	}
	if topicLen > len(raw)-pos-2 {
		return Record{}, corrupt(ErrSizeMismatch, "TOPICLENGTH %d overruns TOTALSIZE %d", topicLen, total)
	}
	r.Topic = raw[pos : pos+topicLen]
	pos += topicLen
	propsLen := int(int16(be.Uint16(raw[pos:])))
	pos += 2
	if propsLen < 0 {
		return Record{}, corrupt(ErrNegativeLength, "PROPERTIESLENGTH %d", propsLen)
	}
	if propsLen != len(raw)-pos {
		return Record{}, corrupt(ErrSizeMismatch, "TOTALSIZE %d, fields add up to %d", total, pos+propsLen)
	}
	r.Properties = raw[pos:]
	if bornPort < 0 || bornPort > maxPort || storePort < 0 || storePort > maxPort {
		return Record{}, corrupt(ErrBadPort, "born port %d, store port %d", bornPort, storePort)
	}
	if checkCRC {
		if got := BodyCRC(r.Body); got != r.BodyCRC {
			return Record{}, corrupt(ErrCRCMismatch, "stored %d, computed %d", r.BodyCRC, got)
		}
	}
	return r, nil
}

// readHost decodes a 4+4 or 16+4 byte host field. The port is returned as
// read so that the caller can check its range after the record's size; a port
// outside uint16 leaves the AddrPort's port meaningless.
func readHost(b []byte) (netip.AddrPort, int32) {
	n := len(b) - 4
	port := int32(binary.BigEndian.Uint32(b[n:]))
	var a netip.Addr
	if n == 4 {
		a = netip.AddrFrom4([4]byte(b[:4]))
	} else {
		a = netip.AddrFrom16([16]byte(b[:16]))
	}
	return netip.AddrPortFrom(a, uint16(port)), port
}
