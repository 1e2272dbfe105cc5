package configfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

// quoteBareKeys returns data with every bare integer object key (fastjson's
// {0:250}) wrapped in double quotes, so that the result is strict JSON when
// data is valid fastjson. It tracks string literals (and their escapes) and a
// stack of open objects and arrays, so a digit inside a string or an array is
// never touched. It enforces MaxDocumentBytes and MaxNestingDepth and reports
// structural errors (unbalanced brackets, unterminated strings, malformed
// keys); everything else is left for encoding/json to validate.
//
// When inserts is not nil, the output offset of every inserted quote is
// appended to it, in increasing order; originalOffset uses that to map an
// encoding/json error offset back to the input.
func quoteBareKeys(data []byte, inserts *[]int) ([]byte, error) {
	if len(data) > MaxDocumentBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), MaxDocumentBytes)
	}
	// Bare keys grow the text by two bytes each: about a quarter for the
	// densest real files (maps of small queue offsets); append grows the
	// buffer past that.
	out := make([]byte, 0, len(data)+len(data)/4+16)
	var stack [MaxNestingDepth]byte
	depth := 0
	expectKey := false // at a position where an object key must come next
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case c == '"':
			end, err := stringEnd(data, i)
			if err != nil {
				return nil, err
			}
			out = append(out, data[i:end]...)
			i = end
			expectKey = false
		case c == '{' || c == '[':
			if depth == MaxNestingDepth {
				return nil, fmt.Errorf("%w: byte %d: more than %d levels", ErrTooDeep, i, MaxNestingDepth)
			}
			stack[depth] = c
			depth++
			expectKey = c == '{'
			out = append(out, c)
			i++
		case c == '}' || c == ']':
			open := byte('{')
			if c == ']' {
				open = '['
			}
			if depth == 0 || stack[depth-1] != open {
				return nil, fmt.Errorf("%w: byte %d: unexpected %q", ErrSyntax, i, c)
			}
			depth--
			expectKey = false
			out = append(out, c)
			i++
		case c == ',':
			expectKey = depth > 0 && stack[depth-1] == '{'
			out = append(out, c)
			i++
		case expectKey && (c == '-' || isDigit(c)):
			end := i
			if c == '-' {
				end++
			}
			digits := end
			for end < len(data) && isDigit(data[end]) {
				end++
			}
			if end == digits || (end < len(data) && isNumberByte(data[end])) {
				return nil, fmt.Errorf("%w: byte %d: an unquoted object key must be an integer", ErrSyntax, i)
			}
			if inserts != nil {
				*inserts = append(*inserts, len(out))
			}
			out = append(out, '"')
			out = append(out, data[i:end]...)
			if inserts != nil {
				*inserts = append(*inserts, len(out))
			}
			out = append(out, '"')
			i = end
			expectKey = false
		default:
			// Whitespace, ':', literals and number values pass through;
			// encoding/json checks them.
			if !isSpace(c) {
				expectKey = false
			}
			out = append(out, c)
			i++
		}
	}
	if depth > 0 {
		return nil, fmt.Errorf("%w: unexpected end of input inside %d open brackets", ErrSyntax, depth)
	}
	return out, nil
}

// stringEnd returns the offset just past the string literal that starts with
// the quote at data[start].
func stringEnd(data []byte, start int) (int, error) {
	for j := start + 1; j < len(data); {
		switch data[j] {
		case '\\':
			j += 2 // the escaped byte can never end the literal
		case '"':
			return j + 1, nil
		default:
			j++
		}
	}
	return 0, fmt.Errorf("%w: byte %d: unterminated string", ErrSyntax, start)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// isNumberByte reports whether c can continue a JSON number.
func isNumberByte(c byte) bool {
	return isDigit(c) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'
}

// originalOffset maps an offset in the output of quoteBareKeys(data) back to
// data. It runs only on the error path.
func originalOffset(data []byte, outOffset int64) int64 {
	var inserts []int
	if _, err := quoteBareKeys(data, &inserts); err != nil {
		return outOffset
	}
	before := sort.SearchInts(inserts, int(outOffset))
	return outOffset - int64(before)
}

// parseDocument reads a whole document and splits its top-level object into
// raw field values, which are strict JSON with surrounding whitespace
// removed.
func parseDocument(data []byte) (map[string]json.RawMessage, error) {
	norm, err := quoteBareKeys(data, nil)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(norm, &fields); err != nil {
		var syntaxErr *json.SyntaxError
		if errors.As(err, &syntaxErr) {
			// Offset counts the bytes read including the offending one.
			at := originalOffset(data, max(syntaxErr.Offset-1, 0))
			return nil, fmt.Errorf("%w: byte %d: %s", ErrSyntax, at, syntaxErr.Error())
		}
		return nil, schemaf("top level: want an object, got %s", kindOf(norm))
	}
	if fields == nil {
		return nil, schemaf("top level: want an object, got null")
	}
	return fields, nil
}
