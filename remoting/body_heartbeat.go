package remoting

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// HEART_BEAT bodies (spec/remoting.md §5.1).

// Values of the heartbeat's enum fields as Java spells them. Decoders keep
// any other text as it is.
const (
	// ConsumeTypePassively: a push consumer.
	ConsumeTypePassively = "CONSUME_PASSIVELY"
	// ConsumeTypeActively: a pull consumer.
	ConsumeTypeActively = "CONSUME_ACTIVELY"
	// MessageModelClustering: each message goes to one member of the group.
	MessageModelClustering = "CLUSTERING"
	// MessageModelBroadcasting: each message goes to every member.
	MessageModelBroadcasting = "BROADCASTING"
	// ConsumeFromLastOffset: a new group starts at the queue's end.
	ConsumeFromLastOffset = "CONSUME_FROM_LAST_OFFSET"
	// ConsumeFromFirstOffset: a new group starts at the queue's beginning.
	ConsumeFromFirstOffset = "CONSUME_FROM_FIRST_OFFSET"
	// ConsumeFromTimestamp: a new group starts at a point in time.
	ConsumeFromTimestamp = "CONSUME_FROM_TIMESTAMP"
	// ExpressionTypeTag: SubString is a tag expression ("*", "a || b").
	ExpressionTypeTag = "TAG"
	// ExpressionTypeSQL92: SubString is an SQL92 property filter.
	ExpressionTypeSQL92 = "SQL92"
)

// HeartbeatData is HEART_BEAT's (ReqHeartBeat) request body: a client's
// producer and consumer groups. Java sends sets; the lists keep the order
// received, duplicates included.
type HeartbeatData struct {
	ClientID        string         // "clientID" (capital ID)
	ProducerDataSet []ProducerData // "producerDataSet"
	ConsumerDataSet []ConsumerData // "consumerDataSet"
}

// ProducerData is one producer group of a heartbeat.
type ProducerData struct {
	GroupName string `json:"groupName"`
}

// ConsumerData is one consumer group of a heartbeat.
type ConsumerData struct {
	GroupName           string             // "groupName"
	ConsumeType         string             // "consumeType": ConsumeType*
	MessageModel        string             // "messageModel": MessageModel*
	ConsumeFromWhere    string             // "consumeFromWhere": ConsumeFrom*
	UnitMode            bool               // "unitMode"
	SubscriptionDataSet []SubscriptionData // "subscriptionDataSet"
}

// SubscriptionData is one topic subscription of a consumer group.
type SubscriptionData struct {
	ClassFilterMode bool     // "classFilterMode"
	Topic           string   // "topic"
	SubString       string   // "subString": the expression; "*" is everything
	TagsSet         []string // "tagsSet": the tags of a TAG expression
	// CodeSet is "codeSet": Java's String.hashCode of each tag. Java
	// writes the codes as JSON numbers, the Go client as strings.
	CodeSet        []int32
	SubVersion     int64  // "subVersion": a version stamp (ms in Java, ns in Go); compare, don't interpret
	ExpressionType string // "expressionType": ExpressionType*
}

// tagCode is one codeSet element: a JSON integer or a string holding one.
type tagCode int32

// UnmarshalJSON accepts 80788224 and "80788224", nothing else.
func (c *tagCode) UnmarshalJSON(b []byte) error {
	text := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &text); err != nil {
			return err
		}
	}
	n, err := strconv.ParseInt(text, 10, 32)
	if err != nil {
		return fmt.Errorf("codeSet element %s is not an int32 tag code", clipText(string(b)))
	}
	*c = tagCode(n)
	return nil
}

// maxQuotedBytes bounds how much of a bad value an error quotes.
const maxQuotedBytes = 64

// clipText shortens s for an error message.
func clipText(s string) string {
	if len(s) <= maxQuotedBytes {
		return s
	}
	return s[:maxQuotedBytes] + "..."
}

// wireSubscriptionData is SubscriptionData as JSON.
type wireSubscriptionData struct {
	ClassFilterMode bool      `json:"classFilterMode"`
	Topic           string    `json:"topic"`
	SubString       string    `json:"subString"`
	TagsSet         []string  `json:"tagsSet"`
	CodeSet         []tagCode `json:"codeSet"`
	SubVersion      int64     `json:"subVersion"`
	ExpressionType  string    `json:"expressionType"`
}

// subscriptionData converts w, checking its bounds.
func (w *wireSubscriptionData) subscriptionData(what string) (SubscriptionData, error) {
	if err := checkCount(what, "tagsSet", len(w.TagsSet), MaxSubscriptionTags); err != nil {
		return SubscriptionData{}, err
	}
	if err := checkCount(what, "codeSet", len(w.CodeSet), MaxSubscriptionTags); err != nil {
		return SubscriptionData{}, err
	}
	s := SubscriptionData{
		ClassFilterMode: w.ClassFilterMode,
		Topic:           w.Topic,
		SubString:       w.SubString,
		TagsSet:         nilIfEmpty(w.TagsSet),
		SubVersion:      w.SubVersion,
		ExpressionType:  w.ExpressionType,
	}
	if len(w.CodeSet) > 0 {
		s.CodeSet = make([]int32, len(w.CodeSet))
		for i, c := range w.CodeSet {
			s.CodeSet[i] = int32(c)
		}
	}
	return s, nil
}

// DecodeHeartbeatData reads a HeartbeatData as the Go and Java clients
// write it: codeSet elements may be numbers or strings; tagsSet and the
// sets may be absent or null.
func DecodeHeartbeatData(body []byte) (*HeartbeatData, error) {
	const what = "HeartbeatData"
	var w struct {
		ClientID        string         `json:"clientID"`
		ProducerDataSet []ProducerData `json:"producerDataSet"`
		ConsumerDataSet []struct {
			GroupName           string                 `json:"groupName"`
			ConsumeType         string                 `json:"consumeType"`
			MessageModel        string                 `json:"messageModel"`
			ConsumeFromWhere    string                 `json:"consumeFromWhere"`
			UnitMode            bool                   `json:"unitMode"`
			SubscriptionDataSet []wireSubscriptionData `json:"subscriptionDataSet"`
		} `json:"consumerDataSet"`
	}
	if err := decodeBodyJSON(body, what, &w); err != nil {
		return nil, err
	}
	groups := len(w.ProducerDataSet) + len(w.ConsumerDataSet)
	if err := checkCount(what, "producerDataSet and consumerDataSet", groups, MaxHeartbeatGroups); err != nil {
		return nil, err
	}
	subs := 0
	for i := range w.ConsumerDataSet {
		subs += len(w.ConsumerDataSet[i].SubscriptionDataSet)
	}
	if err := checkCount(what, "subscriptionDataSet", subs, MaxHeartbeatSubscriptions); err != nil {
		return nil, err
	}
	h := &HeartbeatData{ClientID: w.ClientID, ProducerDataSet: nilIfEmpty(w.ProducerDataSet)}
	if len(w.ConsumerDataSet) > 0 {
		h.ConsumerDataSet = make([]ConsumerData, len(w.ConsumerDataSet))
	}
	for i, wc := range w.ConsumerDataSet {
		c := ConsumerData{
			GroupName:        wc.GroupName,
			ConsumeType:      wc.ConsumeType,
			MessageModel:     wc.MessageModel,
			ConsumeFromWhere: wc.ConsumeFromWhere,
			UnitMode:         wc.UnitMode,
		}
		if len(wc.SubscriptionDataSet) > 0 {
			c.SubscriptionDataSet = make([]SubscriptionData, len(wc.SubscriptionDataSet))
		}
		for j := range wc.SubscriptionDataSet {
			s, err := wc.SubscriptionDataSet[j].subscriptionData(what)
			if err != nil {
				return nil, err
			}
			c.SubscriptionDataSet[j] = s
		}
		h.ConsumerDataSet[i] = c
	}
	return h, nil
}

// appendSubscriptionData appends s, with the tag codes as strings (as the
// Go client writes them) or as numbers (as Java writes them).
func appendSubscriptionData(dst []byte, s *SubscriptionData, codesAsStrings bool) []byte {
	dst = append(dst, `{"classFilterMode":`...)
	dst = strconv.AppendBool(dst, s.ClassFilterMode)
	dst = append(dst, `,"topic":`...)
	dst = AppendJSONString(dst, s.Topic)
	dst = append(dst, `,"subString":`...)
	dst = AppendJSONString(dst, s.SubString)
	dst = append(dst, `,"tagsSet":`...)
	dst = appendStringList(dst, s.TagsSet)
	dst = append(dst, `,"codeSet":[`...)
	for i, c := range s.CodeSet {
		if i > 0 {
			dst = append(dst, ',')
		}
		if codesAsStrings {
			dst = append(dst, '"')
		}
		dst = strconv.AppendInt(dst, int64(c), 10)
		if codesAsStrings {
			dst = append(dst, '"')
		}
	}
	dst = append(dst, `],"subVersion":`...)
	dst = strconv.AppendInt(dst, s.SubVersion, 10)
	dst = append(dst, `,"expressionType":`...)
	dst = AppendJSONString(dst, s.ExpressionType)
	return append(dst, '}')
}

// AppendHeartbeatDataJSON appends h to dst as compact JSON in the Go
// client's layout (spec/remoting.md §5.1): tag codes as strings, empty sets
// as [].
func AppendHeartbeatDataJSON(dst []byte, h *HeartbeatData) []byte {
	dst = append(dst, `{"clientID":`...)
	dst = AppendJSONString(dst, h.ClientID)
	dst = append(dst, `,"producerDataSet":[`...)
	for i, p := range h.ProducerDataSet {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"groupName":`...)
		dst = AppendJSONString(dst, p.GroupName)
		dst = append(dst, '}')
	}
	dst = append(dst, `],"consumerDataSet":[`...)
	for i := range h.ConsumerDataSet {
		c := &h.ConsumerDataSet[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"groupName":`...)
		dst = AppendJSONString(dst, c.GroupName)
		dst = append(dst, `,"consumeType":`...)
		dst = AppendJSONString(dst, c.ConsumeType)
		dst = append(dst, `,"messageModel":`...)
		dst = AppendJSONString(dst, c.MessageModel)
		dst = append(dst, `,"consumeFromWhere":`...)
		dst = AppendJSONString(dst, c.ConsumeFromWhere)
		dst = append(dst, `,"unitMode":`...)
		dst = strconv.AppendBool(dst, c.UnitMode)
		dst = append(dst, `,"subscriptionDataSet":[`...)
		for j := range c.SubscriptionDataSet {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = appendSubscriptionData(dst, &c.SubscriptionDataSet[j], true)
		}
		dst = append(dst, "]}"...)
	}
	return append(dst, "]}"...)
}

// EncodeHeartbeatData returns h as JSON (see AppendHeartbeatDataJSON).
func EncodeHeartbeatData(h *HeartbeatData) []byte { return AppendHeartbeatDataJSON(nil, h) }
