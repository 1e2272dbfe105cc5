package remoting

import (
	"encoding/json"
	"fmt"
)

// Bodies in fastjson's forms: the routes and cluster info a client reads,
// the tables keyed by MessageQueue that Java tools read, and the
// subscription group configs of the admin requests.
//
// fastjson departs from JSON in two ways when it writes a map whose keys are
// not strings:
//
//   - an integer key goes out bare: {0:"10.0.0.1:10911"} (BrokerData's
//     brokerAddrs, a HashMap<Long, String>; the Java name server writes this
//     form to clients older than V4_9_4, the Go client among them);
//   - an object key goes out as the object itself:
//     {{"brokerName":"b","queueId":0,"topic":"t"}:{"minOffset":0,...}}
//     (TopicStatsTable, ConsumeStats and ResetOffsetBody, keyed by
//     MessageQueue).
//
// normalizeFastJSON rewrites such text into standard JSON before
// encoding/json reads it: a bare integer key gets quotes, and an object whose
// keys are objects or arrays becomes a list of [key, value] pairs, which is
// also the standard-JSON form Gson writes for such maps
// (enableComplexMapKeySerialization), so one decoder serves both. Standard
// JSON passes through unchanged in meaning.

// MaxBodyJSONDepth bounds how deeply the objects and arrays of a body may
// nest. The deepest known body, a TopicStatsTable, nests four levels (body,
// table, queue key, offsets); 32 leaves room for fields a newer peer adds
// while bounding the recursion of the normalization pass.
const MaxBodyJSONDepth = 32

// fastJSONNormalizer rewrites fastjson text into standard JSON (see above).
type fastJSONNormalizer struct {
	src   []byte
	pos   int
	out   []byte
	depth int
	what  string // the body's name, for errors
}

// normalizeFastJSON returns src as standard JSON, or an ErrBadBody error
// naming what and the byte where the text stopped making sense. Scalars are
// copied as they are; encoding/json judges them afterwards.
func normalizeFastJSON(src []byte, what string) ([]byte, error) {
	n := fastJSONNormalizer{src: src, out: make([]byte, 0, len(src)+len(src)/8+2), what: what}
	if err := n.value(); err != nil {
		return nil, err
	}
	n.skipSpace()
	if n.pos != len(n.src) {
		return nil, n.errorf("unexpected %q after the value", n.src[n.pos])
	}
	return n.out, nil
}

// errorf returns an ErrBadBody error at the current position.
func (n *fastJSONNormalizer) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s, byte %d: %s", ErrBadBody, n.what, n.pos, fmt.Sprintf(format, args...))
}

// skipSpace consumes JSON white space.
func (n *fastJSONNormalizer) skipSpace() {
	for n.pos < len(n.src) {
		switch n.src[n.pos] {
		case ' ', '\t', '\n', '\r':
			n.pos++
		default:
			return
		}
	}
}

// value rewrites one value.
func (n *fastJSONNormalizer) value() error {
	n.skipSpace()
	if n.pos == len(n.src) {
		return n.errorf("unexpected end of the body")
	}
	switch c := n.src[n.pos]; {
	case c == '{':
		return n.object()
	case c == '[':
		return n.array()
	case c == '"':
		return n.str()
	case isScalarByte(c):
		start := n.pos
		for n.pos < len(n.src) && isScalarByte(n.src[n.pos]) {
			n.pos++
		}
		n.out = append(n.out, n.src[start:n.pos]...)
		return nil
	default:
		return n.errorf("unexpected %q", c)
	}
}

// isScalarByte reports whether c can be part of a number or a literal
// (true, false, null).
func isScalarByte(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || c == '-' || c == '+' || c == '.'
}

// str copies a string literal, escapes included.
func (n *fastJSONNormalizer) str() error {
	start := n.pos
	for i := n.pos + 1; i < len(n.src); i++ {
		switch n.src[i] {
		case '\\':
			i++ // the escaped byte never ends the literal
		case '"':
			n.pos = i + 1
			n.out = append(n.out, n.src[start:n.pos]...)
			return nil
		}
	}
	return n.errorf("unterminated string")
}

// enter counts one more level of nesting.
func (n *fastJSONNormalizer) enter() error {
	if n.depth == MaxBodyJSONDepth {
		return n.errorf("nesting deeper than %d levels", MaxBodyJSONDepth)
	}
	n.depth++
	n.pos++ // the opening bracket
	return nil
}

// array rewrites an array.
func (n *fastJSONNormalizer) array() error {
	if err := n.enter(); err != nil {
		return err
	}
	n.out = append(n.out, '[')
	n.skipSpace()
	if n.pos < len(n.src) && n.src[n.pos] == ']' {
		n.pos++
		n.depth--
		n.out = append(n.out, ']')
		return nil
	}
	for {
		if err := n.value(); err != nil {
			return err
		}
		done, err := n.separator(']')
		if err != nil {
			return err
		}
		if done {
			n.out = append(n.out, ']')
			return nil
		}
	}
}

// separator consumes the ',' between members, copying it, or the closing
// bracket, which it reports and leaves to the caller to write.
func (n *fastJSONNormalizer) separator(closing byte) (bool, error) {
	n.skipSpace()
	if n.pos == len(n.src) {
		return false, n.errorf("unexpected end of the body")
	}
	switch c := n.src[n.pos]; c {
	case ',':
		n.pos++
		n.out = append(n.out, ',')
		return false, nil
	case closing:
		n.pos++
		n.depth--
		return true, nil
	default:
		return false, n.errorf("want ',' or %q, found %q", closing, c)
	}
}

// object rewrites an object: with string or bare integer keys into an
// object with string keys, with object or array keys into a list of
// [key, value] pairs. One object may not mix the two kinds.
func (n *fastJSONNormalizer) object() error {
	if err := n.enter(); err != nil {
		return err
	}
	n.skipSpace()
	if n.pos == len(n.src) {
		return n.errorf("unexpected end of the body")
	}
	if n.src[n.pos] == '}' {
		n.pos++
		n.depth--
		n.out = append(n.out, '{', '}')
		return nil
	}
	pairs := n.src[n.pos] == '{' || n.src[n.pos] == '['
	if pairs {
		n.out = append(n.out, '[')
	} else {
		n.out = append(n.out, '{')
	}
	for {
		n.skipSpace()
		if err := n.key(pairs); err != nil {
			return err
		}
		n.skipSpace()
		if n.pos == len(n.src) || n.src[n.pos] != ':' {
			return n.errorf("want ':' after a key")
		}
		n.pos++
		if pairs {
			n.out = append(n.out, ',')
		} else {
			n.out = append(n.out, ':')
		}
		if err := n.value(); err != nil {
			return err
		}
		if pairs {
			n.out = append(n.out, ']')
		}
		done, err := n.separator('}')
		if err != nil {
			return err
		}
		if done {
			if pairs {
				n.out = append(n.out, ']')
			} else {
				n.out = append(n.out, '}')
			}
			return nil
		}
	}
}

// key rewrites one object key: in pairs mode it opens the pair and copies
// the key value; otherwise it copies a string key or quotes a bare integer.
func (n *fastJSONNormalizer) key(pairs bool) error {
	if n.pos == len(n.src) {
		return n.errorf("unexpected end of the body")
	}
	c := n.src[n.pos]
	if pairs {
		if c != '{' && c != '[' {
			return n.errorf("a map keyed by objects has a key that is not an object")
		}
		n.out = append(n.out, '[')
		return n.value()
	}
	switch {
	case c == '"':
		return n.str()
	case c == '-' || isDigit(c):
		start := n.pos
		if c == '-' {
			n.pos++
		}
		first := n.pos
		for n.pos < len(n.src) && isDigit(n.src[n.pos]) {
			n.pos++
		}
		if n.pos == first || (n.pos < len(n.src) && isScalarByte(n.src[n.pos])) {
			n.pos = start
			return n.errorf("an unquoted key must be an integer")
		}
		n.out = append(n.out, '"')
		n.out = append(n.out, n.src[start:n.pos]...)
		n.out = append(n.out, '"')
		return nil
	case c == '{' || c == '[':
		return n.errorf("a map mixes object keys with plain keys")
	default:
		return n.errorf("want a key, found %q", c)
	}
}

// decodeFastJSON normalizes body and decodes it into v with encoding/json,
// wrapping every failure in ErrBadBody naming what.
func decodeFastJSON(body []byte, what string, v any) error {
	norm, err := normalizeFastJSON(body, what)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(norm, v); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrBadBody, what, err)
	}
	return nil
}
