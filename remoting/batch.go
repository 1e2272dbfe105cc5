package remoting

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Batch body layout (SEND_BATCH_MESSAGE, spec/remoting.md §4.3): the
// messages of one topic and queue, concatenated, each
//
//	offset size  field
//	0      4     totalSize   whole entry, these 4 bytes included
//	4      4     magic       ignored (clients send 0)
//	8      4     bodyCRC     ignored (the store computes it)
//	12     4     flag        user flag
//	16     4     bodyLen
//	20     n     body
//	20+n   2     propsLen
//	22+n   m     properties  name 0x01 value 0x02 ...
//
// so totalSize = 22 + bodyLen + propsLen. All integers big-endian.

// BatchEntryFixedBytes is the size of an entry with empty body and
// properties.
const BatchEntryFixedBytes = 22

// MaxBatchMessages bounds the messages of one batch; RocketMQ bounds a batch
// only by its byte size, which at maxMessageSize and the minimum entry
// size is far above any real batch.
const MaxBatchMessages = 100_000

// ErrBadBatch is wrapped by every batch decoding error.
var ErrBadBatch = errors.New("remoting: malformed batch body")

// BatchEntry is one decoded message of a batch; Body and Properties alias the
// request body.
type BatchEntry struct {
	Flag       int32
	Body       []byte
	Properties []byte
}

// DecodeBatch splits a batch body into its messages. It never panics: a
// length that disagrees with the bytes is an error naming the entry.
func DecodeBatch(b []byte) ([]BatchEntry, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrBadBatch)
	}
	var out []BatchEntry
	for off := 0; off < len(b); {
		i := len(out)
		if len(out) >= MaxBatchMessages {
			return nil, fmt.Errorf("%w: more than %d messages", ErrBadBatch, MaxBatchMessages)
		}
		rest := b[off:]
		if len(rest) < BatchEntryFixedBytes {
			return nil, fmt.Errorf("%w: message %d: %d bytes left, need at least %d", ErrBadBatch, i, len(rest), BatchEntryFixedBytes)
		}
		total := int64(int32(binary.BigEndian.Uint32(rest)))
		if total < BatchEntryFixedBytes || total > int64(len(rest)) {
			return nil, fmt.Errorf("%w: message %d: totalSize %d outside [%d, %d]", ErrBadBatch, i, total, BatchEntryFixedBytes, len(rest))
		}
		e := rest[:total]
		flag := int32(binary.BigEndian.Uint32(e[12:]))
		bodyLen := int64(int32(binary.BigEndian.Uint32(e[16:])))
		if bodyLen < 0 || 20+bodyLen+2 > total {
			return nil, fmt.Errorf("%w: message %d: bodyLen %d does not fit totalSize %d", ErrBadBatch, i, bodyLen, total)
		}
		body := e[20 : 20+bodyLen]
		p := 20 + bodyLen
		propsLen := int64(binary.BigEndian.Uint16(e[p:]))
		if p+2+propsLen != total {
			return nil, fmt.Errorf("%w: message %d: propsLen %d, body %d and totalSize %d disagree", ErrBadBatch, i, propsLen, bodyLen, total)
		}
		out = append(out, BatchEntry{Flag: flag, Body: body, Properties: e[p+2 : p+2+propsLen]})
		off += int(total)
	}
	return out, nil
}

// AppendBatchEntry encodes one batch entry (for clients and tests).
func AppendBatchEntry(dst []byte, flag int32, body, props []byte) []byte {
	total := BatchEntryFixedBytes + len(body) + len(props)
	dst = binary.BigEndian.AppendUint32(dst, uint32(total))
	dst = binary.BigEndian.AppendUint32(dst, 0)
	dst = binary.BigEndian.AppendUint32(dst, 0)
	dst = binary.BigEndian.AppendUint32(dst, uint32(flag))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(body)))
	dst = append(dst, body...)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(props)))
	return append(dst, props...)
}
