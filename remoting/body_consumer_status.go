package remoting

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
)

// GetConsumerStatusBody is the answer of GET_CONSUMER_STATUS_FROM_CLIENT
// (ReqGetConsumerStatusFromClient), client to broker, which fills only
// MessageQueueTable, and of INVOKE_BROKER_TO_GET_CONSUMER_STATUS
// (ReqInvokeBrokerToGetConsumerStatus), broker to operator, which fills
// only ConsumerTable with each client's answer.
//
// Both tables are keyed by MessageQueue and written in fastjson's form
// (body_fastjson.go): the Go client writes its answer that way, and Java
// reads it with fastjson. A body reads as:
//
//	{"consumerTable":{"<clientId>":{<queue>:<offset>,...},...},
//	 "messageQueueTable":{<queue>:<offset>,...}}
type GetConsumerStatusBody struct {
	// MessageQueueTable is one client's next consume-queue offset of
	// each queue it holds.
	MessageQueueTable map[MessageQueue]int64 // "messageQueueTable"
	// ConsumerTable is MessageQueueTable of each client, by client id.
	ConsumerTable map[string]map[MessageQueue]int64 // "consumerTable"
}

// appendOffset appends a consume-queue offset as a JSON number.
func appendOffset(dst []byte, offset int64) []byte { return strconv.AppendInt(dst, offset, 10) }

// AppendGetConsumerStatusBodyJSON appends b to dst in fastjson's form,
// client ids and queues sorted.
func AppendGetConsumerStatusBodyJSON(dst []byte, b *GetConsumerStatusBody) []byte {
	dst = append(dst, `{"consumerTable":{`...)
	for i, id := range slices.Sorted(maps.Keys(b.ConsumerTable)) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendJSONString(dst, id)
		dst = append(dst, ':')
		dst = appendQueueTable(dst, b.ConsumerTable[id], appendOffset)
	}
	dst = append(dst, `},"messageQueueTable":`...)
	dst = appendQueueTable(dst, b.MessageQueueTable, appendOffset)
	return append(dst, '}')
}

// DecodeGetConsumerStatusBody reads a GetConsumerStatusBody in fastjson's
// form or as standard JSON with lists of [queue, offset] pairs. Both
// tables of the result are non-nil. At most MaxBodyListItems clients and
// MaxBodyQueues queues per table are accepted.
func DecodeGetConsumerStatusBody(body []byte) (*GetConsumerStatusBody, error) {
	const what = "GetConsumerStatusBody"
	var w struct {
		MessageQueueTable json.RawMessage            `json:"messageQueueTable"`
		ConsumerTable     map[string]json.RawMessage `json:"consumerTable"`
	}
	if err := decodeFastJSON(body, what, &w); err != nil {
		return nil, err
	}
	if err := checkCount(what, "consumerTable", len(w.ConsumerTable), MaxBodyListItems); err != nil {
		return nil, err
	}
	mine, err := decodeQueueTable[int64](w.MessageQueueTable, what+" messageQueueTable")
	if err != nil {
		return nil, err
	}
	out := &GetConsumerStatusBody{MessageQueueTable: mine, ConsumerTable: make(map[string]map[MessageQueue]int64, len(w.ConsumerTable))}
	for id, raw := range w.ConsumerTable {
		t, err := decodeQueueTable[int64](raw, what+" consumerTable["+strconv.Quote(id)+"]")
		if err != nil {
			return nil, err
		}
		out.ConsumerTable[id] = t
	}
	return out, nil
}
