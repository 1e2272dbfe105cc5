package cmdutil

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/magiconair/properties"
)

// ErrSyntax reports a properties document that cannot be parsed.
var ErrSyntax = errors.New("properties syntax")

// Property is one key and its value, as written in a properties file
// (after unescaping).
type Property struct {
	Key   string
	Value string
}

// ParseProperties parses a Java properties document (see the package doc)
// and returns its properties in the order their keys first appear.
func ParseProperties(data []byte) ([]Property, error) {
	l := properties.Loader{Encoding: properties.UTF8, DisableExpansion: true}
	p, err := l.LoadBytes(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	keys := p.Keys()
	out := make([]Property, 0, len(keys))
	for _, k := range keys {
		v, _ := p.Get(k)
		out = append(out, Property{Key: k, Value: v})
	}
	return out, nil
}

// WriteProperties writes m as "key=value" lines sorted by key, escaped so
// that ParseProperties reads back exactly m.
func WriteProperties(w io.Writer, m map[string]string) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(escapeProperty(k, true))
		b.WriteByte('=')
		b.WriteString(escapeProperty(m[k], false))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// escapeProperty escapes s for a key (where separators and every space
// matter) or a value (where only leading white space would be lost).
func escapeProperty(s string, key bool) string {
	var b strings.Builder
	for i, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\f':
			b.WriteString(`\f`)
		case ' ':
			if key || i == 0 {
				b.WriteString(`\ `)
			} else {
				b.WriteByte(' ')
			}
		case '=', ':', '#', '!':
			if key || i == 0 {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
