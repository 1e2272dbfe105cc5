package broker

import (
	"fmt"
	"sort"
	"sync"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/store/configfile"
)

// groupManager owns subscriptionGroup.json: the consumer groups' settings,
// persisted on every change.
type groupManager struct {
	fs   env.FS
	path string
	now  func() int64

	mu    sync.RWMutex
	table *configfile.SubscriptionGroupTable
}

func newGroupManager(fs env.FS, storeRoot string, now func() int64) (*groupManager, error) {
	path := configfile.FilePath(storeRoot, configfile.SubscriptionGroupFile)
	t, _, err := configfile.LoadSubscriptionGroups(fs, path)
	if err != nil {
		return nil, fmt.Errorf("broker: %s: %w", path, err)
	}
	if t == nil {
		t = configfile.NewSubscriptionGroupTable()
	}
	return &groupManager{fs: fs, path: path, now: now, table: t}, nil
}

// get returns a group's config.
func (m *groupManager) get(group string) (configfile.SubscriptionGroupConfig, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	g, ok := m.table.Groups[group]
	return g, ok
}

// findOrCreate returns a group's config, creating it with RocketMQ's defaults
// when autoCreate allows; ok is false when the group does not exist and may
// not be created.
func (m *groupManager) findOrCreate(group string, autoCreate bool) (configfile.SubscriptionGroupConfig, bool, error) {
	if g, ok := m.get(group); ok {
		return g, true, nil
	}
	if !autoCreate {
		return configfile.SubscriptionGroupConfig{}, false, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if g, ok := m.table.Groups[group]; ok {
		return g, true, nil
	}
	g := configfile.NewSubscriptionGroupConfig(group)
	m.table.Groups[group] = g
	return g, true, m.persistLocked()
}

// put creates or replaces a group config.
func (m *groupManager) put(g configfile.SubscriptionGroupConfig) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.table.Groups[g.GroupName] = g
	return m.persistLocked()
}

// remove deletes a group; it reports whether it existed.
func (m *groupManager) remove(group string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.table.Groups[group]; !ok {
		return false, nil
	}
	delete(m.table.Groups, group)
	delete(m.table.Forbidden, group)
	return true, m.persistLocked()
}

// all returns every group config sorted by name, and the data version.
func (m *groupManager) all() ([]configfile.SubscriptionGroupConfig, configfile.DataVersion) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]configfile.SubscriptionGroupConfig, 0, len(m.table.Groups))
	for _, g := range m.table.Groups {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GroupName < out[j].GroupName })
	return out, m.table.DataVersion
}

func (m *groupManager) persistLocked() error {
	m.table.DataVersion.Counter++
	m.table.DataVersion.TimestampMs = m.now()
	if err := configfile.SaveSubscriptionGroups(m.fs, m.path, m.table); err != nil {
		return fmt.Errorf("broker: persist %s: %w", m.path, err)
	}
	return nil
}
