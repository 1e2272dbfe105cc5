package indexfile

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

// fuzzKeys are looked up and written in every fuzz run: they cover every
// slot of tinyGeo and the Integer.MIN_VALUE hash.
var fuzzKeys = []string{"T#a", "T#b", "T#c", "T#e", "TopicTest#KEY1", "polygenelubricants"}

// FuzzOpenQueryPut feeds arbitrary bytes as the image of a tinyGeo index file
// (4 slots, 8 entries, 216 bytes) to OpenFile, Query and Put, directly and
// through a Set. Nothing may panic, a rejected file must match ErrCorrupt,
// and a query never returns more than indexCount offsets.
func FuzzOpenQueryPut(f *testing.F) {
	f.Add(make([]byte, tinyGeo.FileSizeBytes()))
	f.Add([]byte("short"))
	f.Fuzz(func(t *testing.T, data []byte) {
		clock := env.NewManualClock(testStart)
		fsys := env.NewMemFS(clock)
		require.NoError(t, fsys.MkdirAll(indexDir))
		e := env.Env{Clock: clock, FS: fsys}

		// As given: anything but the exact length is corrupt.
		raw := filepath.Join(indexDir, "raw")
		writeImage(t, fsys, raw, data)
		if fl, err := OpenFile(fsys, raw, tinyGeo); err == nil {
			require.EqualValues(t, tinyGeo.FileSizeBytes(), len(data))
			require.NoError(t, fl.Close())
		} else {
			require.ErrorIs(t, err, ErrCorrupt)
		}
		require.NoError(t, fsys.Remove(raw))

		// Cut or zero-padded to the exact length, so the header and the
		// slots and entries are what gets exercised.
		img := make([]byte, tinyGeo.FileSizeBytes())
		copy(img, data)
		name := filepath.Join(indexDir, "20240305102030000")
		writeImage(t, fsys, name, img)
		fl, err := OpenFile(fsys, name, tinyGeo)
		if err != nil {
			require.ErrorIs(t, err, ErrCorrupt)
			return
		}
		exerciseFile(t, fl)
		require.NoError(t, fl.Close())

		writeImage(t, fsys, name, img)
		s, err := Open(e, indexDir, Config{Geometry: tinyGeo})
		require.NoError(t, err)
		for i, k := range fuzzKeys {
			_, err := s.Query("T", k, 64, math.MinInt64, math.MaxInt64)
			require.NoError(t, err)
			phy := min(s.MaxPhyOffset(), math.MaxInt64-int64(len(fuzzKeys))) + int64(i)
			require.NoError(t, s.PutRecord("T", k+" x", "u", phy, t0))
		}
		clock.RunDue()
		require.NoError(t, s.Close())
	})
}

// exerciseFile queries and writes every fuzz key until the file is full.
func exerciseFile(t *testing.T, fl *File) {
	t.Helper()
	for round := range 2 {
		count := int(fl.Header().IndexCount)
		for _, k := range fuzzKeys {
			for _, r := range [][2]int64{{math.MinInt64, math.MaxInt64}, {0, t0}, {t0, t0 + 1000}} {
				got, err := fl.Query(nil, k, 64, r[0], r[1])
				require.NoError(t, err)
				require.LessOrEqual(t, len(got), count, "round %d key %s", round, k)
			}
		}
		for i, k := range fuzzKeys {
			err := fl.Put(k, int64(i), t0+int64(i))
			if err != nil {
				require.ErrorIs(t, err, ErrFull)
			}
		}
	}
}

// readSeed decodes a committed corpus file of FuzzOpenQueryPut.
func readSeed(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzOpenQueryPut", name))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	require.Len(t, lines, 2)
	require.Equal(t, "go test fuzz v1", lines[0])
	lit, ok := strings.CutPrefix(lines[1], "[]byte(")
	require.True(t, ok)
	lit, ok = strings.CutSuffix(lit, ")")
	require.True(t, ok)
	b, err := strconv.Unquote(lit)
	require.NoError(t, err)
	return []byte(b)
}

// TestSeedImagesMatchWriter checks that the seed images, built outside Go
// from the spec's write rules, equal what File.Put writes.
func TestSeedImagesMatchWriter(t *testing.T) {
	tests := []struct {
		seed                string
		presetPhy, presetMs int64
		keys                []string
		phy                 func(i int) int64
		ms                  func(i int) int64
	}{
		{"chain", 0, 0, []string{"T#a", "T#b", "T#a", "T#c", "T#a"},
			func(i int) int64 { return int64(100 * (i + 1)) },
			func(i int) int64 { return t0 + int64(i)*1000 }},
		{"full_preset", 4096, t0, []string{"T#a", "T#e", "T#a", "TopicTest#KEY1", "polygenelubricants", "T#a", "T#b"},
			func(i int) int64 { return int64(5000 + i) },
			func(i int) int64 { return t0 + 3000 + int64(i)*1500 }},
	}
	for _, tt := range tests {
		t.Run(tt.seed, func(t *testing.T) {
			_, _, fsys := memEnv(t)
			f, err := CreateFile(fsys, "/store/index/f", tinyGeo, tt.presetPhy, tt.presetMs)
			require.NoError(t, err)
			defer func() { require.NoError(t, f.Close()) }()
			for i, k := range tt.keys {
				require.NoError(t, f.Put(k, tt.phy(i), tt.ms(i)))
			}
			require.Equal(t, readSeed(t, tt.seed), readAll(t, fsys, f.Name()))
		})
	}
	require.Len(t, readSeed(t, "unwritten_java"), int(tinyGeo.FileSizeBytes()))
}
