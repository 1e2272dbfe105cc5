package indexfile

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

// benchKeys is the key pool the benchmarks cycle through.
const benchKeys = 1 << 12

func benchKeyPool() []string {
	keys := make([]string, benchKeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("ORDER-%08d", i*7919)
	}
	return keys
}

// BenchmarkIndexPut measures the dispatcher's path, Set.Put, on the real FS
// with RocketMQ's default geometry (a sparse 420 MB file). The floor does the
// same hashing and entry encoding into a heap buffer of the same shape, so
// the difference is the mapping (page faults), the locks and the header.
func BenchmarkIndexPut(b *testing.B) {
	keys := benchKeyPool()
	g := DefaultGeometry()

	b.Run("floor", func(b *testing.B) {
		slots := make([]byte, g.HashSlots*SlotSizeBytes)
		entries := make([]byte, 1<<20*EntrySizeBytes) // reused ring of entries
		b.ReportAllocs()
		n := int32(0)
		for b.Loop() {
			h := KeyHash("TopicTest", keys[n%benchKeys])
			slot := int(h) % g.HashSlots * SlotSizeBytes
			prev := int32(binary.BigEndian.Uint32(slots[slot:]))
			pos := int(n) % (len(entries) / EntrySizeBytes) * EntrySizeBytes
			EncodeEntry(entries[pos:], Entry{KeyHash: h, PhyOffset: int64(n) * 200, TimeDiffSec: 1, PrevIndex: prev})
			binary.BigEndian.PutUint32(slots[slot:], uint32(n))
			n++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "keys/s")
	})

	b.Run("set", func(b *testing.B) {
		s, err := Open(env.Real(), b.TempDir(), Config{Geometry: g})
		require.NoError(b, err)
		defer func() { require.NoError(b, s.Close()) }()
		b.ReportAllocs()
		i := int64(0)
		for b.Loop() {
			if err := s.Put("TopicTest", keys[i%benchKeys], i*200, t0+i/1000); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "keys/s")
	})
}

// BenchmarkIndexQuery measures Set.Query on the real FS with the default
// geometry: 100 entries for each of 4096 keys, a query collects 64 of them.
// The floor walks the same chains in the same mapping without the set's
// locks, overlap check and result allocation.
func BenchmarkIndexQuery(b *testing.B) {
	const perKey = 100
	keys := benchKeyPool()
	s, err := Open(env.Real(), b.TempDir(), Config{Geometry: DefaultGeometry()})
	require.NoError(b, err)
	defer func() { require.NoError(b, s.Close()) }()
	for i := range int64(benchKeys * perKey) {
		require.NoError(b, s.Put("TopicTest", keys[i%benchKeys], i*200, t0+i))
	}

	b.Run("floor", func(b *testing.B) {
		s.mu.RLock()
		f := s.files[0]
		s.mu.RUnlock()
		f.mu.RLock()
		bare := &File{geo: f.geo, hdr: f.hdr, buf: f.buf} // no lock, same mapping
		f.mu.RUnlock()
		dst := make([]int64, 0, DefaultMaxQueryResults)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			dst = bare.selectLocked(dst[:0], KeyHash("TopicTest", keys[i%benchKeys]), DefaultMaxQueryResults, 0, t0+benchKeys*perKey)
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "keys/s")
	})

	b.Run("set", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			got, err := s.Query("TopicTest", keys[i%benchKeys], DefaultMaxQueryResults, 0, t0+benchKeys*perKey)
			if err != nil || len(got) != DefaultMaxQueryResults {
				b.Fatalf("query: %d results, %v", len(got), err)
			}
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "keys/s")
	})
}
