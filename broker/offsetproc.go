package broker

import (
	"fmt"

	"github.com/apogeemq/apogee/remoting"
)

// queryConsumerOffset serves QUERY_CONSUMER_OFFSET: the committed offset,
// or QUERY_NOT_FOUND when the group has none for the queue.
func (b *Broker) queryConsumerOffset(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, ok := header(req, reply, remoting.DecodeQueryConsumerOffsetRequestHeader)
	if !ok {
		return
	}
	off, ok := b.offsets.query(h.ConsumerGroup, h.Topic, h.QueueID)
	if !ok {
		reply(remoting.NewResponse(req, remoting.ResQueryNotFound, "Not found, maybe this group consumer boot first"))
		return
	}
	resp := remoting.NewResponse(req, remoting.ResSuccess, "")
	resp.ExtFields = remoting.QueryConsumerOffsetResponseHeader{Offset: off}.ToExtFields()
	reply(resp)
}

// updateConsumerOffset serves UPDATE_CONSUMER_OFFSET, on a master or a
// slave.
func (b *Broker) updateConsumerOffset(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, ok := header(req, reply, remoting.DecodeUpdateConsumerOffsetRequestHeader)
	if !ok {
		return
	}
	if err := ValidateGroup(h.ConsumerGroup); err != nil {
		reply(remoting.NewResponse(req, remoting.ResSubscriptionGroupNotExist, err.Error()))
		return
	}
	tc, ok := b.topics.get(h.Topic)
	if !ok {
		reply(remoting.NewResponse(req, remoting.ResTopicNotExist, fmt.Sprintf("topic[%s] not exist", h.Topic)))
		return
	}
	if h.QueueID < 0 || h.QueueID >= max(tc.ReadQueueNums, tc.WriteQueueNums) {
		reply(remoting.NewResponse(req, remoting.ResSystemError, fmt.Sprintf("queueId[%d] is illegal, topic[%s] has %d read queues", h.QueueID, h.Topic, tc.ReadQueueNums)))
		return
	}
	if h.CommitOffset < 0 {
		reply(remoting.NewResponse(req, remoting.ResInvalidParameter, fmt.Sprintf("commitOffset %d is negative", h.CommitOffset)))
		return
	}
	// A slave keeps what consumers commit to it too (a Java client commits
	// to the slave while its master is away), as RocketMQ's does; its next
	// copy of the master's offsets writes over the queues the master has.
	b.offsets.commit(h.ConsumerGroup, h.Topic, h.QueueID, h.CommitOffset)
	reply(remoting.NewResponse(req, remoting.ResSuccess, ""))
}

// getMaxOffset serves GET_MAX_OFFSET: the offset the next message will take.
func (b *Broker) getMaxOffset(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, ok := header(req, reply, remoting.DecodeGetMaxOffsetRequestHeader)
	if !ok {
		return
	}
	resp := remoting.NewResponse(req, remoting.ResSuccess, "")
	resp.ExtFields = remoting.GetMaxOffsetResponseHeader{Offset: b.store.MaxOffsetInQueue(h.Topic, h.QueueID)}.ToExtFields()
	reply(resp)
}

// getMinOffset serves GET_MIN_OFFSET.
func (b *Broker) getMinOffset(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, ok := header(req, reply, remoting.DecodeGetMinOffsetRequestHeader)
	if !ok {
		return
	}
	resp := remoting.NewResponse(req, remoting.ResSuccess, "")
	resp.ExtFields = remoting.GetMinOffsetResponseHeader{Offset: b.store.MinOffsetInQueue(h.Topic, h.QueueID)}.ToExtFields()
	reply(resp)
}

// searchOffset serves SEARCH_OFFSET_BY_TIMESTAMP.
func (b *Broker) searchOffset(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, ok := header(req, reply, remoting.DecodeSearchOffsetRequestHeader)
	if !ok {
		return
	}
	resp := remoting.NewResponse(req, remoting.ResSuccess, "")
	resp.ExtFields = remoting.SearchOffsetResponseHeader{Offset: b.store.OffsetInQueueByTime(h.Topic, h.QueueID, h.Timestamp)}.ToExtFields()
	reply(resp)
}

// getEarliestMsgStoreTime serves GET_EARLIEST_MSG_STORETIME.
func (b *Broker) getEarliestMsgStoreTime(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, ok := header(req, reply, remoting.DecodeGetEarliestMsgStoretimeRequestHeader)
	if !ok {
		return
	}
	ts, ok := b.store.EarliestMessageTime(h.Topic, h.QueueID)
	if !ok {
		reply(remoting.NewResponse(req, remoting.ResSystemError, fmt.Sprintf("no message in queue %d of topic %s", h.QueueID, h.Topic)))
		return
	}
	resp := remoting.NewResponse(req, remoting.ResSuccess, "")
	resp.ExtFields = remoting.GetEarliestMsgStoretimeResponseHeader{Timestamp: ts}.ToExtFields()
	reply(resp)
}
