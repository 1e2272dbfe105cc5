package remoting

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// requireReencodes checks the codec's round-trip invariant: a decoded
// command re-encodes, in its own serialization, to a frame that decodes to
// an equal command.
func requireReencodes(t *testing.T, c *Command) {
	t.Helper()
	frame, err := AppendFrame(nil, c)
	require.NoError(t, err)
	n, err := FrameLength(frame, len(frame)) // no room for a single spare byte
	require.NoError(t, err)
	require.Equal(t, len(frame), n)
	again, err := DecodeFrame(frame)
	require.NoError(t, err)
	require.Equal(t, c, again)
}

// reencodeGrowth bounds how much larger a re-encoded JSON header can be than
// the one decoded: one invalid UTF-8 byte becomes the six bytes of \ufffd,
// and the members the input left out are written (under 100 bytes).
const reencodeGrowth = 8

func FuzzDecodeFrame(f *testing.F) {
	for _, v := range [][]byte{vectorJSONRequest, vectorJSONResponse, vectorBinaryRequest, vectorBinaryResponse} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		n, lerr := FrameLength(frame, DefaultMaxFrameBytes)
		c, err := DecodeFrame(frame)
		if err != nil {
			require.Nil(t, c)
			return
		}
		require.NoError(t, lerr, "a frame that decodes has a valid length")
		require.Equal(t, len(frame), n)
		if len(frame) > MaxHeaderBytes/reencodeGrowth {
			return // re-encoding could outgrow the header bound
		}
		requireReencodes(t, c)
	})
}

func FuzzDecodeHeaderJSON(f *testing.F) {
	for _, s := range []string{
		`{"code":105,"language":"GO","version":317,"opaque":7,"flag":0,"extFields":{"topic":"T"}}`,
		`{"code":"10","opaque":"-7","remark":null,"extFields":{"n":1.50,"b":true}}`,
		`{"x":{"y":[1,{"z":null}]},"serializeTypeCurrentRPC":"JSON","remark":"a\"\u00e9\ud83d\ude00"}`,
		`{"extFields":{"o":{}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, header []byte) {
		c := &Command{}
		if err := decodeJSONHeader(c, header); err != nil {
			require.ErrorIs(t, err, ErrBadHeader)
			return
		}
		c.Serialize = SerializeJSON
		if len(header) > MaxHeaderBytes/reencodeGrowth {
			return // re-encoding could outgrow the header bound
		}
		requireReencodes(t, c)
	})
}

func FuzzDecodeHeaderRocketMQ(f *testing.F) {
	f.Add(vectorBinaryRequest[frameHeadFixedBytes : len(vectorBinaryRequest)-2])
	f.Add(vectorBinaryResponse[frameHeadFixedBytes:])
	f.Add(cat(binFixed(be32(1)), []byte{0xFF}, be32(7), []byte{0, 1, 0x01}, be32(0)))
	f.Fuzz(func(t *testing.T, header []byte) {
		c := &Command{}
		if err := decodeBinaryHeader(c, header); err != nil {
			require.ErrorIs(t, err, ErrBadHeader)
			return
		}
		c.Serialize = SerializeRocketMQ
		if len(header) > MaxHeaderBytes {
			return // the decoder of a lone header does not apply the frame's bound
		}
		requireReencodes(t, c)
	})
}
