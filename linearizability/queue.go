package linearizability

import (
	"cmp"
	"fmt"
)

// Queue names one message queue: RocketMQ's MessageQueue.
type Queue struct {
	Topic   string
	Broker  string // brokerName: a master and its slaves share it
	QueueID int32
}

// IsZero reports whether q is the zero Queue, which means "not known".
func (q Queue) IsZero() bool { return q == Queue{} }

// String formats q as topic/broker/queueID.
func (q Queue) String() string {
	return fmt.Sprintf("%s/%s/%d", q.Topic, q.Broker, q.QueueID)
}

// Compare orders queues by topic, broker, then queue id; it returns -1, 0 or
// +1 like cmp.Compare.
func (q Queue) Compare(o Queue) int {
	if c := cmp.Compare(q.Topic, o.Topic); c != 0 {
		return c
	}
	if c := cmp.Compare(q.Broker, o.Broker); c != 0 {
		return c
	}
	return cmp.Compare(q.QueueID, o.QueueID)
}
