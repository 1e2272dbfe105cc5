package configfile

import "encoding/json"

// Permission bits of a topic ("perm"), as RocketMQ's PermName.
const (
	// PermPriority marks a priority topic.
	PermPriority int32 = 8
	// PermRead allows consuming.
	PermRead int32 = 4
	// PermWrite allows producing.
	PermWrite int32 = 2
	// PermInherit lets auto-created topics inherit the template's settings.
	PermInherit int32 = 1
)

// DefaultTopicQueueNums is the queue count of a new topic, the broker's
// defaultTopicQueueNums.
const DefaultTopicQueueNums int32 = 8

// TopicFilterType is how a topic's messages are filtered ("topicFilterType",
// a Java enum written by name).
type TopicFilterType string

// The two filter types RocketMQ defines.
const (
	// TopicFilterSingleTag: each message carries at most one tag.
	TopicFilterSingleTag TopicFilterType = "SINGLE_TAG"
	// TopicFilterMultiTag: messages may carry several tags.
	TopicFilterMultiTag TopicFilterType = "MULTI_TAG"
)

// TopicConfig is one topic of topics.json.
type TopicConfig struct {
	// TopicName is the topic ("topicName"); it equals the table key.
	TopicName string
	// ReadQueueNums is the number of queues consumers read ("readQueueNums").
	ReadQueueNums int32
	// WriteQueueNums is the number of queues producers write
	// ("writeQueueNums").
	WriteQueueNums int32
	// Perm holds the Perm* bits ("perm").
	Perm int32
	// TopicFilterType is SINGLE_TAG or MULTI_TAG ("topicFilterType").
	TopicFilterType TopicFilterType
	// TopicSysFlag holds system flags of the topic ("topicSysFlag").
	TopicSysFlag int32
	// Order marks an ordered topic ("order").
	Order bool
	// Attributes are the 5.x topic attributes ("attributes"); never nil
	// after parsing.
	Attributes map[string]string
	// Extra keeps fields this package does not know, as compact JSON, and
	// writes them back; nil when there are none.
	Extra map[string]json.RawMessage
}

// NewTopicConfig returns a topic with RocketMQ's defaults: 8 read and write
// queues, read and write permission, SINGLE_TAG, not ordered, no attributes.
func NewTopicConfig(topicName string) TopicConfig {
	return TopicConfig{
		TopicName:       topicName,
		ReadQueueNums:   DefaultTopicQueueNums,
		WriteQueueNums:  DefaultTopicQueueNums,
		Perm:            PermRead | PermWrite,
		TopicFilterType: TopicFilterSingleTag,
		Attributes:      map[string]string{},
	}
}

// TopicConfigTable is the content of topics.json.
type TopicConfigTable struct {
	// DataVersion versions the table ("dataVersion").
	DataVersion DataVersion
	// Topics maps a topic name to its config ("topicConfigTable"); never
	// nil after parsing.
	Topics map[string]TopicConfig
}

// NewTopicConfigTable returns an empty table.
func NewTopicConfigTable() *TopicConfigTable {
	return &TopicConfigTable{Topics: map[string]TopicConfig{}}
}

// topicConfigFields are the JSON fields of a TopicConfig in Java String
// order.
var topicConfigFields = []string{
	"attributes", "order", "perm", "readQueueNums",
	"topicFilterType", "topicName", "topicSysFlag", "writeQueueNums",
}

// ParseTopics reads topics.json in strict or fastjson syntax.
func ParseTopics(data []byte) (*TopicConfigTable, error) {
	fields, err := parseDocument(data)
	if err != nil {
		return nil, err
	}
	t := NewTopicConfigTable()
	if raw, ok := fields["dataVersion"]; ok {
		dv, err := decodeDataVersion(raw)
		if err != nil {
			return nil, atField(err, "dataVersion")
		}
		if dv != nil {
			t.DataVersion = *dv
		}
	}
	if err := decodeTable(fields, "topicConfigTable", t.Topics, decodeTopicConfig); err != nil {
		return nil, err
	}
	return t, nil
}

func decodeTopicConfig(raw json.RawMessage) (TopicConfig, error) {
	fields, err := decodeEntry(raw)
	if err != nil {
		return TopicConfig{}, err
	}
	tc := NewTopicConfig("")
	for _, name := range sortedNames(fields) {
		v := fields[name]
		switch name {
		case "topicName":
			err = decodeInto(v, &tc.TopicName)
		case "readQueueNums":
			err = decodeInto(v, &tc.ReadQueueNums)
		case "writeQueueNums":
			err = decodeInto(v, &tc.WriteQueueNums)
		case "perm":
			err = decodeInto(v, &tc.Perm)
		case "topicFilterType":
			err = decodeInto(v, &tc.TopicFilterType)
			if err == nil && tc.TopicFilterType != TopicFilterSingleTag && tc.TopicFilterType != TopicFilterMultiTag {
				err = schemaf("unknown filter type %q", clip(string(tc.TopicFilterType)))
			}
		case "topicSysFlag":
			err = decodeInto(v, &tc.TopicSysFlag)
		case "order":
			err = decodeInto(v, &tc.Order)
		case "attributes":
			tc.Attributes, err = decodeMap[string, string](v)
		default:
			if tc.Extra == nil {
				tc.Extra = map[string]json.RawMessage{}
			}
			tc.Extra[name], err = compactRaw(v)
		}
		if err != nil {
			return TopicConfig{}, atField(err, name)
		}
	}
	return tc, nil
}

// MarshalTopics writes topics.json in fastjson's form. Nil maps are written
// as empty.
func MarshalTopics(t *TopicConfigTable) ([]byte, error) {
	w := newWriter()
	w.openObject()
	w.key(0, "dataVersion")
	writeDataVersion(w, t.DataVersion)
	w.key(1, "topicConfigTable")
	if err := writeStringMap(w, t.Topics, writeTopicConfig); err != nil {
		return nil, atField(err, "topicConfigTable")
	}
	w.closeObject(2)
	return finish(w)
}

func writeTopicConfig(w *writer, tc TopicConfig) error {
	if tc.TopicFilterType != TopicFilterSingleTag && tc.TopicFilterType != TopicFilterMultiTag {
		return atField(schemaf("unknown filter type %q", clip(string(tc.TopicFilterType))), "topicFilterType")
	}
	return writeBean(w, topicConfigFields, tc.Extra, func(w *writer, name string) {
		switch name {
		case "attributes":
			writeStringAttributes(w, tc.Attributes)
		case "order":
			w.bool(tc.Order)
		case "perm":
			w.int(int64(tc.Perm))
		case "readQueueNums":
			w.int(int64(tc.ReadQueueNums))
		case "topicFilterType":
			w.string(string(tc.TopicFilterType))
		case "topicName":
			w.string(tc.TopicName)
		case "topicSysFlag":
			w.int(int64(tc.TopicSysFlag))
		case "writeQueueNums":
			w.int(int64(tc.WriteQueueNums))
		}
	})
}

// writeStringAttributes writes a map of strings; it cannot fail.
func writeStringAttributes(w *writer, m map[string]string) {
	err := writeStringMap(w, m, func(w *writer, v string) error {
		w.string(v)
		return nil
	})
	if err != nil {
		panic("configfile: writing string attributes failed: " + err.Error())
	}
}
