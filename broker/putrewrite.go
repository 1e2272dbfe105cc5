package broker

import (
	"github.com/apogeemq/apogee/commitlog"
)

// prepareForStore applies the put-time rewrites of RocketMQ's CommitLog to a
// single message from a producer or a consumer's send-back, before it is
// stored: a transactional half message is parked in RMQ_SYS_TRANS_HALF_TOPIC
// (spec/store.md §8), a delayed one in SCHEDULE_TOPIC_XXXX (§7). Other
// messages are left as they are.
func (b *Broker) prepareForStore(m *commitlog.Message) {
	switch commitlog.TransactionType(m.SysFlag) {
	case commitlog.SysFlagTransactionPrepared:
		b.parkHalf(m)
	case commitlog.SysFlagTransactionNone, commitlog.SysFlagTransactionCommit:
		b.parkDelayed(m)
	}
}

// park moves m to a system topic and queue, recording where it came from in
// REAL_TOPIC and REAL_QID (replacing any earlier pair) and dropping the
// properties named in drop.
func park(m *commitlog.Message, topic string, queueID int32, drop ...string) {
	drop = append(drop, commitlog.PropertyRealTopic, commitlog.PropertyRealQueueID)
	props := commitlog.AppendWithout(make([]byte, 0, len(m.Properties)+len(m.Topic)+32), m.Properties, drop...)
	props = commitlog.AppendProperty(props, commitlog.PropertyRealTopic, m.Topic)
	props = commitlog.AppendProperty(props, commitlog.PropertyRealQueueID, itoa(m.QueueID))
	m.Properties = props
	m.Topic = topic
	m.QueueID = queueID
}
