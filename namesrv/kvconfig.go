package namesrv

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
)

// NamespaceOrderTopicConfig is the KV namespace whose value for a topic is
// its orderTopicConf ("brokerA:4;brokerB:4"), RocketMQ's
// NamesrvUtil.NAMESPACE_ORDER_TOPIC_CONFIG.
const NamespaceOrderTopicConfig = "ORDER_TOPIC_CONFIG"

// MaxKVEntries bounds the number of KV config entries over all namespaces.
// Operators set a handful (one per ordered topic at most); the bound keeps a
// runaway script from growing the name server without limit.
const MaxKVEntries = 100_000

// ErrKVFull reports a PUT_KV_CONFIG that would exceed MaxKVEntries.
var ErrKVFull = errors.New("namesrv: KV config is full")

// KVConfig is the name server's namespace -> key -> value settings, kept in
// memory (RocketMQ also saves them to kvConfig.json; Apogee's operators set
// them again after a restart, as brokers re-register their routes). It is
// safe for concurrent use.
type KVConfig struct {
	mu      sync.RWMutex
	tables  map[string]map[string]string
	entries int
}

// NewKVConfig returns an empty KV config.
func NewKVConfig() *KVConfig {
	return &KVConfig{tables: map[string]map[string]string{}}
}

// Put sets namespace/key to value.
func (kv *KVConfig) Put(namespace, key, value string) error {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	table := kv.tables[namespace]
	if _, ok := table[key]; !ok {
		if kv.entries >= MaxKVEntries {
			return fmt.Errorf("%w: %d entries", ErrKVFull, kv.entries)
		}
		if table == nil {
			table = map[string]string{}
			kv.tables[namespace] = table
		}
		kv.entries++
	}
	table[key] = value
	return nil
}

// Get returns namespace/key's value and whether it is set.
func (kv *KVConfig) Get(namespace, key string) (string, bool) {
	kv.mu.RLock()
	defer kv.mu.RUnlock()
	v, ok := kv.tables[namespace][key]
	return v, ok
}

// Delete removes namespace/key, and the namespace with its last key.
func (kv *KVConfig) Delete(namespace, key string) {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	table := kv.tables[namespace]
	if _, ok := table[key]; !ok {
		return
	}
	delete(table, key)
	kv.entries--
	if len(table) == 0 {
		delete(kv.tables, namespace)
	}
}

// AppendNamespaceJSON appends RocketMQ's KVTable body for a namespace,
// {"table":{"k":"v",...}} with keys sorted, and reports false, leaving dst
// as it was, when the namespace holds nothing.
func (kv *KVConfig) AppendNamespaceJSON(dst []byte, namespace string) ([]byte, bool) {
	kv.mu.RLock()
	defer kv.mu.RUnlock()
	table := kv.tables[namespace]
	if len(table) == 0 {
		return dst, false
	}
	dst = append(appendKey(append(dst, '{'), "table"), '{')
	for i, k := range slices.Sorted(maps.Keys(table)) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(appendString(dst, k), ':')
		dst = appendString(dst, table[k])
	}
	return append(dst, '}', '}'), true
}
