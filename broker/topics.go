package broker

import (
	"fmt"
	"sort"
	"sync"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/store"
	"github.com/apogeemq/apogee/store/configfile"
)

// System topics a broker creates at start, RocketMQ's TopicValidator names.
const (
	// DefaultTopic is TBW102: producers of unknown topics route by it, and
	// its perm carries INHERIT when autoCreateTopicEnable is on.
	DefaultTopic        = "TBW102"
	SelfTestTopic       = "SELF_TEST_TOPIC"
	OffsetMovedEvent    = "OFFSET_MOVED_EVENT"
	TraceTopic          = "RMQ_SYS_TRACE_TOPIC"
	TransHalfTopic      = "RMQ_SYS_TRANS_HALF_TOPIC"
	TransOpHalfTopic    = "RMQ_SYS_TRANS_OP_HALF_TOPIC"
	TransCheckMaxTopic  = "TRANS_CHECK_MAX_TIME_TOPIC"
	RetryGroupPrefix    = "%RETRY%"
	DLQGroupPrefix      = "%DLQ%"
	systemTopicPrefix   = "rmq_sys_"
	maxTopicLength      = 127
	maxGroupLength      = 255
	maxTopicQueueNums   = 1024 // a sanity bound on queues per topic
	topicCharsetPattern = "^[%|a-zA-Z0-9_-]+$"
)

// notAllowedSendTopics are the system topics producers may not send to:
// RocketMQ's TopicValidator.NOT_ALLOWED_SEND_TOPIC_SET, and TimerTopic,
// which only the broker writes (a message sent there would be delivered by
// the timer service to whatever REAL_TOPIC it names).
var notAllowedSendTopics = map[string]bool{
	store.ScheduleTopic: true, TransHalfTopic: true, TransOpHalfTopic: true,
	TransCheckMaxTopic: true, SelfTestTopic: true, OffsetMovedEvent: true,
	TimerTopic: true,
}

// ValidateTopic checks a topic name as RocketMQ's TopicValidator does: not
// blank, at most 127 characters of [%|a-zA-Z0-9_-].
func ValidateTopic(topic string) error {
	if topic == "" {
		return fmt.Errorf("the specified topic is blank")
	}
	if len(topic) > maxTopicLength {
		return fmt.Errorf("the specified topic is longer than topic max length %d", maxTopicLength)
	}
	if !validNameChars(topic) {
		return fmt.Errorf("the specified topic[%s] contains illegal characters, allowing only %s", topic, topicCharsetPattern)
	}
	return nil
}

// ValidateGroup checks a group name: not blank, at most 255 characters of
// [%|a-zA-Z0-9_-].
func ValidateGroup(group string) error {
	if group == "" {
		return fmt.Errorf("the specified group is blank")
	}
	if len(group) > maxGroupLength {
		return fmt.Errorf("the specified group is longer than group max length %d", maxGroupLength)
	}
	if !validNameChars(group) {
		return fmt.Errorf("the specified group[%s] contains illegal characters, allowing only %s", group, topicCharsetPattern)
	}
	return nil
}

func validNameChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '%', c == '|', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// topicManager owns topics.json: the broker's topic configs, persisted on
// every change.
type topicManager struct {
	fs   env.FS
	path string
	now  func() int64

	mu    sync.RWMutex
	table *configfile.TopicConfigTable
}

func newTopicManager(fs env.FS, storeRoot string, now func() int64) (*topicManager, error) {
	path := configfile.FilePath(storeRoot, configfile.TopicsFile)
	t, _, err := configfile.LoadTopics(fs, path)
	if err != nil {
		return nil, fmt.Errorf("broker: %s: %w", path, err)
	}
	if t == nil {
		t = configfile.NewTopicConfigTable()
	}
	return &topicManager{fs: fs, path: path, now: now, table: t}, nil
}

// ensureSystemTopics creates the topics every broker has (Java's
// TopicConfigManager constructor), persisting once if any was missing.
func (m *topicManager) ensureSystemTopics(cfg *Config) error {
	defPerm := configfile.PermRead | configfile.PermWrite
	if cfg.AutoCreateTopicEnable {
		defPerm |= configfile.PermInherit
	}
	want := []configfile.TopicConfig{
		sysTopic(SelfTestTopic, 1, configfile.PermRead|configfile.PermWrite),
		sysTopic(cfg.ClusterName, 16, configfile.PermRead|configfile.PermWrite),
		sysTopic(cfg.BrokerName, 1, configfile.PermRead|configfile.PermWrite),
		sysTopic(OffsetMovedEvent, 1, configfile.PermRead|configfile.PermWrite),
		sysTopic(store.ScheduleTopic, int32(max(len(cfg.Store.DelayLevels), 18)), configfile.PermRead|configfile.PermWrite),
		sysTopic(TraceTopic, 1, configfile.PermRead|configfile.PermWrite),
		sysTopic(TransHalfTopic, 1, configfile.PermRead|configfile.PermWrite),
		sysTopic(TransOpHalfTopic, 1, configfile.PermRead|configfile.PermWrite),
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	changed := false
	if cfg.AutoCreateTopicEnable {
		tc, ok := m.table.Topics[DefaultTopic]
		if !ok || tc.Perm != defPerm {
			if !ok {
				tc = sysTopic(DefaultTopic, cfg.DefaultTopicQueueNums, defPerm)
			}
			tc.Perm = defPerm
			m.table.Topics[DefaultTopic] = tc
			changed = true
		}
	} else if _, ok := m.table.Topics[DefaultTopic]; ok {
		delete(m.table.Topics, DefaultTopic)
		changed = true
	}
	for _, tc := range want {
		if _, ok := m.table.Topics[tc.TopicName]; !ok {
			m.table.Topics[tc.TopicName] = tc
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return m.persistLocked()
}

func sysTopic(name string, queues int32, perm int32) configfile.TopicConfig {
	tc := configfile.NewTopicConfig(name)
	tc.ReadQueueNums, tc.WriteQueueNums, tc.Perm = queues, queues, perm
	return tc
}

// get returns a topic's config.
func (m *topicManager) get(topic string) (configfile.TopicConfig, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	tc, ok := m.table.Topics[topic]
	return tc, ok
}

// all returns every topic config, sorted by name, and the data version.
func (m *topicManager) all() ([]configfile.TopicConfig, configfile.DataVersion) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]configfile.TopicConfig, 0, len(m.table.Topics))
	for _, tc := range m.table.Topics {
		out = append(out, tc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TopicName < out[j].TopicName })
	return out, m.table.DataVersion
}

// put creates or replaces a topic config and persists the table. It reports
// whether anything changed.
func (m *topicManager) put(tc configfile.TopicConfig) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.table.Topics[tc.TopicName]
	if ok && sameTopicConfig(old, tc) {
		return false, nil
	}
	m.table.Topics[tc.TopicName] = tc
	return true, m.persistLocked()
}

// createIfAbsent creates tc unless the topic exists; it returns the config
// in force and whether it was created.
func (m *topicManager) createIfAbsent(tc configfile.TopicConfig) (configfile.TopicConfig, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.table.Topics[tc.TopicName]; ok {
		return old, false, nil
	}
	m.table.Topics[tc.TopicName] = tc
	return tc, true, m.persistLocked()
}

// remove deletes a topic; it reports whether it existed.
func (m *topicManager) remove(topic string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.table.Topics[topic]; !ok {
		return false, nil
	}
	delete(m.table.Topics, topic)
	return true, m.persistLocked()
}

func (m *topicManager) persistLocked() error {
	m.table.DataVersion.Counter++
	m.table.DataVersion.TimestampMs = m.now()
	if err := configfile.SaveTopics(m.fs, m.path, m.table); err != nil {
		return fmt.Errorf("broker: persist %s: %w", m.path, err)
	}
	return nil
}

func sameTopicConfig(a, b configfile.TopicConfig) bool {
	if a.TopicName != b.TopicName || a.ReadQueueNums != b.ReadQueueNums || a.WriteQueueNums != b.WriteQueueNums ||
		a.Perm != b.Perm || a.TopicFilterType != b.TopicFilterType || a.TopicSysFlag != b.TopicSysFlag ||
		a.Order != b.Order || len(a.Attributes) != len(b.Attributes) {
		return false
	}
	for k, v := range a.Attributes {
		if b.Attributes[k] != v {
			return false
		}
	}
	return true
}
