package remoting

import "fmt"

// Custom headers of the broker requests and responses (spec/remoting.md
// §4–§6), with the extFields keys of apache/rocketmq's header classes.
// Required means the Java field is @CFNotNull. ToExtFields writes required
// fields and booleans always, and optional strings and numbers only when
// they are not zero, so that every header survives ToExtFields followed by
// its Decode unchanged.

// MaxReconsumeTimesUnset is the MaxReconsumeTimes of a send or send-back
// header that carries no maxReconsumeTimes field. Java then applies the
// group's retryMaxTimes; an explicit 0 would instead send a retried message
// to the dead-letter queue at once, so the two must stay apart. Neither the
// Go nor the Java client ever sends a negative value (both turn their -1
// "unset" option into 16 first).
const MaxReconsumeTimesUnset int32 = -1

// Keys of the RPC fields every 5.x request header may carry.
const (
	// keyBrokerName is RpcRequestHeader's "bname": the broker the client
	// meant to reach.
	keyBrokerName = "bname"
)

// requiredBoolField parses a required boolean field.
func requiredBoolField(r *extReader, key string) bool {
	if _, ok := r.ext[key]; !ok {
		r.fail(key, "missing")
		return false
	}
	return r.boolField(key)
}

// maxReconsumeTimesField reads an optional maxReconsumeTimes field, absent
// being MaxReconsumeTimesUnset.
func maxReconsumeTimesField(r *extReader, key string) int32 {
	if _, ok := r.ext[key]; !ok {
		return MaxReconsumeTimesUnset
	}
	return r.int32Field(key, false)
}

// putOptStr adds an optional string field when it is not empty.
func putOptStr(m map[string]string, key, v string) {
	if v != "" {
		m[key] = v
	}
}

// putOptInt adds an optional number field when it is not zero.
func putOptInt[T int32 | int64](m map[string]string, key string, v T) {
	if v != 0 {
		m[key] = formatInt(v)
	}
}

// putMaxReconsumeTimes adds maxReconsumeTimes unless it is unset.
func putMaxReconsumeTimes(m map[string]string, key string, v int32) {
	if v != MaxReconsumeTimesUnset {
		m[key] = formatInt(v)
	}
}

// SendMessageRequestHeader is the request header of SEND_MESSAGE
// (ReqSendMessage) and SEND_REPLY_MESSAGE (ReqSendReplyMessage) under its
// long keys, and of SEND_MESSAGE_V2 (ReqSendMessageV2), SEND_BATCH_MESSAGE
// (ReqSendBatchMessage) and SEND_REPLY_MESSAGE_V2 (ReqSendReplyMessageV2)
// under the one-letter keys of SendMessageRequestHeaderV2 (shown second).
type SendMessageRequestHeader struct {
	ProducerGroup         string // "producerGroup" / "a", required
	Topic                 string // "topic" / "b", required
	DefaultTopic          string // "defaultTopic" / "c", required: the template of an auto-created topic
	DefaultTopicQueueNums int32  // "defaultTopicQueueNums" / "d", required
	QueueID               int32  // "queueId" / "e", required
	SysFlag               int32  // "sysFlag" / "f", required: MessageSysFlag bits
	BornTimestamp         int64  // "bornTimestamp" / "g", required: ms since the epoch
	Flag                  int32  // "flag" / "h", required: the user's flag
	// Properties is "properties" / "i", optional: k\x01v\x02 pairs.
	Properties     string
	ReconsumeTimes int32 // "reconsumeTimes" / "j", optional
	UnitMode       bool  // "unitMode" / "k", optional
	// MaxReconsumeTimes is "maxReconsumeTimes" / "l", optional;
	// MaxReconsumeTimesUnset when absent.
	MaxReconsumeTimes int32
	Batch             bool   // "batch" / "m", optional: the body holds a batch
	BrokerName        string // "bname" / "n", optional
}

// sendKeys names the extFields keys of one SendMessageRequestHeader
// dialect, in field order.
type sendKeys struct {
	header                                                         string
	producerGroup, topic, defaultTopic, defaultTopicQueueNums      string
	queueID, sysFlag, bornTimestamp, flag, properties              string
	reconsumeTimes, unitMode, maxReconsumeTimes, batch, brokerName string
}

var (
	sendKeysV1 = sendKeys{
		header:        "SendMessageRequestHeader",
		producerGroup: "producerGroup", topic: "topic", defaultTopic: "defaultTopic",
		defaultTopicQueueNums: "defaultTopicQueueNums", queueID: "queueId", sysFlag: "sysFlag",
		bornTimestamp: "bornTimestamp", flag: "flag", properties: "properties",
		reconsumeTimes: "reconsumeTimes", unitMode: "unitMode", maxReconsumeTimes: "maxReconsumeTimes",
		batch: "batch", brokerName: keyBrokerName,
	}
	sendKeysV2 = sendKeys{
		header:        "SendMessageRequestHeaderV2",
		producerGroup: "a", topic: "b", defaultTopic: "c", defaultTopicQueueNums: "d",
		queueID: "e", sysFlag: "f", bornTimestamp: "g", flag: "h", properties: "i",
		reconsumeTimes: "j", unitMode: "k", maxReconsumeTimes: "l", batch: "m", brokerName: "n",
	}
)

// toExt writes h under the keys k.
func (h SendMessageRequestHeader) toExt(k *sendKeys) map[string]string {
	m := map[string]string{
		k.producerGroup:         h.ProducerGroup,
		k.topic:                 h.Topic,
		k.defaultTopic:          h.DefaultTopic,
		k.defaultTopicQueueNums: formatInt(h.DefaultTopicQueueNums),
		k.queueID:               formatInt(h.QueueID),
		k.sysFlag:               formatInt(h.SysFlag),
		k.bornTimestamp:         formatInt(h.BornTimestamp),
		k.flag:                  formatInt(h.Flag),
		k.unitMode:              formatBool(h.UnitMode),
		k.batch:                 formatBool(h.Batch),
	}
	putOptStr(m, k.properties, h.Properties)
	putOptInt(m, k.reconsumeTimes, h.ReconsumeTimes)
	putMaxReconsumeTimes(m, k.maxReconsumeTimes, h.MaxReconsumeTimes)
	putOptStr(m, k.brokerName, h.BrokerName)
	return m
}

// decodeSend reads a SendMessageRequestHeader under the keys k.
func decodeSend(ext map[string]string, k *sendKeys) (SendMessageRequestHeader, error) {
	r := extReader{ext: ext, header: k.header}
	h := SendMessageRequestHeader{
		ProducerGroup:         r.str(k.producerGroup),
		Topic:                 r.str(k.topic),
		DefaultTopic:          r.str(k.defaultTopic),
		DefaultTopicQueueNums: r.int32Field(k.defaultTopicQueueNums, true),
		QueueID:               r.int32Field(k.queueID, true),
		SysFlag:               r.int32Field(k.sysFlag, true),
		BornTimestamp:         r.int64Field(k.bornTimestamp, true),
		Flag:                  r.int32Field(k.flag, true),
		Properties:            r.optStr(k.properties),
		ReconsumeTimes:        r.int32Field(k.reconsumeTimes, false),
		UnitMode:              r.boolField(k.unitMode),
		MaxReconsumeTimes:     maxReconsumeTimesField(&r, k.maxReconsumeTimes),
		Batch:                 r.boolField(k.batch),
		BrokerName:            r.optStr(k.brokerName),
	}
	return h, r.err
}

// ToExtFields returns h as extFields under the long (V1) keys.
func (h SendMessageRequestHeader) ToExtFields() map[string]string { return h.toExt(&sendKeysV1) }

// ToExtFieldsV2 returns h as extFields under the one-letter keys of
// SendMessageRequestHeaderV2.
func (h SendMessageRequestHeader) ToExtFieldsV2() map[string]string { return h.toExt(&sendKeysV2) }

// DecodeSendMessageRequestHeader reads a SendMessageRequestHeader under the
// long (V1) keys.
func DecodeSendMessageRequestHeader(ext map[string]string) (SendMessageRequestHeader, error) {
	return decodeSend(ext, &sendKeysV1)
}

// DecodeSendMessageRequestHeaderV2 reads a SendMessageRequestHeader under
// the one-letter keys of SendMessageRequestHeaderV2.
func DecodeSendMessageRequestHeaderV2(ext map[string]string) (SendMessageRequestHeader, error) {
	return decodeSend(ext, &sendKeysV2)
}

// DecodeSendMessageRequestHeaderFor reads the send header of a request with
// the given code: the long keys for ReqSendMessage and ReqSendReplyMessage,
// the one-letter keys for ReqSendMessageV2, ReqSendBatchMessage and
// ReqSendReplyMessageV2. Java's SendMessageRequestHeader.parseRequestHeader
// insists on the one-letter keys for the V2 codes; some clients send a batch
// with the long keys, so a V2 code whose extFields lack "a" but hold
// "producerGroup" is read under the long keys. Any other code is refused
// with ErrRequestCodeNotSupported.
func DecodeSendMessageRequestHeaderFor(code int32, ext map[string]string) (SendMessageRequestHeader, error) {
	switch code {
	case ReqSendMessage, ReqSendReplyMessage:
		return decodeSend(ext, &sendKeysV1)
	case ReqSendMessageV2, ReqSendBatchMessage, ReqSendReplyMessageV2:
		_, hasV2 := ext[sendKeysV2.producerGroup]
		_, hasV1 := ext[sendKeysV1.producerGroup]
		if !hasV2 && hasV1 {
			return decodeSend(ext, &sendKeysV1)
		}
		return decodeSend(ext, &sendKeysV2)
	}
	return SendMessageRequestHeader{}, fmt.Errorf("%w: %s (%d) carries no send header",
		ErrRequestCodeNotSupported, RequestCodeName(code), code)
}

// SendMessageResponseHeader is the response header of the send requests.
type SendMessageResponseHeader struct {
	// MsgID is "msgId", required: the offset message id (store host and
	// commit-log offset, 32 or 56 uppercase hex digits).
	MsgID         string
	QueueID       int32  // "queueId", required
	QueueOffset   int64  // "queueOffset", required: the message's consume-queue offset
	TransactionID string // "transactionId", optional
	MsgRegion     string // "MSG_REGION", optional
	TraceOn       string // "TRACE_ON", optional: "true" or "false"
}

// ToExtFields returns h as extFields; empty optional fields are left out.
func (h SendMessageResponseHeader) ToExtFields() map[string]string {
	m := map[string]string{
		"msgId":       h.MsgID,
		"queueId":     formatInt(h.QueueID),
		"queueOffset": formatInt(h.QueueOffset),
	}
	putOptStr(m, "transactionId", h.TransactionID)
	putOptStr(m, "MSG_REGION", h.MsgRegion)
	putOptStr(m, "TRACE_ON", h.TraceOn)
	return m
}

// DecodeSendMessageResponseHeader reads a SendMessageResponseHeader.
func DecodeSendMessageResponseHeader(ext map[string]string) (SendMessageResponseHeader, error) {
	r := extReader{ext: ext, header: "SendMessageResponseHeader"}
	h := SendMessageResponseHeader{
		MsgID:         r.str("msgId"),
		QueueID:       r.int32Field("queueId", true),
		QueueOffset:   r.int64Field("queueOffset", true),
		TransactionID: r.optStr("transactionId"),
		MsgRegion:     r.optStr("MSG_REGION"),
		TraceOn:       r.optStr("TRACE_ON"),
	}
	return h, r.err
}

// PullSysFlag bits of PullMessageRequestHeader.SysFlag.
const (
	// PullFlagCommitOffset: CommitOffset is valid and is to be stored.
	PullFlagCommitOffset int32 = 1
	// PullFlagSuspend: the broker may hold the request (long polling).
	PullFlagSuspend int32 = 2
	// PullFlagSubscription: filter with Subscription from this request,
	// not with the subscription registered by heartbeat.
	PullFlagSubscription int32 = 4
	// PullFlagClassFilter: class filter mode (unsupported since 4.3).
	PullFlagClassFilter int32 = 8
)

// PullMessageRequestHeader is PULL_MESSAGE's (ReqPullMessage) request
// header.
type PullMessageRequestHeader struct {
	ConsumerGroup        string // "consumerGroup", required
	Topic                string // "topic", required
	QueueID              int32  // "queueId", required
	QueueOffset          int64  // "queueOffset", required: the first consume-queue offset wanted
	MaxMsgNums           int32  // "maxMsgNums", required
	SysFlag              int32  // "sysFlag", required: PullFlag* bits
	CommitOffset         int64  // "commitOffset", required: valid with PullFlagCommitOffset
	SuspendTimeoutMillis int64  // "suspendTimeoutMillis", required: the long-polling hold
	Subscription         string // "subscription", optional: the expression, with PullFlagSubscription
	SubVersion           int64  // "subVersion", required
	ExpressionType       string // "expressionType", optional: "TAG" or "SQL92"
	BrokerName           string // "bname", optional
}

// ToExtFields returns h as extFields; empty optional fields are left out.
func (h PullMessageRequestHeader) ToExtFields() map[string]string {
	m := map[string]string{
		"consumerGroup":        h.ConsumerGroup,
		"topic":                h.Topic,
		"queueId":              formatInt(h.QueueID),
		"queueOffset":          formatInt(h.QueueOffset),
		"maxMsgNums":           formatInt(h.MaxMsgNums),
		"sysFlag":              formatInt(h.SysFlag),
		"commitOffset":         formatInt(h.CommitOffset),
		"suspendTimeoutMillis": formatInt(h.SuspendTimeoutMillis),
		"subVersion":           formatInt(h.SubVersion),
	}
	putOptStr(m, "subscription", h.Subscription)
	putOptStr(m, "expressionType", h.ExpressionType)
	putOptStr(m, keyBrokerName, h.BrokerName)
	return m
}

// DecodePullMessageRequestHeader reads a PullMessageRequestHeader.
func DecodePullMessageRequestHeader(ext map[string]string) (PullMessageRequestHeader, error) {
	r := extReader{ext: ext, header: "PullMessageRequestHeader"}
	h := PullMessageRequestHeader{
		ConsumerGroup:        r.str("consumerGroup"),
		Topic:                r.str("topic"),
		QueueID:              r.int32Field("queueId", true),
		QueueOffset:          r.int64Field("queueOffset", true),
		MaxMsgNums:           r.int32Field("maxMsgNums", true),
		SysFlag:              r.int32Field("sysFlag", true),
		CommitOffset:         r.int64Field("commitOffset", true),
		SuspendTimeoutMillis: r.int64Field("suspendTimeoutMillis", true),
		Subscription:         r.optStr("subscription"),
		SubVersion:           r.int64Field("subVersion", true),
		ExpressionType:       r.optStr("expressionType"),
		BrokerName:           r.optStr(keyBrokerName),
	}
	return h, r.err
}

// PullMessageResponseHeader is PULL_MESSAGE's response header.
type PullMessageResponseHeader struct {
	SuggestWhichBrokerID int64 // "suggestWhichBrokerId", required: broker id for the next pull
	NextBeginOffset      int64 // "nextBeginOffset", required: consume-queue offset
	MinOffset            int64 // "minOffset", required: consume-queue offset
	MaxOffset            int64 // "maxOffset", required: consume-queue offset
}

// ToExtFields returns h as extFields.
func (h PullMessageResponseHeader) ToExtFields() map[string]string {
	return map[string]string{
		"suggestWhichBrokerId": formatInt(h.SuggestWhichBrokerID),
		"nextBeginOffset":      formatInt(h.NextBeginOffset),
		"minOffset":            formatInt(h.MinOffset),
		"maxOffset":            formatInt(h.MaxOffset),
	}
}

// DecodePullMessageResponseHeader reads a PullMessageResponseHeader.
func DecodePullMessageResponseHeader(ext map[string]string) (PullMessageResponseHeader, error) {
	r := extReader{ext: ext, header: "PullMessageResponseHeader"}
	h := PullMessageResponseHeader{
		SuggestWhichBrokerID: r.int64Field("suggestWhichBrokerId", true),
		NextBeginOffset:      r.int64Field("nextBeginOffset", true),
		MinOffset:            r.int64Field("minOffset", true),
		MaxOffset:            r.int64Field("maxOffset", true),
	}
	return h, r.err
}

// QueryConsumerOffsetRequestHeader is QUERY_CONSUMER_OFFSET's
// (ReqQueryConsumerOffset) request header.
type QueryConsumerOffsetRequestHeader struct {
	ConsumerGroup string // "consumerGroup", required
	Topic         string // "topic", required
	QueueID       int32  // "queueId", required
	BrokerName    string // "bname", optional
}

// ToExtFields returns h as extFields; an empty BrokerName is left out.
func (h QueryConsumerOffsetRequestHeader) ToExtFields() map[string]string {
	m := map[string]string{
		"consumerGroup": h.ConsumerGroup,
		"topic":         h.Topic,
		"queueId":       formatInt(h.QueueID),
	}
	putOptStr(m, keyBrokerName, h.BrokerName)
	return m
}

// DecodeQueryConsumerOffsetRequestHeader reads a
// QueryConsumerOffsetRequestHeader.
func DecodeQueryConsumerOffsetRequestHeader(ext map[string]string) (QueryConsumerOffsetRequestHeader, error) {
	r := extReader{ext: ext, header: "QueryConsumerOffsetRequestHeader"}
	h := QueryConsumerOffsetRequestHeader{
		ConsumerGroup: r.str("consumerGroup"),
		Topic:         r.str("topic"),
		QueueID:       r.int32Field("queueId", true),
		BrokerName:    r.optStr(keyBrokerName),
	}
	return h, r.err
}

// offsetExt returns the extFields {"offset"} of the offset response
// headers.
func offsetExt(offset int64) map[string]string {
	return map[string]string{"offset": formatInt(offset)}
}

// decodeOffset reads the required "offset" of an offset response header.
func decodeOffset(ext map[string]string, header string) (int64, error) {
	r := extReader{ext: ext, header: header}
	offset := r.int64Field("offset", true)
	return offset, r.err
}

// QueryConsumerOffsetResponseHeader is QUERY_CONSUMER_OFFSET's response
// header.
type QueryConsumerOffsetResponseHeader struct {
	Offset int64 // "offset", required: the group's committed consume-queue offset
}

// ToExtFields returns h as extFields.
func (h QueryConsumerOffsetResponseHeader) ToExtFields() map[string]string {
	return offsetExt(h.Offset)
}

// DecodeQueryConsumerOffsetResponseHeader reads a
// QueryConsumerOffsetResponseHeader.
func DecodeQueryConsumerOffsetResponseHeader(ext map[string]string) (QueryConsumerOffsetResponseHeader, error) {
	offset, err := decodeOffset(ext, "QueryConsumerOffsetResponseHeader")
	return QueryConsumerOffsetResponseHeader{Offset: offset}, err
}

// UpdateConsumerOffsetRequestHeader is UPDATE_CONSUMER_OFFSET's
// (ReqUpdateConsumerOffset) request header.
type UpdateConsumerOffsetRequestHeader struct {
	ConsumerGroup string // "consumerGroup", required
	Topic         string // "topic", required
	QueueID       int32  // "queueId", required
	CommitOffset  int64  // "commitOffset", required: the next consume-queue offset to consume
	BrokerName    string // "bname", optional
}

// ToExtFields returns h as extFields; an empty BrokerName is left out.
func (h UpdateConsumerOffsetRequestHeader) ToExtFields() map[string]string {
	m := map[string]string{
		"consumerGroup": h.ConsumerGroup,
		"topic":         h.Topic,
		"queueId":       formatInt(h.QueueID),
		"commitOffset":  formatInt(h.CommitOffset),
	}
	putOptStr(m, keyBrokerName, h.BrokerName)
	return m
}

// DecodeUpdateConsumerOffsetRequestHeader reads an
// UpdateConsumerOffsetRequestHeader.
func DecodeUpdateConsumerOffsetRequestHeader(ext map[string]string) (UpdateConsumerOffsetRequestHeader, error) {
	r := extReader{ext: ext, header: "UpdateConsumerOffsetRequestHeader"}
	h := UpdateConsumerOffsetRequestHeader{
		ConsumerGroup: r.str("consumerGroup"),
		Topic:         r.str("topic"),
		QueueID:       r.int32Field("queueId", true),
		CommitOffset:  r.int64Field("commitOffset", true),
		BrokerName:    r.optStr(keyBrokerName),
	}
	return h, r.err
}

// queueExt returns the extFields {"topic", "queueId", "bname"} of the
// per-queue request headers; an empty brokerName is left out.
func queueExt(topic string, queueID int32, brokerName string) map[string]string {
	m := map[string]string{"topic": topic, "queueId": formatInt(queueID)}
	putOptStr(m, keyBrokerName, brokerName)
	return m
}

// GetMaxOffsetRequestHeader is GET_MAX_OFFSET's (ReqGetMaxOffset) request
// header.
type GetMaxOffsetRequestHeader struct {
	Topic      string // "topic", required
	QueueID    int32  // "queueId", required
	BrokerName string // "bname", optional
}

// ToExtFields returns h as extFields; an empty BrokerName is left out.
func (h GetMaxOffsetRequestHeader) ToExtFields() map[string]string {
	return queueExt(h.Topic, h.QueueID, h.BrokerName)
}

// DecodeGetMaxOffsetRequestHeader reads a GetMaxOffsetRequestHeader.
func DecodeGetMaxOffsetRequestHeader(ext map[string]string) (GetMaxOffsetRequestHeader, error) {
	r := extReader{ext: ext, header: "GetMaxOffsetRequestHeader"}
	h := GetMaxOffsetRequestHeader{
		Topic:      r.str("topic"),
		QueueID:    r.int32Field("queueId", true),
		BrokerName: r.optStr(keyBrokerName),
	}
	return h, r.err
}

// GetMaxOffsetResponseHeader is GET_MAX_OFFSET's response header.
type GetMaxOffsetResponseHeader struct {
	Offset int64 // "offset", required: the next consume-queue offset to be written
}

// ToExtFields returns h as extFields.
func (h GetMaxOffsetResponseHeader) ToExtFields() map[string]string { return offsetExt(h.Offset) }

// DecodeGetMaxOffsetResponseHeader reads a GetMaxOffsetResponseHeader.
func DecodeGetMaxOffsetResponseHeader(ext map[string]string) (GetMaxOffsetResponseHeader, error) {
	offset, err := decodeOffset(ext, "GetMaxOffsetResponseHeader")
	return GetMaxOffsetResponseHeader{Offset: offset}, err
}

// GetMinOffsetRequestHeader is GET_MIN_OFFSET's (ReqGetMinOffset) request
// header.
type GetMinOffsetRequestHeader struct {
	Topic      string // "topic", required
	QueueID    int32  // "queueId", required
	BrokerName string // "bname", optional
}

// ToExtFields returns h as extFields; an empty BrokerName is left out.
func (h GetMinOffsetRequestHeader) ToExtFields() map[string]string {
	return queueExt(h.Topic, h.QueueID, h.BrokerName)
}

// DecodeGetMinOffsetRequestHeader reads a GetMinOffsetRequestHeader.
func DecodeGetMinOffsetRequestHeader(ext map[string]string) (GetMinOffsetRequestHeader, error) {
	r := extReader{ext: ext, header: "GetMinOffsetRequestHeader"}
	h := GetMinOffsetRequestHeader{
		Topic:      r.str("topic"),
		QueueID:    r.int32Field("queueId", true),
		BrokerName: r.optStr(keyBrokerName),
	}
	return h, r.err
}

// GetMinOffsetResponseHeader is GET_MIN_OFFSET's response header.
type GetMinOffsetResponseHeader struct {
	Offset int64 // "offset", required: the smallest consume-queue offset still held
}

// ToExtFields returns h as extFields.
func (h GetMinOffsetResponseHeader) ToExtFields() map[string]string { return offsetExt(h.Offset) }

// DecodeGetMinOffsetResponseHeader reads a GetMinOffsetResponseHeader.
func DecodeGetMinOffsetResponseHeader(ext map[string]string) (GetMinOffsetResponseHeader, error) {
	offset, err := decodeOffset(ext, "GetMinOffsetResponseHeader")
	return GetMinOffsetResponseHeader{Offset: offset}, err
}

// SearchOffsetRequestHeader is SEARCH_OFFSET_BY_TIMESTAMP's
// (ReqSearchOffsetByTimestamp) request header.
type SearchOffsetRequestHeader struct {
	Topic      string // "topic", required
	QueueID    int32  // "queueId", required
	Timestamp  int64  // "timestamp", required: store time, ms since the epoch
	BrokerName string // "bname", optional
}

// ToExtFields returns h as extFields; an empty BrokerName is left out.
func (h SearchOffsetRequestHeader) ToExtFields() map[string]string {
	m := queueExt(h.Topic, h.QueueID, h.BrokerName)
	m["timestamp"] = formatInt(h.Timestamp)
	return m
}

// DecodeSearchOffsetRequestHeader reads a SearchOffsetRequestHeader.
func DecodeSearchOffsetRequestHeader(ext map[string]string) (SearchOffsetRequestHeader, error) {
	r := extReader{ext: ext, header: "SearchOffsetRequestHeader"}
	h := SearchOffsetRequestHeader{
		Topic:      r.str("topic"),
		QueueID:    r.int32Field("queueId", true),
		Timestamp:  r.int64Field("timestamp", true),
		BrokerName: r.optStr(keyBrokerName),
	}
	return h, r.err
}

// SearchOffsetResponseHeader is SEARCH_OFFSET_BY_TIMESTAMP's response
// header.
type SearchOffsetResponseHeader struct {
	Offset int64 // "offset", required: the consume-queue offset found
}

// ToExtFields returns h as extFields.
func (h SearchOffsetResponseHeader) ToExtFields() map[string]string { return offsetExt(h.Offset) }

// DecodeSearchOffsetResponseHeader reads a SearchOffsetResponseHeader.
func DecodeSearchOffsetResponseHeader(ext map[string]string) (SearchOffsetResponseHeader, error) {
	offset, err := decodeOffset(ext, "SearchOffsetResponseHeader")
	return SearchOffsetResponseHeader{Offset: offset}, err
}

// GetEarliestMsgStoretimeRequestHeader is GET_EARLIEST_MSG_STORETIME's
// (ReqGetEarliestMsgStoreTime) request header.
type GetEarliestMsgStoretimeRequestHeader struct {
	Topic      string // "topic", required
	QueueID    int32  // "queueId", required
	BrokerName string // "bname", optional
}

// ToExtFields returns h as extFields; an empty BrokerName is left out.
func (h GetEarliestMsgStoretimeRequestHeader) ToExtFields() map[string]string {
	return queueExt(h.Topic, h.QueueID, h.BrokerName)
}

// DecodeGetEarliestMsgStoretimeRequestHeader reads a
// GetEarliestMsgStoretimeRequestHeader.
func DecodeGetEarliestMsgStoretimeRequestHeader(ext map[string]string) (GetEarliestMsgStoretimeRequestHeader, error) {
	r := extReader{ext: ext, header: "GetEarliestMsgStoretimeRequestHeader"}
	h := GetEarliestMsgStoretimeRequestHeader{
		Topic:      r.str("topic"),
		QueueID:    r.int32Field("queueId", true),
		BrokerName: r.optStr(keyBrokerName),
	}
	return h, r.err
}

// GetEarliestMsgStoretimeResponseHeader is GET_EARLIEST_MSG_STORETIME's
// response header.
type GetEarliestMsgStoretimeResponseHeader struct {
	Timestamp int64 // "timestamp", required: store time of the oldest message, ms since the epoch
}

// ToExtFields returns h as extFields.
func (h GetEarliestMsgStoretimeResponseHeader) ToExtFields() map[string]string {
	return map[string]string{"timestamp": formatInt(h.Timestamp)}
}

// DecodeGetEarliestMsgStoretimeResponseHeader reads a
// GetEarliestMsgStoretimeResponseHeader.
func DecodeGetEarliestMsgStoretimeResponseHeader(ext map[string]string) (GetEarliestMsgStoretimeResponseHeader, error) {
	r := extReader{ext: ext, header: "GetEarliestMsgStoretimeResponseHeader"}
	h := GetEarliestMsgStoretimeResponseHeader{Timestamp: r.int64Field("timestamp", true)}
	return h, r.err
}
