package commitlog

import (
	"errors"
	"hash/crc32"
)

// The property CRC (RocketMQ 5 enabledAppendPropCRC / forceVerifyPropCRC,
// spec/store.md §2.5): the last 20 bytes of a record's properties are
//
//	"__CRC32#" 0x01 d0 d1 ... d9 0x02
//
// where d0..d9 are the decimal digits of the masked CRC-32 (IEEE) of every
// byte of the record before these 20, least significant digit first,
// zero-padded on the right. Unlike BODYCRC it covers the header, the topic
// and the properties, so a record torn anywhere fails it.
const (
	// PropertyCRC32 is the name of the property CRC.
	PropertyCRC32 = "__CRC32#"
	// PropCRCReservedBytes is the size of the property CRC at the end of the
	// properties.
	PropCRCReservedBytes = len(PropertyCRC32) + 1 + propCRCDigits + 1
	propCRCDigits        = 10
)

// ErrPropCRC is the reason (wrapped in ErrCorrupt) for a record whose
// property CRC is missing or does not match.
var ErrPropCRC = errors.New("property crc mismatch")

// propCRCExtraBytes is how much the property CRC adds to properties: the
// reserved 20 bytes, plus a separator when the producer's properties do not
// end with one.
func propCRCExtraBytes(props []byte) int {
	if len(props) > 0 && props[len(props)-1] != PropertySeparator {
		return PropCRCReservedBytes + 1
	}
	return PropCRCReservedBytes
}

// appendPropCRCPlaceholder appends the property CRC with zero digits to
// props (in dst); putPropCRC fills the digits once the record is encoded.
func appendPropCRCPlaceholder(dst, props []byte) []byte {
	dst = append(dst, props...)
	if len(props) > 0 && props[len(props)-1] != PropertySeparator {
		dst = append(dst, PropertySeparator)
	}
	dst = append(dst, PropertyCRC32...)
	dst = append(dst, NameValueSeparator)
	dst = append(dst, "0000000000"...)
	return append(dst, PropertySeparator)
}

// putPropCRC computes the property CRC of the encoded record and writes its
// digits into the placeholder at the record's end.
func putPropCRC(record []byte) {
	crc := crc32.ChecksumIEEE(record[:len(record)-PropCRCReservedBytes]) & bodyCRCMask
	digits := record[len(record)-1-propCRCDigits : len(record)-1]
	for i := range digits {
		digits[i] = byte('0' + crc%10)
		crc /= 10
	}
}

// VerifyPropCRC checks the property CRC of a whole record (Record.Raw): it
// must end the record and match. A record without it fails, as RocketMQ's
// forceVerifyPropCRC does.
func VerifyPropCRC(raw []byte) error {
	n := len(raw)
	if n < PropCRCReservedBytes {
		return corrupt(ErrPropCRC, "record of %d bytes cannot hold a property crc", n)
	}
	tail := raw[n-PropCRCReservedBytes:]
	if string(tail[:len(PropertyCRC32)]) != PropertyCRC32 || tail[len(PropertyCRC32)] != NameValueSeparator ||
		tail[len(tail)-1] != PropertySeparator {
		return corrupt(ErrPropCRC, "no property crc at the end of the record")
	}
	var want uint64
	digits := tail[len(PropertyCRC32)+1 : len(tail)-1]
	for i := len(digits) - 1; i >= 0; i-- {
		d := digits[i]
		if d < '0' || d > '9' {
			return corrupt(ErrPropCRC, "property crc digit %q", d)
		}
		want = want*10 + uint64(d-'0')
	}
	got := uint64(crc32.ChecksumIEEE(raw[:n-PropCRCReservedBytes]) & bodyCRCMask)
	if got != want {
		return corrupt(ErrPropCRC, "stored %d, computed %d", want, got)
	}
	return nil
}
