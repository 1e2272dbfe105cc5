package commitlog

import (
	"bytes"
	"slices"
	"sort"
	"strings"
)

// Property separators (see the package documentation).
const (
	// NameValueSeparator ends a property name.
	NameValueSeparator byte = 0x01
	// PropertySeparator ends a property value.
	PropertySeparator byte = 0x02
	// TransientPropertyPrefix starts the names that are never stored.
	TransientPropertyPrefix = "__RMQ.TRANSIENT."
)

// Well-known property names.
const (
	// PropertyKeys holds business keys separated by single spaces; indexed.
	PropertyKeys = "KEYS"
	// PropertyTags holds the tag; its Java hash is the consume queue tag code.
	PropertyTags = "TAGS"
	// PropertyWait is "true" or "false": wait for flush or replication
	// before replying (absent means true).
	PropertyWait = "WAIT"
	// PropertyCluster is the cluster name of the broker that stored the
	// message; brokers set it on every message.
	PropertyCluster = "CLUSTER"
	// PropertyDelayLevel is the 1-based delay level.
	PropertyDelayLevel = "DELAY"
	// PropertyUniqKey is the client-generated message id; indexed.
	PropertyUniqKey = "UNIQ_KEY"
	// PropertyTransactionPrepared is "true" on transactional half messages.
	PropertyTransactionPrepared = "TRAN_MSG"
	// PropertyProducerGroup is the producer group, for transaction check-back.
	PropertyProducerGroup = "PGROUP"
	// PropertyRealTopic is the original topic while parked in a system topic.
	PropertyRealTopic = "REAL_TOPIC"
	// PropertyRealQueueID is the original queue id while parked.
	PropertyRealQueueID = "REAL_QID"
	// PropertyRetryTopic is the original topic of a message sent back for retry.
	PropertyRetryTopic = "RETRY_TOPIC"
	// PropertyOriginMessageID is the msgId of a retried message's first delivery.
	PropertyOriginMessageID = "ORIGIN_MESSAGE_ID"
	// PropertyReconsumeTime is the client's retry count.
	PropertyReconsumeTime = "RECONSUME_TIME"
	// PropertyMaxReconsumeTimes is the client's retry limit.
	PropertyMaxReconsumeTimes = "MAX_RECONSUME_TIMES"
	// PropertyConsumeStartTime is set by consumers for timeout detection.
	PropertyConsumeStartTime = "CONSUME_START_TIME"
	// PropertyMinOffset is added to pull responses (not stored).
	PropertyMinOffset = "MIN_OFFSET"
	// PropertyMaxOffset is added to pull responses (not stored).
	PropertyMaxOffset = "MAX_OFFSET"
	// PropertyTransactionPreparedQueueOffset is the half-topic queue offset
	// of the original half message.
	PropertyTransactionPreparedQueueOffset = "TRAN_PREPARED_QUEUE_OFFSET"
	// PropertyTransactionCheckTimes counts transaction check-backs.
	PropertyTransactionCheckTimes = "TRANSACTION_CHECK_TIMES"
	// PropertyCheckImmunityTimeInSeconds is a per-message first-check delay.
	PropertyCheckImmunityTimeInSeconds = "CHECK_IMMUNITY_TIME_IN_SECONDS"
	// PropertyTransactionID is the transaction id (UNIQ_KEY on half messages).
	PropertyTransactionID = "__transactionId__"
	// PropertyInnerNum is the message count of an inner batch (5.x).
	PropertyInnerNum = "INNER_NUM"
	// PropertyInnerBase is the base queue offset of an inner batch (5.x).
	PropertyInnerBase = "INNER_BASE"
	// PropertyDupInfo is the duplication info "x_y".
	PropertyDupInfo = "DUP_INFO"
	// PropertyShardingKey is the sharding key of ordered messages.
	PropertyShardingKey = "__SHARDINGKEY"
	// PropertyBornHost is the born host carried as a property.
	PropertyBornHost = "__BORNHOST"
	// PropertyBornTimestamp is the born time carried as a property.
	PropertyBornTimestamp = "BORN_TIMESTAMP"
	// PropertyDLQOriginTopic is the original topic of a dead-lettered message.
	PropertyDLQOriginTopic = "DLQ_ORIGIN_TOPIC"
	// PropertyDLQOriginMessageID is the original msgId of a dead-lettered message.
	PropertyDLQOriginMessageID = "DLQ_ORIGIN_MESSAGE_ID"
)

// ValidProperty reports whether the pair reads back unchanged after
// encoding: a non-empty name without separators and a non-empty value
// without PropertySeparator.
func ValidProperty(name, value string) bool {
	return name != "" && value != "" &&
		strings.IndexByte(name, NameValueSeparator) < 0 &&
		strings.IndexByte(name, PropertySeparator) < 0 &&
		strings.IndexByte(value, PropertySeparator) < 0
}

// AppendProperty appends one encoded pair to dst. A pair that would not read
// back unchanged (see ValidProperty) or whose name starts with
// TransientPropertyPrefix is not appended.
func AppendProperty(dst []byte, name, value string) []byte {
	if !ValidProperty(name, value) || strings.HasPrefix(name, TransientPropertyPrefix) {
		return dst
	}
	dst = append(dst, name...)
	dst = append(dst, NameValueSeparator)
	dst = append(dst, value...)
	return append(dst, PropertySeparator)
}

// nextProperty reads the segment of props starting at i and returns the
// name and value it holds (ok is false for a segment the parser ignores) and
// the start of the next segment.
func nextProperty(props []byte, i int) (name, value []byte, ok bool, next int) {
	end := bytes.IndexByte(props[i:], PropertySeparator)
	if end < 0 {
		end = len(props)
	} else {
		end += i
	}
	seg := props[i:end]
	sep := bytes.IndexByte(seg, NameValueSeparator)
	if sep <= 0 || sep >= len(seg)-1 {
		return nil, nil, false, end + 1
	}
	return seg[:sep], seg[sep+1:], true, end + 1
}

// PropertyValue returns the value of name in encoded properties without
// copying; the last pair with that name wins, as in RocketMQ's parser.
func PropertyValue(props []byte, name string) ([]byte, bool) {
	var value []byte
	found := false
	for i := 0; i < len(props); {
		n, v, ok, next := nextProperty(props, i)
		if ok && string(n) == name {
			value, found = v, true
		}
		i = next
	}
	return value, found
}

// ParseProperties decodes encoded properties into a map, following
// RocketMQ's parser (see the package documentation).
func ParseProperties(props []byte) map[string]string {
	m := make(map[string]string)
	for i := 0; i < len(props); {
		n, v, ok, next := nextProperty(props, i)
		if ok {
			m[string(n)] = string(v)
		}
		i = next
	}
	return m
}

// EncodeProperties encodes m with names in sorted order, skipping the pairs
// AppendProperty skips.
func EncodeProperties(m map[string]string) []byte {
	names := make([]string, 0, len(m))
	size := 0
	for name, value := range m {
		names = append(names, name)
		size += len(name) + len(value) + 2
	}
	sort.Strings(names)
	dst := make([]byte, 0, size)
	for _, name := range names {
		dst = AppendProperty(dst, name, m[name])
	}
	return dst
}

// AppendWithout appends to dst the encoded pairs of props whose names are not
// among names, in their order, and returns the extended slice. Segments the
// parser ignores are dropped too, so the result reads back as ParseProperties
// of props minus names.
func AppendWithout(dst, props []byte, names ...string) []byte {
	for i := 0; i < len(props); {
		n, v, ok, next := nextProperty(props, i)
		i = next
		if !ok || slices.Contains(names, string(n)) {
			continue
		}
		dst = append(dst, n...)
		dst = append(dst, NameValueSeparator)
		dst = append(dst, v...)
		dst = append(dst, PropertySeparator)
	}
	return dst
}
