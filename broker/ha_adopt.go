package broker

import (
	"fmt"
	"maps"
	"reflect"
	"slices"

	"github.com/apogeemq/apogee/remoting"
	"github.com/apogeemq/apogee/store"
	"github.com/apogeemq/apogee/store/configfile"
)

// A slave copies its master's metadata (RocketMQ's SlaveSynchronize):
//
//   - topics (GET_ALL_TOPIC_CONFIG): the master's table replaces the
//     slave's when its data version differs; a topic the master no longer
//     has is deleted as DELETE_TOPIC_IN_BROKER deletes it (its queues and
//     offsets), so that the slave's queues restart where the master's do
//     when it is created again;
//   - subscription groups (GET_ALL_SUBSCRIPTIONGROUP_CONFIG): the master's
//     groups are written over the slave's (RocketMQ's putAll);
//   - consumer offsets (GET_ALL_CONSUMER_OFFSET): the master's offsets are
//     written over the slave's, queue by queue; offsets committed on the
//     slave alone (while its master was away) stay;
//   - delay progress (GET_ALL_DELAY_OFFSET): each level's offset, moved
//     into the slave's own [min, max] of the level's queue, so that a
//     promoted slave never skips a parked message it holds.

// adoptTopicsLocked applies GET_ALL_TOPIC_CONFIG's answer. repl.mu is held.
func (r *replication) adoptTopicsLocked(resp *remoting.Command) error {
	t, err := configfile.ParseTopics(resp.Body)
	if err != nil {
		return err
	}
	removed, changed, err := r.b.topics.adopt(t)
	if err != nil {
		return err
	}
	for _, topic := range removed {
		if err := r.b.store.DeleteTopic(topic); err != nil {
			return fmt.Errorf("deleting topic %s as the master did: %w", topic, err)
		}
		r.b.offsets.removeTopic(topic)
		r.log.Info("broker: topic deleted as on the master", "topic", topic)
	}
	if changed {
		r.b.registerSoon()
	}
	return nil
}

// adoptGroupsLocked applies GET_ALL_SUBSCRIPTIONGROUP_CONFIG's answer.
// repl.mu is held.
func (r *replication) adoptGroupsLocked(resp *remoting.Command) error {
	t, err := configfile.ParseSubscriptionGroups(resp.Body)
	if err != nil {
		return err
	}
	return r.b.groups.adopt(t)
}

// adoptOffsetsLocked applies GET_ALL_CONSUMER_OFFSET's answer. repl.mu is
// held.
func (r *replication) adoptOffsetsLocked(resp *remoting.Command) error {
	t, err := configfile.ParseConsumerOffsets(resp.Body)
	if err != nil {
		return err
	}
	r.b.offsets.adopt(t)
	return nil
}

// adoptDelayOffsetsLocked applies GET_ALL_DELAY_OFFSET's answer. repl.mu is
// held.
func (r *replication) adoptDelayOffsetsLocked(resp *remoting.Command) error {
	t, err := configfile.ParseDelayOffsets(resp.Body)
	if err != nil {
		return err
	}
	r.b.delay.levels.adoptOffsets(t.QueueOffsets)
	return nil
}

// adopt replaces the table with a master's unless the data versions are
// equal, and returns the topics it dropped (sorted) and whether anything
// changed.
func (m *topicManager) adopt(t *configfile.TopicConfigTable) ([]string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t.DataVersion == m.table.DataVersion && maps.EqualFunc(t.Topics, m.table.Topics, sameTopicConfig) {
		return nil, false, nil
	}
	var removed []string
	for name := range m.table.Topics {
		if _, ok := t.Topics[name]; !ok {
			removed = append(removed, name)
		}
	}
	slices.Sort(removed)
	m.table.Topics = t.Topics
	m.table.DataVersion = t.DataVersion
	if err := configfile.SaveTopics(m.fs, m.path, m.table); err != nil {
		return nil, true, fmt.Errorf("broker: persist %s: %w", m.path, err)
	}
	return removed, true, nil
}

// setStateVersion stamps the table's data version with a master epoch
// (RocketMQ 5's nextVersion(epoch)) and persists it.
func (m *topicManager) setStateVersion(v int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.table.DataVersion.StateVersion == v {
		return nil
	}
	m.table.DataVersion.StateVersion = v
	return m.persistLocked()
}

// adopt writes a master's groups over the table's and takes its data
// version. Groups are compared one by one: a data version says little
// when both sides stamped theirs in the same millisecond.
func (m *groupManager) adopt(t *configfile.SubscriptionGroupTable) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	changed := t.DataVersion != m.table.DataVersion
	for name, g := range t.Groups {
		if old, ok := m.table.Groups[name]; !ok || !reflect.DeepEqual(old, g) {
			m.table.Groups[name] = g
			changed = true
		}
	}
	for group, perms := range t.Forbidden {
		if old, ok := m.table.Forbidden[group]; !ok || !maps.Equal(old, perms) {
			m.table.Forbidden[group] = perms
			changed = true
		}
	}
	if !changed {
		return nil
	}
	m.table.DataVersion = t.DataVersion
	if err := configfile.SaveSubscriptionGroups(m.fs, m.path, m.table); err != nil {
		return fmt.Errorf("broker: persist %s: %w", m.path, err)
	}
	return nil
}

// adopt writes a master's committed offsets over the table's; the next
// persist writes them.
func (m *offsetManager) adopt(t *configfile.ConsumerOffsetTable) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for key, queues := range t.QueueOffsets {
		q := m.table[key]
		if q == nil {
			q = make(map[int32]int64, len(queues))
			m.table[key] = q
		}
		for id, off := range queues {
			if old, ok := q[id]; !ok || old != off {
				q[id] = off
				m.dirty = true
			}
		}
	}
}

// snapshot returns the table as GET_ALL_CONSUMER_OFFSET answers it.
func (m *offsetManager) snapshot() *configfile.ConsumerOffsetTable {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := configfile.NewConsumerOffsetTable()
	if m.version != nil {
		v := *m.version
		t.DataVersion = &v
	}
	for key, queues := range m.table {
		t.QueueOffsets[key] = maps.Clone(queues)
	}
	return t
}

// clampToQueues lowers every committed offset past its queue's end to the
// end: after a promotion the new master's queues may end below offsets
// the old master handed out, and a consumer resuming from such an offset
// would skip the messages the new master stores there. It returns how many
// offsets it lowered.
func (m *offsetManager) clampToQueues(st *store.Store) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	lowered := 0
	for key, queues := range m.table {
		topic, _, ok := splitTopicGroup(key)
		if !ok {
			continue
		}
		for id, off := range queues {
			if end := st.MaxOffsetInQueue(topic, id); off > end {
				queues[id] = end
				m.dirty = true
				lowered++
			}
		}
	}
	return lowered
}

// adoptOffsets sets the queues' progress from a master's table (keys as
// in the progress file), each moved into the queue's [min, max] here: a
// slave may not hold yet the messages its master delivered. The next
// persist writes them. The topic's deliveries do not run (a slave).
func (t *parkedTopic) adoptOffsets(table map[int32]int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for key, offset := range table {
		queueID := int64(key) - int64(t.keyBase)
		if queueID < 0 || queueID >= int64(len(t.queues)) {
			t.extra[key] = offset
			continue
		}
		q := t.queues[queueID]
		minOffset := t.store.MinOffsetInQueue(t.topic, q.queueID)
		maxOffset := t.store.MaxOffsetInQueue(t.topic, q.queueID)
		offset = min(max(offset, minOffset), maxOffset)
		q.offset, q.durable = offset, offset
		q.mark = progress{offset: offset}
	}
}

// beginChecksForPromotion makes every queue with parked messages past its
// progress check them again for copies already stored (delay_redeliver.go)
// before delivering, up to the queue's end now: a promoted slave may hold
// copies its old master delivered after the progress it copied.
func (t *parkedTopic) beginChecksForPromotion() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, q := range t.queues {
		maxOffset := t.store.MaxOffsetInQueue(t.topic, q.queueID)
		minOffset := t.store.MinOffsetInQueue(t.topic, q.queueID)
		q.offset = min(max(q.offset, minOffset), maxOffset)
		if back := q.rewindToDelivered(minOffset); back < q.offset {
			t.log.Warn("broker: delivery progress copied from the old master rewound to the last message this log holds a copy of",
				"service", t.name, "queue", q.queueID, "from", q.offset, "to", back)
			q.offset = back
		}
		q.durable = min(q.durable, q.offset)
		if q.checking {
			q.checkUntil = max(q.checkUntil, maxOffset)
			continue
		}
		q.beginCheck(maxOffset)
	}
}

// writtenTable returns the progress as last written to the file (offsets
// whose deliveries were durable), which GET_ALL_DELAY_OFFSET answers.
func (t *parkedTopic) writtenTable() map[int32]int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	table := maps.Clone(t.written)
	if table == nil {
		table = map[int32]int64{}
	}
	for _, q := range t.queues {
		if _, ok := table[t.keyBase+q.queueID]; !ok {
			table[t.keyBase+q.queueID] = q.durable
		}
	}
	return table
}
