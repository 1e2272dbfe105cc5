package client

import (
	"fmt"
	"strings"

	"github.com/apogeemq/apogee/remoting"
)

// SendBatchAsync sends msgs, which must share one topic, as one batch to
// one queue (SEND_BATCH_MESSAGE) and calls cb with the outcome, never
// inside the call. The batch is retried as a single message is.
func (p *Producer) SendBatchAsync(msgs []*Message, cb func(SendResult, error)) {
	p.startSend(p.newBatchOp(msgs, cb))
}

// SendBatch is SendBatchAsync that waits for the outcome. It must not be
// used in the simulator or inside a callback.
func (p *Producer) SendBatch(msgs []*Message) (SendResult, error) {
	return wait(func(cb func(SendResult, error)) { p.SendBatchAsync(msgs, cb) })
}

// newBatchOp checks and encodes a batch (spec §4.3): each message with its
// own UNIQ_KEY, never compressed, the whole body within MaxMessageBytes.
func (p *Producer) newBatchOp(msgs []*Message, cb func(SendResult, error)) *sendOp {
	op := &sendOp{p: p, code: remoting.ReqSendBatchMessage, cb: cb}
	if len(msgs) == 0 || len(msgs) > remoting.MaxBatchMessages {
		op.err(fmt.Errorf("%w: a batch holds 1 to %d messages, not %d", ErrInvalidMessage, remoting.MaxBatchMessages, len(msgs)))
		return op
	}
	op.msg = msgs[0]
	ids := make([]string, 0, len(msgs))
	var body []byte
	for i, m := range msgs {
		if err := p.checkMessage(m); err != nil {
			op.err(fmt.Errorf("message %d of the batch: %w", i, err))
			return op
		}
		if m.Topic != msgs[0].Topic {
			op.err(fmt.Errorf("%w: message %d of the batch is for %s, the first for %s", ErrInvalidMessage, i, m.Topic, msgs[0].Topic))
			return op
		}
		props, id, err := p.encodeProperties(m)
		if err != nil {
			op.err(fmt.Errorf("message %d of the batch: %w", i, err))
			return op
		}
		body = remoting.AppendBatchEntry(body, m.Flag, m.Body, props)
		if len(body) > p.maxMessageBytes {
			op.err(fmt.Errorf("%w: the batch passes %d bytes at message %d", ErrMessageTooLarge, p.maxMessageBytes, i))
			return op
		}
		ids = append(ids, id)
	}
	op.body, op.msgID = body, strings.Join(ids, ",")
	op.header = p.sendHeader(msgs[0].Topic, 0, 0, "", true)
	return op
}
