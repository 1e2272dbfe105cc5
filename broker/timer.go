package broker

import (
	"math/bits"
	"time"

	"github.com/apogeemq/apogee/commitlog"
)

// TimerTopic parks timer messages (TIMER_DELIVER_MS, TIMER_DELAY_SEC,
// TIMER_DELAY_MS, __STARTDELIVERTIME) until they are due. Queue k holds the
// messages that wait 2^k seconds before they are looked at again; see
// timerPolicy. It is Apogee's own topic (RocketMQ 5 keeps timer messages in
// rmq_sys_wheel_timer and a timer wheel file instead); the rmq_sys_ prefix
// marks it as a system topic for RocketMQ 5's tools.
const TimerTopic = "rmq_sys_apogee_timer"

const (
	// timerQueueNums is the number of queues of TimerTopic: steps of 1 s up
	// to 2^31 s (68 years), so any delay is reached with at most one hop
	// per bit of its length in seconds.
	timerQueueNums = 32
	// timerPrecision is how early a timer message may be delivered: one
	// due in less than this is delivered at once, as RocketMQ 5's default
	// timerPrecisionMs (1000) rounds delivery times down to the second.
	timerPrecision = time.Second
)

// timerSteps returns the wait of each TimerTopic queue: 2^k seconds.
func timerSteps() []time.Duration {
	steps := make([]time.Duration, timerQueueNums)
	for k := range steps {
		steps[k] = time.Duration(int64(1)<<k) * time.Second
	}
	return steps
}

// timerQueueFor returns the queue for a message due in remainingMs >=
// timerPrecision: the longest step not longer than the remaining time.
func timerQueueFor(remainingMs int64) int32 {
	if remainingMs < timerPrecision.Milliseconds() {
		panic("broker: timerQueueFor with less than the timer precision left")
	}
	k := bits.Len64(uint64(remainingMs/timerPrecision.Milliseconds())) - 1
	return int32(min(k, timerQueueNums-1))
}

// timerPolicy drives TimerTopic as a cascade of power-of-two steps. A
// message parked with remaining time R waits in the queue of the longest
// step s <= R; when that step has passed it is put again, into the queue of
// the longest step not longer than what remains, and so on: the remaining
// time more than halves at every hop, so a message hops once per set bit of
// R in seconds (at most 32 times, about half of log2(R) on average) and is
// delivered to its real topic once less than timerPrecision remains.
// Within a queue every message waits the same step after its store time,
// so the queue is in due order and one timer per queue suffices, whatever
// the number of pending messages. Each hop is an ordinary record, so a
// restart resumes from timerOffset.json like the delay levels do.
//
// Properties: TIMER_OUT_MS holds the absolute delivery time computed at the
// first put and is kept on the delivered message (it also marks the
// message as no longer a timer message); REAL_TOPIC and REAL_QID are
// dropped on delivery.
type timerPolicy struct{}

// timerDeliveryDrops are the properties a delivered timer message loses.
var timerDeliveryDrops = []string{commitlog.PropertyRealTopic, commitlog.PropertyRealQueueID, commitlog.PropertyWait}

// timerHopDrops are the properties a hop replaces.
var timerHopDrops = []string{commitlog.PropertyWait}

func (timerPolicy) dueMs(q *parkedQueue, rec *commitlog.Record, _ int64, _ bool) int64 {
	// The tag slot of TimerTopic holds the TAGS hash: the step decides.
	return satAdd(rec.StoreTimestampMs, q.step.Milliseconds())
}

func (timerPolicy) rebuild(q *parkedQueue, rec *commitlog.Record, nowMs int64) bool {
	v, ok := commitlog.PropertyValue(rec.Properties, propertyTimerOutMs)
	targetMs, valid := parseMs(v)
	if ok && valid {
		if remaining := satSub(targetMs, nowMs); remaining >= timerPrecision.Milliseconds() {
			q.fill(rec, TimerTopic, timerQueueFor(remaining), timerHopDrops)
			return true
		}
	} else {
		q.t.log.Warn("broker: a timer message has no valid TIMER_OUT_MS; delivered now", "queue", q.queueID,
			"physOffset", rec.PhysOffset, "value", string(v))
	}
	return q.restore(rec, timerDeliveryDrops)
}

func (timerPolicy) hops() bool { return true }
