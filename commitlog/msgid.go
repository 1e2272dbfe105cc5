package commitlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Offset message id sizes: address + port (int32) + PHYSICALOFFSET (int64).
const (
	offsetMsgIDBytesV4 = 4 + 4 + 8
	offsetMsgIDBytesV6 = 16 + 4 + 8
	// OffsetMsgIDLenV4 is the length of an offset msgId for an IPv4 store host.
	OffsetMsgIDLenV4 = 2 * offsetMsgIDBytesV4
	// OffsetMsgIDLenV6 is the length of an offset msgId for an IPv6 store host.
	OffsetMsgIDLenV6 = 2 * offsetMsgIDBytesV6
)

// ErrBadOffsetMsgID says a string is not an offset message id.
var ErrBadOffsetMsgID = errors.New("commitlog: bad offset message id")

const upperHex = "0123456789ABCDEF"

// FormatOffsetMsgID returns the offset message id of the record at physOffset
// stored by storeHost: uppercase hex, 32 characters for an IPv4 host and 56
// otherwise (an unset address formats as 16 zero bytes).
func FormatOffsetMsgID(storeHost netip.AddrPort, physOffset int64) string {
	var raw [offsetMsgIDBytesV6]byte
	n := putHost(raw[:], storeHost)
	binary.BigEndian.PutUint64(raw[n:], uint64(physOffset))
	n += 8
	var text [OffsetMsgIDLenV6]byte
	for i, c := range raw[:n] {
		text[2*i] = upperHex[c>>4]
		text[2*i+1] = upperHex[c&0xF]
	}
	return string(text[:2*n])
}

// hexNibble decodes one hex digit of either case.
func hexNibble(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// ParseOffsetMsgID decodes an offset message id (either case of hex) into the
// store host and the physical offset. It fails with ErrBadOffsetMsgID unless s
// has 32 or 56 hex digits, a port in [0, 65535] and a non-negative offset.
func ParseOffsetMsgID(s string) (netip.AddrPort, int64, error) {
	if len(s) != OffsetMsgIDLenV4 && len(s) != OffsetMsgIDLenV6 {
		return netip.AddrPort{}, 0, fmt.Errorf("%w: %d characters, want %d or %d",
			ErrBadOffsetMsgID, len(s), OffsetMsgIDLenV4, OffsetMsgIDLenV6)
	}
	var raw [offsetMsgIDBytesV6]byte
	n := len(s) / 2
	for i := 0; i < n; i++ {
		hi, ok1 := hexNibble(s[2*i])
		lo, ok2 := hexNibble(s[2*i+1])
		if !ok1 || !ok2 {
			return netip.AddrPort{}, 0, fmt.Errorf("%w: %q is not hex", ErrBadOffsetMsgID, s[2*i:2*i+2])
		}
		raw[i] = hi<<4 | lo
	}
	addrBytes := n - 12
	port := int32(binary.BigEndian.Uint32(raw[addrBytes:]))
	if port < 0 || port > maxPort {
		return netip.AddrPort{}, 0, fmt.Errorf("%w: port %d", ErrBadOffsetMsgID, port)
	}
	physOffset := int64(binary.BigEndian.Uint64(raw[addrBytes+4:]))
	if physOffset < 0 {
		return netip.AddrPort{}, 0, fmt.Errorf("%w: negative offset %d", ErrBadOffsetMsgID, physOffset)
	}
	var a netip.Addr
	if addrBytes == 4 {
		a = netip.AddrFrom4([4]byte(raw[:4]))
	} else {
		a = netip.AddrFrom16([16]byte(raw[:16]))
	}
	return netip.AddrPortFrom(a, uint16(port)), physOffset, nil
}
