package broker

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/store/configfile"
)

// offsetManager owns consumerOffset.json: the next queue offset each
// clustering group consumes, per topic and queue. Commits only change memory;
// persist writes the file, on a period and at shutdown, when something
// changed.
type offsetManager struct {
	fs   env.FS
	path string
	now  func() int64

	mu      sync.Mutex
	table   map[string]map[int32]int64 // "topic@group" -> queueId -> offset
	version *configfile.DataVersion
	dirty   bool
	// persistMu serializes writers of the file.
	persistMu sync.Mutex
}

func newOffsetManager(fs env.FS, storeRoot string, now func() int64) (*offsetManager, error) {
	path := configfile.FilePath(storeRoot, configfile.ConsumerOffsetFile)
	t, _, err := configfile.LoadConsumerOffsets(fs, path)
	if err != nil {
		return nil, fmt.Errorf("broker: %s: %w", path, err)
	}
	m := &offsetManager{fs: fs, path: path, now: now, table: map[string]map[int32]int64{}}
	if t != nil {
		m.version = t.DataVersion
		for k, q := range t.QueueOffsets {
			inner := make(map[int32]int64, len(q))
			for id, off := range q {
				inner[id] = off
			}
			m.table[k] = inner
		}
	}
	return m, nil
}

// commit records a group's next offset of a queue.
func (m *offsetManager) commit(group, topic string, queueID int32, offset int64) {
	key := configfile.TopicGroupKey(topic, group)
	m.mu.Lock()
	defer m.mu.Unlock()
	q := m.table[key]
	if q == nil {
		q = map[int32]int64{}
		m.table[key] = q
	}
	if old, ok := q[queueID]; ok && old == offset {
		return
	}
	q[queueID] = offset
	m.dirty = true
}

// query returns a group's committed offset of a queue.
func (m *offsetManager) query(group, topic string, queueID int32) (int64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	off, ok := m.table[configfile.TopicGroupKey(topic, group)][queueID]
	return off, ok
}

// groupOffsets returns a copy of a group's offsets of a topic.
func (m *offsetManager) groupOffsets(group, topic string) map[int32]int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	src := m.table[configfile.TopicGroupKey(topic, group)]
	out := make(map[int32]int64, len(src))
	for k, v := range src {
		out[k] = v
	}
	return out
}

// topicsOfGroup returns the topics a group has offsets for, sorted.
func (m *offsetManager) topicsOfGroup(group string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for k := range m.table {
		if t, g, ok := splitTopicGroup(k); ok && g == group {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// groupsOfTopic returns the groups that have offsets for a topic, sorted.
func (m *offsetManager) groupsOfTopic(topic string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for k := range m.table {
		if t, g, ok := splitTopicGroup(k); ok && t == topic {
			out = append(out, g)
		}
	}
	sort.Strings(out)
	return out
}

// removeTopic drops every group's offsets of a topic.
func (m *offsetManager) removeTopic(topic string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range m.table {
		if t, _, ok := splitTopicGroup(k); ok && t == topic {
			delete(m.table, k)
			m.dirty = true
		}
	}
}

// removeGroup drops a group's offsets of every topic.
func (m *offsetManager) removeGroup(group string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range m.table {
		if _, g, ok := splitTopicGroup(k); ok && g == group {
			delete(m.table, k)
			m.dirty = true
		}
	}
}

// splitTopicGroup splits "topic@group"; topics cannot hold '@', so the
// first one separates.
func splitTopicGroup(key string) (topic, group string, ok bool) {
	i := strings.Index(key, configfile.TopicGroupSeparator)
	if i < 0 {
		return "", "", false
	}
	return key[:i], key[i+1:], true
}

// persist writes the table when it changed since the last write.
func (m *offsetManager) persist() error {
	m.persistMu.Lock()
	defer m.persistMu.Unlock()
	m.mu.Lock()
	if !m.dirty {
		m.mu.Unlock()
		return nil
	}
	t := configfile.NewConsumerOffsetTable()
	if m.version != nil {
		v := *m.version
		v.Counter++
		v.TimestampMs = m.now()
		m.version = &v
		t.DataVersion = &v
	}
	for k, q := range m.table {
		inner := make(map[int32]int64, len(q))
		for id, off := range q {
			inner[id] = off
		}
		t.QueueOffsets[k] = inner
	}
	m.dirty = false
	m.mu.Unlock()
	if err := configfile.SaveConsumerOffsets(m.fs, m.path, t); err != nil {
		m.mu.Lock()
		m.dirty = true
		m.mu.Unlock()
		return fmt.Errorf("broker: persist %s: %w", m.path, err)
	}
	return nil
}
