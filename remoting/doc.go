// Package remoting speaks RocketMQ's remoting protocol (spec/remoting.md):
// the frame codec, both header serializations, the catalog of request and
// response codes with their sentinel errors, the typed custom headers, and
// the transport that carries commands over the env Network.
//
// # Frame
//
// All integers are big-endian. One frame carries one Command:
//
//	off   size  field
//	  0      4  total         int32: 4 + hLen + bodyLen (itself not counted)
//	  4      1  serType       header serialization: 0 JSON, 1 ROCKETMQ
//	  5      3  hLen          header length, the low 24 bits of bytes 4..7
//	  8   hLen  header        the header in serType's serialization
//	8+hLen  b   body          b = total - 4 - hLen, possibly 0
//
// A whole frame is therefore total+4 bytes long. FrameLength reads the first
// four bytes and tells a reader how many to collect; DecodeFrame decodes the
// collected frame; AppendFrame and AppendFrameHead encode.
//
// # JSON header (serType 0)
//
// A JSON object with these members, all optional on input:
//
//	code       int     request code, or response code in a response
//	language   string  sender's language name ("GO", "JAVA", ...)
//	version    int     sender's version (RocketMQ MQVersion ordinal)
//	opaque     int     request id, echoed by the response
//	flag       int     bit 0 response, bit 1 oneway
//	remark     string  free text, the error description in responses
//	extFields  object  the custom header, string -> string
//
// The encoder writes compact JSON in exactly this member order, omits remark
// when it is empty and extFields when it has no entries, and writes the
// extFields keys sorted byte-wise, every value a JSON string. Strings are
// escaped as \" \\ \n \r \t and \u00XX for the other control characters;
// bytes that are not valid UTF-8 become U+FFFD. For example the request
// {Code: 105, Language: "GO", Version: 317, Opaque: 7, ExtFields:
// {"topic": "T"}} encodes to
//
//	{"code":105,"language":"GO","version":317,"opaque":7,"flag":0,"extFields":{"topic":"T"}}
//
// The decoder is as liberal as RocketMQ's own server (fastjson):
//
//   - unknown members are skipped ("serializeTypeCurrentRPC", "suspended");
//     missing members and null leave the zero value;
//   - code, version, opaque and flag are JSON integers or strings holding a
//     decimal integer, and must fit an int32;
//   - language is a string, or an integer language code (see below);
//   - remark is a string, or a number or boolean taken as its text;
//   - extFields values that are JSON numbers are kept as their exact literal
//     text ("1.50" stays "1.50"), booleans become "true" or "false"; values
//     that are objects, arrays or null are refused (ErrBadHeader naming the
//     key), because the Go client could not decode them in a reply;
//   - when a member repeats, the last one wins.
//
// Invalid UTF-8 in strings decodes to U+FFFD; unescaped control characters,
// trailing garbage and anything else that is not JSON are refused.
//
// # ROCKETMQ binary header (serType 1)
//
//	off   size  field
//	  0      2  code          int16, sign-extended into Command.Code
//	  2      1  language      language code byte (below)
//	  3      2  version       int16
//	  5      4  opaque        int32
//	  9      4  flag          int32
//	 13      4  remarkLen     int32, r >= 0
//	 17      r  remark        UTF-8
//	17+r     4  extLen        int32, e >= 0
//	21+r     e  ext           entries, back to back, exactly e bytes:
//	                            2  keyLen  int16, k >= 0
//	                            k  key
//	                            4  valLen  int32, v >= 0
//	                            v  value
//
// The fixed part is 21 bytes. Every length is checked against the bytes
// that remain in the header; a negative length, one that runs past the
// header, and bytes left over after ext are refused with ErrBadHeader. An
// unknown language byte decodes as "OTHER". The encoder writes ext entries
// sorted by key and refuses (ErrUnencodable) a code or version outside the
// int16 range and a key longer than 32767 bytes; a language name it does not
// know is written as OTHER (7).
//
// # Language codes
//
//	JAVA 0, CPP 1, DOTNET 2, PYTHON 3, DELPHI 4, ERLANG 5, RUBY 6, OTHER 7,
//	HTTP 8, GO 9, PHP 10, OMS 11, RUST 12, NODE_JS 13
//
// Command.Language holds the name; the binary header carries the byte.
//
// # Bounds
//
//   - A frame is at most maxFrameBytes long, length field included
//     (DefaultMaxFrameBytes, 16 MiB, as RocketMQ's Java server); FrameLength
//     refuses a longer one before any of it is read.
//   - A header is at most MaxHeaderBytes, decoding and encoding.
//   - JSON nests at most MaxJSONDepth levels; deeper input is refused as
//     soon as the limit is crossed, so hostile nesting costs no more than
//     MaxJSONDepth levels of work.
//
// # Invariants
//
//   - DecodeFrame never panics on any input; every refusal wraps
//     ErrBadFrame, ErrFrameTooLarge or ErrBadHeader with what was wrong and
//     where.
//   - A decoded Command's Body aliases the frame; it is nil when the body is
//     empty. ExtFields is nil when there are no entries.
//   - A command that decodes re-encodes, in its own serialization, to a frame
//     that decodes to an equal command.
//   - Response codes and sentinel errors correspond one to one (ErrorForCode,
//     CodeOf).
package remoting
