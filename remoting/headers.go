package remoting

import (
	"fmt"
	"strconv"
	"strings"
)

// Typed custom headers. Each request or response header has a struct whose
// field names follow RocketMQ's Java class, a ToExtFields method that writes
// it into a Command's extFields under the Java field names, and a Decode
// function that reads it back. Decoding follows RocketMQ's rules for the
// custom header: a field the Java class marks @CFNotNull must be present (an
// empty string counts as present), numbers are decimal, booleans are "true"
// or "false" in any letter case. Unlike Java, which logs a number it cannot
// parse and leaves the field at its default, a bad value is an error. Every
// error wraps ErrInvalidParameter, names the header and the field, and can
// be sent back as an INVALID_PARAMETER response.

// extReader reads fields of one custom header from extFields and keeps the
// first error.
type extReader struct {
	ext    map[string]string
	header string // the header's name, for errors
	err    error
}

// fail records the first error.
func (r *extReader) fail(key, format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s: field %q: %s", ErrInvalidParameter, r.header, key, fmt.Sprintf(format, args...))
	}
}

// str returns a required string field.
func (r *extReader) str(key string) string {
	v, ok := r.ext[key]
	if !ok {
		r.fail(key, "missing")
	}
	return v
}

// optStr returns an optional string field, "" when absent.
func (r *extReader) optStr(key string) string {
	return r.ext[key]
}

// int64Field parses an int64 field; an absent optional field is 0.
func (r *extReader) int64Field(key string, required bool) int64 {
	v, ok := r.ext[key]
	if !ok {
		if required {
			r.fail(key, "missing")
		}
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		r.fail(key, "%q is not an int64", v)
	}
	return n
}

// int32Field parses an int32 field; an absent optional field is 0.
func (r *extReader) int32Field(key string, required bool) int32 {
	v, ok := r.ext[key]
	if !ok {
		if required {
			r.fail(key, "missing")
		}
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		r.fail(key, "%q is not an int32", v)
	}
	return int32(n)
}

// boolField parses an optional boolean field; absent is false.
func (r *extReader) boolField(key string) bool {
	v, ok := r.ext[key]
	if !ok {
		return false
	}
	switch {
	case strings.EqualFold(v, "true"):
		return true
	case strings.EqualFold(v, "false"):
		return false
	}
	r.fail(key, "%q is not a boolean", v)
	return false
}

// formatInt spells an integer field.
func formatInt[T int32 | int64](v T) string { return strconv.FormatInt(int64(v), 10) }

// formatBool spells a boolean field as Java's Boolean.toString does.
func formatBool(v bool) string { return strconv.FormatBool(v) }
