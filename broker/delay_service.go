package broker

import (
	"errors"
	"fmt"
	"time"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/store"
	"github.com/apogeemq/apogee/store/configfile"
)

// DefaultFlushDelayOffsetInterval is RocketMQ's flushDelayOffsetInterval:
// how often the delivery progress of delayed and timer messages is
// written.
const DefaultFlushDelayOffsetInterval = 10 * time.Second

// delayService delivers parked messages: the delay levels of
// SCHEDULE_TOPIC_XXXX and the timer cascade of TimerTopic. It runs on
// masters only: a slave's store follows its master's, deliveries included.
type delayService struct {
	levels *parkedTopic
	timer  *parkedTopic
}

// newDelayService creates TimerTopic if needed and loads both progress
// files; nothing runs before start.
func newDelayService(b *Broker) (*delayService, error) {
	tc := configfile.NewTopicConfig(TimerTopic)
	tc.ReadQueueNums, tc.WriteQueueNums = timerQueueNums, timerQueueNums
	tc.Perm = configfile.PermRead | configfile.PermWrite
	if _, _, err := b.topics.createIfAbsent(tc); err != nil {
		return nil, err
	}
	root := b.cfg.Store.RootDir
	check := newRedeliveryCheck(b.store, b.cfg.Store.MessageIndexEnable)
	d := &delayService{
		levels: newParkedTopic(b, "delay", store.ScheduleTopic, b.cfg.Store.DelayLevels, levelPolicy{},
			configfile.FilePath(root, configfile.DelayOffsetFile), 1, check),
		timer: newParkedTopic(b, "timer", TimerTopic, timerSteps(), timerPolicy{},
			configfile.FilePath(root, timerOffsetFile), 0, check),
	}
	if err := d.levels.loadOffsets(); err != nil {
		return nil, err
	}
	if err := d.timer.loadOffsets(); err != nil {
		return nil, err
	}
	return d, nil
}

// startDelayService starts delivering and persisting the progress, on a
// master. b.mu is held.
func (b *Broker) startDelayService() {
	if b.isSlave() {
		return
	}
	b.delay.levels.start()
	b.delay.timer.start()
	b.schedule("persistDelayOffsets", b.cfg.FlushDelayOffsetInterval, func() {
		if err := b.delay.persist(); err != nil {
			b.log.Error("broker: persisting the delivery progress failed", "err", err)
		}
	})
}

// onStoreArrival is the store's arrival listener: a dispatched message wakes
// the pulls held on its queue, and the round of a parked queue that waits
// idle.
func (b *Broker) onStoreArrival(topic string, queueID int32, queueOffset int64, tagCode int64) {
	b.onArrival(topic, queueID, queueOffset, tagCode)
	switch topic {
	case store.ScheduleTopic:
		b.delay.levels.wake(queueID)
	case TimerTopic:
		b.delay.timer.wake(queueID)
	}
}

// persist writes both progress files.
func (d *delayService) persist() error {
	return errors.Join(d.levels.persist(), d.timer.persist())
}

// close stops the deliveries, flushes the store so that every delivered
// copy is durable, and writes the progress files.
func (d *delayService) close(st *store.Store) error {
	d.abandon()
	flushErr := st.Flush()
	if flushErr != nil {
		flushErr = fmt.Errorf("broker: flushing before writing the delivery progress: %w", flushErr)
	}
	return errors.Join(flushErr, d.persist())
}

// abandon stops the deliveries and writes nothing.
func (d *delayService) abandon() {
	d.levels.stop()
	d.timer.stop()
}

// levelPolicy drives SCHEDULE_TOPIC_XXXX: queue level-1 holds the messages
// of a delay level, each due at its store time plus the level's delay,
// which dispatch wrote into the unit's tag slot. A due message goes to
// REAL_TOPIC / REAL_QID without DELAY, REAL_TOPIC, REAL_QID and the timer
// properties, with WAIT=false and its born host and time, as RocketMQ's
// messageTimeUp rebuilds it (RocketMQ keeps REAL_TOPIC and REAL_QID on the
// delivered message; Apogee drops them, as RocketMQ 5's timer store does).
type levelPolicy struct{}

// levelDeliveryDrops are the properties a delivered delayed message loses.
var levelDeliveryDrops = []string{
	commitlog.PropertyDelayLevel, commitlog.PropertyRealTopic, commitlog.PropertyRealQueueID, commitlog.PropertyWait,
	propertyTimerDeliverMs, propertyTimerDelaySec, propertyTimerDelayMs,
}

func (levelPolicy) dueMs(q *parkedQueue, rec *commitlog.Record, tagCode int64, tagKnown bool) int64 {
	if tagKnown {
		return tagCode
	}
	return satAdd(rec.StoreTimestampMs, q.step.Milliseconds())
}

func (levelPolicy) rebuild(q *parkedQueue, rec *commitlog.Record, _ int64) bool {
	return q.restore(rec, levelDeliveryDrops)
}

func (levelPolicy) hops() bool { return false }
