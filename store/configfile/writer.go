package configfile

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// writer produces fastjson's PrettyFormat text (see the package doc). depth
// is the number of tabs that start the next entry line, as fastjson's
// indentCount.
type writer struct {
	buf   []byte
	depth int
	str   bytes.Buffer  // reused output of enc
	enc   *json.Encoder // escapes strings; HTML escaping off, as fastjson
}

func newWriter() *writer {
	w := &writer{}
	w.enc = json.NewEncoder(&w.str)
	w.enc.SetEscapeHTML(false)
	return w
}

func (w *writer) newline() {
	w.buf = append(w.buf, '\n')
	for range w.depth {
		w.buf = append(w.buf, '\t')
	}
}

// openObject starts an object or a string-keyed map.
func (w *writer) openObject() {
	w.buf = append(w.buf, '{')
	w.depth++
}

// closeObject ends what openObject started; entries is how many entries
// were written.
func (w *writer) closeObject(entries int) {
	w.depth--
	if entries > 0 {
		w.newline()
	}
	w.buf = append(w.buf, '}')
}

// key starts entry i (0-based) of an object or a string-keyed map.
func (w *writer) key(i int, name string) {
	if i > 0 {
		w.buf = append(w.buf, ',')
	}
	w.newline()
	w.string(name)
	w.buf = append(w.buf, ':')
}

func (w *writer) string(s string) {
	w.str.Reset()
	if err := w.enc.Encode(s); err != nil {
		// Encoding a Go string cannot fail: invalid UTF-8 becomes U+FFFD.
		panic("configfile: encoding a string failed: " + err.Error())
	}
	out := w.str.Bytes()
	w.buf = append(w.buf, out[:len(out)-1]...) // drop Encode's newline
}

func (w *writer) int(v int64) { w.buf = strconv.AppendInt(w.buf, v, 10) }

func (w *writer) bool(v bool) { w.buf = strconv.AppendBool(w.buf, v) }

// raw appends a value that is already compact JSON.
func (w *writer) raw(v json.RawMessage) { w.buf = append(w.buf, v...) }

// writeIntKeyMap writes an integer-keyed map of integers the way fastjson does:
// keys unquoted and in numeric order, all entries on the opening line, the
// closing brace on a line of its own.
func writeIntKeyMap[K int32, V int32 | int64](w *writer, m map[K]V) {
	w.buf = append(w.buf, '{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.int(int64(k))
		w.buf = append(w.buf, ':')
		w.int(int64(m[k]))
	}
	if len(m) > 0 {
		w.newline()
	}
	w.buf = append(w.buf, '}')
}

// writeStringMap writes a string-keyed map with keys in Java String order.
func writeStringMap[V any](w *writer, m map[string]V, value func(*writer, V) error) error {
	keys := slices.SortedFunc(maps.Keys(m), javaCompare)
	w.openObject()
	for i, k := range keys {
		w.key(i, k)
		if err := value(w, m[k]); err != nil {
			return atKey(err, k)
		}
	}
	w.closeObject(len(keys))
	return nil
}

// writeBean writes an object with the fixed fields known (sorted in Java
// String order) plus the unknown fields kept in extra, all in Java String
// order as fastjson sorts a bean's properties. known writes one known field's
// value.
func writeBean(w *writer, known []string, extra map[string]json.RawMessage, value func(w *writer, name string)) error {
	names := known
	if len(extra) > 0 {
		names = slices.Clone(known)
		for name, raw := range extra {
			if _, found := slices.BinarySearchFunc(known, name, javaCompare); found {
				return atField(schemaf("Extra repeats a known field"), name)
			}
			if err := checkExtra(raw); err != nil {
				return atField(err, name)
			}
			names = append(names, name)
		}
		slices.SortFunc(names, javaCompare)
	}
	w.openObject()
	for i, name := range names {
		w.key(i, name)
		if raw, ok := extra[name]; ok {
			var buf bytes.Buffer
			if err := json.Compact(&buf, raw); err != nil {
				return atField(schemaf("%s", clip(err.Error())), name)
			}
			w.raw(buf.Bytes())
			continue
		}
		value(w, name)
	}
	w.closeObject(len(names))
	return nil
}

// extraDepth is how deep an Extra value sits in its document (document,
// table, entry): the value may nest MaxNestingDepth-extraDepth levels so that
// the written document reads back.
const extraDepth = 3

// checkExtra validates an Extra value: strict JSON, nested shallowly enough
// to read back.
func checkExtra(raw json.RawMessage) error {
	if !json.Valid(raw) {
		return schemaf("Extra value is not valid JSON")
	}
	if d := nestingDepth(raw); d > MaxNestingDepth-extraDepth {
		return schemaf("Extra value nests %d levels, limit %d", d, MaxNestingDepth-extraDepth)
	}
	return nil
}

// nestingDepth returns the deepest nesting of objects and arrays in valid
// JSON.
func nestingDepth(raw []byte) int {
	depth, deepest := 0, 0
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '"':
			end, err := stringEnd(raw, i)
			if err != nil {
				return deepest
			}
			i = end - 1
		case '{', '[':
			depth++
			deepest = max(deepest, depth)
		case '}', ']':
			depth--
		}
	}
	return deepest
}

// javaCompare orders strings as Java's String.compareTo does, by UTF-16 code
// units, which fastjson's SortField uses for map keys and field names. It
// differs from Go's byte order only between a rune above U+FFFF and one in
// U+E000..U+FFFF. Strings that read the same but differ in invalid UTF-8
// bytes fall back to byte order, so the order stays total.
func javaCompare(a, b string) int {
	for len(a) > 0 && len(b) > 0 {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			if ua, ub := firstUnit(ra), firstUnit(rb); ua != ub {
				return cmp.Compare(ua, ub)
			}
			return cmp.Compare(ra, rb)
		}
		if a[:na] != b[:nb] {
			return strings.Compare(a, b)
		}
		a, b = a[na:], b[nb:]
	}
	return cmp.Compare(len(a), len(b))
}

// firstUnit returns the first UTF-16 code unit of r.
func firstUnit(r rune) rune {
	if r >= 0x10000 {
		return 0xD800 + (r-0x10000)>>10
	}
	return r
}

// finish checks the size bound on a written document and returns its bytes.
func finish(w *writer) ([]byte, error) {
	if len(w.buf) > MaxDocumentBytes {
		return nil, fmt.Errorf("%w: written document is %d bytes, limit %d", ErrTooLarge, len(w.buf), MaxDocumentBytes)
	}
	return w.buf, nil
}
