package remoting

import (
	"encoding/binary"
	"fmt"
	"math"
)

// ROCKETMQ binary header layout (see the package documentation).
const (
	binCodeOff      = 0
	binLanguageOff  = 2
	binVersionOff   = 3
	binOpaqueOff    = 5
	binFlagOff      = 9
	binRemarkLenOff = 13
	// binFixedBytes is the header without remark and ext bytes: code 2,
	// language 1, version 2, opaque 4, flag 4, remarkLen 4, extLen 4.
	binFixedBytes = 21
	// binKeyLenBytes and binValLenBytes size an ext entry's length fields.
	binKeyLenBytes = 2
	binValLenBytes = 4
	// binStringLenBytes sizes the remarkLen and extLen fields.
	binStringLenBytes = 4
)

// decodeBinaryHeader decodes a ROCKETMQ binary header into c. Every length is
// checked against the bytes that remain; nothing in h can make it panic. The
// remark, keys and values are substrings of one string copy of the variable
// part, so a header costs one string allocation and the map.
func decodeBinaryHeader(c *Command, h []byte) error {
	if len(h) < binFixedBytes {
		return fmt.Errorf("%w: ROCKETMQ header of %d bytes, the fixed part alone is %d", ErrBadHeader, len(h), binFixedBytes)
	}
	be := binary.BigEndian
	c.Code = int32(int16(be.Uint16(h[binCodeOff:])))
	if name, ok := LanguageName(h[binLanguageOff]); ok {
		c.Language = name
	} else {
		c.Language = languageNames[languageOther]
	}
	c.Version = int32(int16(be.Uint16(h[binVersionOff:])))
	c.Opaque = int32(be.Uint32(h[binOpaqueOff:]))
	c.Flag = int32(be.Uint32(h[binFlagOff:]))

	remarkLen := int32(be.Uint32(h[binRemarkLenOff:]))
	remarkOff := binRemarkLenOff + binStringLenBytes
	// The fixed part guarantees the extLen field after an empty remark.
	if remarkLen < 0 || int64(remarkLen) > int64(len(h)-binFixedBytes) {
		return fmt.Errorf("%w: ROCKETMQ header: remark length %d at byte %d, %d bytes available", ErrBadHeader, remarkLen, binRemarkLenOff, len(h)-binFixedBytes)
	}
	extLenOff := remarkOff + int(remarkLen)
	extLen := int32(be.Uint32(h[extLenOff:]))
	extOff := extLenOff + binStringLenBytes
	if extLen < 0 || int64(extLen) > int64(len(h)-extOff) {
		return fmt.Errorf("%w: ROCKETMQ header: extFields length %d at byte %d, %d bytes available", ErrBadHeader, extLen, extLenOff, len(h)-extOff)
	}
	if extOff+int(extLen) != len(h) {
		return fmt.Errorf("%w: ROCKETMQ header: %d bytes left over after extFields", ErrBadHeader, len(h)-extOff-int(extLen))
	}
	entries, err := countBinaryExt(h[extOff:], extOff)
	if err != nil {
		return err
	}
	// One copy of everything after the fixed fields; the strings below are
	// slices of it.
	text := string(h[remarkOff:])
	c.Remark = text[:remarkLen]
	c.ExtFields = nil
	if entries == 0 {
		return nil
	}
	c.ExtFields = make(map[string]string, entries)
	p := extOff - remarkOff
	for p < len(text) {
		keyLen := int(int16(be.Uint16(h[remarkOff+p:])))
		p += binKeyLenBytes
		key := text[p : p+keyLen]
		p += keyLen
		valLen := int(int32(be.Uint32(h[remarkOff+p:])))
		p += binValLenBytes
		c.ExtFields[key] = text[p : p+valLen]
		p += valLen
	}
	return nil
}

// countBinaryExt validates the ext entries in ext and counts them. base is
// ext's offset in the header, for error messages.
func countBinaryExt(ext []byte, base int) (int, error) {
	be := binary.BigEndian
	entries := 0
	for p := 0; p < len(ext); entries++ {
		if len(ext)-p < binKeyLenBytes {
			return 0, fmt.Errorf("%w: ROCKETMQ header: extFields entry %d at byte %d: truncated key length", ErrBadHeader, entries, base+p)
		}
		keyLen := int(int16(be.Uint16(ext[p:])))
		if keyLen < 0 || keyLen > len(ext)-p-binKeyLenBytes {
			return 0, fmt.Errorf("%w: ROCKETMQ header: extFields entry %d at byte %d: key length %d, %d bytes available", ErrBadHeader, entries, base+p, keyLen, len(ext)-p-binKeyLenBytes)
		}
		p += binKeyLenBytes + keyLen
		if len(ext)-p < binValLenBytes {
			return 0, fmt.Errorf("%w: ROCKETMQ header: extFields entry %d at byte %d: truncated value length", ErrBadHeader, entries, base+p)
		}
		valLen := int64(int32(be.Uint32(ext[p:])))
		if valLen < 0 || valLen > int64(len(ext)-p-binValLenBytes) {
			return 0, fmt.Errorf("%w: ROCKETMQ header: extFields entry %d at byte %d: value length %d, %d bytes available", ErrBadHeader, entries, base+p, valLen, len(ext)-p-binValLenBytes)
		}
		p += binValLenBytes + int(valLen)
	}
	return entries, nil
}

// appendBinaryHeader appends c's ROCKETMQ binary header to dst, ext entries
// sorted by key. It refuses a code or version outside int16, a key longer
// than an int16 length can say, and a remark or value over MaxHeaderBytes.
func appendBinaryHeader(dst []byte, c *Command) ([]byte, error) {
	if c.Code < math.MinInt16 || c.Code > math.MaxInt16 {
		return dst, fmt.Errorf("%w: code %d does not fit the ROCKETMQ header's int16", ErrUnencodable, c.Code)
	}
	if c.Version < math.MinInt16 || c.Version > math.MaxInt16 {
		return dst, fmt.Errorf("%w: version %d does not fit the ROCKETMQ header's int16", ErrUnencodable, c.Version)
	}
	if len(c.Remark) > MaxHeaderBytes {
		return dst, fmt.Errorf("%w: remark of %d bytes, header limit %d", ErrUnencodable, len(c.Remark), MaxHeaderBytes)
	}
	lang, ok := LanguageCode(c.Language)
	if !ok {
		lang = languageOther
	}
	be := binary.BigEndian
	dst = be.AppendUint16(dst, uint16(int16(c.Code)))
	dst = append(dst, lang)
	dst = be.AppendUint16(dst, uint16(int16(c.Version)))
	dst = be.AppendUint32(dst, uint32(c.Opaque))
	dst = be.AppendUint32(dst, uint32(c.Flag))
	dst = be.AppendUint32(dst, uint32(len(c.Remark)))
	dst = append(dst, c.Remark...)

	extLenAt := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	var keyBuf [sortedKeysOnStack]string
	for _, k := range sortedKeys(c.ExtFields, keyBuf[:0]) {
		v := c.ExtFields[k]
		if len(k) > math.MaxInt16 {
			return dst, fmt.Errorf("%w: extFields key of %d bytes, the ROCKETMQ header allows %d", ErrUnencodable, len(k), math.MaxInt16)
		}
		if len(v) > MaxHeaderBytes {
			return dst, fmt.Errorf("%w: extFields[%q] of %d bytes, header limit %d", ErrUnencodable, k, len(v), MaxHeaderBytes)
		}
		dst = be.AppendUint16(dst, uint16(len(k)))
		dst = append(dst, k...)
		dst = be.AppendUint32(dst, uint32(len(v)))
		dst = append(dst, v...)
	}
	extLen := len(dst) - extLenAt - binStringLenBytes
	if extLen > MaxHeaderBytes {
		return dst, fmt.Errorf("%w: extFields of %d bytes, header limit %d", ErrUnencodable, extLen, MaxHeaderBytes)
	}
	be.PutUint32(dst[extLenAt:], uint32(extLen))
	return dst, nil
}
