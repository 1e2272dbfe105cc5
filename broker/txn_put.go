package broker

import (
	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/remoting"
)

// parkHalf turns a transactional half message into an ordinary record of
// RMQ_SYS_TRANS_HALF_TOPIC queue 0 (spec/store.md §8): REAL_TOPIC and
// REAL_QID record its destination, __transactionId__ its UNIQ_KEY, and its
// transaction bits become NOT_TYPE so that it is dispatched and gets a
// queue offset in the half topic. The check service's own properties
// (TRANSACTION_CHECK_TIMES, TRAN_PREPARED_QUEUE_OFFSET) are dropped: a
// producer does not get to name another transaction's half message.
func (b *Broker) parkHalf(m *commitlog.Message) {
	park(m, TransHalfTopic, halfQueueID, commitlog.PropertyTransactionID,
		commitlog.PropertyTransactionCheckTimes, commitlog.PropertyTransactionPreparedQueueOffset)
	if id, ok := commitlog.PropertyValue(m.Properties, commitlog.PropertyUniqKey); ok {
		m.Properties = commitlog.AppendProperty(m.Properties, commitlog.PropertyTransactionID, string(id))
	}
	m.SysFlag = m.SysFlag&^commitlog.SysFlagTransactionMask | commitlog.SysFlagTransactionNone
}

// withTransactionID wraps the reply to the send of a parked half message m
// so that a successful answer carries transactionId = its UNIQ_KEY, as
// RocketMQ's does (the Go client passes it back in END_TRANSACTION).
func withTransactionID(reply func(*remoting.Command), m *commitlog.Message) func(*remoting.Command) {
	id, ok := commitlog.PropertyValue(m.Properties, commitlog.PropertyTransactionID)
	if !ok {
		return reply
	}
	txID := string(id)
	return func(resp *remoting.Command) {
		if resp.Code == remoting.ResSuccess && resp.ExtFields != nil {
			resp.ExtFields["transactionId"] = txID
		}
		reply(resp)
	}
}
