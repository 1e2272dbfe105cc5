package remoting

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// Tables keyed by MessageQueue (fastjson form, see body_fastjson.go).

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
