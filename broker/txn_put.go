package broker

import (
	"github.com/apogeemq/apogee/commitlog"
)

// parkHalf turns a transactional half message into an ordinary record of
// RMQ_SYS_TRANS_HALF_TOPIC queue 0 (spec/store.md §8): REAL_TOPIC and
// REAL_QID record its destination, __transactionId__ its UNIQ_KEY, and its
// transaction bits become NOT_TYPE so that it is dispatched and gets a
// queue offset in the half topic.
func (b *Broker) parkHalf(m *commitlog.Message) {
	park(m, TransHalfTopic, 0, commitlog.PropertyTransactionID)
	if id, ok := commitlog.PropertyValue(m.Properties, commitlog.PropertyUniqKey); ok {
		m.Properties = commitlog.AppendProperty(m.Properties, commitlog.PropertyTransactionID, string(id))
	}
	m.SysFlag = m.SysFlag&^commitlog.SysFlagTransactionMask | commitlog.SysFlagTransactionNone
}
