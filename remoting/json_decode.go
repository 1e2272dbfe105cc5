package remoting

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxJSONDepth bounds the nesting of a JSON header. A RocketMQ header nests
// two levels (the header object and extFields); 32 leaves room for members a
// newer peer may add, which are skipped, while bounding the recursion that
// skips them. Deeper input is refused as soon as the bound is crossed.
const MaxJSONDepth = 32

// jsonDecoder reads one JSON header. src is the header as one string: a
// string value without escapes is returned as a substring of it, so a
// typical header costs one string allocation and the extFields map.
type jsonDecoder struct {
	src string
	pos int
}

// decodeJSONHeader decodes a JSON header into c (see the package
// documentation for what it accepts).
func decodeJSONHeader(c *Command, header []byte) error {
	d := jsonDecoder{src: string(header)}
	return d.command(c)
}

// errorf returns an ErrBadHeader error that says where it happened.
func (d *jsonDecoder) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: JSON header, byte %d: %s", ErrBadHeader, d.pos, fmt.Sprintf(format, args...))
}

// command decodes the top-level object.
func (d *jsonDecoder) command(c *Command) error {
	d.skipSpace()
	if d.pos == len(d.src) {
		return d.errorf("empty header")
	}
	if d.src[d.pos] != '{' {
		return d.errorf("want an object, found %s", d.kind())
	}
	d.pos++
	d.skipSpace()
	if d.peek() == '}' {
		d.pos++
		return d.end()
	}
	for {
		d.skipSpace()
		if d.peek() != '"' {
			return d.errorf("want a member name, found %s", d.kind())
		}
		key, err := d.str()
		if err != nil {
			return err
		}
		if err := d.colon(); err != nil {
			return err
		}
		switch key {
		case "code":
			c.Code, err = d.int32Value(key)
		case "language":
			c.Language, err = d.language()
		case "version":
			c.Version, err = d.int32Value(key)
		case "opaque":
			c.Opaque, err = d.int32Value(key)
		case "flag":
			c.Flag, err = d.int32Value(key)
		case "remark":
			c.Remark, err = d.text(key)
		case "extFields":
			c.ExtFields, err = d.extFields()
		default:
			err = d.skip(2)
		}
		if err != nil {
			return err
		}
		d.skipSpace()
		switch d.peek() {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return d.end()
		default:
			return d.errorf("want ',' or '}' after member %q, found %s", key, d.kind())
		}
	}
}

// end refuses anything but white space after the top-level object.
func (d *jsonDecoder) end() error {
	d.skipSpace()
	if d.pos != len(d.src) {
		return d.errorf("%d bytes after the header object", len(d.src)-d.pos)
	}
	return nil
}

// colon consumes the ':' after a member name and the space around it.
func (d *jsonDecoder) colon() error {
	d.skipSpace()
	if d.peek() != ':' {
		return d.errorf("want ':', found %s", d.kind())
	}
	d.pos++
	d.skipSpace()
	return nil
}

// int32Value reads an integer member: a JSON integer, a string holding a
// decimal integer, or null (zero).
func (d *jsonDecoder) int32Value(field string) (int32, error) {
	switch c := d.peek(); {
	case c == '"':
		at := d.pos
		s, err := d.str()
		if err != nil {
			return 0, err
		}
		v, perr := strconv.ParseInt(s, 10, 32)
		if perr != nil {
			d.pos = at
			return 0, d.errorf("%s: string %q is not an int32", field, s)
		}
		return int32(v), nil
	case c == '-' || isDigit(c):
		at := d.pos
		lit, err := d.number()
		if err != nil {
			return 0, err
		}
		v, perr := strconv.ParseInt(lit, 10, 32)
		if perr != nil {
			d.pos = at
			return 0, d.errorf("%s: %s is not an int32", field, lit)
		}
		return int32(v), nil
	case c == 'n':
		return 0, d.literal("null")
	default:
		return 0, d.errorf("%s: want an integer, found %s", field, d.kind())
	}
}

// language reads the language member: a name, an integer language code, or
// null.
func (d *jsonDecoder) language() (string, error) {
	switch c := d.peek(); {
	case c == '"':
		return d.str()
	case c == '-' || isDigit(c):
		at := d.pos
		lit, err := d.number()
		if err != nil {
			return "", err
		}
		code, perr := strconv.ParseUint(lit, 10, 8)
		name, ok := LanguageName(byte(code))
		if perr != nil || !ok {
			d.pos = at
			return "", d.errorf("language: %s is not a language code", lit)
		}
		return name, nil
	case c == 'n':
		return "", d.literal("null")
	default:
		return "", d.errorf("language: want a string, found %s", d.kind())
	}
}

// text reads a string-valued member that may also be a number or boolean
// (taken as its text) or null (empty).
func (d *jsonDecoder) text(field string) (string, error) {
	if d.peek() == 'n' {
		return "", d.literal("null")
	}
	return d.scalar(field, "")
}

// scalar reads a string, or a number or boolean as its literal text.
// Objects, arrays and null are refused, naming field, or extFields[extKey]
// when field is empty.
func (d *jsonDecoder) scalar(field, extKey string) (string, error) {
	switch c := d.peek(); {
	case c == '"':
		return d.str()
	case c == '-' || isDigit(c):
		return d.number()
	case c == 't':
		return "true", d.literal("true")
	case c == 'f':
		return "false", d.literal("false")
	default:
		if field == "" {
			return "", d.errorf("extFields[%q] is %s, want a string", extKey, d.kind())
		}
		return "", d.errorf("%s is %s, want a string", field, d.kind())
	}
}

// extFields reads the custom header object, or null. Values must be
// scalars; the map is nil when the object is empty.
func (d *jsonDecoder) extFields() (map[string]string, error) {
	switch d.peek() {
	case 'n':
		return nil, d.literal("null")
	case '{':
	default:
		return nil, d.errorf("extFields: want an object, found %s", d.kind())
	}
	// A first pass validates the object and sizes the map.
	start := d.pos
	members, err := d.skipObject(2)
	if err != nil {
		return nil, err
	}
	d.pos = start + 1
	if members == 0 {
		d.skipSpace()
		d.pos++ // the '}' that skipObject saw
		return nil, nil
	}
	m := make(map[string]string, members)
	for {
		d.skipSpace()
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		if err := d.colon(); err != nil {
			return nil, err
		}
		v, err := d.scalar("", k)
		if err != nil {
			return nil, err
		}
		m[k] = v
		d.skipSpace()
		if d.peek() == '}' {
			d.pos++
			return m, nil
		}
		d.pos++ // the ',' that skipObject saw
	}
}

// skip skips one value of any kind. depth is the nesting level a container
// value would open.
func (d *jsonDecoder) skip(depth int) error {
	switch c := d.peek(); {
	case c == '"':
		return d.skipString()
	case c == '-' || isDigit(c):
		_, err := d.number()
		return err
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '{':
		_, err := d.skipObject(depth)
		return err
	case c == '[':
		return d.skipArray(depth)
	default:
		return d.errorf("want a value, found %s", d.kind())
	}
}

// skipObject skips an object at nesting level depth and counts its members.
func (d *jsonDecoder) skipObject(depth int) (int, error) {
	if depth > MaxJSONDepth {
		return 0, d.errorf("nested deeper than %d levels", MaxJSONDepth)
	}
	d.pos++ // '{'
	d.skipSpace()
	if d.peek() == '}' {
		d.pos++
		return 0, nil
	}
	for members := 1; ; members++ {
		d.skipSpace()
		if d.peek() != '"' {
			return 0, d.errorf("want a member name, found %s", d.kind())
		}
		if err := d.skipString(); err != nil {
			return 0, err
		}
		if err := d.colon(); err != nil {
			return 0, err
		}
		if err := d.skip(depth + 1); err != nil {
			return 0, err
		}
		d.skipSpace()
		switch d.peek() {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return members, nil
		default:
			return 0, d.errorf("want ',' or '}' in an object, found %s", d.kind())
		}
	}
}

// skipArray skips an array at nesting level depth.
func (d *jsonDecoder) skipArray(depth int) error {
	if depth > MaxJSONDepth {
		return d.errorf("nested deeper than %d levels", MaxJSONDepth)
	}
	d.pos++ // '['
	d.skipSpace()
	if d.peek() == ']' {
		d.pos++
		return nil
	}
	for {
		d.skipSpace()
		if err := d.skip(depth + 1); err != nil {
			return err
		}
		d.skipSpace()
		switch d.peek() {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return nil
		default:
			return d.errorf("want ',' or ']' in an array, found %s", d.kind())
		}
	}
}

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

// str consumes a string and returns its value. A string without escapes
// that is valid UTF-8 is a substring of the source.
func (d *jsonDecoder) str() (string, error) {
	s := d.src
	start := d.pos + 1
	ascii := true
	for i := start; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			v := s[start:i]
			if !ascii && !utf8.ValidString(v) {
				return d.strSlow(start)
			}
			d.pos = i + 1
			return v, nil
		case c == '\\':
			return d.strSlow(start)
		case c < 0x20:
			d.pos = i
			return "", d.errorf("control character 0x%02x in a string", c)
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", d.errorf("unterminated string")
}

// strSlow decodes a string with escapes or invalid UTF-8 (which becomes
// U+FFFD), starting after its opening quote.
func (d *jsonDecoder) strSlow(start int) (string, error) {
	s := d.src
	buf := make([]byte, 0, len(s)-start)
	for i := start; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return string(buf), nil
		case c == '\\':
			if i+1 >= len(s) {
				d.pos = i
				return "", d.errorf("unterminated string")
			}
			switch e := s[i+1]; e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
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
				buf = utf8.AppendRune(buf, r)
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
			buf = append(buf, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				buf = utf8.AppendRune(buf, utf8.RuneError)
			} else {
				buf = append(buf, s[i:i+size]...)
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
		case c < 0x20:
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
	for d.pos < len(d.src) {
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
