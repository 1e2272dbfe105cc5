package broker

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/apogeemq/apogee/remoting"
)

// Offset reset by time (INVOKE_BROKER_TO_RESET_OFFSET) and the consumers'
// own view of their offsets (INVOKE_BROKER_TO_GET_CONSUMER_STATUS), as an
// operator's `mqadmin resetOffsetByTime` and `getConsumerStatus` use them.
//
// A reset computes each queue's target offset, stores it as the group's
// committed offset, and pushes RESET_CONSUMER_CLIENT_OFFSET with the whole
// table to every live connection of the group, so that running consumers
// drop what they hold and continue from there (the Go client pauses for
// 10 s while it does). The committed offsets make the reset hold for
// consumers that are not running, as RocketMQ 5's server-side reset does.

// clientStatusTimeout bounds the wait for one client's
// GET_CONSUMER_STATUS_FROM_CLIENT answer (RocketMQ's Broker2Client, 5 s).
const clientStatusTimeout = 5 * time.Second

// resetTarget is the offset a queue is reset to.
func (b *Broker) resetTarget(h *remoting.ResetOffsetRequestHeader, queueID int32) int64 {
	var target int64
	if h.Timestamp < 0 {
		target = b.store.MaxOffsetInQueue(h.Topic, queueID)
	} else {
		target = b.store.OffsetInQueueByTime(h.Topic, queueID, h.Timestamp)
	}
	target = max(target, 0)
	// Without isForce a reset only moves a group back (RocketMQ's
	// Broker2Client.resetOffset).
	if committed, ok := b.offsets.query(h.Group, h.Topic, queueID); ok && !h.IsForce && committed >= 0 && target >= committed {
		return committed
	}
	return target
}

// resetOffset serves INVOKE_BROKER_TO_RESET_OFFSET: for one queue to a
// given offset, or for every readable queue of the topic to the first
// message stored at or after the timestamp (the end of the queue for -1).
// It answers the offsets set, as a ResetOffsetBody.
func (b *Broker) resetOffset(p remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, ok := header(req, reply, remoting.DecodeResetOffsetRequestHeader)
	if !ok {
		return
	}
	if b.isSlave() {
		reply(remoting.NewResponse(req, remoting.ResSystemError, "Can not reset offset in slave broker"))
		return
	}
	tc, ok := b.topics.get(h.Topic)
	if !ok {
		reply(remoting.NewResponse(req, remoting.ResTopicNotExist, fmt.Sprintf("[reset-offset] reset offset failed, no topic in this broker. topic=%s", h.Topic)))
		return
	}
	channels := b.clients.consumerChannels(h.Group, "")
	if _, known := b.groups.get(h.Group); !known && len(channels) == 0 {
		reply(remoting.NewResponse(req, remoting.ResSubscriptionGroupNotExist, fmt.Sprintf("Group %s does not exist", h.Group)))
		return
	}
	table := map[remoting.MessageQueue]int64{}
	mq := func(id int32) remoting.MessageQueue {
		return remoting.MessageQueue{Topic: h.Topic, BrokerName: b.cfg.BrokerName, QueueID: id}
	}
	switch {
	case h.QueueID >= tc.ReadQueueNums:
		reply(remoting.NewResponse(req, remoting.ResInvalidParameter,
			fmt.Sprintf("queue %d of topic %s does not exist: it has %d read queues", h.QueueID, h.Topic, tc.ReadQueueNums)))
		return
	case h.QueueID >= 0 && h.Offset != remoting.ResetOffsetUnset:
		minOff, maxOff := b.store.MinOffsetInQueue(h.Topic, h.QueueID), b.store.MaxOffsetInQueue(h.Topic, h.QueueID)
		if h.Offset < minOff || h.Offset > maxOff {
			reply(remoting.NewResponse(req, remoting.ResSystemError,
				fmt.Sprintf("Target offset %d not in consume queue range [%d-%d]", h.Offset, minOff, maxOff)))
			return
		}
		table[mq(h.QueueID)] = h.Offset
	case h.QueueID >= 0:
		table[mq(h.QueueID)] = b.resetTarget(&h, h.QueueID)
	default:
		for id := range tc.ReadQueueNums {
			table[mq(id)] = b.resetTarget(&h, id)
		}
	}
	if len(table) == 0 {
		reply(remoting.NewResponse(req, remoting.ResSystemError, "No queues to reset."))
		return
	}
	for q, off := range table {
		b.offsets.commit(h.Group, h.Topic, q.QueueID, off)
	}
	body := remoting.AppendResetOffsetBodyJSON(nil, &remoting.ResetOffsetBody{OffsetTable: table})
	push := remoting.ResetOffsetRequestHeader{Topic: h.Topic, Group: h.Group, QueueID: remoting.ResetAllQueues,
		Offset: remoting.ResetOffsetUnset, Timestamp: h.Timestamp}.ToExtFields()
	pushed := map[uint64]bool{}
	for _, ch := range channels {
		if pushed[ch.peer.ID()] {
			continue
		}
		pushed[ch.peer.ID()] = true
		if err := ch.peer.InvokeOneway(remoting.NewRequest(remoting.ReqResetConsumerClientOffset, push, body)); err != nil {
			b.log.Warn("broker: pushing an offset reset to a consumer failed", slog.String("group", h.Group),
				slog.String("client", ch.clientID), slog.String("addr", ch.peer.RemoteAddr()), slog.Any("err", err))
		}
	}
	b.log.Info("broker: consumer offsets reset", slog.String("topic", h.Topic), slog.String("group", h.Group),
		slog.Int64("timestamp", h.Timestamp), slog.Bool("force", h.IsForce), slog.Int("queues", len(table)),
		slog.Int("consumersTold", len(pushed)), slog.String("by", p.RemoteAddr()))
	resp := remoting.NewResponse(req, remoting.ResSuccess, "")
	resp.Body = body
	reply(resp)
}

// getConsumerStatus serves INVOKE_BROKER_TO_GET_CONSUMER_STATUS: it asks
// the group's clients (or only clientAddr, a client id) for their offsets
// of the topic with GET_CONSUMER_STATUS_FROM_CLIENT and answers them by
// client id. A client that fails or does not answer in time is left out,
// as in RocketMQ; a group with no client online is SYSTEM_ERROR.
func (b *Broker) getConsumerStatus(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, ok := header(req, reply, remoting.DecodeGetConsumerStatusRequestHeader)
	if !ok {
		return
	}
	var asked []clientChannel
	for _, ch := range b.clients.consumerChannels(h.Group, h.ClientAddr) {
		if len(asked) == 0 || asked[len(asked)-1].clientID != ch.clientID {
			asked = append(asked, ch) // one connection per client id
		}
	}
	if len(asked) == 0 {
		reply(remoting.NewResponse(req, remoting.ResSystemError, fmt.Sprintf("No Any Consumer online in the consumer group: [%s]", h.Group)))
		return
	}
	ext := remoting.GetConsumerStatusRequestHeader{Topic: h.Topic, Group: h.Group}.ToExtFields()
	var (
		mu    sync.Mutex
		left  = len(asked)
		table = make(map[string]map[remoting.MessageQueue]int64, len(asked))
	)
	for _, ch := range asked {
		ch.peer.Invoke(remoting.NewRequest(remoting.ReqGetConsumerStatusFromClient, ext, nil), clientStatusTimeout, func(resp *remoting.Command, err error) {
			var status *remoting.GetConsumerStatusBody
			switch {
			case err != nil:
				b.log.Warn("broker: consumer status request failed", slog.String("client", ch.clientID), slog.Any("err", err))
			case resp.Code != remoting.ResSuccess || len(resp.Body) == 0:
				// left out, as in RocketMQ
			default:
				if status, err = remoting.DecodeGetConsumerStatusBody(resp.Body); err != nil {
					b.log.Warn("broker: consumer status answer unreadable", slog.String("client", ch.clientID), slog.Any("err", err))
				}
			}
			mu.Lock()
			if status != nil {
				table[ch.clientID] = status.MessageQueueTable
			}
			left--
			last := left == 0
			mu.Unlock()
			if last {
				out := remoting.NewResponse(req, remoting.ResSuccess, "")
				out.Body = remoting.AppendGetConsumerStatusBodyJSON(nil, &remoting.GetConsumerStatusBody{
					MessageQueueTable: map[remoting.MessageQueue]int64{}, ConsumerTable: table})
				reply(out)
			}
		})
	}
}
