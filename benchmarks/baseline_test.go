package benchmarks

import (
	"hash/crc32"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/apogeemq/apogee/env"
)

const (
	bodySizeBytes    = 1024
	baselineMapBytes = 64 << 20 // the copy target wraps inside one mapping

	baselineMeasureTime = 500 * time.Millisecond
)

var (
	baselineOnce sync.Once
	baselineNs   float64
	crcSink      uint32
)

// baselineMapping is a mapped file whose pages have all been touched once,
// so the baseline, like a warm CommitLog segment, pays for no first faults.
type baselineMapping struct {
	dst []byte
	pos int
}

func newBaselineMapping(tb testing.TB, dir string) *baselineMapping {
	e := env.Real()
	f, err := e.FS.Create(filepath.Join(dir, "baseline"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	if err := f.Truncate(baselineMapBytes); err != nil {
		tb.Fatal(err)
	}
	m, err := f.Map(baselineMapBytes)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Unmap() })
	dst := m.Bytes()
	for i := 0; i < len(dst); i += 4096 {
		dst[i] = 0
	}
	return &baselineMapping{dst: dst}
}

// put is the floor of a put: the body's CRC and a copy into the mapping.
func (m *baselineMapping) put(body []byte) {
	crcSink ^= crc32.ChecksumIEEE(body) & 0x7FFFFFFF
	if m.pos+len(body) > len(m.dst) {
		m.pos = 0
	}
	copy(m.dst[m.pos:], body)
	m.pos += len(body)
}

// baselineNsPerMsg measures the baseline once per process, for at least
// baselineMeasureTime, before the benchmark that asks for it starts timing.
func baselineNsPerMsg(b *testing.B) float64 {
	baselineOnce.Do(func() {
		m := newBaselineMapping(b, b.TempDir())
		body := makeBody(bodySizeBytes)
		const batch = 10000
		n := 0
		start := time.Now()
		for time.Since(start) < baselineMeasureTime {
			for range batch {
				m.put(body)
			}
			n += batch
		}
		baselineNs = float64(time.Since(start).Nanoseconds()) / float64(n)
	})
	return baselineNs
}

// report adds msgs/s and the ratio to the baseline for n messages.
func report(b *testing.B, msgs int) {
	if msgs == 0 {
		return
	}
	ns := float64(b.Elapsed().Nanoseconds()) / float64(msgs)
	b.ReportMetric(1e9/ns, "msgs/s")
	b.ReportMetric(ns/baselineNsPerMsg(b), "x-baseline")
}

func makeBody(n int) []byte {
	body := make([]byte, n)
	for i := range body {
		body[i] = byte('a' + i%26)
	}
	return body
}

// BenchmarkBaseline is the floor every other figure is read against.
func BenchmarkBaseline(b *testing.B) {
	baselineNsPerMsg(b)
	m := newBaselineMapping(b, b.TempDir())
	body := makeBody(bodySizeBytes)
	b.SetBytes(bodySizeBytes)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.put(body)
	}
	b.StopTimer()
	report(b, b.N)
}
