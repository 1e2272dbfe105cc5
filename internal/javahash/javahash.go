// Package javahash computes Java's String.hashCode, which RocketMQ uses for
// ConsumeQueue tag codes and IndexFile key hashes.
//
// Java hashes the UTF-16 code units of a string: h = 31*h + unit with 32-bit
// wrap-around, as a signed int32. A rune outside the Basic Multilingual Plane
// counts as its two surrogate units, so the UTF-8 bytes of a Go string must
// not be hashed directly.
package javahash

import "unicode/utf8"

// String returns Java's String.hashCode of s.
func String(s string) int32 {
	var h int32
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf { // ASCII fast path: one byte, one unit
			h = 31*h + int32(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r >= 0x10000 {
			r -= 0x10000
			h = 31*h + int32(0xD800+(r>>10))
			h = 31*h + int32(0xDC00+(r&0x3FF))
			continue
		}
		h = 31*h + int32(r) // includes U+FFFD for invalid UTF-8, as Java decodes it
	}
	return h
}
