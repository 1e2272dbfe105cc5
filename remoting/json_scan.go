package remoting

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Lexical scanning of JSON headers: strings, numbers, literals, white space.

// literal consumes the keyword word (true, false, null).
func (d *jsonDecoder) literal(word string) error {
	if len(d.src)-d.pos < len(word) || d.src[d.pos:d.pos+len(word)] != word {
		return d.errorf("invalid literal, want %s", word)
	}
	d.pos += len(word)
	return nil
}

// number consumes a JSON number and returns its literal text.
func (d *jsonDecoder) number() (string, error) {
	s, start, i := d.src, d.pos, d.pos
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && isDigit(s[i]):
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return "", d.errorf("invalid number")
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || !isDigit(s[i]) {
			d.pos = i
			return "", d.errorf("invalid number: no digit after '.'")
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || !isDigit(s[i]) {
			d.pos = i
			return "", d.errorf("invalid number: no digit in the exponent")
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	d.pos = i
	return s[start:i], nil
}

// jsonPlain marks the bytes a string holds as they are: everything but the
// quote, the backslash and control characters. jsonPlainASCII also leaves
// out the bytes of multi-byte UTF-8 sequences, which must be validated.
var jsonPlain, jsonPlainASCII = func() (plain, ascii [256]bool) {
	for c := 0x20; c < 256; c++ {
		plain[c] = c != '"' && c != '\\'
		ascii[c] = plain[c] && c < utf8.RuneSelf
	}
	return plain, ascii
}()

// str consumes a string and returns its value. A string without escapes
// that is valid UTF-8 is a substring of the source; one of plain ASCII, the
// common case, is found in a single pass.
func (d *jsonDecoder) str() (string, error) {
	s := d.src
	start := d.pos + 1
	i := start
	for i < len(s) && jsonPlainASCII[s[i]] {
		i++
	}
	if i < len(s) && s[i] == '"' {
		d.pos = i + 1
		return s[start:i], nil
	}
	for i < len(s) && jsonPlain[s[i]] {
		i++
	}
	switch {
	case i == len(s):
		return "", d.errorf("unterminated string")
	case s[i] == '"':
		v := s[start:i]
		if !utf8.ValidString(v) {
			return d.strSlow(start)
		}
		d.pos = i + 1
		return v, nil
	case s[i] == '\\':
		return d.strSlow(start)
	default:
		d.pos = i
		return "", d.errorf("control character 0x%02x in a string", s[i])
	}
}

// strSlow decodes a string with escapes or invalid UTF-8 (which becomes
// U+FFFD), starting after its opening quote.
func (d *jsonDecoder) strSlow(start int) (string, error) {
	s := d.src
	// Find the end first, checking the escapes, to size the buffer: escapes
	// only shorten; only invalid UTF-8 (rare) makes the buffer grow.
	if err := d.skipString(); err != nil {
		return "", err
	}
	var buf strings.Builder
	buf.Grow(d.pos - 1 - start)
	for i := start; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return buf.String(), nil
		case c == '\\':
			if i+1 >= len(s) {
				d.pos = i
				return "", d.errorf("unterminated string")
			}
			switch e := s[i+1]; e {
			case '"', '\\', '/':
				buf.WriteByte(e)
			case 'b':
				buf.WriteByte('\b')
			case 'f':
				buf.WriteByte('\f')
			case 'n':
				buf.WriteByte('\n')
			case 'r':
				buf.WriteByte('\r')
			case 't':
				buf.WriteByte('\t')
			case 'u':
				r, ok := hex4(s, i+2)
				if !ok {
					d.pos = i
					return "", d.errorf(`invalid \u escape`)
				}
				i += 6
				if utf16.IsSurrogate(r) {
					r2, ok2 := rune(0), false
					if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
						r2, ok2 = hex4(s, i+2)
					}
					if dec := utf16.DecodeRune(r, r2); ok2 && dec != utf8.RuneError {
						r = dec
						i += 6
					} else {
						r = utf8.RuneError
					}
				}
				buf.WriteRune(r)
				continue
			default:
				d.pos = i
				return "", d.errorf("invalid escape \\%c", e)
			}
			i += 2
		case c < 0x20:
			d.pos = i
			return "", d.errorf("control character 0x%02x in a string", c)
		case c < utf8.RuneSelf:
			buf.WriteByte(c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				buf.WriteRune(utf8.RuneError)
			} else {
				buf.WriteString(s[i : i+size])
			}
			i += size
		}
	}
	return "", d.errorf("unterminated string")
}

// skipString consumes a string without decoding it, checking its escapes.
func (d *jsonDecoder) skipString() error {
	s := d.src
	for i := d.pos + 1; i < len(s); i++ {
		for i < len(s) && jsonPlain[s[i]] {
			i++
		}
		if i == len(s) {
			break
		}
		switch c := s[i]; {
		case c == '"':
			d.pos = i + 1
			return nil
		case c == '\\':
			if i+1 >= len(s) {
				d.pos = i
				return d.errorf("unterminated string")
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if _, ok := hex4(s, i+2); !ok {
					d.pos = i
					return d.errorf(`invalid \u escape`)
				}
				i += 5
			default:
				d.pos = i
				return d.errorf("invalid escape \\%c", s[i+1])
			}
		default:
			d.pos = i
			return d.errorf("control character 0x%02x in a string", c)
		}
	}
	return d.errorf("unterminated string")
}

// hex4 parses the four hex digits at s[i:].
func hex4(s string, i int) (rune, bool) {
	if len(s)-i < 4 {
		return 0, false
	}
	var r rune
	for j := i; j < i+4; j++ {
		c := s[j]
		var v byte
		switch {
		case isDigit(c):
			v = c - '0'
		case 'a' <= c && c <= 'f':
			v = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

// skipSpace consumes JSON white space.
func (d *jsonDecoder) skipSpace() {
	for d.pos < len(d.src) && d.src[d.pos] <= ' ' {
		switch d.src[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek returns the byte at the read position, or 0 at the end.
func (d *jsonDecoder) peek() byte {
	if d.pos < len(d.src) {
		return d.src[d.pos]
	}
	return 0
}

// kind names what is at the read position, for error messages.
func (d *jsonDecoder) kind() string {
	if d.pos >= len(d.src) {
		return "the end of the header"
	}
	switch c := d.src[d.pos]; {
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == 'n':
		return "null"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == '-' || isDigit(c):
		return "a number"
	default:
		return fmt.Sprintf("byte %q", c)
	}
}

// isDigit reports whether c is an ASCII digit.
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// parseInt32 parses a decimal int32 as strconv.ParseInt(s, 10, 32) does
// (an optional sign, then one or more digits, leading zeros allowed): ok is
// false for anything else or a value out of range. It is several times
// faster on the few digits of a header field, and a refusal allocates
// nothing.
func parseInt32(s string) (v int32, ok bool) {
	neg := false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) == 0 {
		return 0, false
	}
	const limit = 1 << 31 // the magnitude of math.MinInt32
	var mag uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) {
			return 0, false
		}
		mag = min(mag*10+uint64(c-'0'), limit+1) // saturates: no wrap-around
	}
	switch {
	case neg && mag <= limit:
		return int32(-int64(mag)), true
	case !neg && mag < limit:
		return int32(mag), true
	}
	return 0, false
}
