package indexfile

import (
	"math"
	"unicode/utf8"

	"github.com/apogeemq/apogee/internal/javahash"
)

// keySeparator joins topic and key into the indexed string "topic#key".
const keySeparator = '#'

// javaHashMultiplier is the factor of Java's String.hashCode recurrence.
const javaHashMultiplier = 31

// HashOf returns the keyHash RocketMQ stores for the full index key s
// ("topic#key"): the absolute value of Java's String.hashCode, with
// Integer.MIN_VALUE (whose absolute value overflows) mapped to 0.
func HashOf(s string) int32 {
	return absHash(javahash.String(s))
}

// KeyHash returns HashOf(topic + "#" + key) without building the string, so
// the dispatcher's hot path does not allocate.
//
// Java's hash is h = 31*h + unit over UTF-16 units, so for a string a+b with
// n units in b, hash(a+b) = hash(a)*31^n + hash(b) in 32-bit arithmetic.
func KeyHash(topic, key string) int32 {
	h := javahash.String(topic)*javaHashMultiplier + keySeparator
	h = h*pow31(utf16Len(key)) + javahash.String(key)
	return absHash(h)
}

// absHash is Java's Math.abs followed by RocketMQ's "negative means 0".
func absHash(h int32) int32 {
	if h == math.MinInt32 {
		return 0
	}
	if h < 0 {
		return -h
	}
	return h
}

// pow31 returns 31^n with 32-bit wrap-around.
func pow31(n int) int32 {
	result, base := int32(1), int32(javaHashMultiplier)
	for ; n > 0; n >>= 1 {
		if n&1 == 1 {
			result *= base
		}
		base *= base
	}
	return result
}

// utf16Len counts the UTF-16 code units Java sees for s, decoding it exactly
// as javahash does: a rune outside the Basic Multilingual Plane is two units,
// every other rune (including U+FFFD for each invalid byte) is one.
func utf16Len(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r >= 0x10000 {
			n += 2
			continue
		}
		n++
	}
	return n
}
