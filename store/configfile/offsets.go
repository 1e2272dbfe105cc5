package configfile

import "encoding/json"

// TopicGroupSeparator joins topic and group in the keys of
// ConsumerOffsetTable.QueueOffsets ("<topic>@<group>").
const TopicGroupSeparator = "@"

// TopicGroupKey returns the ConsumerOffsetTable key of a (topic, group).
func TopicGroupKey(topic, group string) string {
	return topic + TopicGroupSeparator + group
}

// ConsumerOffsetTable is the content of consumerOffset.json.
type ConsumerOffsetTable struct {
	// DataVersion versions the table ("dataVersion"); nil when absent, as in
	// files written by 4.x, and then not written.
	DataVersion *DataVersion
	// QueueOffsets maps "<topic>@<group>" to queue id to the next queue
	// offset (ConsumeQueue unit index) the group consumes ("offsetTable");
	// never nil after parsing, nor are its inner maps.
	QueueOffsets map[string]map[int32]int64
}

// NewConsumerOffsetTable returns an empty table without a DataVersion.
func NewConsumerOffsetTable() *ConsumerOffsetTable {
	return &ConsumerOffsetTable{QueueOffsets: map[string]map[int32]int64{}}
}

// ParseConsumerOffsets reads consumerOffset.json in strict or fastjson
// syntax. Unknown top-level fields (5.x writes the derived groupTopicMap)
// are ignored.
func ParseConsumerOffsets(data []byte) (*ConsumerOffsetTable, error) {
	fields, err := parseDocument(data)
	if err != nil {
		return nil, err
	}
	t := NewConsumerOffsetTable()
	if t.DataVersion, err = optionalDataVersion(fields); err != nil {
		return nil, err
	}
	if raw, ok := fields["offsetTable"]; ok {
		entries, err := decodeObject(raw)
		if err != nil {
			return nil, atField(err, "offsetTable")
		}
		for _, key := range sortedNames(entries) {
			raw := entries[key]
			if isNull(raw) {
				return nil, atField(atKey(schemaf("want an object, got null"), key), "offsetTable")
			}
			offsets, err := decodeMap[int32, int64](raw)
			if err != nil {
				return nil, atField(atKey(err, key), "offsetTable")
			}
			t.QueueOffsets[key] = offsets
		}
	}
	return t, nil
}

// MarshalConsumerOffsets writes consumerOffset.json in fastjson's form:
// queue ids are unquoted keys. Nil maps are written as empty.
func MarshalConsumerOffsets(t *ConsumerOffsetTable) ([]byte, error) {
	w := newWriter()
	w.openObject()
	n := writeOptionalDataVersion(w, t.DataVersion)
	w.key(n, "offsetTable")
	err := writeStringMap(w, t.QueueOffsets, func(w *writer, offsets map[int32]int64) error {
		writeIntKeyMap(w, offsets)
		return nil
	})
	if err != nil {
		return nil, atField(err, "offsetTable")
	}
	w.closeObject(n + 1)
	return finish(w)
}

// DelayOffsetTable is the content of delayOffset.json.
type DelayOffsetTable struct {
	// DataVersion versions the table ("dataVersion"); nil when absent, as in
	// files written by 4.x, and then not written.
	DataVersion *DataVersion
	// QueueOffsets maps a delay level (1..18 by default) to the next queue
	// offset of queue level-1 of SCHEDULE_TOPIC_XXXX ("offsetTable"); never
	// nil after parsing.
	QueueOffsets map[int32]int64
}

// NewDelayOffsetTable returns an empty table without a DataVersion.
func NewDelayOffsetTable() *DelayOffsetTable {
	return &DelayOffsetTable{QueueOffsets: map[int32]int64{}}
}

// ParseDelayOffsets reads delayOffset.json in strict or fastjson syntax.
func ParseDelayOffsets(data []byte) (*DelayOffsetTable, error) {
	fields, err := parseDocument(data)
	if err != nil {
		return nil, err
	}
	t := NewDelayOffsetTable()
	if t.DataVersion, err = optionalDataVersion(fields); err != nil {
		return nil, err
	}
	if raw, ok := fields["offsetTable"]; ok {
		if t.QueueOffsets, err = decodeMap[int32, int64](raw); err != nil {
			return nil, atField(err, "offsetTable")
		}
	}
	return t, nil
}

// MarshalDelayOffsets writes delayOffset.json in fastjson's form: delay
// levels are unquoted keys. A nil map is written as empty.
func MarshalDelayOffsets(t *DelayOffsetTable) ([]byte, error) {
	w := newWriter()
	w.openObject()
	n := writeOptionalDataVersion(w, t.DataVersion)
	w.key(n, "offsetTable")
	writeIntKeyMap(w, t.QueueOffsets)
	w.closeObject(n + 1)
	return finish(w)
}

// optionalDataVersion reads the dataVersion field of a document that may
// lack it.
func optionalDataVersion(fields map[string]json.RawMessage) (*DataVersion, error) {
	raw, ok := fields["dataVersion"]
	if !ok {
		return nil, nil
	}
	dv, err := decodeDataVersion(raw)
	if err != nil {
		return nil, atField(err, "dataVersion")
	}
	return dv, nil
}

// writeOptionalDataVersion writes the dataVersion field as the first field
// when dv is not nil, and returns how many fields it wrote.
func writeOptionalDataVersion(w *writer, dv *DataVersion) int {
	if dv == nil {
		return 0
	}
	w.key(0, "dataVersion")
	writeDataVersion(w, *dv)
	return 1
}
