package namesrv

import (
	"strconv"

	"github.com/apogeemq/apogee/remoting"
)

// The writers below append compact JSON to a byte slice: no whitespace, keys
// in the order the caller writes them. They exist because the route reply
// must be byte-exact (spec §3.1) and is the name server's hot path.

// appendString appends s as a JSON string literal (remoting's encoder:
// invalid UTF-8 becomes U+FFFD as in encoding/json, and '<', '>' and '&'
// stay as they are, as fastjson writes them).
func appendString(dst []byte, s string) []byte { return remoting.AppendJSONString(dst, s) }

// appendKey appends "key": (the key must need no escaping).
func appendKey(dst []byte, key string) []byte {
	dst = append(dst, '"')
	dst = append(dst, key...)
	return append(dst, '"', ':')
}

// appendIntField appends "key":n.
func appendIntField(dst []byte, key string, n int64) []byte {
	return strconv.AppendInt(appendKey(dst, key), n, 10)
}

// appendQueueData appends a QueueData object.
func appendQueueData(dst []byte, qd *QueueData) []byte {
	dst = append(dst, '{')
	dst = appendString(appendKey(dst, "brokerName"), qd.BrokerName)
	dst = append(dst, ',')
	dst = appendIntField(dst, "readQueueNums", int64(qd.ReadQueueNums))
	dst = append(dst, ',')
	dst = appendIntField(dst, "writeQueueNums", int64(qd.WriteQueueNums))
	dst = append(dst, ',')
	dst = appendIntField(dst, "perm", int64(qd.Perm))
	dst = append(dst, ',')
	dst = appendIntField(dst, "topicSysFlag", int64(qd.TopicSysFlag))
	return append(dst, '}')
}

// appendBrokerData appends a BrokerData object; brokerAddrs has quoted
// integer keys in id order and is present even when empty.
func appendBrokerData(dst []byte, name string, b *brokerEntry) []byte {
	dst = append(dst, '{')
	dst = appendString(appendKey(dst, "cluster"), b.cluster)
	dst = append(dst, ',')
	dst = appendString(appendKey(dst, "brokerName"), name)
	dst = append(dst, ',')
	dst = append(appendKey(dst, "brokerAddrs"), '{')
	for i, a := range b.addrs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = strconv.AppendInt(dst, a.id, 10)
		dst = append(dst, '"', ':')
		dst = appendString(dst, a.addr)
	}
	return append(dst, '}', '}')
}

// appendStringArray appends a JSON array of strings.
func appendStringArray(dst []byte, list []string) []byte {
	dst = append(dst, '[')
	for i, s := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, s)
	}
	return append(dst, ']')
}

// AppendTopicListJSON appends RocketMQ's TopicList body,
// {"topicList":[...]}, with the topics in the given order.
func AppendTopicListJSON(dst []byte, topics []string) []byte {
	dst = append(dst, '{')
	dst = appendStringArray(appendKey(dst, "topicList"), topics)
	return append(dst, '}')
}

// AppendDataVersionJSON appends a DataVersion object as RocketMQ writes it,
// {"counter":N,"stateVersion":N,"timestamp":ms}.
func AppendDataVersionJSON(dst []byte, v DataVersion) []byte {
	dst = append(dst, '{')
	dst = appendIntField(dst, "counter", v.Counter)
	dst = append(dst, ',')
	dst = appendIntField(dst, "stateVersion", v.StateVersion)
	dst = append(dst, ',')
	dst = appendIntField(dst, "timestamp", v.TimestampMs)
	return append(dst, '}')
}
