package client

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/apogeemq/apogee/commitlog"
)

// Compression types of a record's sysFlag bits 8-10 (RocketMQ 5); 0 is the
// legacy zlib of 4.x clients.
const (
	compressionLegacy int32 = 0
	compressionZlib   int32 = 0x300
)

// decodePullBody decodes a pull answer's body, a concatenation of CommitLog
// records (spec §5.4). Compressed bodies are inflated into at most
// maxInflateBytes; with sub, only the messages whose tag it matches are
// kept (and only those are inflated). Any record that does not decode
// fails the whole body with an error wrapping ErrBadPullBody. The messages'
// uncompressed bodies alias body, each capped at its own length.
func decodePullBody(body []byte, maxInflateBytes int, sub *subscription) ([]*MessageExt, error) {
	var exts []MessageExt
	topic := "" // the records of one queue share it: one string for all
	for off, i := 0, 0; off < len(body); i++ {
		r, err := commitlog.Decode(body[off:], false)
		if err != nil {
			return nil, fmt.Errorf("%w: record %d at byte %d of %d: %w", ErrBadPullBody, i, off, len(body), err)
		}
		off += int(r.TotalSize)
		if string(r.Topic) != topic {
			topic = string(r.Topic)
		}
		m, keep, err := messageOf(&r, topic, maxInflateBytes, sub)
		if err != nil {
			return nil, fmt.Errorf("record %d (queue offset %d): %w", i, r.QueueOffset, err)
		}
		if keep {
			exts = append(exts, m)
		}
	}
	out := make([]*MessageExt, len(exts))
	for i := range exts {
		out[i] = &exts[i]
	}
	return out, nil
}

// messageOf turns a decoded record of topic into a MessageExt, or reports
// that sub drops it.
func messageOf(r *commitlog.Record, topic string, maxInflateBytes int, sub *subscription) (MessageExt, bool, error) {
	props := commitlog.ParseProperties(r.Properties)
	tags := props[commitlog.PropertyTags]
	if sub != nil && !sub.matches(tags) {
		return MessageExt{}, false, nil
	}
	m := MessageExt{
		Message: Message{
			Topic:      topic,
			Tags:       tags,
			Body:       r.Body[:len(r.Body):len(r.Body)], // appending must not reach the next record
			Flag:       r.Flag,
			Properties: props,
		},
		OffsetMsgID:               commitlog.FormatOffsetMsgID(r.StoreHost, r.PhysOffset),
		QueueID:                   r.QueueID,
		QueueOffset:               r.QueueOffset,
		CommitLogOffset:           r.PhysOffset,
		SysFlag:                   r.SysFlag,
		BornHost:                  r.BornHost,
		StoreHost:                 r.StoreHost,
		BornTimestampMs:           r.BornTimestampMs,
		StoreTimestampMs:          r.StoreTimestampMs,
		ReconsumeTimes:            r.ReconsumeTimes,
		PreparedTransactionOffset: r.PreparedTransactionOffset,
		BodyCRC:                   r.BodyCRC,
	}
	if keys := props[commitlog.PropertyKeys]; keys != "" {
		m.Keys = strings.Fields(keys)
	}
	m.MsgID = cmp.Or(props[commitlog.PropertyUniqKey], m.OffsetMsgID)
	if r.SysFlag&commitlog.SysFlagCompressed != 0 {
		switch t := r.SysFlag & commitlog.SysFlagCompressionTypeMask; t {
		case compressionLegacy, compressionZlib:
		default:
			return MessageExt{}, false, fmt.Errorf("%w: compression type %#x is not zlib", ErrBadPullBody, t)
		}
		body, err := inflate(r.Body, maxInflateBytes)
		if err != nil {
			return MessageExt{}, false, err
		}
		m.Body = body
	}
	return m, true, nil
}
