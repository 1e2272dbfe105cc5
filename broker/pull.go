package broker

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/apogeemq/apogee/remoting"
	"github.com/apogeemq/apogee/store"
	"github.com/apogeemq/apogee/store/configfile"
)

// maxPullBatch bounds maxMsgNums; the store bounds the bytes of one answer
// as well (maxTransferBytesOnMessageInMemory).
const maxPullBatch = 1024

// pull serves PULL_MESSAGE.
func (b *Broker) pull(p remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	b.processPull(p, req, reply, true)
}

// processPull answers a pull, or holds it when nothing is there yet and
// allowSuspend (the first time a request is processed; a woken or expired
// hold runs again without it). It reads the store inside the read fence
// (ha_fence.go), which it leaves once the answer's records are released.
func (b *Broker) processPull(p remoting.Peer, req *remoting.Command, reply func(*remoting.Command), allowSuspend bool) {
	h, ok := header(req, reply, remoting.DecodePullMessageRequestHeader)
	if !ok {
		return
	}
	if !b.fence.enter() {
		b.pullFenced(p, req, reply, &h, allowSuspend)
		return
	}
	inFence := true
	defer func() {
		if inFence {
			b.fence.leave()
		}
	}()
	resp := func(code int32, remark string, next int64) *remoting.Command {
		r := remoting.NewResponse(req, code, remark)
		r.ExtFields = remoting.PullMessageResponseHeader{
			NextBeginOffset: next,
			MinOffset:       b.store.MinOffsetInQueue(h.Topic, h.QueueID),
			MaxOffset:       b.store.MaxOffsetInQueue(h.Topic, h.QueueID),
		}.ToExtFields()
		return r
	}
	sub, g, code, remark := b.checkPull(p, &h)
	if code != remoting.ResSuccess {
		reply(resp(code, remark, h.QueueOffset))
		return
	}
	maxMsgs := int(h.MaxMsgNums)
	if maxMsgs <= 0 {
		maxMsgs = DefaultMaxPullBatch
	}
	maxMsgs = min(maxMsgs, maxPullBatch)
	var filter store.TagFilter
	if sub != nil && !sub.all {
		filter = sub.matches
	}
	r := b.store.Get(h.Topic, h.QueueID, h.QueueOffset, maxMsgs, filter)
	code, remark = pullCode(r.Status, h.QueueOffset)
	hdr := remoting.PullMessageResponseHeader{NextBeginOffset: r.NextBeginOffset, MinOffset: r.MinOffset, MaxOffset: r.MaxOffset,
		SuggestWhichBrokerID: b.suggestBroker(&g, r)}
	slaveLag := false
	if code == remoting.ResPullOffsetMoved && b.isSlave() {
		// A slave never moves a consumer's offset (RocketMQ's
		// offsetCheckInSlave=false): past its end it may only lag its
		// master, and below its start it may only have started copying
		// later than the master's oldest file. The pull waits as one that
		// found nothing new, at the offset it asked for.
		code, remark, slaveLag = remoting.ResPullNotFound, "the slave does not hold this offset", true
		hdr.NextBeginOffset = h.QueueOffset
	}

	if allowSuspend && h.SysFlag&remoting.PullFlagCommitOffset != 0 && !b.isSlave() {
		b.offsets.commit(h.ConsumerGroup, h.Topic, h.QueueID, h.CommitOffset)
	}

	if code == remoting.ResSuccess {
		b.stats.getTotal.Add(int64(len(r.Messages)))
		out := remoting.NewResponse(req, code, remark)
		out.ExtFields = hdr.ToExtFields()
		inFence = false
		p.ReplyParts(req, out, r.Messages, func(error) {
			r.Release()
			b.fence.leave()
		})
		return
	}
	r.Release()
	if code == remoting.ResPullNotFound && allowSuspend && h.SysFlag&remoting.PullFlagSuspend != 0 {
		d := time.Duration(h.SuspendTimeoutMillis) * time.Millisecond
		if !b.cfg.LongPollingEnable || d <= 0 {
			d = b.cfg.ShortPollingTime
		}
		hp := &heldPull{peer: p, req: req, reply: reply, key: queueKey{h.Topic, h.QueueID}, offset: h.QueueOffset, sub: sub}
		if b.holds.hold(hp, d, b.rerunHeld) {
			// A message that arrived between the read and the hold woke
			// nobody: look again.
			if !slaveLag && b.store.MaxOffsetInQueue(h.Topic, h.QueueID) > h.QueueOffset {
				inFence = false
				b.fence.leave()
				for _, w := range b.holds.arrived(hp.key, h.QueueOffset, 0, false) {
					b.rerunHeld(w)
				}
			}
			return
		}
	}
	out := remoting.NewResponse(req, code, remark)
	out.ExtFields = hdr.ToExtFields()
	reply(out)
}

// pullFenced answers a pull that the read fence turned away (replication
// is cutting the log: a slave parting from its master's history, or a
// promotion): held for ShortPollingTime when
// it may wait, so that the client asks again soon, else PULL_NOT_FOUND at
// the offset it asked for. Nothing of the store is read.
func (b *Broker) pullFenced(p remoting.Peer, req *remoting.Command, reply func(*remoting.Command), h *remoting.PullMessageRequestHeader, allowSuspend bool) {
	if allowSuspend && h.SysFlag&remoting.PullFlagSuspend != 0 {
		hp := &heldPull{peer: p, req: req, reply: reply, key: queueKey{h.Topic, h.QueueID}, offset: h.QueueOffset}
		if b.holds.hold(hp, b.cfg.ShortPollingTime, b.rerunHeld) {
			return
		}
	}
	out := remoting.NewResponse(req, remoting.ResPullNotFound, errLogBeingCut)
	out.ExtFields = remoting.PullMessageResponseHeader{NextBeginOffset: h.QueueOffset, MinOffset: h.QueueOffset, MaxOffset: h.QueueOffset}.ToExtFields()
	reply(out)
}

// recordPhysOffsetAt is where a CommitLog record holds its own
// PHYSICALOFFSET (the record layout's fixed head, commitlog package doc).
const recordPhysOffsetAt = 28

// suggestBroker returns suggestWhichBrokerId, the broker id the consumer
// should pull the queue from next, as RocketMQ 4.x's PullMessageProcessor
// computes it: without slaveReadEnable always the master (0); with it, the
// group's whichBrokerWhenConsumeSlowly (1 by default, a slave) when the
// answer's last message lies SlowConsumerLagBytes or more behind the
// CommitLog's end (the consumer reads old data, which a master would have
// to fetch from disk), else the group's brokerId (0 by default). A broker
// always serves a pull it receives, slave or not, so a client that falls
// back to a slave while its master is away keeps consuming.
func (b *Broker) suggestBroker(g *configfile.SubscriptionGroupConfig, r *store.GetResult) int64 {
	if !b.cfg.SlaveReadEnable {
		return masterBrokerID
	}
	if n := len(r.Messages); n > 0 {
		last := r.Messages[n-1]
		if len(last) >= recordPhysOffsetAt+8 {
			phys := int64(binary.BigEndian.Uint64(last[recordPhysOffsetAt:]))
			if b.store.CommitLogMaxOffset()-phys >= b.cfg.SlowConsumerLagBytes {
				return g.WhichBrokerWhenConsumeSlowly
			}
		}
	}
	return g.BrokerID
}

// rerunHeld answers a pull that left the hold table.
func (b *Broker) rerunHeld(hp *heldPull) { b.processPull(hp.peer, hp.req, hp.reply, false) }

// pullCode maps a Get status to RocketMQ's pull answer codes.
func pullCode(s store.GetStatus, requested int64) (int32, string) {
	switch s {
	case store.GetFound:
		return remoting.ResSuccess, "FOUND"
	case store.GetMessageWasRemoving, store.GetNoMatchedMessage:
		return remoting.ResPullRetryImmediately, s.String()
	case store.GetNoMatchedLogicQueue, store.GetNoMessageInQueue:
		if requested != 0 {
			return remoting.ResPullOffsetMoved, s.String()
		}
		return remoting.ResPullNotFound, s.String()
	case store.GetOffsetFoundNull, store.GetOffsetOverflowOne:
		return remoting.ResPullNotFound, s.String()
	case store.GetOffsetOverflowBadly, store.GetOffsetTooSmall:
		return remoting.ResPullOffsetMoved, s.String()
	default:
		return remoting.ResSystemError, s.String()
	}
}

// checkPull validates a pull as RocketMQ's PullMessageProcessor does and
// returns the subscription to filter with (nil: everything) and the
// group's config (which broker it should pull from).
func (b *Broker) checkPull(p remoting.Peer, h *remoting.PullMessageRequestHeader) (*subscription, configfile.SubscriptionGroupConfig, int32, string) {
	var g configfile.SubscriptionGroupConfig
	if b.cfg.BrokerPermission&configfile.PermRead == 0 {
		return nil, g, remoting.ResNoPermission, fmt.Sprintf("the broker[%s] pulling message is forbidden", b.cfg.BrokerName)
	}
	if err := ValidateGroup(h.ConsumerGroup); err != nil {
		return nil, g, remoting.ResSubscriptionGroupNotExist, err.Error()
	}
	g, ok, err := b.groups.findOrCreate(h.ConsumerGroup, b.cfg.AutoCreateSubscriptionGroup)
	if err != nil {
		return nil, g, remoting.ResSystemError, err.Error()
	}
	if !ok {
		return nil, g, remoting.ResSubscriptionGroupNotExist, fmt.Sprintf("subscription group [%s] does not exist", h.ConsumerGroup)
	}
	if !g.ConsumeEnable {
		return nil, g, remoting.ResNoPermission, fmt.Sprintf("subscription group [%s] does not have permission to consume", h.ConsumerGroup)
	}
	tc, ok := b.topics.get(h.Topic)
	if !ok {
		return nil, g, remoting.ResTopicNotExist, fmt.Sprintf("topic[%s] not exist, apply first please!", h.Topic)
	}
	if tc.Perm&configfile.PermRead == 0 {
		return nil, g, remoting.ResNoPermission, fmt.Sprintf("the topic[%s] pulling message is forbidden", h.Topic)
	}
	if h.QueueID < 0 || h.QueueID >= tc.ReadQueueNums {
		return nil, g, remoting.ResSystemError, fmt.Sprintf("queueId[%d] is illegal, topic:[%s] topicConfig.readQueueNums:[%d] consumer:[%s]",
			h.QueueID, h.Topic, tc.ReadQueueNums, p.RemoteAddr())
	}
	if h.SysFlag&remoting.PullFlagSubscription != 0 {
		sub, err := parseSubscription(h.Topic, h.Subscription, h.ExpressionType, h.SubVersion)
		if err != nil {
			return nil, g, remoting.ResSubscriptionParseFailed, fmt.Sprintf("parse the consumer's subscription[%s] failed: %v", h.Subscription, err)
		}
		return sub, g, remoting.ResSuccess, ""
	}
	sub, model, known := b.clients.findSubscription(h.ConsumerGroup, h.Topic)
	if !known {
		return nil, g, remoting.ResSubscriptionNotExist, fmt.Sprintf("the consumer's group info not exist, group [%s]", h.ConsumerGroup)
	}
	if model == ModelBroadcasting && !g.ConsumeBroadcastEnable {
		return nil, g, remoting.ResNoPermission, fmt.Sprintf("the consumer group[%s] can not consume by broadcast way", h.ConsumerGroup)
	}
	if sub == nil {
		return nil, g, remoting.ResSubscriptionNotExist, fmt.Sprintf("the consumer's subscription not exist, group [%s] topic [%s]", h.ConsumerGroup, h.Topic)
	}
	if sub.subVersion < h.SubVersion {
		return nil, g, remoting.ResSubscriptionNotLatest, fmt.Sprintf("the consumer's subscription not latest, group [%s] topic [%s]", h.ConsumerGroup, h.Topic)
	}
	return sub, g, remoting.ResSuccess, ""
}

// onArrival wakes the pulls held on a queue that a dispatched message
// satisfies (the store's arrival listener).
func (b *Broker) onArrival(topic string, queueID int32, queueOffset int64, tagCode int64) {
	for _, hp := range b.holds.arrived(queueKey{topic, queueID}, queueOffset, tagCode, true) {
		b.rerunHeld(hp)
	}
}
