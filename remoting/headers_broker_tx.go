package remoting

// Custom headers of the broker's query, retry and transaction requests
// (spec/remoting.md §4.5, §5.6); the conventions are those of
// headers_broker.go.

// QueryMessageRequestHeader is QUERY_MESSAGE's (ReqQueryMessage) request
// header: messages of Topic with Key, stored between the timestamps.
type QueryMessageRequestHeader struct {
	Topic          string // "topic", required
	Key            string // "key", required: a message key or unique key
	MaxNum         int32  // "maxNum", required: the most messages to return
	BeginTimestamp int64  // "beginTimestamp", required: ms since the epoch
	EndTimestamp   int64  // "endTimestamp", required: ms since the epoch
}

// ToExtFields returns h as extFields.
func (h QueryMessageRequestHeader) ToExtFields() map[string]string {
	return map[string]string{
		"topic":          h.Topic,
		"key":            h.Key,
		"maxNum":         formatInt(h.MaxNum),
		"beginTimestamp": formatInt(h.BeginTimestamp),
		"endTimestamp":   formatInt(h.EndTimestamp),
	}
}

// DecodeQueryMessageRequestHeader reads a QueryMessageRequestHeader.
func DecodeQueryMessageRequestHeader(ext map[string]string) (QueryMessageRequestHeader, error) {
	r := extReader{ext: ext, header: "QueryMessageRequestHeader"}
	h := QueryMessageRequestHeader{
		Topic:          r.str("topic"),
		Key:            r.str("key"),
		MaxNum:         r.int32Field("maxNum", true),
		BeginTimestamp: r.int64Field("beginTimestamp", true),
		EndTimestamp:   r.int64Field("endTimestamp", true),
	}
	return h, r.err
}

// QueryMessageResponseHeader is QUERY_MESSAGE's response header.
type QueryMessageResponseHeader struct {
	IndexLastUpdateTimestamp int64 // "indexLastUpdateTimestamp", required: ms since the epoch
	IndexLastUpdatePhyoffset int64 // "indexLastUpdatePhyoffset", required: commit-log offset
}

// ToExtFields returns h as extFields.
func (h QueryMessageResponseHeader) ToExtFields() map[string]string {
	return map[string]string{
		"indexLastUpdateTimestamp": formatInt(h.IndexLastUpdateTimestamp),
		"indexLastUpdatePhyoffset": formatInt(h.IndexLastUpdatePhyoffset),
	}
}

// DecodeQueryMessageResponseHeader reads a QueryMessageResponseHeader.
func DecodeQueryMessageResponseHeader(ext map[string]string) (QueryMessageResponseHeader, error) {
	r := extReader{ext: ext, header: "QueryMessageResponseHeader"}
	h := QueryMessageResponseHeader{
		IndexLastUpdateTimestamp: r.int64Field("indexLastUpdateTimestamp", true),
		IndexLastUpdatePhyoffset: r.int64Field("indexLastUpdatePhyoffset", true),
	}
	return h, r.err
}

// ViewMessageByIDRequestHeader is VIEW_MESSAGE_BY_ID's (ReqViewMessageByID)
// request header (Java's ViewMessageRequestHeader).
type ViewMessageByIDRequestHeader struct {
	Offset int64 // "offset", required: the message's commit-log offset
}

// ToExtFields returns h as extFields.
func (h ViewMessageByIDRequestHeader) ToExtFields() map[string]string {
	return map[string]string{"offset": formatInt(h.Offset)}
}

// DecodeViewMessageByIDRequestHeader reads a ViewMessageByIDRequestHeader.
func DecodeViewMessageByIDRequestHeader(ext map[string]string) (ViewMessageByIDRequestHeader, error) {
	r := extReader{ext: ext, header: "ViewMessageRequestHeader"}
	h := ViewMessageByIDRequestHeader{Offset: r.int64Field("offset", true)}
	return h, r.err
}

// ConsumerSendMsgBackRequestHeader is CONSUMER_SEND_MSG_BACK's
// (ReqConsumerSendMsgBack) request header.
type ConsumerSendMsgBackRequestHeader struct {
	Offset      int64  // "offset", required: the failed message's commit-log offset
	Group       string // "group", required
	DelayLevel  int32  // "delayLevel", required: 0 lets the broker choose, < 0 means the DLQ
	OriginMsgID string // "originMsgId", optional
	OriginTopic string // "originTopic", optional
	UnitMode    bool   // "unitMode", optional
	// MaxReconsumeTimes is "maxReconsumeTimes", optional;
	// MaxReconsumeTimesUnset when absent.
	MaxReconsumeTimes int32
	BrokerName        string // "bname", optional
}

// ToExtFields returns h as extFields; empty optional strings and an unset
// MaxReconsumeTimes are left out.
func (h ConsumerSendMsgBackRequestHeader) ToExtFields() map[string]string {
	m := map[string]string{
		"offset":     formatInt(h.Offset),
		"group":      h.Group,
		"delayLevel": formatInt(h.DelayLevel),
		"unitMode":   formatBool(h.UnitMode),
	}
	putOptStr(m, "originMsgId", h.OriginMsgID)
	putOptStr(m, "originTopic", h.OriginTopic)
	putMaxReconsumeTimes(m, "maxReconsumeTimes", h.MaxReconsumeTimes)
	putOptStr(m, keyBrokerName, h.BrokerName)
	return m
}

// DecodeConsumerSendMsgBackRequestHeader reads a
// ConsumerSendMsgBackRequestHeader.
func DecodeConsumerSendMsgBackRequestHeader(ext map[string]string) (ConsumerSendMsgBackRequestHeader, error) {
	r := extReader{ext: ext, header: "ConsumerSendMsgBackRequestHeader"}
	h := ConsumerSendMsgBackRequestHeader{
		Offset:            r.int64Field("offset", true),
		Group:             r.str("group"),
		DelayLevel:        r.int32Field("delayLevel", true),
		OriginMsgID:       r.optStr("originMsgId"),
		OriginTopic:       r.optStr("originTopic"),
		UnitMode:          r.boolField("unitMode"),
		MaxReconsumeTimes: maxReconsumeTimesField(&r, "maxReconsumeTimes"),
		BrokerName:        r.optStr(keyBrokerName),
	}
	return h, r.err
}

// Transaction states of EndTransactionRequestHeader.CommitOrRollback, the
// transaction-type bits of MessageSysFlag.
const (
	// TransactionNotType: neither commit nor rollback (state unknown).
	TransactionNotType int32 = 0
	// TransactionCommitType: commit the half message.
	TransactionCommitType int32 = 8
	// TransactionRollbackType: discard the half message.
	TransactionRollbackType int32 = 12
)

// EndTransactionRequestHeader is END_TRANSACTION's (ReqEndTransaction)
// request header.
type EndTransactionRequestHeader struct {
	ProducerGroup        string // "producerGroup", required
	TranStateTableOffset int64  // "tranStateTableOffset", required: the half message's consume-queue offset
	CommitLogOffset      int64  // "commitLogOffset", required: the half message's commit-log offset
	CommitOrRollback     int32  // "commitOrRollback", required: a Transaction*Type
	FromTransactionCheck bool   // "fromTransactionCheck", optional: answers a CHECK_TRANSACTION_STATE
	MsgID                string // "msgId", required: the client's UNIQ_KEY
	TransactionID        string // "transactionId", optional
	BrokerName           string // "bname", optional
}

// ToExtFields returns h as extFields; empty optional strings are left out.
func (h EndTransactionRequestHeader) ToExtFields() map[string]string {
	m := map[string]string{
		"producerGroup":        h.ProducerGroup,
		"tranStateTableOffset": formatInt(h.TranStateTableOffset),
		"commitLogOffset":      formatInt(h.CommitLogOffset),
		"commitOrRollback":     formatInt(h.CommitOrRollback),
		"fromTransactionCheck": formatBool(h.FromTransactionCheck),
		"msgId":                h.MsgID,
	}
	putOptStr(m, "transactionId", h.TransactionID)
	putOptStr(m, keyBrokerName, h.BrokerName)
	return m
}

// DecodeEndTransactionRequestHeader reads an EndTransactionRequestHeader.
func DecodeEndTransactionRequestHeader(ext map[string]string) (EndTransactionRequestHeader, error) {
	r := extReader{ext: ext, header: "EndTransactionRequestHeader"}
	h := EndTransactionRequestHeader{
		ProducerGroup:        r.str("producerGroup"),
		TranStateTableOffset: r.int64Field("tranStateTableOffset", true),
		CommitLogOffset:      r.int64Field("commitLogOffset", true),
		CommitOrRollback:     r.int32Field("commitOrRollback", true),
		FromTransactionCheck: r.boolField("fromTransactionCheck"),
		MsgID:                r.str("msgId"),
		TransactionID:        r.optStr("transactionId"),
		BrokerName:           r.optStr(keyBrokerName),
	}
	return h, r.err
}

// CheckTransactionStateRequestHeader is CHECK_TRANSACTION_STATE's
// (ReqCheckTransactionState) request header, broker to client.
type CheckTransactionStateRequestHeader struct {
	TranStateTableOffset int64  // "tranStateTableOffset", required: the half message's consume-queue offset
	CommitLogOffset      int64  // "commitLogOffset", required: the half message's commit-log offset
	MsgID                string // "msgId", optional: the client's UNIQ_KEY
	TransactionID        string // "transactionId", optional
	OffsetMsgID          string // "offsetMsgId", optional: the offset message id
}

// ToExtFields returns h as extFields; empty optional strings are left out.
func (h CheckTransactionStateRequestHeader) ToExtFields() map[string]string {
	m := map[string]string{
		"tranStateTableOffset": formatInt(h.TranStateTableOffset),
		"commitLogOffset":      formatInt(h.CommitLogOffset),
	}
	putOptStr(m, "msgId", h.MsgID)
	putOptStr(m, "transactionId", h.TransactionID)
	putOptStr(m, "offsetMsgId", h.OffsetMsgID)
	return m
}

// DecodeCheckTransactionStateRequestHeader reads a
// CheckTransactionStateRequestHeader.
func DecodeCheckTransactionStateRequestHeader(ext map[string]string) (CheckTransactionStateRequestHeader, error) {
	r := extReader{ext: ext, header: "CheckTransactionStateRequestHeader"}
	h := CheckTransactionStateRequestHeader{
		TranStateTableOffset: r.int64Field("tranStateTableOffset", true),
		CommitLogOffset:      r.int64Field("commitLogOffset", true),
		MsgID:                r.optStr("msgId"),
		TransactionID:        r.optStr("transactionId"),
		OffsetMsgID:          r.optStr("offsetMsgId"),
	}
	return h, r.err
}
