package remoting

// Custom headers of the operator requests a broker serves for a consumer
// group (spec/remoting.md §5.8) and of the requests it forwards to the
// group's clients; the conventions are those of headers_broker.go.

// UniqueKeyQueryFlag is the extFields key that marks a QUERY_MESSAGE as a
// lookup by UNIQ_KEY (Java's MixAll.UNIQUE_MSG_QUERY_FLAG); its value is
// "true". The broker then ignores the request's maxNum and returns up to
// its default number of matches, as RocketMQ's QueryMessageProcessor does.
const UniqueKeyQueryFlag = "_UNIQUE_KEY_QUERY"

// ResetOffsetUnset is ResetOffsetRequestHeader.Offset when the header
// carries no offset (Java's null Long); -1 means the same to Java.
const ResetOffsetUnset int64 = -1

// ResetAllQueues is ResetOffsetRequestHeader.QueueID when every queue of
// the topic is reset (Java's default queueId of -1).
const ResetAllQueues int32 = -1

// GetConsumerRunningInfoRequestHeader is GET_CONSUMER_RUNNING_INFO's
// (ReqGetConsumerRunningInfo) request header, from an operator to the
// broker and forwarded unchanged by the broker to the client.
type GetConsumerRunningInfoRequestHeader struct {
	ConsumerGroup string // "consumerGroup", required
	ClientID      string // "clientId", required: the client asked
	JstackEnable  bool   // "jstackEnable", optional: include thread stacks
}

// ToExtFields returns h as extFields.
func (h GetConsumerRunningInfoRequestHeader) ToExtFields() map[string]string {
	return map[string]string{
		"consumerGroup": h.ConsumerGroup,
		"clientId":      h.ClientID,
		"jstackEnable":  formatBool(h.JstackEnable),
	}
}

// DecodeGetConsumerRunningInfoRequestHeader reads a
// GetConsumerRunningInfoRequestHeader.
func DecodeGetConsumerRunningInfoRequestHeader(ext map[string]string) (GetConsumerRunningInfoRequestHeader, error) {
	r := extReader{ext: ext, header: "GetConsumerRunningInfoRequestHeader"}
	h := GetConsumerRunningInfoRequestHeader{
		ConsumerGroup: r.str("consumerGroup"),
		ClientID:      r.str("clientId"),
		JstackEnable:  r.boolField("jstackEnable"),
	}
	return h, r.err
}

// ConsumeMessageDirectlyResultRequestHeader is CONSUME_MESSAGE_DIRECTLY's
// (ReqConsumeMessageDirectly) request header, from an operator to the
// broker, which adds brokerName (and the flags) and forwards it to the
// client with the message as the body.
type ConsumeMessageDirectlyResultRequestHeader struct {
	ConsumerGroup string // "consumerGroup", required
	ClientID      string // "clientId", optional: the client asked
	MsgID         string // "msgId", optional: the offset message id of the message
	BrokerName    string // "brokerName", optional: set by the broker
	Topic         string // "topic", optional (5.x)
	TopicSysFlag  int32  // "topicSysFlag", optional: set by the broker
	GroupSysFlag  int32  // "groupSysFlag", optional: set by the broker
}

// ToExtFields returns h as extFields; empty optional fields are left out.
func (h ConsumeMessageDirectlyResultRequestHeader) ToExtFields() map[string]string {
	m := map[string]string{"consumerGroup": h.ConsumerGroup}
	putOptStr(m, "clientId", h.ClientID)
	putOptStr(m, "msgId", h.MsgID)
	putOptStr(m, "brokerName", h.BrokerName)
	putOptStr(m, "topic", h.Topic)
	putOptInt(m, "topicSysFlag", h.TopicSysFlag)
	putOptInt(m, "groupSysFlag", h.GroupSysFlag)
	return m
}

// DecodeConsumeMessageDirectlyResultRequestHeader reads a
// ConsumeMessageDirectlyResultRequestHeader.
func DecodeConsumeMessageDirectlyResultRequestHeader(ext map[string]string) (ConsumeMessageDirectlyResultRequestHeader, error) {
	r := extReader{ext: ext, header: "ConsumeMessageDirectlyResultRequestHeader"}
	h := ConsumeMessageDirectlyResultRequestHeader{
		ConsumerGroup: r.str("consumerGroup"),
		ClientID:      r.optStr("clientId"),
		MsgID:         r.optStr("msgId"),
		BrokerName:    r.optStr("brokerName"),
		Topic:         r.optStr("topic"),
		TopicSysFlag:  r.int32Field("topicSysFlag", false),
		GroupSysFlag:  r.int32Field("groupSysFlag", false),
	}
	return h, r.err
}

// ResetOffsetRequestHeader is the request header of
// INVOKE_BROKER_TO_RESET_OFFSET (ReqInvokeBrokerToResetOffset), operator
// to broker, and of RESET_CONSUMER_CLIENT_OFFSET
// (ReqResetConsumerClientOffset), broker to client.
type ResetOffsetRequestHeader struct {
	Topic string // "topic", required
	Group string // "group", required
	// QueueID is "queueId", optional: one queue to reset, or
	// ResetAllQueues (absent) for every queue of the topic.
	QueueID int32
	// Offset is "offset", optional: the consume-queue offset to reset
	// QueueID to, or ResetOffsetUnset (absent) to search by Timestamp.
	Offset int64
	// Timestamp is "timestamp", required: ms since the epoch; the
	// offsets reset to the first message stored at or after it, or with
	// -1 to the end of each queue.
	Timestamp int64
	// IsForce is "isForce", required: reset even when that moves a
	// group's committed offset forward.
	IsForce bool
}

// ToExtFields returns h as extFields; an unset QueueID and Offset are left
// out.
func (h ResetOffsetRequestHeader) ToExtFields() map[string]string {
	m := map[string]string{
		"topic":     h.Topic,
		"group":     h.Group,
		"timestamp": formatInt(h.Timestamp),
		"isForce":   formatBool(h.IsForce),
	}
	if h.QueueID != ResetAllQueues {
		m["queueId"] = formatInt(h.QueueID)
	}
	if h.Offset != ResetOffsetUnset {
		m["offset"] = formatInt(h.Offset)
	}
	return m
}

// DecodeResetOffsetRequestHeader reads a ResetOffsetRequestHeader. The Go
// client's own RESET_CONSUMER_CLIENT_OFFSET header lacks isForce; use
// DecodeResetOffsetRequestHeader only for requests that must carry it.
func DecodeResetOffsetRequestHeader(ext map[string]string) (ResetOffsetRequestHeader, error) {
	r := extReader{ext: ext, header: "ResetOffsetRequestHeader"}
	h := ResetOffsetRequestHeader{
		Topic:     r.str("topic"),
		Group:     r.str("group"),
		QueueID:   ResetAllQueues,
		Offset:    ResetOffsetUnset,
		Timestamp: r.int64Field("timestamp", true),
		IsForce:   requiredBoolField(&r, "isForce"),
	}
	if _, ok := ext["queueId"]; ok {
		h.QueueID = r.int32Field("queueId", false)
	}
	if _, ok := ext["offset"]; ok {
		h.Offset = r.int64Field("offset", false)
	}
	return h, r.err
}

// GetConsumerStatusRequestHeader is the request header of
// INVOKE_BROKER_TO_GET_CONSUMER_STATUS
// (ReqInvokeBrokerToGetConsumerStatus), operator to broker, and of
// GET_CONSUMER_STATUS_FROM_CLIENT (ReqGetConsumerStatusFromClient), broker
// to client.
type GetConsumerStatusRequestHeader struct {
	Topic string // "topic", required
	Group string // "group", required
	// ClientAddr is "clientAddr", optional: the client id to ask; empty
	// asks every client of the group.
	ClientAddr string
}

// ToExtFields returns h as extFields; an empty ClientAddr is left out.
func (h GetConsumerStatusRequestHeader) ToExtFields() map[string]string {
	m := map[string]string{"topic": h.Topic, "group": h.Group}
	putOptStr(m, "clientAddr", h.ClientAddr)
	return m
}

// DecodeGetConsumerStatusRequestHeader reads a
// GetConsumerStatusRequestHeader.
func DecodeGetConsumerStatusRequestHeader(ext map[string]string) (GetConsumerStatusRequestHeader, error) {
	r := extReader{ext: ext, header: "GetConsumerStatusRequestHeader"}
	h := GetConsumerStatusRequestHeader{
		Topic:      r.str("topic"),
		Group:      r.str("group"),
		ClientAddr: r.optStr("clientAddr"),
	}
	return h, r.err
}
