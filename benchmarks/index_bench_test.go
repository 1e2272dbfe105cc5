package benchmarks

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/indexfile"
)

// indexKeys is how many distinct keys the index benchmarks cycle through.
const indexKeys = 1 << 20

func benchKeys() []string {
	keys := make([]string, indexKeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("ORDER-%08d", i)
	}
	return keys
}

func openIndex(b *testing.B) *indexfile.Set {
	s, err := indexfile.Open(env.Real(), filepath.Join(b.TempDir(), "index"), indexfile.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkIndexPut adds one key per message to a RocketMQ-sized IndexFile
// (5,000,000 slots, 20,000,000 entries): the key hash, the slot and the
// entry writes into the mapping.
func BenchmarkIndexPut(b *testing.B) {
	baselineNsPerMsg(b)
	keys := benchKeys()
	s := openIndex(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Put("BenchTopic", keys[i%indexKeys], int64(i)*1024, 1_700_000_000_000+int64(i/1000)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	report(b, b.N)
}

// BenchmarkIndexQuery looks up keys that each name one message among a
// million, as a query by message key does.
func BenchmarkIndexQuery(b *testing.B) {
	baselineNsPerMsg(b)
	keys := benchKeys()
	s := openIndex(b)
	for i, k := range keys {
		if err := s.Put("BenchTopic", k, int64(i)*1024, 1_700_000_000_000+int64(i/1000)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		offsets, err := s.Query("BenchTopic", keys[(i*7919)%indexKeys], 64, 0, 1_800_000_000_000)
		if err != nil || len(offsets) == 0 {
			b.Fatalf("query: %v, %d results", err, len(offsets))
		}
	}
	b.StopTimer()
	report(b, b.N)
}
