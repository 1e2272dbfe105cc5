package broker

import (
	"fmt"
	"strconv"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/remoting"
	"github.com/apogeemq/apogee/store"
	"github.com/apogeemq/apogee/store/configfile"
)

const (
	// dlqQueueNums is the queue count of a %DLQ% topic
	// (DLQ_NUMS_PER_GROUP).
	dlqQueueNums = 1
	// firstRetryLevel is the delay level of a group's first retry when the
	// consumer leaves the choice to the broker: retry n waits level
	// firstRetryLevel+n-1 (10 s, 30 s, 1 m, ... with the default levels).
	firstRetryLevel = 3
	// topicSysFlagUnitSub is TopicSysFlag.FLAG_UNIT_SUB, set on the retry
	// topic of a unit-mode consumer.
	topicSysFlagUnitSub = 0x2
)

// consumerSendMsgBack serves CONSUMER_SEND_MSG_BACK (spec/store.md §9): a
// consumer hands back a message it failed to consume. The broker reads the
// original record by its CommitLog offset and stores a copy for the group:
// into %RETRY%<group> with a delay level (the request's, or 3 +
// reconsumeTimes when it says 0), parked in SCHEDULE_TOPIC_XXXX until due;
// or, when the record was already consumed maxReconsumeTimes times (the
// request's value, else the group's retryMaxTimes) or the request's level is
// negative, into %DLQ%<group> at once. The copy carries reconsumeTimes + 1,
// RETRY_TOPIC (the original topic, unless already set), ORIGIN_MESSAGE_ID
// (the offset msgId of the first delivery, unless already set) and
// WAIT=false. Answers follow RocketMQ's: SUBSCRIPTION_GROUP_NOT_EXIST for
// an unknown group that may not be created, NO_PERMISSION when the broker
// or the retry topic is not writable, SYSTEM_ERROR for an offset that names
// no record or a put that fails, and SUCCESS without storing anything for a
// group with retryQueueNums 0.
func (b *Broker) consumerSendMsgBack(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, ok := header(req, reply, remoting.DecodeConsumerSendMsgBackRequestHeader)
	if !ok {
		return
	}
	answer := func(code int32, remark string) { reply(remoting.NewResponse(req, code, remark)) }
	if b.isSlave() {
		answer(remoting.ResServiceNotAvailable, "the broker is a slave and does not accept messages")
		return
	}
	g, found, err := b.groups.findOrCreate(h.Group, b.cfg.AutoCreateSubscriptionGroup && ValidateGroup(h.Group) == nil)
	switch {
	case err != nil:
		answer(remoting.ResSystemError, err.Error())
		return
	case !found:
		answer(remoting.ResSubscriptionGroupNotExist, fmt.Sprintf("subscription group not exist, %s", h.Group))
		return
	}
	if b.cfg.BrokerPermission&configfile.PermWrite == 0 {
		answer(remoting.ResNoPermission, fmt.Sprintf("the broker[%s] sending message is forbidden", b.cfg.BrokerIP1))
		return
	}
	if g.RetryQueueNums <= 0 {
		answer(remoting.ResSuccess, "")
		return
	}
	topic := RetryGroupPrefix + h.Group
	var sysFlag int32
	if h.UnitMode {
		sysFlag = topicSysFlagUnitSub
	}
	tc, err := b.sendBackTopic(topic, min(g.RetryQueueNums, maxTopicQueueNums), sysFlag)
	if err != nil {
		answer(remoting.ResSystemError, err.Error())
		return
	}
	if tc.Perm&configfile.PermWrite == 0 || tc.WriteQueueNums <= 0 {
		answer(remoting.ResNoPermission, fmt.Sprintf("the topic[%s] sending message is forbidden", topic))
		return
	}
	// A random queue the group reads: RocketMQ draws from retryQueueNums
	// even when the existing topic has fewer queues.
	queueID := int32(b.env.Rand.Intn(int(min(g.RetryQueueNums, tc.WriteQueueNums, maxTopicQueueNums))))
	if h.Offset < 0 {
		answer(remoting.ResSystemError, fmt.Sprintf("look message by offset failed, %d", h.Offset))
		return
	}
	rec, ref, err := b.store.ReadRecord(h.Offset)
	if err != nil {
		answer(remoting.ResSystemError, fmt.Sprintf("look message by offset failed, %d: %v", h.Offset, err))
		return
	}
	defer ref.Release()

	maxTimes := g.RetryMaxTimes
	if h.MaxReconsumeTimes >= 0 {
		maxTimes = h.MaxReconsumeTimes
	}
	m := b.sendBackMessage(&rec)
	if rec.ReconsumeTimes >= maxTimes || h.DelayLevel < 0 {
		topic, queueID = DLQGroupPrefix+h.Group, int32(b.env.Rand.Intn(dlqQueueNums))
		if _, err := b.sendBackTopic(topic, dlqQueueNums, 0); err != nil {
			answer(remoting.ResSystemError, err.Error())
			return
		}
		uniq, _ := commitlog.PropertyValue(rec.Properties, commitlog.PropertyUniqKey)
		b.log.Info("broker: message sent to the dead-letter queue", "dlq", topic, "originalTopic", h.OriginTopic,
			"group", h.Group, "uniqKey", string(uniq), "reconsumeTimes", rec.ReconsumeTimes, "maxReconsumeTimes", maxTimes)
	} else {
		level := h.DelayLevel
		if level == 0 {
			level = firstRetryLevel + rec.ReconsumeTimes
		}
		m.Properties = commitlog.AppendProperty(m.Properties, commitlog.PropertyDelayLevel, strconv.Itoa(int(level)))
	}
	m.Topic, m.QueueID = topic, queueID
	b.PutMessage(&m, func(r store.PutResult) {
		if r.Status.Stored() {
			answer(remoting.ResSuccess, "")
			return
		}
		remark := r.Status.String()
		if r.Err != nil {
			remark += ": " + r.Err.Error()
		}
		answer(remoting.ResSystemError, remark)
	})
}

// sendBackMessage builds the copy of a record that a send-back stores,
// without its topic, queue and delay level: reconsumeTimes + 1, RETRY_TOPIC
// and ORIGIN_MESSAGE_ID set unless present, WAIT=false, and no DELAY,
// REAL_TOPIC or REAL_QID left from an earlier parking. Body and flag,
// sysFlag, born host and time are the record's.
func (b *Broker) sendBackMessage(rec *commitlog.Record) commitlog.Message {
	props := commitlog.AppendWithout(make([]byte, 0, len(rec.Properties)+sendBackPropsBytes(rec)), rec.Properties,
		commitlog.PropertyDelayLevel, commitlog.PropertyWait, commitlog.PropertyRealTopic, commitlog.PropertyRealQueueID)
	if v, ok := commitlog.PropertyValue(props, commitlog.PropertyRetryTopic); !ok || len(v) == 0 {
		props = commitlog.AppendProperty(props, commitlog.PropertyRetryTopic, string(rec.Topic))
	}
	if v, ok := commitlog.PropertyValue(props, commitlog.PropertyOriginMessageID); !ok || len(v) == 0 {
		props = commitlog.AppendProperty(props, commitlog.PropertyOriginMessageID,
			commitlog.FormatOffsetMsgID(rec.StoreHost, rec.PhysOffset))
	}
	props = commitlog.AppendProperty(props, commitlog.PropertyWait, "false")
	return commitlog.Message{
		Flag:            rec.Flag,
		SysFlag:         rec.SysFlag,
		BornTimestampMs: rec.BornTimestampMs,
		BornHost:        rec.BornHost,
		StoreHost:       b.storeHostNow(),
		ReconsumeTimes:  rec.ReconsumeTimes + 1,
		Body:            rec.Body,
		Properties:      props,
	}
}

// sendBackPropsBytes bounds what sendBackMessage and the delay level add to
// a record's properties: RETRY_TOPIC, ORIGIN_MESSAGE_ID (at most 56 hex
// digits), WAIT and DELAY pairs with their separators.
func sendBackPropsBytes(rec *commitlog.Record) int {
	const pair = 2 // the two separators of a pair
	return len(commitlog.PropertyRetryTopic) + len(rec.Topic) + pair +
		len(commitlog.PropertyOriginMessageID) + 56 + pair +
		len(commitlog.PropertyWait) + len("false") + pair +
		len(commitlog.PropertyDelayLevel) + len("-2147483648") + pair
}

// sendBackTopic returns a retry or dead-letter topic, creating it with
// queues read and write queues when it does not exist (RocketMQ's
// createTopicInSendMessageBackMethod) and registering it with the name
// servers, so that consumers find a route to it.
func (b *Broker) sendBackTopic(topic string, queues int32, sysFlag int32) (configfile.TopicConfig, error) {
	if tc, ok := b.topics.get(topic); ok {
		return tc, nil
	}
	tc := configfile.NewTopicConfig(topic)
	tc.ReadQueueNums, tc.WriteQueueNums = queues, queues
	tc.Perm = configfile.PermRead | configfile.PermWrite
	tc.TopicSysFlag = sysFlag
	got, created, err := b.topics.createIfAbsent(tc)
	if err != nil {
		return got, err
	}
	if created {
		b.log.Info("broker: topic created for a send-back", "topic", topic, "queues", queues)
		b.registerSoon()
	}
	return got, nil
}

// retrySendTarget applies RocketMQ's handleRetryAndDLQ to a send to
// %RETRY%<group> that checkSend has passed — the official clients' resend
// of a message whose send-back failed, with reconsumeTimes already counting
// the failed attempt. The group must exist or be creatable
// (SUBSCRIPTION_GROUP_NOT_EXIST otherwise). When reconsumeTimes is past
// maxReconsumeTimes (the header's when it carries one, else the group's
// retryMaxTimes) the message goes to %DLQ%<group> instead: h's topic and
// queue are changed to the dead-letter topic's (created as a send-back
// creates it) and DELAY is dropped, so that it is stored at once. RocketMQ
// 5 compares with > as here, counting the client's increment; 4.x compared
// with >=, which sent a resent message to the dead letters one retry
// earlier than a send-back. (RocketMQ 5 also dead-letters at once for a
// group that holds orderly locks; Apogee does not.)
func (b *Broker) retrySendTarget(h *remoting.SendMessageRequestHeader, tc configfile.TopicConfig) (configfile.TopicConfig, int32, string) {
	group := h.Topic[len(RetryGroupPrefix):]
	g, found, err := b.groups.findOrCreate(group, b.cfg.AutoCreateSubscriptionGroup && ValidateGroup(group) == nil)
	switch {
	case err != nil:
		return tc, remoting.ResSystemError, err.Error()
	case !found:
		return tc, remoting.ResSubscriptionGroupNotExist, fmt.Sprintf("subscription group not exist, %s", group)
	}
	maxTimes := g.RetryMaxTimes
	if h.MaxReconsumeTimes != remoting.MaxReconsumeTimesUnset {
		maxTimes = h.MaxReconsumeTimes
	}
	if h.ReconsumeTimes <= maxTimes {
		return tc, remoting.ResSuccess, ""
	}
	dlq := DLQGroupPrefix + group
	dtc, err := b.sendBackTopic(dlq, dlqQueueNums, 0)
	if err != nil {
		return tc, remoting.ResSystemError, fmt.Sprintf("topic[%s] not exist: %v", dlq, err)
	}
	props := []byte(h.Properties)
	uniq, _ := commitlog.PropertyValue(props, commitlog.PropertyUniqKey)
	b.log.Info("broker: resent message sent to the dead-letter queue", "dlq", dlq, "group", group,
		"uniqKey", string(uniq), "reconsumeTimes", h.ReconsumeTimes, "maxReconsumeTimes", maxTimes)
	h.Topic = dlq
	h.QueueID = int32(b.env.Rand.Intn(dlqQueueNums))
	h.Properties = string(commitlog.AppendWithout(make([]byte, 0, len(props)), props, commitlog.PropertyDelayLevel))
	return dtc, remoting.ResSuccess, ""
}
