package indexfile

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

// tinyGeo has 4 slots and 8 entries: small enough to corrupt by hand.
var tinyGeo = Geometry{HashSlots: 4, MaxEntries: 8}

// imageWith returns the bytes of a tinyGeo file after putting keys, each at
// phy offset 100*(i+1) and time t0 + i s.
func imageWith(t *testing.T, fsys env.FS, keys ...string) []byte {
	t.Helper()
	f, err := CreateFile(fsys, "/store/index/src", tinyGeo, 0, 0)
	require.NoError(t, err)
	for i, k := range keys {
		require.NoError(t, f.Put(k, int64(100*(i+1)), t0+int64(i)*1000))
	}
	img := readAll(t, fsys, f.Name())
	require.NoError(t, f.Destroy())
	return img
}

// openImage writes img to a file and opens it with tinyGeo.
func openImage(t *testing.T, fsys env.FS, img []byte) (*File, error) {
	t.Helper()
	writeImage(t, fsys, "/store/index/img", img)
	f, err := OpenFile(fsys, "/store/index/img", tinyGeo)
	if err == nil {
		t.Cleanup(func() { _ = f.Close() })
	}
	return f, err
}

func putInt32(img []byte, pos int, v int32) { binary.BigEndian.PutUint32(img[pos:], uint32(v)) }

func TestOpenRejectsBadFiles(t *testing.T) {
	_, _, fsys := memEnv(t)
	good := imageWith(t, fsys, "T#a", "T#b")
	size := int(tinyGeo.FileSizeBytes())
	tests := []struct {
		name string
		img  func() []byte
	}{
		{"empty file", func() []byte { return nil }},
		{"header only", func() []byte { return good[:HeaderSizeBytes] }},
		{"one byte short", func() []byte { return good[:size-1] }},
		{"one byte long", func() []byte { return append(append([]byte{}, good...), 0) }},
		{"other geometry", func() []byte { return make([]byte, smallGeo.FileSizeBytes()) }},
		{"indexCount past entries", func() []byte {
			img := append([]byte{}, good...)
			putInt32(img, hdrIndexCountOff, int32(tinyGeo.MaxEntries+1))
			return img
		}},
		{"negative indexCount", func() []byte {
			img := append([]byte{}, good...)
			putInt32(img, hdrIndexCountOff, -3)
			return img
		}},
		{"hashSlotCount past the entries", func() []byte {
			img := append([]byte{}, good...)
			putInt32(img, hdrHashSlotCountOff, int32(tinyGeo.MaxEntries+1))
			return img
		}},
		{"garbage header", func() []byte {
			img := append([]byte{}, good...)
			for i := range HeaderSizeBytes {
				img[i] = 0xA5
			}
			return img
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := openImage(t, fsys, tt.img())
			require.ErrorIs(t, err, ErrCorrupt)
			require.Contains(t, err.Error(), "/store/index/img")
		})
	}
}

func TestSlotPastIndexCount(t *testing.T) {
	_, _, fsys := memEnv(t)
	img := imageWith(t, fsys, "T#a", "T#b") // entries 1, 2; indexCount 3
	slotA := tinyGeo.slotPos(int(HashOf("T#a")) % tinyGeo.HashSlots)
	putInt32(img, slotA, 200)
	f, err := openImage(t, fsys, img)
	require.NoError(t, err)
	require.Empty(t, query(t, f, "T#a", 64, 0, math.MaxInt64))
	require.Equal(t, []int64{200}, query(t, f, "T#b", 64, 0, math.MaxInt64))

	// Writing treats the bad slot as empty: the new entry ends its chain.
	require.NoError(t, f.Put("T#a", 300, t0+5000))
	require.Equal(t, []int64{300}, query(t, f, "T#a", 64, 0, math.MaxInt64))
	require.EqualValues(t, 3, f.Header().HashSlotCount)
}

func TestSlotAtIndexCount(t *testing.T) {
	_, _, fsys := memEnv(t)
	img := imageWith(t, fsys, "T#a") // indexCount 2
	slotA := tinyGeo.slotPos(int(HashOf("T#a")) % tinyGeo.HashSlots)
	putInt32(img, slotA, 2) // names the unwritten next entry
	f, err := openImage(t, fsys, img)
	require.NoError(t, err)
	require.Empty(t, query(t, f, "T#a", 64, 0, math.MaxInt64))

	// The spec's write rule keeps a slot value <= indexCount, so entry 2
	// records itself as its predecessor; the walk stops there.
	require.NoError(t, f.Put("T#a", 300, t0+5000))
	require.Equal(t, []int64{300}, query(t, f, "T#a", 64, 0, math.MaxInt64))
}

func TestPrevIndexCycleIsBounded(t *testing.T) {
	_, _, fsys := memEnv(t)
	img := imageWith(t, fsys, "T#a", "T#a", "T#a") // chain 3 -> 2 -> 1
	putInt32(img, tinyGeo.entryPos(1)+entPrevIndexOff, 3)
	f, err := openImage(t, fsys, img)
	require.NoError(t, err)
	got := query(t, f, "T#a", 64, 0, math.MaxInt64)
	require.Len(t, got, int(f.Header().IndexCount), "one result per step, at most indexCount steps")
	require.Equal(t, []int64{300, 200, 100, 300}, got)
}

func TestBadPrevIndexStopsTheWalk(t *testing.T) {
	for _, prev := range []int32{-1, math.MinInt32, 4, 8, 9, math.MaxInt32} {
		_, _, fsys := memEnv(t)
		img := imageWith(t, fsys, "T#a", "T#a", "T#a") // indexCount 4
		putInt32(img, tinyGeo.entryPos(2)+entPrevIndexOff, prev)
		f, err := openImage(t, fsys, img)
		require.NoError(t, err)
		require.Equal(t, []int64{300, 200}, query(t, f, "T#a", 64, 0, math.MaxInt64), "prevIndex %d", prev)
	}
}

func TestSelfPrevIndexStops(t *testing.T) {
	_, _, fsys := memEnv(t)
	img := imageWith(t, fsys, "T#a", "T#a")
	putInt32(img, tinyGeo.entryPos(2)+entPrevIndexOff, 2)
	f, err := openImage(t, fsys, img)
	require.NoError(t, err)
	require.Equal(t, []int64{200}, query(t, f, "T#a", 64, 0, math.MaxInt64))
}

func TestNegativeTimeDiffStops(t *testing.T) {
	_, _, fsys := memEnv(t)
	img := imageWith(t, fsys, "T#a", "T#a", "T#a")
	putInt32(img, tinyGeo.entryPos(2)+entTimeDiffOff, -1)
	f, err := openImage(t, fsys, img)
	require.NoError(t, err)
	require.Equal(t, []int64{300}, query(t, f, "T#a", 64, 0, math.MaxInt64))
}

func TestFullFileWithPrevIndexAtTheEnd(t *testing.T) {
	// indexCount == MaxEntries: a prevIndex equal to it would address the
	// entry just past the mapping.
	_, _, fsys := memEnv(t)
	keys := make([]string, tinyGeo.MaxEntries-1)
	for i := range keys {
		keys[i] = "T#a"
	}
	img := imageWith(t, fsys, keys...)
	putInt32(img, tinyGeo.entryPos(7)+entPrevIndexOff, int32(tinyGeo.MaxEntries))
	f, err := openImage(t, fsys, img)
	require.NoError(t, err)
	require.True(t, f.Full())
	require.Equal(t, []int64{700}, query(t, f, "T#a", 64, 0, math.MaxInt64))
}

func TestRandomGarbageNeverPanics(t *testing.T) {
	_, _, fsys := memEnv(t)
	rng := env.NewSeededRand(1)
	keys := []string{"T#a", "T#b", "T#c", "T#e", "TopicTest#KEY1", "polygenelubricants"}
	for round := range 200 {
		img := make([]byte, tinyGeo.FileSizeBytes())
		for i := HeaderSizeBytes; i < len(img); i++ {
			img[i] = byte(rng.Intn(256))
		}
		// Small slot and prevIndex values so that chains are long and loop.
		for n := range tinyGeo.MaxEntries {
			putInt32(img, tinyGeo.entryPos(int32(n))+entPrevIndexOff, int32(rng.Intn(12)-2))
			putInt32(img, tinyGeo.entryPos(int32(n))+entKeyHashOff, HashOf(keys[rng.Intn(len(keys))]))
			putInt32(img, tinyGeo.entryPos(int32(n))+entTimeDiffOff, int32(rng.Intn(100)-1))
		}
		for s := range tinyGeo.HashSlots {
			putInt32(img, tinyGeo.slotPos(s), int32(rng.Intn(12)-2))
		}
		count := int32(rng.Intn(tinyGeo.MaxEntries) + 1)
		EncodeHeader(img, Header{BeginTimestampMs: t0, EndTimestampMs: t0 + 100_000, IndexCount: count})
		f, err := openImage(t, fsys, img)
		require.NoError(t, err, "round %d", round)
		for _, k := range keys {
			got := query(t, f, k, 64, 0, math.MaxInt64)
			require.LessOrEqual(t, len(got), int(count), "round %d key %s", round, k)
		}
		for _, k := range keys {
			err := f.Put(k, 1, t0)
			if err != nil {
				require.ErrorIs(t, err, ErrFull)
			}
		}
		require.NoError(t, f.Close())
	}
}
