package namesrv

import "fmt"

// maxJSONDepth bounds how deeply the objects and arrays of a registration
// body may nest. A RegisterBrokerBody nests six levels (body, wrapper,
// table, topic config, attributes or 5.x mapping details, their values);
// 64 leaves room for unknown fields and keeps encoding/json shallow.
const maxJSONDepth = 64

// quoteBareKeys returns data with every bare integer object key quoted
// ({0:1} becomes {"0":1}), fastjson's one departure from JSON in the bodies
// brokers send. Input without such keys is returned as it is, uncopied. It
// tracks string literals and a stack of open brackets, so digits inside
// strings and arrays are never touched, and it reports unbalanced brackets,
// unterminated strings, malformed bare keys and nesting beyond maxJSONDepth;
// everything else is left for encoding/json to judge.
func quoteBareKeys(data []byte) ([]byte, error) {
	var out []byte // nil until the first key needs quotes
	copied := 0    // data[:copied] is already in out
	var stack [maxJSONDepth]byte
	depth := 0
	wantKey := false // the next token of the current object is a key
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case c == '"':
			end, err := skipString(data, i)
			if err != nil {
				return nil, err
			}
			i = end
			wantKey = false
		case c == '{' || c == '[':
			if depth == maxJSONDepth {
				return nil, fmt.Errorf("%w: byte %d: nesting deeper than %d levels", ErrBadRegisterBody, i, maxJSONDepth)
			}
			stack[depth] = c
			depth++
			wantKey = c == '{'
			i++
		case c == '}' || c == ']':
			want := byte('{')
			if c == ']' {
				want = '['
			}
			if depth == 0 || stack[depth-1] != want {
				return nil, fmt.Errorf("%w: byte %d: unexpected %q", ErrBadRegisterBody, i, c)
			}
			depth--
			wantKey = false
			i++
		case c == ',':
			wantKey = depth > 0 && stack[depth-1] == '{'
			i++
		case wantKey && (c == '-' || isDigit(c)):
			end := i
			if c == '-' {
				end++
			}
			first := end
			for end < len(data) && isDigit(data[end]) {
				end++
			}
			if end == first || (end < len(data) && isNumberPart(data[end])) {
				return nil, fmt.Errorf("%w: byte %d: an unquoted key must be an integer", ErrBadRegisterBody, i)
			}
			if out == nil {
				out = make([]byte, 0, len(data)+len(data)/8+2)
			}
			out = append(out, data[copied:i]...)
			out = append(out, '"')
			out = append(out, data[i:end]...)
			out = append(out, '"')
			copied = end
			i = end
			wantKey = false
		default:
			if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
				wantKey = false
			}
			i++
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("%w: input ends inside %d open brackets", ErrBadRegisterBody, depth)
	}
	if out == nil {
		return data, nil
	}
	return append(out, data[copied:]...), nil
}

// skipString returns the offset just past the string literal whose opening
// quote is at data[start].
func skipString(data []byte, start int) (int, error) {
	for j := start + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++ // the escaped byte never ends the literal
		case '"':
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("%w: byte %d: unterminated string", ErrBadRegisterBody, start)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isNumberPart reports whether c can continue a JSON number, which would
// make a bare key such as 1.5 or 1e3 something other than an integer.
func isNumberPart(c byte) bool {
	return isDigit(c) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'
}
