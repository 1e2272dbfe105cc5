package broker

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/apogeemq/apogee/commitlog"
)

// Op records (spec/store.md §8): one record of RMQ_SYS_TRANS_OP_HALF_TOPIC,
// in the queue of the half message it ends, says that the half messages at
// the queue offsets in its body were committed or rolled back.
//
//	tag   "d" (TransactionalMessageUtil.REMOVETAG)
//	body  decimal half-queue offsets separated by ',' ("17", "17,3"):
//	      4.x writes one offset, 5.x batches several, up to
//	      transactionOpMsgMaxSize bytes
const (
	// opRemoveTag is the tag of an op record that ends half messages.
	opRemoveTag = "d"
	// opOffsetSeparator separates the offsets of a 5.x op body.
	opOffsetSeparator = ','
	// maxOpBodyBytes is RocketMQ 5's transactionOpMsgMaxSize: the largest
	// op body it writes. A longer one is not an op record.
	maxOpBodyBytes = 4096
	// maxOffsetDigits is the length of the largest int64.
	maxOffsetDigits = 19
)

// ErrBadOpBody means the body of an op record is not a list of half-queue
// offsets.
var ErrBadOpBody = errors.New("broker: bad transaction op body")

// decodeOpBody appends to dst the half-queue offsets an op record's body
// lists: decimal numbers in [0, MaxInt64] separated by single commas, with
// no sign, space or empty element. A 4.x body is one number. On error dst is
// returned as it came.
func decodeOpBody(dst []int64, body []byte) ([]int64, error) {
	if len(body) == 0 {
		return dst, fmt.Errorf("%w: empty", ErrBadOpBody)
	}
	if len(body) > maxOpBodyBytes {
		return dst, fmt.Errorf("%w: %d bytes, over the %d of an op record", ErrBadOpBody, len(body), maxOpBodyBytes)
	}
	kept := len(dst)
	for start := 0; start <= len(body); {
		end := start
		for end < len(body) && body[end] != opOffsetSeparator {
			end++
		}
		v, err := parseOpOffset(body[start:end])
		if err != nil {
			return dst[:kept], fmt.Errorf("%w: element at byte %d: %w", ErrBadOpBody, start, err)
		}
		dst = append(dst, v)
		start = end + 1
	}
	return dst, nil
}

// parseOpOffset reads one element of an op body.
func parseOpOffset(field []byte) (int64, error) {
	if len(field) == 0 || len(field) > maxOffsetDigits {
		return 0, fmt.Errorf("%q is not 1 to %d digits", field, maxOffsetDigits)
	}
	for _, c := range field {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a decimal number", field)
		}
	}
	return strconv.ParseInt(string(field), 10, 64)
}

// appendOpBody appends an op body listing offsets to dst.
func appendOpBody(dst []byte, offsets ...int64) []byte {
	for i, off := range offsets {
		if i > 0 {
			dst = append(dst, opOffsetSeparator)
		}
		dst = strconv.AppendInt(dst, off, 10)
	}
	return dst
}

// opProperties are the properties of every op record: the remove tag, and
// no waiting for a flush (an op record that a crash loses only makes the
// check service ask the producer again).
var opProperties = commitlog.AppendProperty(
	commitlog.AppendProperty(nil, commitlog.PropertyTags, opRemoveTag),
	commitlog.PropertyWait, "false")

// opMessage is the op record ending the half messages at offsets of the
// half queue halfQueueID, written by a broker at host at nowMs.
func opMessage(halfQueueID int32, host netip.AddrPort, nowMs int64, offsets ...int64) *commitlog.Message {
	return &commitlog.Message{
		Topic:           TransOpHalfTopic,
		QueueID:         halfQueueID,
		BornTimestampMs: nowMs,
		BornHost:        host,
		StoreHost:       host,
		Body:            appendOpBody(make([]byte, 0, 2*(maxOffsetDigits+1)), offsets...),
		Properties:      opProperties,
	}
}
