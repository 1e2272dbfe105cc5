package remoting

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/apogeemq/apogee/store/configfile"
)

// Bodies in fastjson's forms: the routes and cluster info a client reads,
// the tables keyed by MessageQueue that Java tools read, and the
// subscription group configs of the admin requests.
//
// fastjson departs from JSON in two ways when it writes a map whose keys are
// not strings:
//
//   - an integer key goes out bare: {0:"10.0.0.1:10911"} (BrokerData's
//     brokerAddrs, a HashMap<Long, String>; the Java name server writes this
//     form to clients older than V4_9_4, the Go client among them);
//   - an object key goes out as the object itself:
//     {{"brokerName":"b","queueId":0,"topic":"t"}:{"minOffset":0,...}}
//     (TopicStatsTable, ConsumeStats and ResetOffsetBody, keyed by
//     MessageQueue).
//
// normalizeFastJSON rewrites such text into standard JSON before
// encoding/json reads it: a bare integer key gets quotes, and an object whose
// keys are objects or arrays becomes a list of [key, value] pairs, which is
// also the standard-JSON form Gson writes for such maps
// (enableComplexMapKeySerialization), so one decoder serves both. Standard
// JSON passes through unchanged in meaning.

// MaxBodyJSONDepth bounds how deeply the objects and arrays of a body may
// nest. The deepest known body, a TopicStatsTable, nests four levels (body,
// table, queue key, offsets); 32 leaves room for fields a newer peer adds
// while bounding the recursion of the normalization pass.
const MaxBodyJSONDepth = 32

// fastJSONNormalizer rewrites fastjson text into standard JSON (see above).
type fastJSONNormalizer struct {
	src   []byte
	pos   int
	out   []byte
	depth int
	what  string // the body's name, for errors
}

// normalizeFastJSON returns src as standard JSON, or an ErrBadBody error
// naming what and the byte where the text stopped making sense. Scalars are
// copied as they are; encoding/json judges them afterwards.
func normalizeFastJSON(src []byte, what string) ([]byte, error) {
	n := fastJSONNormalizer{src: src, out: make([]byte, 0, len(src)+len(src)/8+2), what: what}
	if err := n.value(); err != nil {
		return nil, err
	}
	n.skipSpace()
	if n.pos != len(n.src) {
		return nil, n.errorf("unexpected %q after the value", n.src[n.pos])
	}
	return n.out, nil
}

// errorf returns an ErrBadBody error at the current position.
func (n *fastJSONNormalizer) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s, byte %d: %s", ErrBadBody, n.what, n.pos, fmt.Sprintf(format, args...))
}

// skipSpace consumes JSON white space.
func (n *fastJSONNormalizer) skipSpace() {
	for n.pos < len(n.src) {
		switch n.src[n.pos] {
		case ' ', '\t', '\n', '\r':
			n.pos++
		default:
			return
		}
	}
}

// value rewrites one value.
func (n *fastJSONNormalizer) value() error {
	n.skipSpace()
	if n.pos == len(n.src) {
		return n.errorf("unexpected end of the body")
	}
	switch c := n.src[n.pos]; {
	case c == '{':
		return n.object()
	case c == '[':
		return n.array()
	case c == '"':
		return n.str()
	case isScalarByte(c):
		start := n.pos
		for n.pos < len(n.src) && isScalarByte(n.src[n.pos]) {
			n.pos++
		}
		n.out = append(n.out, n.src[start:n.pos]...)
		return nil
	default:
		return n.errorf("unexpected %q", c)
	}
}

// isScalarByte reports whether c can be part of a number or a literal
// (true, false, null).
func isScalarByte(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || c == '-' || c == '+' || c == '.'
}

// str copies a string literal, escapes included.
func (n *fastJSONNormalizer) str() error {
	start := n.pos
	for i := n.pos + 1; i < len(n.src); i++ {
		switch n.src[i] {
		case '\\':
			i++ // the escaped byte never ends the literal
		case '"':
			n.pos = i + 1
			n.out = append(n.out, n.src[start:n.pos]...)
			return nil
		}
	}
	return n.errorf("unterminated string")
}

// enter counts one more level of nesting.
func (n *fastJSONNormalizer) enter() error {
	if n.depth == MaxBodyJSONDepth {
		return n.errorf("nesting deeper than %d levels", MaxBodyJSONDepth)
	}
	n.depth++
	n.pos++ // the opening bracket
	return nil
}

// array rewrites an array.
func (n *fastJSONNormalizer) array() error {
	if err := n.enter(); err != nil {
		return err
	}
	n.out = append(n.out, '[')
	n.skipSpace()
	if n.pos < len(n.src) && n.src[n.pos] == ']' {
		n.pos++
		n.depth--
		n.out = append(n.out, ']')
		return nil
	}
	for {
		if err := n.value(); err != nil {
			return err
		}
		done, err := n.separator(']')
		if err != nil {
			return err
		}
		if done {
			n.out = append(n.out, ']')
			return nil
		}
	}
}

// separator consumes the ',' between members, copying it, or the closing
// bracket, which it reports and leaves to the caller to write.
func (n *fastJSONNormalizer) separator(closing byte) (bool, error) {
	n.skipSpace()
	if n.pos == len(n.src) {
		return false, n.errorf("unexpected end of the body")
	}
	switch c := n.src[n.pos]; c {
	case ',':
		n.pos++
		n.out = append(n.out, ',')
		return false, nil
	case closing:
		n.pos++
		n.depth--
		return true, nil
	default:
		return false, n.errorf("want ',' or %q, found %q", closing, c)
	}
}

// object rewrites an object: with string or bare integer keys into an
// object with string keys, with object or array keys into a list of
// [key, value] pairs. One object may not mix the two kinds.
func (n *fastJSONNormalizer) object() error {
	if err := n.enter(); err != nil {
		return err
	}
	n.skipSpace()
	if n.pos == len(n.src) {
		return n.errorf("unexpected end of the body")
	}
	if n.src[n.pos] == '}' {
		n.pos++
		n.depth--
		n.out = append(n.out, '{', '}')
		return nil
	}
	pairs := n.src[n.pos] == '{' || n.src[n.pos] == '['
	if pairs {
		n.out = append(n.out, '[')
	} else {
		n.out = append(n.out, '{')
	}
	for {
		n.skipSpace()
		if err := n.key(pairs); err != nil {
			return err
		}
		n.skipSpace()
		if n.pos == len(n.src) || n.src[n.pos] != ':' {
			return n.errorf("want ':' after a key")
		}
		n.pos++
		if pairs {
			n.out = append(n.out, ',')
		} else {
			n.out = append(n.out, ':')
		}
		if err := n.value(); err != nil {
			return err
		}
		if pairs {
			n.out = append(n.out, ']')
		}
		done, err := n.separator('}')
		if err != nil {
			return err
		}
		if done {
			if pairs {
				n.out = append(n.out, ']')
			} else {
				n.out = append(n.out, '}')
			}
			return nil
		}
	}
}

// key rewrites one object key: in pairs mode it opens the pair and copies
// the key value; otherwise it copies a string key or quotes a bare integer.
func (n *fastJSONNormalizer) key(pairs bool) error {
	if n.pos == len(n.src) {
		return n.errorf("unexpected end of the body")
	}
	c := n.src[n.pos]
	if pairs {
		if c != '{' && c != '[' {
			return n.errorf("a map keyed by objects has a key that is not an object")
		}
		n.out = append(n.out, '[')
		return n.value()
	}
	switch {
	case c == '"':
		return n.str()
	case c == '-' || isDigit(c):
		start := n.pos
		if c == '-' {
			n.pos++
		}
		first := n.pos
		for n.pos < len(n.src) && isDigit(n.src[n.pos]) {
			n.pos++
		}
		if n.pos == first || (n.pos < len(n.src) && isScalarByte(n.src[n.pos])) {
			n.pos = start
			return n.errorf("an unquoted key must be an integer")
		}
		n.out = append(n.out, '"')
		n.out = append(n.out, n.src[start:n.pos]...)
		n.out = append(n.out, '"')
		return nil
	case c == '{' || c == '[':
		return n.errorf("a map mixes object keys with plain keys")
	default:
		return n.errorf("want a key, found %q", c)
	}
}

// decodeFastJSON normalizes body and decodes it into v with encoding/json,
// wrapping every failure in ErrBadBody naming what.
func decodeFastJSON(body []byte, what string, v any) error {
	norm, err := normalizeFastJSON(body, what)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(norm, v); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrBadBody, what, err)
	}
	return nil
}

// QueueData is one broker's queues of a topic in a route.
type QueueData struct {
	BrokerName     string // "brokerName"
	ReadQueueNums  int32  // "readQueueNums": queue ids 0..n-1 consumers read
	WriteQueueNums int32  // "writeQueueNums": queue ids 0..n-1 producers write
	Perm           int32  // "perm": PermName bits (2 write, 4 read)
	TopicSysFlag   int32  // "topicSysFlag" (the Go client's "topicSynFlag" is read too)
}

// BrokerData is one broker group in a route: its addresses by broker id.
type BrokerData struct {
	Cluster     string           // "cluster"
	BrokerName  string           // "brokerName"
	BrokerAddrs map[int64]string // "brokerAddrs": broker id (0 = master) -> "host:port"; never nil after decoding
}

// TopicRouteData is GET_ROUTEINFO_BY_TOPIC's (ReqGetRouteInfoByTopic)
// response body. filterServerTable and 5.x's topicQueueMappingByBroker are
// not read.
type TopicRouteData struct {
	OrderTopicConf string       // "orderTopicConf": "broker:count" pairs joined by ";", or empty
	QueueDatas     []QueueData  // "queueDatas"
	BrokerDatas    []BrokerData // "brokerDatas"
}

// ClusterInfo is GET_BROKER_CLUSTER_INFO's (ReqGetBrokerClusterInfo)
// response body.
type ClusterInfo struct {
	BrokerAddrTable  map[string]BrokerData // "brokerAddrTable": broker name -> broker; never nil after decoding
	ClusterAddrTable map[string][]string   // "clusterAddrTable": cluster -> broker names; never nil after decoding
}

// MaxRouteEntries bounds the queue and broker entries of a route body and
// the brokers of a cluster info body. A large cluster has a few hundred
// broker groups; 65,536 leaves ample room while bounding the work of one
// body beyond its byte size.
const MaxRouteEntries = 1 << 16

// wireQueueData is QueueData as JSON.
type wireQueueData struct {
	BrokerName     string `json:"brokerName"`
	ReadQueueNums  int32  `json:"readQueueNums"`
	WriteQueueNums int32  `json:"writeQueueNums"`
	Perm           int32  `json:"perm"`
	TopicSysFlag   *int32 `json:"topicSysFlag"`
	TopicSynFlag   *int32 `json:"topicSynFlag"`
}

// wireBrokerData is BrokerData as JSON, with the address keys still text.
type wireBrokerData struct {
	Cluster     string            `json:"cluster"`
	BrokerName  string            `json:"brokerName"`
	BrokerAddrs map[string]string `json:"brokerAddrs"`
}

// brokerData converts w, parsing the broker ids; what names w for errors.
func (w *wireBrokerData) brokerData(what string) (BrokerData, error) {
	b := BrokerData{Cluster: w.Cluster, BrokerName: w.BrokerName, BrokerAddrs: make(map[int64]string, len(w.BrokerAddrs))}
	for _, key := range slices.Sorted(maps.Keys(w.BrokerAddrs)) {
		id, err := strconv.ParseInt(key, 10, 64)
		if err != nil {
			return BrokerData{}, fmt.Errorf("%w: %s: broker %q: brokerAddrs key %q is not a broker id", ErrBadBody, what, w.BrokerName, key)
		}
		b.BrokerAddrs[id] = w.BrokerAddrs[key]
	}
	return b, nil
}

// DecodeTopicRouteData reads a TopicRouteData in standard JSON or in
// fastjson's form with bare integer brokerAddrs keys. Errors wrap ErrBadBody.
func DecodeTopicRouteData(body []byte) (*TopicRouteData, error) {
	const what = "TopicRouteData"
	var w struct {
		OrderTopicConf string           `json:"orderTopicConf"`
		QueueDatas     []wireQueueData  `json:"queueDatas"`
		BrokerDatas    []wireBrokerData `json:"brokerDatas"`
	}
	if err := decodeFastJSON(body, what, &w); err != nil {
		return nil, err
	}
	if len(w.QueueDatas) > MaxRouteEntries || len(w.BrokerDatas) > MaxRouteEntries {
		return nil, fmt.Errorf("%w: %s: %d queue entries and %d brokers, more than %d", ErrBadBody, what,
			len(w.QueueDatas), len(w.BrokerDatas), MaxRouteEntries)
	}
	rd := &TopicRouteData{
		OrderTopicConf: w.OrderTopicConf,
		QueueDatas:     make([]QueueData, len(w.QueueDatas)),
		BrokerDatas:    make([]BrokerData, len(w.BrokerDatas)),
	}
	for i, q := range w.QueueDatas {
		rd.QueueDatas[i] = QueueData{
			BrokerName:     q.BrokerName,
			ReadQueueNums:  q.ReadQueueNums,
			WriteQueueNums: q.WriteQueueNums,
			Perm:           q.Perm,
		}
		switch {
		case q.TopicSysFlag != nil:
			rd.QueueDatas[i].TopicSysFlag = *q.TopicSysFlag
		case q.TopicSynFlag != nil:
			rd.QueueDatas[i].TopicSysFlag = *q.TopicSynFlag
		}
	}
	for i := range w.BrokerDatas {
		b, err := w.BrokerDatas[i].brokerData(what)
		if err != nil {
			return nil, err
		}
		rd.BrokerDatas[i] = b
	}
	return rd, nil
}

// DecodeClusterInfo reads a ClusterInfo in standard JSON or in fastjson's
// form with bare integer brokerAddrs keys. Errors wrap ErrBadBody.
func DecodeClusterInfo(body []byte) (*ClusterInfo, error) {
	const what = "ClusterInfo"
	var w struct {
		BrokerAddrTable  map[string]wireBrokerData `json:"brokerAddrTable"`
		ClusterAddrTable map[string][]string       `json:"clusterAddrTable"`
	}
	if err := decodeFastJSON(body, what, &w); err != nil {
		return nil, err
	}
	names := 0
	for _, brokers := range w.ClusterAddrTable {
		names += len(brokers)
	}
	if len(w.BrokerAddrTable) > MaxRouteEntries || names > MaxRouteEntries {
		return nil, fmt.Errorf("%w: %s: %d brokers and %d cluster members, more than %d", ErrBadBody, what,
			len(w.BrokerAddrTable), names, MaxRouteEntries)
	}
	ci := &ClusterInfo{
		BrokerAddrTable:  make(map[string]BrokerData, len(w.BrokerAddrTable)),
		ClusterAddrTable: make(map[string][]string, len(w.ClusterAddrTable)),
	}
	for _, name := range slices.Sorted(maps.Keys(w.BrokerAddrTable)) {
		wb := w.BrokerAddrTable[name]
		b, err := wb.brokerData(what)
		if err != nil {
			return nil, err
		}
		ci.BrokerAddrTable[name] = b
	}
	for cluster, brokers := range w.ClusterAddrTable {
		if brokers == nil {
			brokers = []string{}
		}
		ci.ClusterAddrTable[cluster] = brokers
	}
	return ci, nil
}

// DecodeSubscriptionGroupConfig reads UPDATE_AND_CREATE_SUBSCRIPTIONGROUP's
// (ReqUpdateAndCreateSubscriptionGroup) request body, one
// SubscriptionGroupConfig, in standard JSON or fastjson's form. Fields the
// body leaves out take RocketMQ's defaults (configfile.NewSubscriptionGroupConfig);
// fields configfile does not know are kept in Extra. The group name is not
// checked.
func DecodeSubscriptionGroupConfig(body []byte) (configfile.SubscriptionGroupConfig, error) {
	const what = "SubscriptionGroupConfig"
	// The body must be one object on its own before it is placed inside a
	// subscriptionGroup.json document, so that no text can escape it.
	norm, err := normalizeFastJSON(body, what)
	if err != nil {
		return configfile.SubscriptionGroupConfig{}, err
	}
	if norm = bytes.TrimSpace(norm); len(norm) == 0 || norm[0] != '{' || !json.Valid(norm) {
		return configfile.SubscriptionGroupConfig{}, badBody(what, "not a JSON object")
	}
	const entry = "body"
	doc := make([]byte, 0, len(norm)+64)
	doc = append(doc, `{"subscriptionGroupTable":{"`+entry+`":`...)
	doc = append(doc, norm...)
	doc = append(doc, "}}"...)
	t, err := configfile.ParseSubscriptionGroups(doc)
	if err != nil {
		return configfile.SubscriptionGroupConfig{}, fmt.Errorf("%w: %s: %w", ErrBadBody, what, err)
	}
	return t.Groups[entry], nil
}

// subscriptionGroupFields are the JSON fields of a SubscriptionGroupConfig
// in fastjson's (alphabetical) order.
var subscriptionGroupFields = []string{
	"brokerId", "consumeBroadcastEnable", "consumeEnable", "consumeFromMinEnable",
	"consumeMessageOrderly", "consumeTimeoutMinute", "groupName", "groupSysFlag",
	"notifyConsumerIdsChangedEnable", "retryMaxTimes", "retryQueueNums",
	"whichBrokerWhenConsumeSlowly",
}

// appendSubscriptionGroupField appends the value of one known field.
func appendSubscriptionGroupField(dst []byte, g *configfile.SubscriptionGroupConfig, name string) []byte {
	switch name {
	case "brokerId":
		return strconv.AppendInt(dst, g.BrokerID, 10)
	case "consumeBroadcastEnable":
		return strconv.AppendBool(dst, g.ConsumeBroadcastEnable)
	case "consumeEnable":
		return strconv.AppendBool(dst, g.ConsumeEnable)
	case "consumeFromMinEnable":
		return strconv.AppendBool(dst, g.ConsumeFromMinEnable)
	case "consumeMessageOrderly":
		return strconv.AppendBool(dst, g.ConsumeMessageOrderly)
	case "consumeTimeoutMinute":
		return strconv.AppendInt(dst, int64(g.ConsumeTimeoutMinutes), 10)
	case "groupName":
		return AppendJSONString(dst, g.GroupName)
	case "groupSysFlag":
		return strconv.AppendInt(dst, int64(g.GroupSysFlag), 10)
	case "notifyConsumerIdsChangedEnable":
		return strconv.AppendBool(dst, g.NotifyConsumerIDsChangedEnable)
	case "retryMaxTimes":
		return strconv.AppendInt(dst, int64(g.RetryMaxTimes), 10)
	case "retryQueueNums":
		return strconv.AppendInt(dst, int64(g.RetryQueueNums), 10)
	case "whichBrokerWhenConsumeSlowly":
		return strconv.AppendInt(dst, g.WhichBrokerWhenConsumeSlowly, 10)
	}
	panic("remoting: unknown SubscriptionGroupConfig field " + name)
}

// appendSubscriptionGroup appends one group: the known fields and Extra,
// merged in alphabetical order. An Extra entry named like a known field is
// left out (the field wins), and so is one that is not valid JSON.
func appendSubscriptionGroup(dst []byte, g *configfile.SubscriptionGroupConfig) []byte {
	extra := slices.Sorted(maps.Keys(g.Extra))
	dst = append(dst, '{')
	first := true
	i, j := 0, 0
	for i < len(subscriptionGroupFields) || j < len(extra) {
		if j < len(extra) && (i == len(subscriptionGroupFields) || extra[j] < subscriptionGroupFields[i]) {
			if raw := g.Extra[extra[j]]; len(raw) > 0 && json.Valid(raw) {
				dst = appendKey(dst, extra[j], first)
				dst = append(dst, raw...)
				first = false
			}
			j++
			continue
		}
		if j < len(extra) && extra[j] == subscriptionGroupFields[i] {
			j++
		}
		dst = appendKey(dst, subscriptionGroupFields[i], first)
		dst = appendSubscriptionGroupField(dst, g, subscriptionGroupFields[i])
		first = false
		i++
	}
	return append(dst, '}')
}

// AppendSubscriptionGroupWrapperJSON appends GET_ALL_SUBSCRIPTIONGROUP_CONFIG's
// (ReqGetAllSubscriptionGroupConfig) response body to dst: Java's
// SubscriptionGroupWrapper, {"dataVersion":{...},"forbiddenTable":{...},
// "subscriptionGroupTable":{...}}, compact, tables sorted by name.
func AppendSubscriptionGroupWrapperJSON(dst []byte, t *configfile.SubscriptionGroupTable) []byte {
	dst = append(dst, `{"dataVersion":{"counter":`...)
	dst = strconv.AppendInt(dst, t.DataVersion.Counter, 10)
	dst = append(dst, `,"stateVersion":`...)
	dst = strconv.AppendInt(dst, t.DataVersion.StateVersion, 10)
	dst = append(dst, `,"timestamp":`...)
	dst = strconv.AppendInt(dst, t.DataVersion.TimestampMs, 10)
	dst = append(dst, `},"forbiddenTable":{`...)
	for i, group := range slices.Sorted(maps.Keys(t.Forbidden)) {
		dst = appendKey(dst, group, i == 0)
		dst = append(dst, '{')
		perms := t.Forbidden[group]
		for j, topic := range slices.Sorted(maps.Keys(perms)) {
			dst = appendKey(dst, topic, j == 0)
			dst = strconv.AppendInt(dst, int64(perms[topic]), 10)
		}
		dst = append(dst, '}')
	}
	dst = append(dst, `},"subscriptionGroupTable":{`...)
	for i, name := range slices.Sorted(maps.Keys(t.Groups)) {
		dst = appendKey(dst, name, i == 0)
		g := t.Groups[name]
		dst = appendSubscriptionGroup(dst, &g)
	}
	return append(dst, "}}"...)
}

// TopicOffset is one queue's entry of a TopicStatsTable.
type TopicOffset struct {
	MinOffset           int64 // "minOffset": consume-queue offset
	MaxOffset           int64 // "maxOffset": consume-queue offset
	LastUpdateTimestamp int64 // "lastUpdateTimestamp": store time of the last message, ms since the epoch
}

// TopicStatsTable is GET_TOPIC_STATS_INFO's (ReqGetTopicStatsInfo) response
// body.
//
// Only Java tools (mqadmin topicStatus) read it; the Go client's admin has
// no call for it. Java decodes it with fastjson into a Map<MessageQueue,
// TopicOffset>, which fastjson writes with the queue objects themselves as
// keys, so AppendTopicStatsTableJSON writes exactly that form. It is not
// JSON: a standard parser cannot read it. DecodeTopicStatsTable reads both
// it and the standard-JSON list of [queue, value] pairs that Gson writes
// for such maps.
type TopicStatsTable struct {
	OffsetTable map[MessageQueue]TopicOffset // "offsetTable"
	TopicPutTps float64                      // "topicPutTps" (5.x): messages put per second
}

// OffsetWrapper is one queue's entry of a ConsumeStats.
type OffsetWrapper struct {
	BrokerOffset   int64 // "brokerOffset": the queue's max consume-queue offset
	ConsumerOffset int64 // "consumerOffset": the group's committed consume-queue offset
	PullOffset     int64 // "pullOffset" (5.x): the consume-queue offset of the group's last pull
	LastTimestamp  int64 // "lastTimestamp": store time of the last consumed message, ms since the epoch
}

// ConsumeStats is GET_CONSUME_STATS's (ReqGetConsumeStats) response body,
// in the same two forms as TopicStatsTable.
type ConsumeStats struct {
	OffsetTable map[MessageQueue]OffsetWrapper // "offsetTable"
	ConsumeTps  float64                        // "consumeTps": messages consumed per second
}

// ResetOffsetBody is the body of RESET_CONSUMER_CLIENT_OFFSET
// (ReqResetConsumerClientOffset), broker to client, and of
// INVOKE_BROKER_TO_RESET_OFFSET's response: the consume-queue offset each
// queue is reset to. The Go client reads fastjson's object-keyed form
// (which AppendResetOffsetBodyJSON writes) and Gson's list form.
type ResetOffsetBody struct {
	OffsetTable map[MessageQueue]int64 // "offsetTable"
}

// appendQueueTable appends a map keyed by MessageQueue in fastjson's form,
// {{queue}:value,...}, sorted by queue.
func appendQueueTable[V any](dst []byte, table map[MessageQueue]V, appendValue func([]byte, V) []byte) []byte {
	dst = append(dst, '{')
	for i, q := range slices.SortedFunc(maps.Keys(table), compareMessageQueue) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendMessageQueue(dst, q)
		dst = append(dst, ':')
		dst = appendValue(dst, table[q])
	}
	return append(dst, '}')
}

// decodeQueueTable reads the normalized form of a map keyed by
// MessageQueue: a list of [queue, value] pairs, an empty object, or null.
func decodeQueueTable[V any](raw json.RawMessage, what string) (map[MessageQueue]V, error) {
	raw = bytes.TrimSpace(raw)
	table := map[MessageQueue]V{}
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return table, nil
	case raw[0] == '{':
		var entries map[string]json.RawMessage
		if err := json.Unmarshal(raw, &entries); err != nil {
			return nil, fmt.Errorf("%w: %s: offsetTable: %w", ErrBadBody, what, err)
		}
		if len(entries) > 0 {
			return nil, badBody(what, "offsetTable is keyed by strings, want message queues")
		}
		return table, nil
	case raw[0] != '[':
		return nil, badBody(what, "offsetTable is not a map")
	}
	var pairs []json.RawMessage
	if err := json.Unmarshal(raw, &pairs); err != nil {
		return nil, fmt.Errorf("%w: %s: offsetTable: %w", ErrBadBody, what, err)
	}
	if err := checkCount(what, "offsetTable", len(pairs), MaxBodyQueues); err != nil {
		return nil, err
	}
	for i, rawPair := range pairs {
		var pair []json.RawMessage
		if err := json.Unmarshal(rawPair, &pair); err != nil || len(pair) != 2 {
			return nil, badBody(what, "offsetTable entry %d is not a [queue, value] pair", i)
		}
		var q MessageQueue
		var v V
		if err := json.Unmarshal(pair[0], &q); err != nil {
			return nil, fmt.Errorf("%w: %s: offsetTable entry %d: queue: %w", ErrBadBody, what, i, err)
		}
		if err := json.Unmarshal(pair[1], &v); err != nil {
			return nil, fmt.Errorf("%w: %s: offsetTable entry %d: value: %w", ErrBadBody, what, i, err)
		}
		table[q] = v
	}
	return table, nil
}

// AppendTopicStatsTableJSON appends t to dst in fastjson's form (see
// TopicStatsTable).
func AppendTopicStatsTableJSON(dst []byte, t *TopicStatsTable) []byte {
	dst = append(dst, `{"offsetTable":`...)
	dst = appendQueueTable(dst, t.OffsetTable, func(dst []byte, o TopicOffset) []byte {
		dst = append(dst, `{"lastUpdateTimestamp":`...)
		dst = strconv.AppendInt(dst, o.LastUpdateTimestamp, 10)
		dst = append(dst, `,"maxOffset":`...)
		dst = strconv.AppendInt(dst, o.MaxOffset, 10)
		dst = append(dst, `,"minOffset":`...)
		dst = strconv.AppendInt(dst, o.MinOffset, 10)
		return append(dst, '}')
	})
	dst = append(dst, `,"topicPutTps":`...)
	dst = appendFloat(dst, t.TopicPutTps)
	return append(dst, '}')
}

// wireTopicOffset is TopicOffset as JSON.
type wireTopicOffset struct {
	MinOffset           int64 `json:"minOffset"`
	MaxOffset           int64 `json:"maxOffset"`
	LastUpdateTimestamp int64 `json:"lastUpdateTimestamp"`
}

// DecodeTopicStatsTable reads a TopicStatsTable in fastjson's form or as
// standard JSON with a list of [queue, value] pairs.
func DecodeTopicStatsTable(body []byte) (*TopicStatsTable, error) {
	const what = "TopicStatsTable"
	var w struct {
		OffsetTable json.RawMessage `json:"offsetTable"`
		TopicPutTps float64         `json:"topicPutTps"`
	}
	if err := decodeFastJSON(body, what, &w); err != nil {
		return nil, err
	}
	wt, err := decodeQueueTable[wireTopicOffset](w.OffsetTable, what)
	if err != nil {
		return nil, err
	}
	t := &TopicStatsTable{OffsetTable: make(map[MessageQueue]TopicOffset, len(wt)), TopicPutTps: w.TopicPutTps}
	for q, o := range wt {
		t.OffsetTable[q] = TopicOffset(o)
	}
	return t, nil
}

// AppendConsumeStatsJSON appends s to dst in fastjson's form (see
// TopicStatsTable).
func AppendConsumeStatsJSON(dst []byte, s *ConsumeStats) []byte {
	dst = append(dst, `{"consumeTps":`...)
	dst = appendFloat(dst, s.ConsumeTps)
	dst = append(dst, `,"offsetTable":`...)
	dst = appendQueueTable(dst, s.OffsetTable, func(dst []byte, o OffsetWrapper) []byte {
		dst = append(dst, `{"brokerOffset":`...)
		dst = strconv.AppendInt(dst, o.BrokerOffset, 10)
		dst = append(dst, `,"consumerOffset":`...)
		dst = strconv.AppendInt(dst, o.ConsumerOffset, 10)
		dst = append(dst, `,"lastTimestamp":`...)
		dst = strconv.AppendInt(dst, o.LastTimestamp, 10)
		dst = append(dst, `,"pullOffset":`...)
		dst = strconv.AppendInt(dst, o.PullOffset, 10)
		return append(dst, '}')
	})
	return append(dst, '}')
}

// wireOffsetWrapper is OffsetWrapper as JSON.
type wireOffsetWrapper struct {
	BrokerOffset   int64 `json:"brokerOffset"`
	ConsumerOffset int64 `json:"consumerOffset"`
	PullOffset     int64 `json:"pullOffset"`
	LastTimestamp  int64 `json:"lastTimestamp"`
}

// DecodeConsumeStats reads a ConsumeStats in fastjson's form or as standard
// JSON with a list of [queue, value] pairs.
func DecodeConsumeStats(body []byte) (*ConsumeStats, error) {
	const what = "ConsumeStats"
	var w struct {
		OffsetTable json.RawMessage `json:"offsetTable"`
		ConsumeTps  float64         `json:"consumeTps"`
	}
	if err := decodeFastJSON(body, what, &w); err != nil {
		return nil, err
	}
	wt, err := decodeQueueTable[wireOffsetWrapper](w.OffsetTable, what)
	if err != nil {
		return nil, err
	}
	s := &ConsumeStats{OffsetTable: make(map[MessageQueue]OffsetWrapper, len(wt)), ConsumeTps: w.ConsumeTps}
	for q, o := range wt {
		s.OffsetTable[q] = OffsetWrapper(o)
	}
	return s, nil
}

// AppendResetOffsetBodyJSON appends b to dst in fastjson's form, which the
// Go client's ResetOffsetBody.Decode reads when the body is not valid JSON.
func AppendResetOffsetBodyJSON(dst []byte, b *ResetOffsetBody) []byte {
	dst = append(dst, `{"offsetTable":`...)
	dst = appendQueueTable(dst, b.OffsetTable, func(dst []byte, offset int64) []byte {
		return strconv.AppendInt(dst, offset, 10)
	})
	return append(dst, '}')
}

// DecodeResetOffsetBody reads a ResetOffsetBody in fastjson's form or as
// standard JSON with a list of [queue, offset] pairs.
func DecodeResetOffsetBody(body []byte) (*ResetOffsetBody, error) {
	const what = "ResetOffsetBody"
	var w struct {
		OffsetTable json.RawMessage `json:"offsetTable"`
	}
	if err := decodeFastJSON(body, what, &w); err != nil {
		return nil, err
	}
	table, err := decodeQueueTable[int64](w.OffsetTable, what)
	if err != nil {
		return nil, err
	}
	return &ResetOffsetBody{OffsetTable: table}, nil
}
