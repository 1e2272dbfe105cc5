package broker

import (
	"net/netip"

	"github.com/apogeemq/apogee/commitlog"
)

// Rebuilding a parked message as it goes back to its real topic and queue.

// restore writes into q.out the message parked in rec as it goes to its
// real topic and queue (REAL_TOPIC, REAL_QID): properties without drop,
// WAIT=false, born host and time kept. It reports false, having logged
// why, when the record names no usable real topic and queue.
func (q *parkedQueue) restore(rec *commitlog.Record, drop []string) bool {
	t := q.t
	realTopic, ok := commitlog.PropertyValue(rec.Properties, commitlog.PropertyRealTopic)
	qidText, qidOK := commitlog.PropertyValue(rec.Properties, commitlog.PropertyRealQueueID)
	queueID, qidValid := parseQueueID(qidText)
	if !ok || !qidOK || !qidValid {
		t.log.Error("broker: a parked message has no valid REAL_TOPIC and REAL_QID; dropped", "service", t.name,
			"queue", q.queueID, "physOffset", rec.PhysOffset, "realTopic", string(realTopic), "realQueueId", string(qidText))
		return false
	}
	if string(realTopic) != q.lastTopic {
		if err := ValidateTopic(string(realTopic)); err != nil && !isRetryTopic(string(realTopic)) {
			t.log.Error("broker: a parked message names an invalid real topic; dropped", "service", t.name,
				"queue", q.queueID, "physOffset", rec.PhysOffset, "err", err)
			return false
		}
		q.lastTopic = string(realTopic)
	}
	if q.lastTopic == TransHalfTopic {
		t.log.Error("broker: a parked message's real topic is the transaction half topic; dropped", "service", t.name,
			"queue", q.queueID, "physOffset", rec.PhysOffset)
		return false
	}
	q.fill(rec, q.lastTopic, queueID, drop)
	return true
}

// fill writes into q.out the record's message for topic and queue, with
// its properties minus drop and WAIT=false.
func (q *parkedQueue) fill(rec *commitlog.Record, topic string, queueID int32, drop []string) {
	q.props = commitlog.AppendWithout(q.props[:0], rec.Properties, drop...)
	q.props = commitlog.AppendProperty(q.props, commitlog.PropertyWait, "false")
	q.out = commitlog.Message{
		Topic:           topic,
		QueueID:         queueID,
		Flag:            rec.Flag,
		SysFlag:         rec.SysFlag,
		BornTimestampMs: rec.BornTimestampMs,
		BornHost:        rec.BornHost,
		StoreHost:       q.t.host(),
		ReconsumeTimes:  rec.ReconsumeTimes,
		Body:            rec.Body,
		Properties:      q.props,
	}
}

// maxQueueIDDigits is the length of the largest int32, 2147483647.
const maxQueueIDDigits = 10

// parseQueueID reads a queue id: a decimal int32 >= 0.
func parseQueueID(b []byte) (int32, bool) {
	if len(b) == 0 || len(b) > maxQueueIDDigits {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if n > 1<<31-1 {
		return 0, false
	}
	return int32(n), true
}

// parseMs reads a decimal int64 (an optional sign, then digits) without
// allocating, as Java's Long.parseLong reads it.
func parseMs(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	switch {
	case neg && n == 1<<63:
		return minInt64, true
	case n > 1<<63-1:
		return 0, false
	case neg:
		return -int64(n), true
	}
	return int64(n), true
}

// storeHostNow returns the store host the send path writes (zero before
// Start: the store then uses its configured one).
func (b *Broker) storeHostNow() netip.AddrPort {
	if hp := b.host.Load(); hp != nil {
		return *hp
	}
	return netip.AddrPort{}
}
