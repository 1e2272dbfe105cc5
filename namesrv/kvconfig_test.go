package namesrv

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKVConfig(t *testing.T) {
	kv := NewKVConfig()
	_, ok := kv.Get(NamespaceOrderTopicConfig, "T")
	assert.False(t, ok)
	out, ok := kv.AppendNamespaceJSON([]byte("x"), NamespaceOrderTopicConfig)
	assert.False(t, ok)
	assert.Equal(t, "x", string(out))

	require.NoError(t, kv.Put(NamespaceOrderTopicConfig, "T", "broker-a:4"))
	require.NoError(t, kv.Put(NamespaceOrderTopicConfig, "A", "broker-b:2"))
	require.NoError(t, kv.Put(NamespaceOrderTopicConfig, "T", "broker-a:8"))
	require.NoError(t, kv.Put("other", "k", `v"q`))
	v, ok := kv.Get(NamespaceOrderTopicConfig, "T")
	assert.True(t, ok)
	assert.Equal(t, "broker-a:8", v)
	out, ok = kv.AppendNamespaceJSON(nil, NamespaceOrderTopicConfig)
	assert.True(t, ok)
	assert.Equal(t, `{"table":{"A":"broker-b:2","T":"broker-a:8"}}`, string(out))
	out, _ = kv.AppendNamespaceJSON(nil, "other")
	assert.Equal(t, `{"table":{"k":"v\"q"}}`, string(out))

	kv.Delete(NamespaceOrderTopicConfig, "T")
	kv.Delete(NamespaceOrderTopicConfig, "missing")
	kv.Delete("missing", "T")
	_, ok = kv.Get(NamespaceOrderTopicConfig, "T")
	assert.False(t, ok)
	kv.Delete(NamespaceOrderTopicConfig, "A")
	_, ok = kv.AppendNamespaceJSON(nil, NamespaceOrderTopicConfig)
	assert.False(t, ok, "the namespace goes with its last key")
	assert.Equal(t, 1, kv.entries)
}

func TestKVConfigBound(t *testing.T) {
	kv := NewKVConfig()
	for i := range MaxKVEntries {
		require.NoError(t, kv.Put(fmt.Sprint(i%7), fmt.Sprint(i), "v"))
	}
	require.ErrorIs(t, kv.Put("new", "k", "v"), ErrKVFull)
	require.NoError(t, kv.Put("0", "0", "overwrite is fine"), "overwriting adds no entry")
	kv.Delete("0", "0")
	require.NoError(t, kv.Put("new", "k", "v"), "room again")
}
