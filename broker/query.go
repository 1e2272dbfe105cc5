package broker

import (
	"errors"
	"fmt"

	"github.com/apogeemq/apogee/remoting"
	"github.com/apogeemq/apogee/store"
)

// Message queries (RocketMQ's QueryMessageProcessor): QUERY_MESSAGE finds
// messages by key in the IndexFiles, VIEW_MESSAGE_BY_ID reads one record
// by its CommitLog offset (the offset message id). Both answer with whole
// CommitLog records as the body, handed to the connection without copies,
// as a pull does; a client decodes them as a pull body.

// uniqueKeyQueryMaxNum is the most matches of a lookup by UNIQ_KEY
// (QUERY_MESSAGE with UniqueKeyQueryFlag), whatever maxNum the request
// carries: RocketMQ's defaultQueryMaxNum. A retried or re-sent message
// shares its UNIQ_KEY with its copies, so a lookup may match several.
const uniqueKeyQueryMaxNum = 32

// queryReplyHeadroomBytes is kept free of records in a query answer for
// the frame's header: the answer must fit one frame of the client's
// (16 MiB for Java and Apogee's clients).
const queryReplyHeadroomBytes = 64 << 10

// maxQueryReplyBytes bounds the records of one query answer; records past
// it are left out (the first one always goes, a message fits a frame).
func (b *Broker) maxQueryReplyBytes() int {
	limit := b.cfg.MaxFrameBytes
	if limit <= 0 {
		limit = remoting.DefaultMaxFrameBytes
	}
	return limit - queryReplyHeadroomBytes
}

// queryMessage serves QUERY_MESSAGE: the messages of the topic whose KEYS
// or UNIQ_KEY hold the key, stored within [beginTimestamp, endTimestamp],
// newest first, at most maxNum (and the store's MaxQueryResults).
// Nothing found is QUERY_NOT_FOUND. Both answers carry the index's last
// update (indexLastUpdateTimestamp, indexLastUpdatePhyoffset).
func (b *Broker) queryMessage(p remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, ok := header(req, reply, remoting.DecodeQueryMessageRequestHeader)
	if !ok {
		return
	}
	maxNum := int(h.MaxNum)
	if req.ExtFields[remoting.UniqueKeyQueryFlag] == "true" {
		maxNum = uniqueKeyQueryMaxNum
	}
	r, err := b.store.QueryByKey(h.Topic, h.Key, maxNum, h.BeginTimestamp, h.EndTimestamp)
	switch {
	case errors.Is(err, store.ErrIndexDisabled):
		reply(remoting.NewResponse(req, remoting.ResQueryNotFound, "can not find message, the message index is disabled (messageIndexEnable=false)"))
		return
	case err != nil:
		reply(remoting.NewResponse(req, remoting.ResSystemError, fmt.Sprintf("query by key %q of topic %s failed: %v", h.Key, h.Topic, err)))
		return
	}
	ext := remoting.QueryMessageResponseHeader{
		IndexLastUpdateTimestamp: r.IndexLastUpdateTimestampMs,
		IndexLastUpdatePhyoffset: r.IndexLastUpdatePhyOffset,
	}.ToExtFields()
	if len(r.Messages) == 0 {
		r.Release()
		resp := remoting.NewResponse(req, remoting.ResQueryNotFound, "can not find message, maybe time range not correct")
		resp.ExtFields = ext
		reply(resp)
		return
	}
	parts, total := r.Messages, 0
	for i, m := range parts {
		if total += len(m); i > 0 && total > b.maxQueryReplyBytes() {
			parts = parts[:i]
			break
		}
	}
	resp := remoting.NewResponse(req, remoting.ResSuccess, "")
	resp.ExtFields = ext
	p.ReplyParts(req, resp, parts, func(error) { r.Release() })
}

// viewMessageByID serves VIEW_MESSAGE_BY_ID: the record at the CommitLog
// offset (the offset message id's second half). An offset that does not
// start a record — past the end, below the oldest segment kept, inside
// another record, at the blank end of a segment — is SYSTEM_ERROR, as in
// RocketMQ, with the reason in the remark.
func (b *Broker) viewMessageByID(p remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, ok := header(req, reply, remoting.DecodeViewMessageByIDRequestHeader)
	if !ok {
		return
	}
	rec, ref, err := b.store.ReadRecord(h.Offset)
	if err != nil {
		reply(remoting.NewResponse(req, remoting.ResSystemError, fmt.Sprintf("can not find message by the offset, %d: %v", h.Offset, err)))
		return
	}
	p.ReplyParts(req, remoting.NewResponse(req, remoting.ResSuccess, ""), [][]byte{rec.Raw}, func(error) { ref.Release() })
}
