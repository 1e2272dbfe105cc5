package remoting

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// JSON bodies of the broker requests and responses (spec/remoting.md §5,
// §6), with the field names of apache/rocketmq's classes.
//
// Decoders are liberal as RocketMQ's own: unknown fields are skipped, null
// and missing fields leave zero values, enum fields (consumeType,
// messageModel, ...) are kept as text for the caller to judge. Bodies that
// Java writes with fastjson's map quirks are first normalized (see
// body_route.go). Every failure wraps ErrBadBody and names the body.
//
// Encoders write compact JSON that the official Go client and Java's
// fastjson both read. Map entries are sorted, so equal values encode to
// equal bytes. Bodies read by Java tools only (TopicStatsTable,
// ConsumeStats, ResetOffsetBody) are written in fastjson's own form, with
// MessageQueue objects as map keys and fields in fastjson's alphabetical
// order; see AppendTopicStatsTableJSON.
//
// Bounds: the caller bounds a body's size (the frame limit); the decoders
// additionally bound the entries they iterate (MaxHeartbeatGroups,
// MaxHeartbeatSubscriptions, MaxSubscriptionTags, MaxBodyQueues,
// MaxBodyListItems, MaxRouteEntries) and the nesting of fastjson text
// (MaxBodyJSONDepth), and refuse a body beyond them.
//
// Invariants:
//   - no decoder panics on any input; every refusal wraps ErrBadBody;
//   - a decoded list that was empty, null or absent is nil;
//   - for each body with both an encoder and a decoder, a decoded value
//     encodes to bytes that decode to an equal value.

// ErrBadBody: a request or response body does not decode.
var ErrBadBody = errors.New("remoting: bad body")

const (
	// MaxHeartbeatGroups bounds the producer plus consumer groups of one
	// heartbeat. A client process runs a handful of groups; 10,000 is far
	// beyond any real one.
	MaxHeartbeatGroups = 10_000
	// MaxHeartbeatSubscriptions bounds the subscriptions of one heartbeat,
	// over all its consumer groups. Each costs the broker a filter entry;
	// 10,000 is far beyond a real client (a consumer subscribes a few
	// topics plus its %RETRY% topic).
	MaxHeartbeatSubscriptions = 10_000
	// MaxSubscriptionTags bounds the tags, and the tag codes, of one
	// subscription: a "TagA || TagB" expression with more than 10,000 tags
	// is no real subscription, and the broker filters against the set.
	MaxSubscriptionTags = 10_000
	// MaxBodyQueues bounds the message queues of one body (lock, unlock,
	// topic and consume statistics, offset reset). A topic has at most a
	// few thousand queues in a whole cluster; 65,536 covers a group
	// consuming many of them.
	MaxBodyQueues = 1 << 16
	// MaxBodyListItems bounds the other lists and tables of one body
	// (client ids, topic and group names, connections). A large cluster
	// has some hundred thousand topics; a million bounds the work of one
	// body beyond its byte size.
	MaxBodyListItems = 1 << 20
)

// badBody returns an ErrBadBody error naming the body.
func badBody(what, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrBadBody, what, fmt.Sprintf(format, args...))
}

// decodeBodyJSON decodes a standard JSON body into v, wrapping failures.
func decodeBodyJSON(body []byte, what string, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrBadBody, what, err)
	}
	return nil
}

// checkCount refuses a list longer than limit.
func checkCount(what, field string, n, limit int) error {
	if n > limit {
		return badBody(what, "%d entries in %s, more than %d", n, field, limit)
	}
	return nil
}

// nilIfEmpty returns nil for an empty list, so that a decoded list is nil
// whether the body held [], null or nothing.
func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// appendStringList appends ss as a JSON array of strings.
func appendStringList(dst []byte, ss []string) []byte {
	dst = append(dst, '[')
	for i, s := range ss {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendJSONString(dst, s)
	}
	return append(dst, ']')
}

// appendKey appends a member name and its colon, preceded by a comma unless
// first.
func appendKey(dst []byte, name string, first bool) []byte {
	if !first {
		dst = append(dst, ',')
	}
	dst = AppendJSONString(dst, name)
	return append(dst, ':')
}

// appendFloat appends a double as fastjson writes it; NaN and the
// infinities, which JSON cannot hold, are written as 0.
func appendFloat(dst []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	return strconv.AppendFloat(dst, v, 'f', -1, 64)
}

// MessageQueue identifies one queue: a topic's queue QueueID on the broker
// group BrokerName. Its JSON keys are "topic", "brokerName", "queueId".
type MessageQueue struct {
	Topic      string `json:"topic"`
	BrokerName string `json:"brokerName"`
	QueueID    int32  `json:"queueId"`
}

// compareMessageQueue orders queues by topic, broker name and queue id, the
// order the clients sort them in.
func compareMessageQueue(a, b MessageQueue) int {
	if c := strings.Compare(a.Topic, b.Topic); c != 0 {
		return c
	}
	if c := strings.Compare(a.BrokerName, b.BrokerName); c != 0 {
		return c
	}
	return cmp.Compare(a.QueueID, b.QueueID)
}

// appendMessageQueue appends q as fastjson writes it (keys in alphabetical
// order).
func appendMessageQueue(dst []byte, q MessageQueue) []byte {
	dst = append(dst, `{"brokerName":`...)
	dst = AppendJSONString(dst, q.BrokerName)
	dst = append(dst, `,"queueId":`...)
	dst = strconv.AppendInt(dst, int64(q.QueueID), 10)
	dst = append(dst, `,"topic":`...)
	dst = AppendJSONString(dst, q.Topic)
	return append(dst, '}')
}

// appendQueueList appends qs as a JSON array.
func appendQueueList(dst []byte, qs []MessageQueue) []byte {
	dst = append(dst, '[')
	for i, q := range qs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendMessageQueue(dst, q)
	}
	return append(dst, ']')
}

// ConsumerListBody is GET_CONSUMER_LIST_BY_GROUP's
// (ReqGetConsumerListByGroup) response body.
type ConsumerListBody struct {
	ConsumerIDList []string // "consumerIdList": the group's client ids
}

// AppendConsumerListBodyJSON appends b as JSON to dst.
func AppendConsumerListBodyJSON(dst []byte, b *ConsumerListBody) []byte {
	dst = append(dst, `{"consumerIdList":`...)
	dst = appendStringList(dst, b.ConsumerIDList)
	return append(dst, '}')
}

// DecodeConsumerListBody reads a ConsumerListBody.
func DecodeConsumerListBody(body []byte) (*ConsumerListBody, error) {
	const what = "ConsumerListBody"
	var w struct {
		ConsumerIDList []string `json:"consumerIdList"`
	}
	if err := decodeBodyJSON(body, what, &w); err != nil {
		return nil, err
	}
	if err := checkCount(what, "consumerIdList", len(w.ConsumerIDList), MaxBodyListItems); err != nil {
		return nil, err
	}
	return &ConsumerListBody{ConsumerIDList: nilIfEmpty(w.ConsumerIDList)}, nil
}

// LockBatchRequestBody is LOCK_BATCH_MQ's (ReqLockBatchMQ) request body.
// MQSet is a set in Java; it is kept in the order received, duplicates
// included.
type LockBatchRequestBody struct {
	ConsumerGroup  string         // "consumerGroup"
	ClientID       string         // "clientId"
	OnlyThisBroker bool           // "onlyThisBroker": do not forward to the other brokers of the group (5.x)
	MQSet          []MessageQueue // "mqSet"
}

// UnlockBatchRequestBody is UNLOCK_BATCH_MQ's (ReqUnlockBatchMQ) request
// body, shaped as LockBatchRequestBody.
type UnlockBatchRequestBody struct {
	ConsumerGroup  string         // "consumerGroup"
	ClientID       string         // "clientId"
	OnlyThisBroker bool           // "onlyThisBroker"
	MQSet          []MessageQueue // "mqSet"
}

// LockBatchResponseBody is LOCK_BATCH_MQ's response body: the queues locked
// for the client.
type LockBatchResponseBody struct {
	LockOKMQSet []MessageQueue // "lockOKMQSet"
}

// appendLockRequest appends a lock or unlock request body.
func appendLockRequest(dst []byte, b *LockBatchRequestBody) []byte {
	dst = append(dst, `{"consumerGroup":`...)
	dst = AppendJSONString(dst, b.ConsumerGroup)
	dst = append(dst, `,"clientId":`...)
	dst = AppendJSONString(dst, b.ClientID)
	dst = append(dst, `,"onlyThisBroker":`...)
	dst = strconv.AppendBool(dst, b.OnlyThisBroker)
	dst = append(dst, `,"mqSet":`...)
	dst = appendQueueList(dst, b.MQSet)
	return append(dst, '}')
}

// decodeLockRequest reads a lock or unlock request body.
func decodeLockRequest(body []byte, what string) (*LockBatchRequestBody, error) {
	var w struct {
		ConsumerGroup  string         `json:"consumerGroup"`
		ClientID       string         `json:"clientId"`
		OnlyThisBroker bool           `json:"onlyThisBroker"`
		MQSet          []MessageQueue `json:"mqSet"`
	}
	if err := decodeBodyJSON(body, what, &w); err != nil {
		return nil, err
	}
	if err := checkCount(what, "mqSet", len(w.MQSet), MaxBodyQueues); err != nil {
		return nil, err
	}
	b := LockBatchRequestBody(w)
	b.MQSet = nilIfEmpty(b.MQSet)
	return &b, nil
}

// AppendLockBatchRequestBodyJSON appends b as JSON to dst.
func AppendLockBatchRequestBodyJSON(dst []byte, b *LockBatchRequestBody) []byte {
	return appendLockRequest(dst, b)
}

// DecodeLockBatchRequestBody reads a LockBatchRequestBody.
func DecodeLockBatchRequestBody(body []byte) (*LockBatchRequestBody, error) {
	return decodeLockRequest(body, "LockBatchRequestBody")
}

// AppendUnlockBatchRequestBodyJSON appends b as JSON to dst.
func AppendUnlockBatchRequestBodyJSON(dst []byte, b *UnlockBatchRequestBody) []byte {
	return appendLockRequest(dst, (*LockBatchRequestBody)(b))
}

// DecodeUnlockBatchRequestBody reads an UnlockBatchRequestBody.
func DecodeUnlockBatchRequestBody(body []byte) (*UnlockBatchRequestBody, error) {
	b, err := decodeLockRequest(body, "UnlockBatchRequestBody")
	return (*UnlockBatchRequestBody)(b), err
}

// AppendLockBatchResponseBodyJSON appends b as JSON to dst.
func AppendLockBatchResponseBodyJSON(dst []byte, b *LockBatchResponseBody) []byte {
	dst = append(dst, `{"lockOKMQSet":`...)
	dst = appendQueueList(dst, b.LockOKMQSet)
	return append(dst, '}')
}

// DecodeLockBatchResponseBody reads a LockBatchResponseBody.
func DecodeLockBatchResponseBody(body []byte) (*LockBatchResponseBody, error) {
	const what = "LockBatchResponseBody"
	var w struct {
		LockOKMQSet []MessageQueue `json:"lockOKMQSet"`
	}
	if err := decodeBodyJSON(body, what, &w); err != nil {
		return nil, err
	}
	if err := checkCount(what, "lockOKMQSet", len(w.LockOKMQSet), MaxBodyQueues); err != nil {
		return nil, err
	}
	return &LockBatchResponseBody{LockOKMQSet: nilIfEmpty(w.LockOKMQSet)}, nil
}

// TopicList is the body of GET_ALL_TOPIC_LIST_FROM_NAMESERVER
// (ReqGetAllTopicListFromNameserver), GET_TOPICS_BY_CLUSTER and the other
// topic listings.
type TopicList struct {
	TopicList  []string // "topicList"
	BrokerAddr string   // "brokerAddr": optional, left out when empty
}

// AppendTopicListJSON appends l as JSON to dst.
func AppendTopicListJSON(dst []byte, l *TopicList) []byte {
	dst = append(dst, '{')
	if l.BrokerAddr != "" {
		dst = append(dst, `"brokerAddr":`...)
		dst = AppendJSONString(dst, l.BrokerAddr)
		dst = append(dst, ',')
	}
	dst = append(dst, `"topicList":`...)
	dst = appendStringList(dst, l.TopicList)
	return append(dst, '}')
}

// DecodeTopicList reads a TopicList.
func DecodeTopicList(body []byte) (*TopicList, error) {
	const what = "TopicList"
	var w struct {
		TopicList  []string `json:"topicList"`
		BrokerAddr string   `json:"brokerAddr"`
	}
	if err := decodeBodyJSON(body, what, &w); err != nil {
		return nil, err
	}
	if err := checkCount(what, "topicList", len(w.TopicList), MaxBodyListItems); err != nil {
		return nil, err
	}
	return &TopicList{TopicList: nilIfEmpty(w.TopicList), BrokerAddr: w.BrokerAddr}, nil
}

// GroupList is the body of QUERY_TOPIC_CONSUME_BY_WHO
// (ReqQueryTopicConsumeByWho) and the other group listings.
type GroupList struct {
	GroupList []string // "groupList"
}

// AppendGroupListJSON appends l as JSON to dst.
func AppendGroupListJSON(dst []byte, l *GroupList) []byte {
	dst = append(dst, `{"groupList":`...)
	dst = appendStringList(dst, l.GroupList)
	return append(dst, '}')
}

// DecodeGroupList reads a GroupList.
func DecodeGroupList(body []byte) (*GroupList, error) {
	const what = "GroupList"
	var w struct {
		GroupList []string `json:"groupList"`
	}
	if err := decodeBodyJSON(body, what, &w); err != nil {
		return nil, err
	}
	if err := checkCount(what, "groupList", len(w.GroupList), MaxBodyListItems); err != nil {
		return nil, err
	}
	return &GroupList{GroupList: nilIfEmpty(w.GroupList)}, nil
}

// KVTable is GET_BROKER_RUNTIME_INFO's (ReqGetBrokerRuntimeInfo) response
// body: named statistics as text.
type KVTable struct {
	Table map[string]string // "table"
}

// AppendKVTableJSON appends t as JSON to dst, keys sorted.
func AppendKVTableJSON(dst []byte, t *KVTable) []byte {
	dst = append(dst, `{"table":{`...)
	for i, k := range slices.Sorted(maps.Keys(t.Table)) {
		dst = appendKey(dst, k, i == 0)
		dst = AppendJSONString(dst, t.Table[k])
	}
	return append(dst, "}}"...)
}

// Connection is one client connection of a ConsumerConnection.
type Connection struct {
	ClientID   string // "clientId"
	ClientAddr string // "clientAddr": "host:port" as the broker sees it
	Language   string // "language": "JAVA", "GO", ...
	Version    int32  // "version": the client's MQVersion ordinal
}

// ConsumerConnection is GET_CONSUMER_CONNECTION_LIST's
// (ReqGetConsumerConnectionList) response body: a consumer group's
// connections and subscriptions.
type ConsumerConnection struct {
	ConnectionSet     []Connection                // "connectionSet"
	SubscriptionTable map[string]SubscriptionData // "subscriptionTable": topic -> subscription
	ConsumeType       string                      // "consumeType"
	MessageModel      string                      // "messageModel"
	ConsumeFromWhere  string                      // "consumeFromWhere"
}

// AppendConsumerConnectionJSON appends c to dst as fastjson writes it
// (fields alphabetical, tag codes as numbers), the subscription table
// sorted by topic. Empty enum fields are left out, as fastjson leaves out
// null.
func AppendConsumerConnectionJSON(dst []byte, c *ConsumerConnection) []byte {
	dst = append(dst, `{"connectionSet":[`...)
	for i, conn := range c.ConnectionSet {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"clientAddr":`...)
		dst = AppendJSONString(dst, conn.ClientAddr)
		dst = append(dst, `,"clientId":`...)
		dst = AppendJSONString(dst, conn.ClientID)
		dst = append(dst, `,"language":`...)
		dst = AppendJSONString(dst, conn.Language)
		dst = append(dst, `,"version":`...)
		dst = strconv.AppendInt(dst, int64(conn.Version), 10)
		dst = append(dst, '}')
	}
	dst = append(dst, ']')
	for _, f := range [...]struct{ name, value string }{
		{"consumeFromWhere", c.ConsumeFromWhere},
		{"consumeType", c.ConsumeType},
		{"messageModel", c.MessageModel},
	} {
		if f.value != "" {
			dst = appendKey(dst, f.name, false)
			dst = AppendJSONString(dst, f.value)
		}
	}
	dst = append(dst, `,"subscriptionTable":{`...)
	for i, topic := range slices.Sorted(maps.Keys(c.SubscriptionTable)) {
		dst = appendKey(dst, topic, i == 0)
		s := c.SubscriptionTable[topic]
		dst = appendSubscriptionData(dst, &s, false)
	}
	return append(dst, "}}"...)
}

// DecodeConsumerConnection reads a ConsumerConnection in standard JSON or
// fastjson's form.
func DecodeConsumerConnection(body []byte) (*ConsumerConnection, error) {
	const what = "ConsumerConnection"
	var w struct {
		ConnectionSet []struct {
			ClientID   string `json:"clientId"`
			ClientAddr string `json:"clientAddr"`
			Language   string `json:"language"`
			Version    int32  `json:"version"`
		} `json:"connectionSet"`
		SubscriptionTable map[string]wireSubscriptionData `json:"subscriptionTable"`
		ConsumeType       string                          `json:"consumeType"`
		MessageModel      string                          `json:"messageModel"`
		ConsumeFromWhere  string                          `json:"consumeFromWhere"`
	}
	if err := decodeFastJSON(body, what, &w); err != nil {
		return nil, err
	}
	if err := checkCount(what, "connectionSet", len(w.ConnectionSet), MaxBodyListItems); err != nil {
		return nil, err
	}
	if err := checkCount(what, "subscriptionTable", len(w.SubscriptionTable), MaxBodyListItems); err != nil {
		return nil, err
	}
	c := &ConsumerConnection{
		SubscriptionTable: make(map[string]SubscriptionData, len(w.SubscriptionTable)),
		ConsumeType:       w.ConsumeType,
		MessageModel:      w.MessageModel,
		ConsumeFromWhere:  w.ConsumeFromWhere,
	}
	if len(w.ConnectionSet) > 0 {
		c.ConnectionSet = make([]Connection, len(w.ConnectionSet))
	}
	for i, wc := range w.ConnectionSet {
		c.ConnectionSet[i] = Connection(wc)
	}
	for _, topic := range slices.Sorted(maps.Keys(w.SubscriptionTable)) {
		ws := w.SubscriptionTable[topic]
		s, err := ws.subscriptionData(what)
		if err != nil {
			return nil, err
		}
		c.SubscriptionTable[topic] = s
	}
	return c, nil
}

// DecodeKVTable reads a KVTable. Errors wrap ErrBadBody.
func DecodeKVTable(body []byte) (*KVTable, error) {
	const what = "KVTable"
	var w struct {
		Table map[string]string `json:"table"`
	}
	if err := decodeBodyJSON(body, what, &w); err != nil {
		return nil, err
	}
	if err := checkCount(what, "table", len(w.Table), MaxBodyListItems); err != nil {
		return nil, err
	}
	if w.Table == nil {
		w.Table = map[string]string{}
	}
	return &KVTable{Table: w.Table}, nil
}
