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

// Subscription group bodies of the admin requests.

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

// AppendSubscriptionGroupConfigJSON appends one SubscriptionGroupConfig as
// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP's request body: its known fields and
// Extra, in fastjson's (alphabetical) order.
func AppendSubscriptionGroupConfigJSON(dst []byte, g *configfile.SubscriptionGroupConfig) []byte {
	return appendSubscriptionGroup(dst, g)
}
