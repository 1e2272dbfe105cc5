package remoting

import (
	"fmt"
	"strconv"
	"strings"
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
// documentation for what it accepts). c refers to no byte of header: the
// transport decodes headers in place, from a buffer it reuses.
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
		key, err := d.memberName()
		if err != nil {
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

// memberName reads a member name of the header object, from its opening
// quote to the colon after it. A name the decoder knows, written plainly
// and followed at once by the colon (as every client writes it), is matched
// in place; any other name, or a known one spelled with escapes or
// followed by white space, goes through str.
func (d *jsonDecoder) memberName() (string, error) {
	if rest := d.src[d.pos:]; len(rest) > 1 {
		var quoted string // the name as written, quotes and colon included
		switch rest[1] {
		case 'c':
			quoted = `"code":`
		case 'l':
			quoted = `"language":`
		case 'v':
			quoted = `"version":`
		case 'o':
			quoted = `"opaque":`
		case 'f':
			quoted = `"flag":`
		case 'r':
			quoted = `"remark":`
		case 'e':
			quoted = `"extFields":`
		}
		if quoted != "" && strings.HasPrefix(rest, quoted) {
			d.pos += len(quoted)
			d.skipSpace()
			return quoted[1 : len(quoted)-2], nil
		}
	}
	key, err := d.str()
	if err != nil {
		return "", err
	}
	if err := d.colon(); err != nil {
		return "", err
	}
	return key, nil
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
		v, ok := parseInt32(s)
		if !ok {
			d.pos = at
			return 0, d.errorf("%s: string %q is not an int32", field, s)
		}
		return v, nil
	case c == '-' || isDigit(c):
		at := d.pos
		lit, err := d.number()
		if err != nil {
			return 0, err
		}
		v, ok := parseInt32(lit)
		if !ok {
			d.pos = at
			return 0, d.errorf("%s: %s is not an int32", field, lit)
		}
		return v, nil
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

// extFieldsOnStack is the number of extFields members collected on the
// stack before the map is made, so that the map is made once, at its final
// size, without counting anything ahead. RocketMQ's largest common custom
// headers (SEND_MESSAGE, PULL_MESSAGE) have 14 and 13 fields; a header with
// more moves to a map that grows as members come.
const extFieldsOnStack = 16

// extField is one extFields member, held until the map is made.
type extField struct{ key, value string }

// extFields reads the custom header object, or null. Values must be
// scalars, so nothing nests inside it; the map is nil when the object is
// empty. When a key repeats, the last value wins.
func (d *jsonDecoder) extFields() (map[string]string, error) {
	switch d.peek() {
	case 'n':
		return nil, d.literal("null")
	case '{':
	default:
		return nil, d.errorf("extFields: want an object, found %s", d.kind())
	}
	d.pos++
	d.skipSpace()
	if d.peek() == '}' {
		d.pos++
		return nil, nil
	}
	var held [extFieldsOnStack]extField
	n := 0
	var m map[string]string // made once held is full
	for {
		d.skipSpace()
		if d.peek() != '"' {
			return nil, d.errorf("extFields: want a member name, found %s", d.kind())
		}
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
		switch {
		case m != nil:
			m[k] = v
		case n < len(held):
			held[n] = extField{k, v}
			n++
		default:
			m = make(map[string]string, 2*len(held))
			for _, f := range held {
				m[f.key] = f.value
			}
			m[k] = v
		}
		d.skipSpace()
		switch d.peek() {
		case ',':
			d.pos++
		case '}':
			d.pos++
			if m == nil {
				m = make(map[string]string, n)
				for _, f := range held[:n] {
					m[f.key] = f.value
				}
			}
			return m, nil
		default:
			return nil, d.errorf("want ',' or '}' in extFields, found %s", d.kind())
		}
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
		return d.skipObject(depth)
	case c == '[':
		return d.skipArray(depth)
	default:
		return d.errorf("want a value, found %s", d.kind())
	}
}

// skipObject skips an object at nesting level depth.
func (d *jsonDecoder) skipObject(depth int) error {
	if depth > MaxJSONDepth {
		return d.errorf("nested deeper than %d levels", MaxJSONDepth)
	}
	d.pos++ // '{'
	d.skipSpace()
	if d.peek() == '}' {
		d.pos++
		return nil
	}
	for {
		d.skipSpace()
		if d.peek() != '"' {
			return d.errorf("want a member name, found %s", d.kind())
		}
		if err := d.skipString(); err != nil {
			return err
		}
		if err := d.colon(); err != nil {
			return err
		}
		if err := d.skip(depth + 1); err != nil {
			return err
		}
		d.skipSpace()
		switch d.peek() {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return nil
		default:
			return d.errorf("want ',' or '}' in an object, found %s", d.kind())
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
