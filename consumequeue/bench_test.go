package consumequeue

import (
	"testing"

	"github.com/apogeemq/apogee/env"
)

// BenchmarkAppend measures dispatching one unit into default-sized files on
// the real file system, against a floor that encodes the same units into a
// plain slice.
func BenchmarkAppend(b *testing.B) {
	b.Run("queue", func(b *testing.B) {
		q, err := Open(env.Real(), b.TempDir(), testTopic, 0, Config{})
		if err != nil {
			b.Fatal(err)
		}
		defer q.Close()
		b.ReportAllocs()
		b.ResetTimer()
		for i := int64(0); i < int64(b.N); i++ {
			if err := q.Append(i, physOf(i), recSize, tagOf(i)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "units/s")
	})
	b.Run("encode-floor", func(b *testing.B) {
		buf := make([]byte, DefaultFileSizeBytes)
		b.ReportAllocs()
		b.ResetTimer()
		for i := int64(0); i < int64(b.N); i++ {
			pos := i * UnitSize % DefaultFileSizeBytes
			EncodeUnit(buf[pos:], unitOf(i))
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "units/s")
	})
}

// BenchmarkUnits measures the pull path: batches of 32 units read from a
// full file, against a floor that decodes the same bytes from a plain slice.
func BenchmarkUnits(b *testing.B) {
	const (
		filled = DefaultFileSizeBytes / UnitSize
		batch  = 32
	)
	b.Run("queue", func(b *testing.B) {
		q, err := Open(env.Real(), b.TempDir(), testTopic, 0, Config{})
		if err != nil {
			b.Fatal(err)
		}
		defer q.Close()
		appendRange(b, q, 0, filled)
		dst := make([]Unit, batch)
		b.ReportAllocs()
		b.ResetTimer()
		var from int64
		for i := 0; i < b.N; i++ {
			if q.Units(from, dst) != batch {
				b.Fatal("short batch")
			}
			from = (from + batch) % (filled - batch)
		}
		b.ReportMetric(float64(b.N)*batch/b.Elapsed().Seconds(), "units/s")
	})
	b.Run("decode-floor", func(b *testing.B) {
		buf := make([]byte, DefaultFileSizeBytes)
		for i := int64(0); i < filled; i++ {
			EncodeUnit(buf[i*UnitSize:], unitOf(i))
		}
		dst := make([]Unit, batch)
		b.ReportAllocs()
		b.ResetTimer()
		var from int64
		for i := 0; i < b.N; i++ {
			for k := range dst {
				dst[k] = decodeUnit(buf[(from+int64(k))*UnitSize:])
			}
			from = (from + batch) % (filled - batch)
		}
		b.ReportMetric(float64(b.N)*batch/b.Elapsed().Seconds(), "units/s")
	})
}
