package configfile

import "encoding/json"

// Defaults of a subscription group, as RocketMQ's SubscriptionGroupConfig.
const (
	// DefaultRetryQueueNums is the queue count of a group's %RETRY% topic.
	DefaultRetryQueueNums int32 = 1
	// DefaultRetryMaxTimes is how often a message is retried before it goes
	// to the group's %DLQ% topic.
	DefaultRetryMaxTimes int32 = 16
	// DefaultConsumeTimeoutMinutes is how long a consumer may take over one
	// message before the broker treats it as failed.
	DefaultConsumeTimeoutMinutes int32 = 15
	// DefaultWhichBrokerWhenConsumeSlowly is the broker id consumers are
	// redirected to when they fall behind (the first slave).
	DefaultWhichBrokerWhenConsumeSlowly int64 = 1
	// MasterBrokerID is the broker id of a master (MixAll.MASTER_ID).
	MasterBrokerID int64 = 0
)

// SubscriptionGroupConfig is one consumer group of subscriptionGroup.json.
type SubscriptionGroupConfig struct {
	// GroupName is the group ("groupName"); it equals the table key.
	GroupName string
	// ConsumeEnable allows the group to consume ("consumeEnable").
	ConsumeEnable bool
	// ConsumeFromMinEnable lets a new group start from the minimum offset
	// ("consumeFromMinEnable").
	ConsumeFromMinEnable bool
	// ConsumeBroadcastEnable allows broadcast consumption
	// ("consumeBroadcastEnable").
	ConsumeBroadcastEnable bool
	// ConsumeMessageOrderly marks an orderly consumer group
	// ("consumeMessageOrderly").
	ConsumeMessageOrderly bool
	// RetryQueueNums is the queue count of the %RETRY% topic
	// ("retryQueueNums").
	RetryQueueNums int32
	// RetryMaxTimes is the number of retries before the DLQ
	// ("retryMaxTimes").
	RetryMaxTimes int32
	// BrokerID is the broker id the group consumes from ("brokerId").
	BrokerID int64
	// WhichBrokerWhenConsumeSlowly is the broker id slow consumers are sent
	// to ("whichBrokerWhenConsumeSlowly").
	WhichBrokerWhenConsumeSlowly int64
	// NotifyConsumerIDsChangedEnable makes the broker tell consumers when
	// the group's membership changes ("notifyConsumerIdsChangedEnable").
	NotifyConsumerIDsChangedEnable bool
	// GroupSysFlag holds system flags of the group ("groupSysFlag").
	GroupSysFlag int32
	// ConsumeTimeoutMinutes is the consume timeout in minutes
	// ("consumeTimeoutMinute").
	ConsumeTimeoutMinutes int32
	// Extra keeps fields this package does not know (5.x groupRetryPolicy,
	// subscriptionDataSet, attributes), as compact JSON, and writes them
	// back; nil when there are none.
	Extra map[string]json.RawMessage
}

// NewSubscriptionGroupConfig returns a group with RocketMQ's defaults:
// consuming, consume-from-min and broadcast enabled, not orderly, 1 retry
// queue, 16 retries, master broker id 0, slow consumers to broker 1,
// membership changes notified, consume timeout 15 minutes.
func NewSubscriptionGroupConfig(groupName string) SubscriptionGroupConfig {
	return SubscriptionGroupConfig{
		GroupName:                      groupName,
		ConsumeEnable:                  true,
		ConsumeFromMinEnable:           true,
		ConsumeBroadcastEnable:         true,
		RetryQueueNums:                 DefaultRetryQueueNums,
		RetryMaxTimes:                  DefaultRetryMaxTimes,
		BrokerID:                       MasterBrokerID,
		WhichBrokerWhenConsumeSlowly:   DefaultWhichBrokerWhenConsumeSlowly,
		NotifyConsumerIDsChangedEnable: true,
		ConsumeTimeoutMinutes:          DefaultConsumeTimeoutMinutes,
	}
}

// SubscriptionGroupTable is the content of subscriptionGroup.json.
type SubscriptionGroupTable struct {
	// DataVersion versions the table ("dataVersion").
	DataVersion DataVersion
	// Forbidden maps a group to topic to the permission bits the group is
	// forbidden on that topic ("forbiddenTable", 5.x); never nil after
	// parsing, nor are its inner maps.
	Forbidden map[string]map[string]int32
	// Groups maps a group name to its config ("subscriptionGroupTable");
	// never nil after parsing.
	Groups map[string]SubscriptionGroupConfig
}

// NewSubscriptionGroupTable returns an empty table.
func NewSubscriptionGroupTable() *SubscriptionGroupTable {
	return &SubscriptionGroupTable{
		Forbidden: map[string]map[string]int32{},
		Groups:    map[string]SubscriptionGroupConfig{},
	}
}

// subscriptionGroupFields are the JSON fields of a SubscriptionGroupConfig
// in Java String order.
var subscriptionGroupFields = []string{
	"brokerId", "consumeBroadcastEnable", "consumeEnable", "consumeFromMinEnable",
	"consumeMessageOrderly", "consumeTimeoutMinute", "groupName", "groupSysFlag",
	"notifyConsumerIdsChangedEnable", "retryMaxTimes", "retryQueueNums",
	"whichBrokerWhenConsumeSlowly",
}

// ParseSubscriptionGroups reads subscriptionGroup.json in strict or fastjson
// syntax.
func ParseSubscriptionGroups(data []byte) (*SubscriptionGroupTable, error) {
	fields, err := parseDocument(data)
	if err != nil {
		return nil, err
	}
	t := NewSubscriptionGroupTable()
	if raw, ok := fields["dataVersion"]; ok {
		dv, err := decodeDataVersion(raw)
		if err != nil {
			return nil, atField(err, "dataVersion")
		}
		if dv != nil {
			t.DataVersion = *dv
		}
	}
	if raw, ok := fields["forbiddenTable"]; ok {
		entries, err := decodeObject(raw)
		if err != nil {
			return nil, atField(err, "forbiddenTable")
		}
		for _, group := range sortedNames(entries) {
			raw := entries[group]
			if isNull(raw) {
				return nil, atField(atKey(schemaf("want an object, got null"), group), "forbiddenTable")
			}
			perms, err := decodeMap[string, int32](raw)
			if err != nil {
				return nil, atField(atKey(err, group), "forbiddenTable")
			}
			t.Forbidden[group] = perms
		}
	}
	if err := decodeTable(fields, "subscriptionGroupTable", t.Groups, decodeSubscriptionGroup); err != nil {
		return nil, err
	}
	return t, nil
}

func decodeSubscriptionGroup(raw json.RawMessage) (SubscriptionGroupConfig, error) {
	fields, err := decodeEntry(raw)
	if err != nil {
		return SubscriptionGroupConfig{}, err
	}
	sg := NewSubscriptionGroupConfig("")
	for _, name := range sortedNames(fields) {
		var dst any
		switch name {
		case "brokerId":
			dst = &sg.BrokerID
		case "consumeBroadcastEnable":
			dst = &sg.ConsumeBroadcastEnable
		case "consumeEnable":
			dst = &sg.ConsumeEnable
		case "consumeFromMinEnable":
			dst = &sg.ConsumeFromMinEnable
		case "consumeMessageOrderly":
			dst = &sg.ConsumeMessageOrderly
		case "consumeTimeoutMinute":
			dst = &sg.ConsumeTimeoutMinutes
		case "groupName":
			dst = &sg.GroupName
		case "groupSysFlag":
			dst = &sg.GroupSysFlag
		case "notifyConsumerIdsChangedEnable":
			dst = &sg.NotifyConsumerIDsChangedEnable
		case "retryMaxTimes":
			dst = &sg.RetryMaxTimes
		case "retryQueueNums":
			dst = &sg.RetryQueueNums
		case "whichBrokerWhenConsumeSlowly":
			dst = &sg.WhichBrokerWhenConsumeSlowly
		default:
			if sg.Extra == nil {
				sg.Extra = map[string]json.RawMessage{}
			}
			if sg.Extra[name], err = compactRaw(fields[name]); err != nil {
				return SubscriptionGroupConfig{}, atField(err, name)
			}
			continue
		}
		if err := decodeInto(fields[name], dst); err != nil {
			return SubscriptionGroupConfig{}, atField(err, name)
		}
	}
	return sg, nil
}

// MarshalSubscriptionGroups writes subscriptionGroup.json in fastjson's
// form. Nil maps are written as empty.
func MarshalSubscriptionGroups(t *SubscriptionGroupTable) ([]byte, error) {
	w := newWriter()
	w.openObject()
	w.key(0, "dataVersion")
	writeDataVersion(w, t.DataVersion)
	w.key(1, "forbiddenTable")
	err := writeStringMap(w, t.Forbidden, func(w *writer, perms map[string]int32) error {
		return writeStringMap(w, perms, func(w *writer, perm int32) error {
			w.int(int64(perm))
			return nil
		})
	})
	if err != nil {
		return nil, atField(err, "forbiddenTable")
	}
	w.key(2, "subscriptionGroupTable")
	if err := writeStringMap(w, t.Groups, writeSubscriptionGroup); err != nil {
		return nil, atField(err, "subscriptionGroupTable")
	}
	w.closeObject(3)
	return finish(w)
}

func writeSubscriptionGroup(w *writer, sg SubscriptionGroupConfig) error {
	return writeBean(w, subscriptionGroupFields, sg.Extra, func(w *writer, name string) {
		switch name {
		case "brokerId":
			w.int(sg.BrokerID)
		case "consumeBroadcastEnable":
			w.bool(sg.ConsumeBroadcastEnable)
		case "consumeEnable":
			w.bool(sg.ConsumeEnable)
		case "consumeFromMinEnable":
			w.bool(sg.ConsumeFromMinEnable)
		case "consumeMessageOrderly":
			w.bool(sg.ConsumeMessageOrderly)
		case "consumeTimeoutMinute":
			w.int(int64(sg.ConsumeTimeoutMinutes))
		case "groupName":
			w.string(sg.GroupName)
		case "groupSysFlag":
			w.int(int64(sg.GroupSysFlag))
		case "notifyConsumerIdsChangedEnable":
			w.bool(sg.NotifyConsumerIDsChangedEnable)
		case "retryMaxTimes":
			w.int(int64(sg.RetryMaxTimes))
		case "retryQueueNums":
			w.int(int64(sg.RetryQueueNums))
		case "whichBrokerWhenConsumeSlowly":
			w.int(sg.WhichBrokerWhenConsumeSlowly)
		}
	})
}
