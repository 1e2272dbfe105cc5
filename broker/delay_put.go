package broker

import (
	"bytes"
	"strconv"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/store"
)

// Properties of timer messages (RocketMQ 5's MessageConst, and the
// __STARTDELIVERTIME of Aliyun's clients). commitlog names the 4.x ones.
const (
	// propertyTimerDeliverMs is an absolute delivery time in ms since the
	// epoch.
	propertyTimerDeliverMs = "TIMER_DELIVER_MS"
	// propertyTimerDelaySec is a delay in seconds from the put.
	propertyTimerDelaySec = "TIMER_DELAY_SEC"
	// propertyTimerDelayMs is a delay in milliseconds from the put.
	propertyTimerDelayMs = "TIMER_DELAY_MS"
	// propertyStartDeliverTime is an absolute delivery time in ms since the
	// epoch, the property of Aliyun's ONS clients.
	propertyStartDeliverTime = "__STARTDELIVERTIME"
	// propertyTimerOutMs is the absolute delivery time the broker computed
	// when it parked the message; a message that carries it is never parked
	// as a timer message again (RocketMQ 5 does the same).
	propertyTimerOutMs = "TIMER_OUT_MS"
)

// timerTriggers are the properties that ask for a timer, in the order
// RocketMQ 5 reads them (the first present one wins).
var timerTriggers = [...]string{propertyTimerDelaySec, propertyTimerDelayMs, propertyTimerDeliverMs, propertyStartDeliverTime}

// PutMessage stores m with the put-time rewrites of a send: a transactional
// half message is parked in RMQ_SYS_TRANS_HALF_TOPIC, a delayed or timer
// message in SCHEDULE_TOPIC_XXXX or TimerTopic, anything else is stored as
// it is. It makes none of a send's checks and adds no CLUSTER property; done
// is called as store.Put calls it. Embedders, benchmarks and tests use it to
// put without the network.
func (b *Broker) PutMessage(m *commitlog.Message, done func(store.PutResult)) {
	b.prepareForStore(m)
	b.store.Put(m, done)
}

// parkDelayed parks a message that asks for a later delivery, as RocketMQ's
// put hooks do (spec/store.md §7):
//
//   - a DELAY property naming a level > 0 parks it in SCHEDULE_TOPIC_XXXX,
//     queue level-1 (levels above the last are clamped to it), and drops
//     the timer properties (the level wins, as in RocketMQ 5); the store's
//     dispatch writes the delivery time into the ConsumeQueue's tag slot;
//   - otherwise a timer property (TIMER_DELAY_SEC, TIMER_DELAY_MS,
//     TIMER_DELIVER_MS, __STARTDELIVERTIME) naming a time at least
//     timerPrecision ahead parks it in the timer topic (see timer.go).
//
// A DELAY that is not a positive number, a timer property that is not a
// number or names a time less than timerPrecision ahead, and a message that
// already carries TIMER_OUT_MS leave the message as it is: it is delivered
// at once.
func (b *Broker) parkDelayed(m *commitlog.Message) {
	ask := scanParkProperties(m.Properties)
	if level, ok := ask.delayLevel(); ok {
		levels := len(b.cfg.Store.DelayLevels)
		if levels == 0 {
			return
		}
		level = min(level, levels)
		canonical := string(ask.delay) == strconv.Itoa(level)
		park(m, store.ScheduleTopic, int32(level-1), timerTriggers[:]...)
		if !canonical {
			// The clamped level, in decimal, is what the dispatch reads back.
			m.Properties = commitlog.AppendProperty(
				commitlog.AppendWithout(m.Properties[:0:0], m.Properties, commitlog.PropertyDelayLevel),
				commitlog.PropertyDelayLevel, strconv.Itoa(level))
		}
		return
	}
	if !ask.timer || ask.timerOut {
		return
	}
	nowMs := b.env.Clock.Now().UnixMilli()
	targetMs, ok := ask.targetMs(nowMs)
	if !ok {
		return
	}
	remaining := satSub(targetMs, nowMs)
	if remaining < timerPrecision.Milliseconds() {
		return
	}
	park(m, TimerTopic, timerQueueFor(remaining))
	m.Properties = commitlog.AppendProperty(m.Properties, propertyTimerOutMs, strconv.FormatInt(targetMs, 10))
}

// laterDelivery reports whether a message with properties props would be
// parked by parkDelayed, and the property that asks for it: DELAY naming a
// level (when levels are configured), or the timer property that names a
// time at least timerPrecision ahead. A batch is refused when it asks for
// this (see checkSend): its messages are stored as they come.
func (b *Broker) laterDelivery(props []byte) (string, bool) {
	ask := scanParkProperties(props)
	if _, ok := ask.delayLevel(); ok {
		return commitlog.PropertyDelayLevel, len(b.cfg.Store.DelayLevels) > 0
	}
	if !ask.timer || ask.timerOut {
		return "", false
	}
	nowMs := b.env.Clock.Now().UnixMilli()
	targetMs, ok := ask.targetMs(nowMs)
	if !ok || satSub(targetMs, nowMs) < timerPrecision.Milliseconds() {
		return "", false
	}
	for k, name := range timerTriggers {
		if ask.triggers[k] != nil {
			return name, true
		}
	}
	panic("broker: a timer asked for without a timer property")
}

// parkAsk is what a message's properties ask of parkDelayed, read in one
// pass: every send goes through it, and most messages ask nothing.
type parkAsk struct {
	delay    []byte // the DELAY value, nil when absent
	timer    bool   // some timer property is present
	timerOut bool   // TIMER_OUT_MS is present
	// triggers[i] is the value of timerTriggers[i], nil when absent.
	triggers [len(timerTriggers)][]byte
}

// scanParkProperties reads the properties parkDelayed looks at, following
// commitlog's parser: pairs without a name or a value are skipped and the
// last pair of a name wins.
func scanParkProperties(props []byte) parkAsk {
	var ask parkAsk
	for i := 0; i < len(props); {
		end := bytes.IndexByte(props[i:], commitlog.PropertySeparator)
		if end < 0 {
			end = len(props)
		} else {
			end += i
		}
		pair := props[i:end]
		i = end + 1
		sep := bytes.IndexByte(pair, commitlog.NameValueSeparator)
		if sep <= 0 || sep >= len(pair)-1 {
			continue
		}
		name, value := pair[:sep], pair[sep+1:]
		switch name[0] {
		case 'D', 'T', '_': // DELAY, TIMER_*, __STARTDELIVERTIME
		default:
			continue
		}
		switch string(name) {
		case commitlog.PropertyDelayLevel:
			ask.delay = value
		case propertyTimerOutMs:
			ask.timerOut = true
		default:
			for k, trigger := range timerTriggers {
				if string(name) == trigger {
					ask.triggers[k], ask.timer = value, true
				}
			}
		}
	}
	return ask
}

// delayLevel reads a DELAY property that names a level > 0.
func (a *parkAsk) delayLevel() (int, bool) {
	if a.delay == nil {
		return 0, false
	}
	level, ok := parseMs(a.delay)
	if !ok || level <= 0 || level > maxInt32 {
		return 0, false
	}
	return int(level), true
}

// targetMs reads the delivery time the timer properties ask for, in ms
// since the epoch, relative ones counted from nowMs; false when the first
// timer property present is not a decimal integer.
func (a *parkAsk) targetMs(nowMs int64) (int64, bool) {
	for k, name := range timerTriggers {
		v := a.triggers[k]
		if v == nil {
			continue
		}
		n, ok := parseMs(v)
		if !ok {
			return 0, false
		}
		switch name {
		case propertyTimerDelaySec:
			return satAdd(nowMs, satMul(n, 1000)), true
		case propertyTimerDelayMs:
			return satAdd(nowMs, n), true
		default:
			return n, true
		}
	}
	return 0, false
}

// timerTargetMs reads the delivery time a message's timer properties ask
// for (see parkAsk.targetMs); false when it asks for none, already carries
// TIMER_OUT_MS, or the first timer property present is not a number.
func timerTargetMs(props []byte, nowMs int64) (int64, bool) {
	ask := scanParkProperties(props)
	if !ask.timer || ask.timerOut {
		return 0, false
	}
	return ask.targetMs(nowMs)
}

// satAdd, satSub and satMul are int64 arithmetic that saturates instead of
// wrapping: timer properties come from clients and may hold any number.
func satAdd(a, b int64) int64 {
	s := a + b
	switch {
	case a > 0 && b > 0 && s < 0:
		return maxInt64
	case a < 0 && b < 0 && s >= 0:
		return minInt64
	}
	return s
}

func satSub(a, b int64) int64 {
	if b == minInt64 {
		if a >= 0 {
			return maxInt64
		}
		return a - b
	}
	return satAdd(a, -b)
}

func satMul(a, k int64) int64 {
	if k <= 0 {
		panic("broker: satMul needs a positive factor")
	}
	switch {
	case a > maxInt64/k:
		return maxInt64
	case a < minInt64/k:
		return minInt64
	}
	return a * k
}

const (
	maxInt64 = 1<<63 - 1
	minInt64 = -1 << 63
	maxInt32 = 1<<31 - 1
)
