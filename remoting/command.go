package remoting

import "strconv"

// SerializeType is the header serialization of a frame: the top byte of the
// frame's second int32 (spec/remoting.md §1).
type SerializeType byte

// Header serializations.
const (
	SerializeJSON     SerializeType = 0
	SerializeRocketMQ SerializeType = 1
)

// Flag bits of a command.
const (
	// FlagResponse marks a response (bit 0).
	FlagResponse int32 = 1 << 0
	// FlagOneway marks a request that expects no response (bit 1). The Go
	// client never sets it; servers answer every request anyway.
	FlagOneway int32 = 1 << 1
)

// Version is the version Apogee announces: 317, RocketMQ's MQVersion
// ordinal of V4_5_2, the value the official Go client sends.
const Version int32 = 317

// Language is the language Apogee announces in the JSON header.
const Language = "GO"

// Command is one remoting message: a request, a response, or a request
// pushed from server to client. ExtFields is RocketMQ's "custom header":
// every value is a string on the wire.
type Command struct {
	Code      int32
	Language  string
	Version   int32
	Opaque    int32
	Flag      int32
	Remark    string
	ExtFields map[string]string
	Body      []byte
	// Serialize is the header serialization the command arrived in, or is
	// to be sent in. A response uses its request's.
	Serialize SerializeType
}

// IsResponse reports whether the response bit is set.
func (c *Command) IsResponse() bool { return c.Flag&FlagResponse != 0 }

// IsOneway reports whether the oneway bit is set.
func (c *Command) IsOneway() bool { return c.Flag&FlagOneway != 0 }

// NewRequest builds a request with Apogee's language and version. The
// transport assigns the opaque when it sends it.
func NewRequest(code int32, extFields map[string]string, body []byte) *Command {
	return &Command{Code: code, Language: Language, Version: Version, ExtFields: extFields, Body: body}
}

// NewResponse builds the response to req: req's opaque and serialization,
// the response bit, and code with remark.
func NewResponse(req *Command, code int32, remark string) *Command {
	return &Command{
		Code:      code,
		Language:  Language,
		Version:   Version,
		Opaque:    req.Opaque,
		Flag:      FlagResponse,
		Remark:    remark,
		Serialize: req.Serialize,
	}
}

// String names the serialization as RocketMQ does ("JSON", "ROCKETMQ"), or
// "SerializeType(n)" for a value outside the protocol.
func (t SerializeType) String() string {
	switch t {
	case SerializeJSON:
		return "JSON"
	case SerializeRocketMQ:
		return "ROCKETMQ"
	}
	return "SerializeType(" + strconv.Itoa(int(t)) + ")"
}
