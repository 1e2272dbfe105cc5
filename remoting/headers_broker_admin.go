package remoting

// Custom headers of the broker's topic, group and operator requests
// (spec/remoting.md §6); the conventions are those of headers_broker.go.

// CreateTopicRequestHeader is UPDATE_AND_CREATE_TOPIC's
// (ReqUpdateAndCreateTopic) request header.
type CreateTopicRequestHeader struct {
	Topic           string // "topic", required
	DefaultTopic    string // "defaultTopic", required (unused by Java; the Go admin sends "defaultTopic")
	ReadQueueNums   int32  // "readQueueNums", required
	WriteQueueNums  int32  // "writeQueueNums", required
	Perm            int32  // "perm", required: PermName bits (2 write, 4 read)
	TopicFilterType string // "topicFilterType", required: "SINGLE_TAG" or "MULTI_TAG"
	TopicSysFlag    int32  // "topicSysFlag", optional
	Order           bool   // "order", required
	// Attributes is "attributes", optional (5.x): "+key=value" entries
	// joined by ",".
	Attributes string
}

// ToExtFields returns h as extFields; a zero TopicSysFlag and empty
// Attributes are left out.
func (h CreateTopicRequestHeader) ToExtFields() map[string]string {
	m := map[string]string{
		"topic":           h.Topic,
		"defaultTopic":    h.DefaultTopic,
		"readQueueNums":   formatInt(h.ReadQueueNums),
		"writeQueueNums":  formatInt(h.WriteQueueNums),
		"perm":            formatInt(h.Perm),
		"topicFilterType": h.TopicFilterType,
		"order":           formatBool(h.Order),
	}
	putOptInt(m, "topicSysFlag", h.TopicSysFlag)
	putOptStr(m, "attributes", h.Attributes)
	return m
}

// DecodeCreateTopicRequestHeader reads a CreateTopicRequestHeader.
func DecodeCreateTopicRequestHeader(ext map[string]string) (CreateTopicRequestHeader, error) {
	r := extReader{ext: ext, header: "CreateTopicRequestHeader"}
	h := CreateTopicRequestHeader{
		Topic:           r.str("topic"),
		DefaultTopic:    r.str("defaultTopic"),
		ReadQueueNums:   r.int32Field("readQueueNums", true),
		WriteQueueNums:  r.int32Field("writeQueueNums", true),
		Perm:            r.int32Field("perm", true),
		TopicFilterType: r.str("topicFilterType"),
		TopicSysFlag:    r.int32Field("topicSysFlag", false),
		Order:           requiredBoolField(&r, "order"),
		Attributes:      r.optStr("attributes"),
	}
	return h, r.err
}

// DeleteTopicRequestHeader is DELETE_TOPIC_IN_BROKER's
// (ReqDeleteTopicInBroker) request header.
type DeleteTopicRequestHeader struct {
	Topic string // "topic", required
}

// ToExtFields returns h as extFields.
func (h DeleteTopicRequestHeader) ToExtFields() map[string]string {
	return map[string]string{"topic": h.Topic}
}

// DecodeDeleteTopicRequestHeader reads a DeleteTopicRequestHeader.
func DecodeDeleteTopicRequestHeader(ext map[string]string) (DeleteTopicRequestHeader, error) {
	r := extReader{ext: ext, header: "DeleteTopicRequestHeader"}
	h := DeleteTopicRequestHeader{Topic: r.str("topic")}
	return h, r.err
}

// GetConsumerListByGroupRequestHeader is GET_CONSUMER_LIST_BY_GROUP's
// (ReqGetConsumerListByGroup) request header.
type GetConsumerListByGroupRequestHeader struct {
	ConsumerGroup string // "consumerGroup", required
}

// ToExtFields returns h as extFields.
func (h GetConsumerListByGroupRequestHeader) ToExtFields() map[string]string {
	return map[string]string{"consumerGroup": h.ConsumerGroup}
}

// DecodeGetConsumerListByGroupRequestHeader reads a
// GetConsumerListByGroupRequestHeader.
func DecodeGetConsumerListByGroupRequestHeader(ext map[string]string) (GetConsumerListByGroupRequestHeader, error) {
	r := extReader{ext: ext, header: "GetConsumerListByGroupRequestHeader"}
	h := GetConsumerListByGroupRequestHeader{ConsumerGroup: r.str("consumerGroup")}
	return h, r.err
}

// NotifyConsumerIdsChangedRequestHeader is NOTIFY_CONSUMER_IDS_CHANGED's
// (ReqNotifyConsumerIdsChanged) request header, broker to client.
type NotifyConsumerIdsChangedRequestHeader struct {
	ConsumerGroup string // "consumerGroup", required
}

// ToExtFields returns h as extFields.
func (h NotifyConsumerIdsChangedRequestHeader) ToExtFields() map[string]string {
	return map[string]string{"consumerGroup": h.ConsumerGroup}
}

// DecodeNotifyConsumerIdsChangedRequestHeader reads a
// NotifyConsumerIdsChangedRequestHeader.
func DecodeNotifyConsumerIdsChangedRequestHeader(ext map[string]string) (NotifyConsumerIdsChangedRequestHeader, error) {
	r := extReader{ext: ext, header: "NotifyConsumerIdsChangedRequestHeader"}
	h := NotifyConsumerIdsChangedRequestHeader{ConsumerGroup: r.str("consumerGroup")}
	return h, r.err
}

// UnregisterClientRequestHeader is UNREGISTER_CLIENT's
// (ReqUnregisterClient) request header.
type UnregisterClientRequestHeader struct {
	ClientID      string // "clientID" (capital ID, as Java spells it), required
	ProducerGroup string // "producerGroup", optional
	ConsumerGroup string // "consumerGroup", optional
}

// ToExtFields returns h as extFields; empty groups are left out.
func (h UnregisterClientRequestHeader) ToExtFields() map[string]string {
	m := map[string]string{"clientID": h.ClientID}
	putOptStr(m, "producerGroup", h.ProducerGroup)
	putOptStr(m, "consumerGroup", h.ConsumerGroup)
	return m
}

// DecodeUnregisterClientRequestHeader reads an UnregisterClientRequestHeader.
func DecodeUnregisterClientRequestHeader(ext map[string]string) (UnregisterClientRequestHeader, error) {
	r := extReader{ext: ext, header: "UnregisterClientRequestHeader"}
	h := UnregisterClientRequestHeader{
		ClientID:      r.str("clientID"),
		ProducerGroup: r.optStr("producerGroup"),
		ConsumerGroup: r.optStr("consumerGroup"),
	}
	return h, r.err
}

// DeleteSubscriptionGroupRequestHeader is DELETE_SUBSCRIPTIONGROUP's
// (ReqDeleteSubscriptionGroup) request header.
type DeleteSubscriptionGroupRequestHeader struct {
	GroupName   string // "groupName", required
	CleanOffset bool   // "cleanOffset", optional: also delete the group's offsets
}

// ToExtFields returns h as extFields.
func (h DeleteSubscriptionGroupRequestHeader) ToExtFields() map[string]string {
	return map[string]string{"groupName": h.GroupName, "cleanOffset": formatBool(h.CleanOffset)}
}

// DecodeDeleteSubscriptionGroupRequestHeader reads a
// DeleteSubscriptionGroupRequestHeader.
func DecodeDeleteSubscriptionGroupRequestHeader(ext map[string]string) (DeleteSubscriptionGroupRequestHeader, error) {
	r := extReader{ext: ext, header: "DeleteSubscriptionGroupRequestHeader"}
	h := DeleteSubscriptionGroupRequestHeader{
		GroupName:   r.str("groupName"),
		CleanOffset: r.boolField("cleanOffset"),
	}
	return h, r.err
}

// GetTopicStatsInfoRequestHeader is GET_TOPIC_STATS_INFO's
// (ReqGetTopicStatsInfo) request header.
type GetTopicStatsInfoRequestHeader struct {
	Topic string // "topic", required
}

// ToExtFields returns h as extFields.
func (h GetTopicStatsInfoRequestHeader) ToExtFields() map[string]string {
	return map[string]string{"topic": h.Topic}
}

// DecodeGetTopicStatsInfoRequestHeader reads a GetTopicStatsInfoRequestHeader.
func DecodeGetTopicStatsInfoRequestHeader(ext map[string]string) (GetTopicStatsInfoRequestHeader, error) {
	r := extReader{ext: ext, header: "GetTopicStatsInfoRequestHeader"}
	h := GetTopicStatsInfoRequestHeader{Topic: r.str("topic")}
	return h, r.err
}

// GetConsumeStatsRequestHeader is GET_CONSUME_STATS's (ReqGetConsumeStats)
// request header.
type GetConsumeStatsRequestHeader struct {
	ConsumerGroup string // "consumerGroup", required
	Topic         string // "topic", optional: empty means every topic of the group
}

// ToExtFields returns h as extFields; an empty Topic is left out.
func (h GetConsumeStatsRequestHeader) ToExtFields() map[string]string {
	m := map[string]string{"consumerGroup": h.ConsumerGroup}
	putOptStr(m, "topic", h.Topic)
	return m
}

// DecodeGetConsumeStatsRequestHeader reads a GetConsumeStatsRequestHeader.
func DecodeGetConsumeStatsRequestHeader(ext map[string]string) (GetConsumeStatsRequestHeader, error) {
	r := extReader{ext: ext, header: "GetConsumeStatsRequestHeader"}
	h := GetConsumeStatsRequestHeader{
		ConsumerGroup: r.str("consumerGroup"),
		Topic:         r.optStr("topic"),
	}
	return h, r.err
}

// GetConsumerConnectionListRequestHeader is GET_CONSUMER_CONNECTION_LIST's
// (ReqGetConsumerConnectionList) request header.
type GetConsumerConnectionListRequestHeader struct {
	ConsumerGroup string // "consumerGroup", required
}

// ToExtFields returns h as extFields.
func (h GetConsumerConnectionListRequestHeader) ToExtFields() map[string]string {
	return map[string]string{"consumerGroup": h.ConsumerGroup}
}

// DecodeGetConsumerConnectionListRequestHeader reads a
// GetConsumerConnectionListRequestHeader.
func DecodeGetConsumerConnectionListRequestHeader(ext map[string]string) (GetConsumerConnectionListRequestHeader, error) {
	r := extReader{ext: ext, header: "GetConsumerConnectionListRequestHeader"}
	h := GetConsumerConnectionListRequestHeader{ConsumerGroup: r.str("consumerGroup")}
	return h, r.err
}
