package remoting

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// DefaultMaxFrameBytes is the default bound on a whole frame, length field
// included: 16 MiB, RocketMQ's Java default (FRAME_MAX_LENGTH). The largest
// message (4 MiB by default) plus its header fits with room to spare.
const DefaultMaxFrameBytes = 16 << 20

// MaxHeaderBytes bounds a frame's header. The largest legitimate header
// field is a message's properties, which a CommitLog record limits to 32767
// bytes (an int16 length); even with every byte JSON-escaped to six, a
// header stays under 200 KiB. 1 MiB leaves room for long remarks while
// capping the work one frame's header can demand.
const MaxHeaderBytes = 1 << 20

// Frame layout sizes (see the package documentation).
const (
	// lengthFieldBytes is the size of the leading total-length field.
	lengthFieldBytes = 4
	// headerLengthFieldBytes is the size of the serType<<24|hLen field.
	headerLengthFieldBytes = 4
	// frameHeadFixedBytes is the part of a frame before the header bytes.
	frameHeadFixedBytes = lengthFieldBytes + headerLengthFieldBytes
	// headerLengthMask selects hLen from the second field.
	headerLengthMask = 0xFFFFFF
)

// Codec errors. Each returned error wraps one of them with the detail.
var (
	// ErrFrameTooLarge: a frame is longer than the allowed maximum, or an
	// encoded frame would not fit the int32 length field.
	ErrFrameTooLarge = errors.New("remoting: frame too large")
	// ErrBadFrame: the frame's length fields or serialization type are
	// invalid. The byte stream cannot be trusted after it.
	ErrBadFrame = errors.New("remoting: bad frame")
	// ErrBadHeader: the header bytes do not decode.
	ErrBadHeader = errors.New("remoting: bad header")
	// ErrUnencodable: a Command holds a value its serialization cannot
	// carry (a code outside int16 in a ROCKETMQ header, an unknown
	// serialization, a header over MaxHeaderBytes).
	ErrUnencodable = errors.New("remoting: command cannot be encoded")
)

// FrameLength inspects the first 4 bytes of a frame and returns the total
// frame size including the 4-byte length field. It refuses a prefix shorter
// than 4 bytes and a length field below 4 (the header-length field alone
// takes 4) with ErrBadFrame, and a frame longer than maxFrameBytes with
// ErrFrameTooLarge. maxFrameBytes <= 0 means DefaultMaxFrameBytes.
func FrameLength(prefix []byte, maxFrameBytes int) (int, error) {
	if len(prefix) < lengthFieldBytes {
		return 0, fmt.Errorf("%w: %d bytes, need %d to read the length", ErrBadFrame, len(prefix), lengthFieldBytes)
	}
	if maxFrameBytes <= 0 {
		maxFrameBytes = DefaultMaxFrameBytes
	}
	total := int32(binary.BigEndian.Uint32(prefix))
	if total < headerLengthFieldBytes {
		return 0, fmt.Errorf("%w: length field %d, at least %d required", ErrBadFrame, total, headerLengthFieldBytes)
	}
	frameBytes := int(total) + lengthFieldBytes
	if frameBytes > maxFrameBytes {
		return 0, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, frameBytes, maxFrameBytes)
	}
	return frameBytes, nil
}

// DecodeFrame decodes one whole frame (as counted by FrameLength, including
// the length field). The Command's Body aliases frame; it is nil when the
// body is empty. DecodeFrame does not apply a frame size limit (FrameLength
// does) but refuses a header over MaxHeaderBytes.
func DecodeFrame(frame []byte) (*Command, error) {
	return decodeFrame(frame, false)
}

// decodeFrame is DecodeFrame. With copyBody the Body is a copy instead, so
// that frame may be a buffer the caller reuses: the decoded Command then
// refers to no byte of it (header strings are always copies).
func decodeFrame(frame []byte, copyBody bool) (*Command, error) {
	if len(frame) < frameHeadFixedBytes {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the %d-byte frame head", ErrBadFrame, len(frame), frameHeadFixedBytes)
	}
	total := int32(binary.BigEndian.Uint32(frame))
	if int64(total) != int64(len(frame))-lengthFieldBytes {
		return nil, fmt.Errorf("%w: length field %d, but the frame has %d bytes after it", ErrBadFrame, total, len(frame)-lengthFieldBytes)
	}
	second := binary.BigEndian.Uint32(frame[lengthFieldBytes:])
	ser := SerializeType(second >> 24)
	headerBytes := int(second & headerLengthMask)
	if headerBytes > len(frame)-frameHeadFixedBytes {
		return nil, fmt.Errorf("%w: header length %d beyond the frame (%d bytes after the frame head)", ErrBadFrame, headerBytes, len(frame)-frameHeadFixedBytes)
	}
	if headerBytes > MaxHeaderBytes {
		return nil, fmt.Errorf("%w: header length %d, limit %d", ErrBadHeader, headerBytes, MaxHeaderBytes)
	}
	header := frame[frameHeadFixedBytes : frameHeadFixedBytes+headerBytes]
	c := &Command{Serialize: ser}
	var err error
	switch ser {
	case SerializeJSON:
		err = decodeJSONHeader(c, header)
	case SerializeRocketMQ:
		err = decodeBinaryHeader(c, header)
	default:
		return nil, fmt.Errorf("%w: unknown header serialization type %d", ErrBadFrame, byte(ser))
	}
	if err != nil {
		return nil, err
	}
	if body := frame[frameHeadFixedBytes+headerBytes:]; len(body) > 0 {
		if copyBody {
			owned := make([]byte, len(body))
			copy(owned, body)
			body = owned
		}
		c.Body = body
	}
	return c, nil
}

// AppendFrame appends the encoded frame of c (header in c.Serialize, then
// c.Body) to dst. On error dst is returned unchanged.
func AppendFrame(dst []byte, c *Command) ([]byte, error) {
	out, err := AppendFrameHead(dst, c, len(c.Body))
	if err != nil {
		return dst, err
	}
	return append(out, c.Body...), nil
}

// AppendFrameHead appends the frame's head (total length, serialization and
// header length, header bytes) WITHOUT the body, so that a transport can
// send the body (slices of a mapped file, say) as separate buffers. The
// total length counts bodyLen body bytes, which the caller sends right after
// the head. On error dst is returned unchanged. A negative bodyLen is a bug
// and panics.
func AppendFrameHead(dst []byte, c *Command, bodyLen int) ([]byte, error) {
	if bodyLen < 0 {
		panic(fmt.Sprintf("remoting: AppendFrameHead with negative body length %d", bodyLen))
	}
	start := len(dst)
	out := append(dst, 0, 0, 0, 0, 0, 0, 0, 0)
	var err error
	switch c.Serialize {
	case SerializeJSON:
		out = appendJSONHeader(out, c)
	case SerializeRocketMQ:
		out, err = appendBinaryHeader(out, c)
	default:
		err = fmt.Errorf("%w: unknown header serialization type %d", ErrUnencodable, byte(c.Serialize))
	}
	if err != nil {
		return dst[:start], err
	}
	headerBytes := len(out) - start - frameHeadFixedBytes
	if headerBytes > MaxHeaderBytes {
		return dst[:start], fmt.Errorf("%w: header of %d bytes, limit %d", ErrUnencodable, headerBytes, MaxHeaderBytes)
	}
	total := int64(headerLengthFieldBytes) + int64(headerBytes) + int64(bodyLen)
	if total > math.MaxInt32 {
		return dst[:start], fmt.Errorf("%w: %d bytes do not fit the int32 length field", ErrFrameTooLarge, total)
	}
	binary.BigEndian.PutUint32(out[start:], uint32(total))
	binary.BigEndian.PutUint32(out[start+lengthFieldBytes:], uint32(c.Serialize)<<24|uint32(headerBytes))
	return out, nil
}
