package broker

import (
	"fmt"
	"maps"
	"slices"

	"github.com/apogeemq/apogee/store/configfile"
)

// The progress files of the parked topics, in the DelayOffsetTable format
// (store/configfile): {"dataVersion":{...},"offsetTable":{<key>:<offset>}},
// where offset is the next queue offset to deliver. delayOffset.json is
// RocketMQ's file for SCHEDULE_TOPIC_XXXX (key = delay level = queue id +
// 1); timerOffset.json is Apogee's for the timer topic (key = queue id).
const timerOffsetFile = "timerOffset.json"

// loadOffsets reads the progress file and sets every queue's offset,
// corrected into its ConsumeQueue's [min, max] as RocketMQ's
// correctDelayOffset does: a negative offset or one below the minimum
// (retention removed those messages) starts at the minimum, one past the
// maximum (the queue was cut back, or the file belongs to another store)
// at the maximum. A queue missing from the file starts at its minimum.
// Keys that name no queue of the topic are kept as they are and written
// back. A file that cannot be read is an error: the broker does not start
// rather than deliver everything again. Every queue with messages past its
// offset begins its redelivery check (delay_redeliver.go).
func (t *parkedTopic) loadOffsets() error {
	table, _, err := configfile.LoadDelayOffsets(t.fs, t.path)
	if err != nil {
		return fmt.Errorf("broker: %s: %w", t.path, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if table.DataVersion != nil {
		t.version = *table.DataVersion
	}
	t.written = maps.Clone(table.QueueOffsets)
	for _, key := range slices.Sorted(maps.Keys(table.QueueOffsets)) {
		offset := table.QueueOffsets[key]
		queueID := int64(key) - int64(t.keyBase)
		if queueID < 0 || queueID >= int64(len(t.queues)) {
			t.extra[key] = offset
			continue
		}
		t.queues[queueID].offset = offset
	}
	for _, q := range t.queues {
		minOffset := t.store.MinOffsetInQueue(t.topic, q.queueID)
		maxOffset := t.store.MaxOffsetInQueue(t.topic, q.queueID)
		_, listed := table.QueueOffsets[t.keyBase+q.queueID]
		corrected := min(max(q.offset, minOffset), maxOffset)
		if listed && corrected != q.offset {
			t.log.Warn("broker: parked queue offset corrected into its queue", "service", t.name, "file", t.path,
				"queue", q.queueID, "from", q.offset, "to", corrected, "min", minOffset, "max", maxOffset)
		}
		q.offset = corrected
		q.durable = corrected
		q.mark = progress{offset: corrected}
		q.beginCheck(maxOffset)
	}
	return nil
}

// persist writes the progress file when it changed, with the offsets whose
// deliveries are durable: an offset is written only once the CommitLog is
// flushed past every record put before it, so that a machine crash never
// loses a delivered copy whose original the file already skips. Each queue
// remembers its offset at the previous call (mark); that offset becomes
// writable once the flushed CommitLog passes the records put before it, and
// the current offset does at once when everything put is already flushed.
func (t *parkedTopic) persist() error {
	t.saveMu.Lock()
	defer t.saveMu.Unlock()
	flushed := t.store.CommitLogFlushedOffset()
	t.mu.Lock()
	table := maps.Clone(t.extra)
	for _, q := range t.queues {
		switch {
		case q.endPhys <= flushed:
			q.durable = q.offset
		case q.mark.endPhys <= flushed:
			q.durable = max(q.durable, q.mark.offset)
		}
		q.mark = progress{offset: q.offset, endPhys: q.endPhys}
		table[t.keyBase+q.queueID] = q.durable
	}
	if maps.Equal(table, t.written) {
		t.mu.Unlock()
		return nil
	}
	t.version.Counter++
	t.version.TimestampMs = t.clock.Now().UnixMilli()
	dv := t.version
	t.mu.Unlock()
	if err := configfile.SaveDelayOffsets(t.fs, t.path, &configfile.DelayOffsetTable{DataVersion: &dv, QueueOffsets: table}); err != nil {
		return fmt.Errorf("broker: persist %s: %w", t.path, err)
	}
	t.mu.Lock()
	t.written = table
	t.mu.Unlock()
	return nil
}

// offsets returns every queue's progress offset (tests and admin).
func (t *parkedTopic) offsets() []int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]int64, len(t.queues))
	for i, q := range t.queues {
		out[i] = q.offset
	}
	return out
}
