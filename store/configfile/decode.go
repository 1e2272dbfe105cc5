package configfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// maxQuotedInError bounds how much of a key or value an error message
// quotes: enough to recognise it, never megabytes.
const maxQuotedInError = 64

// schemaError is a type or range error at a path inside a document, such as
// topicConfigTable["TopicA"].perm. The path is built from the inside out as
// the error travels up.
type schemaError struct {
	path string
	msg  string
}

func (e *schemaError) Error() string {
	if e.path == "" {
		return ErrSchema.Error() + ": " + e.msg
	}
	return ErrSchema.Error() + ": " + e.path + ": " + e.msg
}

func (e *schemaError) Unwrap() error { return ErrSchema }

func schemaf(format string, args ...any) error {
	return &schemaError{msg: fmt.Sprintf(format, args...)}
}

// atField prefixes the path of a schema error with a field name.
func atField(err error, name string) error {
	var se *schemaError
	if errors.As(err, &se) {
		if se.path == "" || se.path[0] == '[' {
			se.path = name + se.path
		} else {
			se.path = name + "." + se.path
		}
	}
	return err
}

// atKey prefixes the path of a schema error with a map key.
func atKey(err error, key string) error {
	var se *schemaError
	if errors.As(err, &se) {
		elem := "[" + strconv.Quote(clip(key)) + "]"
		if se.path == "" || se.path[0] == '[' {
			se.path = elem + se.path
		} else {
			se.path = elem + "." + se.path
		}
	}
	return err
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) <= maxQuotedInError {
		return s
	}
	return s[:maxQuotedInError] + "..."
}

// valueError turns an encoding/json decoding error into a schema error.
func valueError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return schemaf("cannot use %s as %s", clip(typeErr.Value), typeErr.Type)
	}
	return schemaf("%s", clip(err.Error()))
}

// kindOf names the JSON kind of a raw value for error messages.
func kindOf(raw json.RawMessage) string {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

func isNull(raw json.RawMessage) bool { return kindOf(raw) == "null" }

// decodeInto decodes a scalar value into dst. A null leaves dst unchanged,
// so a field written as null keeps its default.
func decodeInto(raw json.RawMessage, dst any) error {
	if err := json.Unmarshal(raw, dst); err != nil {
		return valueError(err)
	}
	return nil
}

// decodeObject splits an object into its raw fields. null yields nil.
func decodeObject(raw json.RawMessage) (map[string]json.RawMessage, error) {
	if isNull(raw) {
		return nil, nil
	}
	if k := kindOf(raw); k != "object" {
		return nil, schemaf("want an object, got %s", k)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, valueError(err)
	}
	return fields, nil
}

// decodeEntry is decodeObject for a map entry, which Java cannot hold as
// null.
func decodeEntry(raw json.RawMessage) (map[string]json.RawMessage, error) {
	if isNull(raw) {
		return nil, schemaf("want an object, got null")
	}
	return decodeObject(raw)
}

// sortedNames returns the field names of an object in a fixed order, so that
// the first error reported does not depend on map iteration.
func sortedNames(fields map[string]json.RawMessage) []string {
	return slices.Sorted(maps.Keys(fields))
}

// decodeMap decodes an object of scalars into a map that is never nil. A null
// map reads as empty (Java leaves the field unset); a null value is an error
// (Java's concurrent maps cannot hold null). Integer key types accept the
// decimal keys that quoteBareKeys produced.
func decodeMap[K comparable, V any](raw json.RawMessage) (map[K]V, error) {
	if isNull(raw) {
		return map[K]V{}, nil
	}
	if k := kindOf(raw); k != "object" {
		return nil, schemaf("want an object, got %s", k)
	}
	var ptrs map[K]*V
	if err := json.Unmarshal(raw, &ptrs); err != nil {
		return nil, valueError(err)
	}
	out := make(map[K]V, len(ptrs))
	var nullKeys []string
	for k, p := range ptrs {
		if p == nil {
			nullKeys = append(nullKeys, fmt.Sprint(k))
			continue
		}
		out[k] = *p
	}
	if len(nullKeys) > 0 {
		return nil, atKey(schemaf("want a value, got null"), slices.Min(nullKeys))
	}
	return out, nil
}

// compactRaw returns a compacted copy of a raw value for Extra.
func compactRaw(raw json.RawMessage) (json.RawMessage, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, schemaf("%s", clip(err.Error()))
	}
	return json.RawMessage(buf.Bytes()), nil
}

// decodeTable decodes the object at fields[field], if present, entry by
// entry with decode, into dst; errors name the field and the entry.
func decodeTable[T any](fields map[string]json.RawMessage, field string, dst map[string]T, decode func(json.RawMessage) (T, error)) error {
	raw, ok := fields[field]
	if !ok {
		return nil
	}
	entries, err := decodeObject(raw)
	if err != nil {
		return atField(err, field)
	}
	for _, name := range sortedNames(entries) {
		v, err := decode(entries[name])
		if err != nil {
			return atField(atKey(err, name), field)
		}
		dst[name] = v
	}
	return nil
}
