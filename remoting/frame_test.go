package remoting

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cat concatenates byte slices into a fresh one.
func cat(parts ...[]byte) []byte {
	return bytes.Join(parts, nil)
}

// Hand-written frames, byte by byte from spec/remoting.md §1. They are not
// produced by the encoder; the tests check that the decoder reads them and
// that the encoder reproduces them exactly.
var (
	// A GET_ROUTEINFO_BY_TOPIC request as the Go client sends it, with a
	// two-byte body, JSON header (88 bytes).
	vectorJSONRequest = cat(
		[]byte{0x00, 0x00, 0x00, 0x5E}, // total = 4 + 88 + 2 = 94
		[]byte{0x00, 0x00, 0x00, 0x58}, // serType 0 (JSON), hLen 88
		[]byte(`{"code":105,"language":"GO","version":317,"opaque":7,"flag":0,"extFields":{"topic":"T"}}`),
		[]byte{0x68, 0x69}, // body "hi"
	)
	vectorJSONRequestCmd = &Command{
		Code: ReqGetRouteInfoByTopic, Language: "GO", Version: 317, Opaque: 7,
		ExtFields: map[string]string{"topic": "T"}, Body: []byte("hi"), Serialize: SerializeJSON,
	}

	// A TOPIC_NOT_EXIST response with an escaped remark and no body, JSON
	// header (87 bytes).
	vectorJSONResponse = cat(
		[]byte{0x00, 0x00, 0x00, 0x5B}, // total = 4 + 87
		[]byte{0x00, 0x00, 0x00, 0x57}, // serType 0, hLen 87
		[]byte(`{"code":17,"language":"JAVA","version":317,"opaque":258,"flag":1,"remark":"No \"T\"\n"}`),
	)
	vectorJSONResponseCmd = &Command{
		Code: ResTopicNotExist, Language: "JAVA", Version: 317, Opaque: 258, Flag: FlagResponse,
		Remark: "No \"T\"\n", Serialize: SerializeJSON,
	}

	// The same request as vectorJSONRequest with a ROCKETMQ binary header
	// (21 fixed bytes + 12 ext bytes = 33).
	vectorBinaryRequest = []byte{
		0x00, 0x00, 0x00, 0x27, // total = 4 + 33 + 2 = 39
		0x01, 0x00, 0x00, 0x21, // serType 1 (ROCKETMQ), hLen 33
		0x00, 0x69, // code 105
		0x09,       // language GO
		0x01, 0x3D, // version 317
		0x00, 0x00, 0x00, 0x07, // opaque 7
		0x00, 0x00, 0x00, 0x00, // flag 0
		0x00, 0x00, 0x00, 0x00, // remarkLen 0
		0x00, 0x00, 0x00, 0x0C, // extLen 12
		0x00, 0x05, 't', 'o', 'p', 'i', 'c', // keyLen 5, "topic"
		0x00, 0x00, 0x00, 0x01, 'T', // valLen 1, "T"
		0x68, 0x69, // body "hi"
	}
	vectorBinaryRequestCmd = &Command{
		Code: ReqGetRouteInfoByTopic, Language: "GO", Version: 317, Opaque: 7,
		ExtFields: map[string]string{"topic": "T"}, Body: []byte("hi"), Serialize: SerializeRocketMQ,
	}

	// A response with a remark and two ext entries in key order, ROCKETMQ
	// header (21 + 2 + 17 = 40), no body.
	vectorBinaryResponse = []byte{
		0x00, 0x00, 0x00, 0x2C, // total = 4 + 40
		0x01, 0x00, 0x00, 0x28, // serType 1, hLen 40
		0x00, 0x11, // code 17
		0x00,       // language JAVA
		0x01, 0x3D, // version 317
		0x00, 0x00, 0x01, 0x02, // opaque 258
		0x00, 0x00, 0x00, 0x01, // flag 1 (response)
		0x00, 0x00, 0x00, 0x02, 'n', 'o', // remarkLen 2, "no"
		0x00, 0x00, 0x00, 0x11, // extLen 17
		0x00, 0x01, 'a', 0x00, 0x00, 0x00, 0x01, '1', // "a" = "1"
		0x00, 0x01, 'b', 0x00, 0x00, 0x00, 0x02, '2', '2', // "b" = "22"
	}
	vectorBinaryResponseCmd = &Command{
		Code: ResTopicNotExist, Language: "JAVA", Version: 317, Opaque: 258, Flag: FlagResponse,
		Remark: "no", ExtFields: map[string]string{"b": "22", "a": "1"}, Serialize: SerializeRocketMQ,
	}
)

func TestFrameVectors(t *testing.T) {
	tests := []struct {
		name  string
		frame []byte
		cmd   *Command
	}{
		{"JSON request", vectorJSONRequest, vectorJSONRequestCmd},
		{"JSON response", vectorJSONResponse, vectorJSONResponseCmd},
		{"ROCKETMQ request", vectorBinaryRequest, vectorBinaryRequestCmd},
		{"ROCKETMQ response", vectorBinaryResponse, vectorBinaryResponseCmd},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := FrameLength(tt.frame, DefaultMaxFrameBytes)
			require.NoError(t, err)
			require.Equal(t, len(tt.frame), n)

			got, err := DecodeFrame(tt.frame)
			require.NoError(t, err)
			require.Equal(t, tt.cmd, got)

			enc, err := AppendFrame(nil, tt.cmd)
			require.NoError(t, err)
			require.Equal(t, tt.frame, enc, "encoded:\n%q\nwant:\n%q", enc, tt.frame)

			head, err := AppendFrameHead([]byte("prefix"), tt.cmd, len(tt.cmd.Body))
			require.NoError(t, err)
			require.Equal(t, "prefix", string(head[:6]))
			require.Equal(t, tt.frame, append(head[6:], tt.cmd.Body...))
		})
	}
}

func TestDecodeFrameBodyAliasesFrame(t *testing.T) {
	frame := bytes.Clone(vectorJSONRequest)
	c, err := DecodeFrame(frame)
	require.NoError(t, err)
	frame[len(frame)-1] = 'X'
	assert.Equal(t, "hX", string(c.Body), "the body is a view of the frame, not a copy")
}

func TestFrameLength(t *testing.T) {
	tests := []struct {
		name   string
		prefix []byte
		max    int
		want   int
		err    error
	}{
		{"smallest frame", []byte{0, 0, 0, 4}, 0, 8, nil},
		{"ordinary", []byte{0, 0, 0, 0x5E, 0, 0}, 0, 98, nil},
		{"exactly the default maximum", be32(DefaultMaxFrameBytes - 4), 0, DefaultMaxFrameBytes, nil},
		{"one past the default maximum", be32(DefaultMaxFrameBytes - 3), 0, 0, ErrFrameTooLarge},
		{"configured maximum", be32(1020), 1024, 1024, nil},
		{"over the configured maximum", be32(1021), 1024, 0, ErrFrameTooLarge},
		{"zero", []byte{0, 0, 0, 0}, 0, 0, ErrBadFrame},
		{"below the header-length field", []byte{0, 0, 0, 3}, 0, 0, ErrBadFrame},
		{"negative", []byte{0xFF, 0xFF, 0xFF, 0xFF}, 0, 0, ErrBadFrame},
		{"most negative", []byte{0x80, 0, 0, 0}, 0, 0, ErrBadFrame},
		{"huge", []byte{0x7F, 0xFF, 0xFF, 0xFF}, 0, 0, ErrFrameTooLarge},
		{"HTTP request", []byte("GET / HTTP/1.1\r\n"), 0, 0, ErrFrameTooLarge},
		{"TLS ClientHello", []byte{0x16, 0x03, 0x01, 0x02, 0x00}, 0, 0, ErrFrameTooLarge},
		{"short prefix", []byte{0, 0, 0}, 0, 0, ErrBadFrame},
		{"empty prefix", nil, 0, 0, ErrBadFrame},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FrameLength(tt.prefix, tt.max)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

// be32 spells v as a big-endian int32.
func be32(v int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(int32(v))) }

// frameOf wraps header and body in a frame head with serialization ser.
func frameOf(ser byte, header, body []byte) []byte {
	return cat(be32(4+len(header)+len(body)), be32(int(ser)<<24|len(header)), header, body)
}

func TestDecodeFrameRefuses(t *testing.T) {
	okJSON := []byte(`{"code":0}`)
	tests := []struct {
		name  string
		frame []byte
		err   error
		msg   string
	}{
		{"empty", nil, ErrBadFrame, "shorter than"},
		{"seven bytes", []byte{0, 0, 0, 3, 0, 0, 0}, ErrBadFrame, "shorter than"},
		{"garbage", []byte("\x13\x37garbage bytes of no protocol"), ErrBadFrame, "length field"},
		{"length field larger than the frame", cat(be32(100), be32(0), okJSON), ErrBadFrame, "length field 100"},
		{"length field smaller than the frame", cat(be32(5), be32(len(okJSON)), okJSON), ErrBadFrame, "length field 5"},
		{"zero length field", cat(be32(0), be32(0)), ErrBadFrame, "length field 0"},
		{"negative length field", cat(be32(-4), be32(0)), ErrBadFrame, "length field -4"},
		{"header length beyond the frame", cat(be32(4+len(okJSON)), be32(len(okJSON)+1), okJSON), ErrBadFrame, "beyond the frame"},
		{"header length at the 24-bit maximum", cat(be32(4+len(okJSON)), be32(0xFFFFFF), okJSON), ErrBadFrame, "beyond the frame"},
		{"header over MaxHeaderBytes", frameOf(0, bytes.Repeat([]byte{' '}, MaxHeaderBytes+1), nil), ErrBadHeader, "limit"},
		{"serialization type 2", frameOf(2, okJSON, nil), ErrBadFrame, "serialization type 2"},
		{"serialization type 255", frameOf(255, okJSON, nil), ErrBadFrame, "serialization type 255"},
		{"empty JSON header", frameOf(0, nil, []byte("body")), ErrBadHeader, "empty header"},
		{"invalid JSON", frameOf(0, []byte(`{"code":`), nil), ErrBadHeader, "JSON header"},
		{"JSON header with the body's bytes", frameOf(0, []byte(`{"code":1}x`), nil), ErrBadHeader, "after the header object"},
		{"short ROCKETMQ header", frameOf(1, []byte{0, 1, 2}, nil), ErrBadHeader, "fixed part"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := DecodeFrame(tt.frame)
			require.ErrorIs(t, err, tt.err)
			require.Contains(t, err.Error(), tt.msg)
			require.Nil(t, c)
		})
	}
}

func TestDecodeFrameEveryUnknownSerializeType(t *testing.T) {
	for ser := 2; ser <= 255; ser++ {
		_, err := DecodeFrame(frameOf(byte(ser), []byte(`{}`), nil))
		require.ErrorIs(t, err, ErrBadFrame, "type %d", ser)
	}
}

func TestAppendFrameEmptyBodyDecodesNil(t *testing.T) {
	for _, ser := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		c := &Command{Code: 1, Body: []byte{}, Serialize: ser}
		frame, err := AppendFrame(nil, c)
		require.NoError(t, err)
		got, err := DecodeFrame(frame)
		require.NoError(t, err)
		require.Nil(t, got.Body)
		require.Nil(t, got.ExtFields)
	}
}

func TestAppendFrameRefuses(t *testing.T) {
	tests := []struct {
		name string
		cmd  *Command
		err  error
	}{
		{"unknown serialization", &Command{Serialize: 7}, ErrUnencodable},
		{"code outside int16 in a ROCKETMQ header", &Command{Code: 40000, Serialize: SerializeRocketMQ}, ErrUnencodable},
		{"negative code outside int16", &Command{Code: -40000, Serialize: SerializeRocketMQ}, ErrUnencodable},
		{"version outside int16", &Command{Version: 1 << 20, Serialize: SerializeRocketMQ}, ErrUnencodable},
		{"ext key over int16", &Command{ExtFields: map[string]string{strings.Repeat("k", 1<<15): "v"}, Serialize: SerializeRocketMQ}, ErrUnencodable},
		{"JSON header over MaxHeaderBytes", &Command{Remark: strings.Repeat("r", MaxHeaderBytes)}, ErrUnencodable},
		{"ROCKETMQ remark over MaxHeaderBytes", &Command{Remark: strings.Repeat("r", MaxHeaderBytes+1), Serialize: SerializeRocketMQ}, ErrUnencodable},
		{"ROCKETMQ header over MaxHeaderBytes", &Command{Remark: strings.Repeat("r", MaxHeaderBytes-10), Serialize: SerializeRocketMQ}, ErrUnencodable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte("keep")
			out, err := AppendFrame(dst, tt.cmd)
			require.ErrorIs(t, err, tt.err)
			require.Equal(t, "keep", string(out), "dst is returned unchanged")
		})
	}
}

func TestAppendFrameHeadCountsBodyLen(t *testing.T) {
	c := &Command{Code: ReqPullMessage, Language: "GO", Serialize: SerializeRocketMQ}
	const bodyLen = 32 << 10
	head, err := AppendFrameHead(nil, c, bodyLen)
	require.NoError(t, err)
	headerBytes := len(head) - frameHeadFixedBytes
	require.Equal(t, uint32(4+headerBytes+bodyLen), binary.BigEndian.Uint32(head))
	require.Equal(t, uint32(1<<24|headerBytes), binary.BigEndian.Uint32(head[4:]))

	frame := append(head, make([]byte, bodyLen)...)
	n, err := FrameLength(frame, 0)
	require.NoError(t, err)
	require.Equal(t, len(frame), n)
	got, err := DecodeFrame(frame)
	require.NoError(t, err)
	require.Len(t, got.Body, bodyLen)
}

func TestAppendFrameHeadTooLargeForInt32(t *testing.T) {
	_, err := AppendFrameHead(nil, &Command{}, 1<<31-8)
	require.ErrorIs(t, err, ErrFrameTooLarge)
}

func TestAppendFrameHeadNegativeBodyLenPanics(t *testing.T) {
	require.Panics(t, func() { _, _ = AppendFrameHead(nil, &Command{}, -1) })
}

func TestAppendFrameAppends(t *testing.T) {
	buf, err := AppendFrame(nil, vectorJSONRequestCmd)
	require.NoError(t, err)
	buf, err = AppendFrame(buf, vectorBinaryRequestCmd)
	require.NoError(t, err)
	require.Equal(t, cat(vectorJSONRequest, vectorBinaryRequest), buf)
}

func TestSerializeTypeString(t *testing.T) {
	assert.Equal(t, "JSON", SerializeJSON.String())
	assert.Equal(t, "ROCKETMQ", SerializeRocketMQ.String())
	assert.Equal(t, "SerializeType(9)", SerializeType(9).String())
}
