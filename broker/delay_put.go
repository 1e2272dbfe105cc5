package broker

import (
	"strconv"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/store"
)

// parkDelayed parks a message whose DELAY property names a level > 0 in
// SCHEDULE_TOPIC_XXXX, queue level-1 (levels above the last are clamped to
// it), as RocketMQ's CommitLog does; the store's dispatch writes the delivery
// time into the ConsumeQueue's tag slot. A DELAY that is not a positive
// number leaves the message as it is.
func (b *Broker) parkDelayed(m *commitlog.Message) {
	v, ok := commitlog.PropertyValue(m.Properties, commitlog.PropertyDelayLevel)
	if !ok {
		return
	}
	level, err := strconv.Atoi(string(v))
	if err != nil || level <= 0 {
		return
	}
	levels := len(b.cfg.Store.DelayLevels)
	if levels == 0 {
		return
	}
	level = min(level, levels)
	park(m, store.ScheduleTopic, int32(level-1))
	// The clamped level is what the dispatch reads back.
	m.Properties = commitlog.AppendProperty(
		commitlog.AppendWithout(m.Properties[:0:0], m.Properties, commitlog.PropertyDelayLevel),
		commitlog.PropertyDelayLevel, strconv.Itoa(level))
}
