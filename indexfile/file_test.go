package indexfile

import (
	"io/fs"
	"testing"

	"github.com/stretchr/testify/require"
)

const t0 = int64(1_700_000_000_000) // a store timestamp, ms

// TestGoldenImage checks the whole byte image of a 4-slot, 4-entry file after
// three puts against bytes written out by hand from the spec.
func TestGoldenImage(t *testing.T) {
	_, _, fsys := memEnv(t)
	g := Geometry{HashSlots: 4, MaxEntries: 4}
	f := createFile(t, fsys, "/store/index/20240305102030123", g)

	fresh := unhex(t, `
		0000000000000000 0000000000000000 0000000000000000 0000000000000000 00000000 00000001
		00000000 00000000 00000000 00000000`+zeroEntries(4))
	require.Equal(t, fresh, readAll(t, fsys, f.Name()))

	// "TopicTest#KEY1" hashes to 0x62c3592c (slot 0), "TopicTest#KEY2" to
	// 0x62c3592b (slot 3).
	require.NoError(t, f.Put("TopicTest#KEY1", 100, t0))
	require.NoError(t, f.Put("TopicTest#KEY2", 300, t0+2500))
	require.NoError(t, f.Put("TopicTest#KEY1", 500, t0+5000))

	want := unhex(t, `
		0000018bcfe56800 | begin timestamp 1700000000000
		0000018bcfe57b88 | end timestamp   1700000005000
		0000000000000064 | begin phy offset 100
		00000000000001f4 | end phy offset   500
		00000002         | hashSlotCount 2 (slots 0 and 3)
		00000004         | indexCount 4 (entries 1..3 written)

		00000003 | slot 0 -> entry 3
		00000000 | slot 1 empty
		00000000 | slot 2 empty
		00000002 | slot 3 -> entry 2

		00000000 0000000000000000 00000000 00000000 | entry 0, never used
		62c3592c 0000000000000064 00000000 00000000 | entry 1: KEY1 @100, diff 0 (no begin yet), end of chain
		62c3592b 000000000000012c 00000002 00000000 | entry 2: KEY2 @300, diff 2 s, end of chain
		62c3592c 00000000000001f4 00000005 00000001 | entry 3: KEY1 @500, diff 5 s, prev 1
	`)
	require.Len(t, want, int(g.FileSizeBytes()))
	require.Equal(t, want, readAll(t, fsys, f.Name()))

	require.True(t, f.Full())
	require.ErrorIs(t, f.Put("TopicTest#KEY3", 700, t0+6000), ErrFull)
	require.Equal(t, want, readAll(t, fsys, f.Name()), "a refused put changes nothing")

	require.Equal(t, []int64{500, 100}, query(t, f, "TopicTest#KEY1", 10, 0, t0+10_000))
	require.Equal(t, []int64{300}, query(t, f, "TopicTest#KEY2", 10, 0, t0+10_000))
}

func zeroEntries(n int) string {
	s := ""
	for range n {
		s += " 00000000 0000000000000000 00000000 00000000"
	}
	return s
}

func TestPresetHeader(t *testing.T) {
	_, _, fsys := memEnv(t)
	g := Geometry{HashSlots: 4, MaxEntries: 4}
	f, err := CreateFile(fsys, "/store/index/a", g, 4096, t0)
	require.NoError(t, err)
	defer func() { require.NoError(t, f.Close()) }()
	require.Equal(t, Header{BeginTimestampMs: t0, EndTimestampMs: t0, BeginPhyOffset: 4096, EndPhyOffset: 4096, IndexCount: 1}, f.Header())

	// The first entry's timeDiff is computed against the preset begin (the
	// previous file's end), then the begin fields are replaced.
	require.NoError(t, f.Put("TopicTest#KEY1", 5000, t0+3000))
	require.Equal(t, Header{BeginTimestampMs: t0 + 3000, EndTimestampMs: t0 + 3000, BeginPhyOffset: 5000,
		EndPhyOffset: 5000, HashSlotCount: 1, IndexCount: 2}, f.Header())
	img := readAll(t, fsys, f.Name())
	entry1 := img[g.entryPos(1):][:EntrySizeBytes]
	require.Equal(t, unhex(t, "62c3592c 0000000000001388 00000003 00000000"), entry1)

	// Only positive presets are applied.
	f2, err := CreateFile(fsys, "/store/index/b", g, 0, -7)
	require.NoError(t, err)
	defer func() { require.NoError(t, f2.Close()) }()
	require.Equal(t, Header{IndexCount: 1}, f2.Header())
}

func TestCreateLeavesNoTempFile(t *testing.T) {
	_, _, fsys := memEnv(t)
	createFile(t, fsys, "/store/index/20240305102030123", smallGeo)
	names, err := fsys.List("/store/index")
	require.NoError(t, err)
	require.Equal(t, []string{"20240305102030123"}, names)
}

func TestChainNewestFirst(t *testing.T) {
	_, _, fsys := memEnv(t)
	f := createFile(t, fsys, "/store/index/f", smallGeo)
	for i := range 10 {
		require.NoError(t, f.Put("T#k", int64(i*100), t0+int64(i)*1000))
		require.NoError(t, f.Put("T#other", int64(i*100+1), t0+int64(i)*1000))
	}
	require.Equal(t, []int64{900, 800, 700, 600, 500, 400, 300, 200, 100, 0},
		query(t, f, "T#k", 64, 0, t0+100_000))
	require.Empty(t, query(t, f, "T#missing", 64, 0, t0+100_000))
}

func TestTimeRangeFilter(t *testing.T) {
	_, _, fsys := memEnv(t)
	f := createFile(t, fsys, "/store/index/f", smallGeo)
	// Entry i at t0 + i s; entry 0 sets beginTimestamp = t0.
	for i := range 10 {
		require.NoError(t, f.Put("T#k", int64(i), t0+int64(i)*1000))
	}
	tests := []struct {
		name         string
		beginMs, end int64
		want         []int64
	}{
		{"all", t0, t0 + 9000, []int64{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
		{"inclusive bounds", t0 + 3000, t0 + 5000, []int64{5, 4, 3}},
		{"sub-second begin stops the walk", t0 + 3500, t0 + 5999, []int64{5, 4}},
		{"newest only", t0 + 9000, t0 + 9000, []int64{9}},
		{"before everything", t0 - 5000, t0 - 1, nil},
		{"after everything", t0 + 10_000, t0 + 20_000, nil},
		{"empty range", t0 + 5000, t0 + 4000, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := query(t, f, "T#k", 64, tt.beginMs, tt.end)
			if tt.want == nil {
				require.Empty(t, got)
				return
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestMaxNum(t *testing.T) {
	_, _, fsys := memEnv(t)
	f := createFile(t, fsys, "/store/index/f", smallGeo)
	for i := range 20 {
		require.NoError(t, f.Put("T#k", int64(i), t0))
	}
	require.Equal(t, []int64{19, 18, 17}, query(t, f, "T#k", 3, 0, t0))
	require.Empty(t, query(t, f, "T#k", 0, 0, t0))
	require.Empty(t, query(t, f, "T#k", -1, 0, t0))

	// maxNum bounds the whole slice, including what dst held.
	got, err := f.Query([]int64{-1, -2}, "T#k", 3, 0, t0)
	require.NoError(t, err)
	require.Equal(t, []int64{-1, -2, 19}, got)
}

func TestSlotCollisions(t *testing.T) {
	_, _, fsys := memEnv(t)
	g := Geometry{HashSlots: 4, MaxEntries: 16}
	f := createFile(t, fsys, "/store/index/f", g)
	// "T#a" (81906) and "T#e" (81910) share slot 2 of 4 with different
	// hashes; "T#c" (81908) is alone in slot 0.
	require.Equal(t, KeyHash("T", "a")%4, KeyHash("T", "e")%4)
	require.NotEqual(t, KeyHash("T", "a"), KeyHash("T", "e"))
	require.NoError(t, f.Put("T#a", 10, t0))
	require.NoError(t, f.Put("T#e", 20, t0))
	require.NoError(t, f.Put("T#a", 30, t0))
	require.NoError(t, f.Put("T#c", 40, t0))
	require.NoError(t, f.Put("T#e", 50, t0))

	require.Equal(t, []int64{30, 10}, query(t, f, "T#a", 64, 0, t0))
	require.Equal(t, []int64{50, 20}, query(t, f, "T#e", 64, 0, t0))
	require.Equal(t, []int64{40}, query(t, f, "T#c", 64, 0, t0))
	require.EqualValues(t, 2, f.Header().HashSlotCount, "slots 2 and 0 in use")
	require.EqualValues(t, 6, f.Header().IndexCount)
}

func TestSameHashDifferentKeys(t *testing.T) {
	_, _, fsys := memEnv(t)
	f := createFile(t, fsys, "/store/index/f", smallGeo)
	// "Aa" and "BB" have the same Java hash: the index cannot tell them
	// apart, so both offsets come back and the caller re-checks.
	require.Equal(t, HashOf("T#Aa"), HashOf("T#BB"))
	require.NoError(t, f.Put("T#Aa", 1, t0))
	require.NoError(t, f.Put("T#BB", 2, t0))
	require.Equal(t, []int64{2, 1}, query(t, f, "T#Aa", 64, 0, t0))
}

func TestReopen(t *testing.T) {
	_, _, fsys := memEnv(t)
	name := "/store/index/f"
	f, err := CreateFile(fsys, name, smallGeo, 0, 0)
	require.NoError(t, err)
	for i := range 30 {
		require.NoError(t, f.Put("T#k", int64(i), t0+int64(i)*1000))
	}
	hdr := f.Header()
	require.True(t, f.Dirty())
	require.NoError(t, f.Flush())
	require.False(t, f.Dirty())
	require.NoError(t, f.Close())
	require.NoError(t, f.Close(), "second close is a no-op")

	f, err = OpenFile(fsys, name, smallGeo)
	require.NoError(t, err)
	require.Equal(t, hdr, f.Header())
	require.False(t, f.Dirty())
	require.Equal(t, []int64{29, 28, 27}, query(t, f, "T#k", 3, 0, t0+100_000))
	require.NoError(t, f.Put("T#k", 30, t0+30_000))
	require.Equal(t, []int64{30, 29}, query(t, f, "T#k", 2, 0, t0+100_000))
	require.NoError(t, f.Close())
}

func TestOpenJavaUnwrittenFile(t *testing.T) {
	// RocketMQ leaves indexCount 0 on disk until the first put or flush.
	_, _, fsys := memEnv(t)
	writeImage(t, fsys, "/store/index/f", make([]byte, smallGeo.FileSizeBytes()))
	f, err := OpenFile(fsys, "/store/index/f", smallGeo)
	require.NoError(t, err)
	defer func() { require.NoError(t, f.Close()) }()
	require.EqualValues(t, 1, f.Header().IndexCount)
	require.Empty(t, query(t, f, "T#k", 64, 0, t0))
	require.NoError(t, f.Put("T#k", 7, t0))
	require.Equal(t, []int64{7}, query(t, f, "T#k", 64, 0, t0))
	require.EqualValues(t, 2, f.Header().IndexCount)
}

func TestClosedFile(t *testing.T) {
	_, _, fsys := memEnv(t)
	f := createFile(t, fsys, "/store/index/f", smallGeo)
	require.NoError(t, f.Close())
	require.ErrorIs(t, f.Put("T#k", 1, t0), ErrClosed)
	_, err := f.Query(nil, "T#k", 1, 0, t0)
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, f.Flush(), ErrClosed)
}

func TestDestroy(t *testing.T) {
	_, _, fsys := memEnv(t)
	f := createFile(t, fsys, "/store/index/f", smallGeo)
	require.NoError(t, f.Destroy())
	_, err := fsys.Stat("/store/index/f")
	require.ErrorIs(t, err, fs.ErrNotExist)
}

func TestPutRejectsNegativeOffset(t *testing.T) {
	_, _, fsys := memEnv(t)
	f := createFile(t, fsys, "/store/index/f", smallGeo)
	require.Error(t, f.Put("T#k", -1, t0))
	require.EqualValues(t, 1, f.Header().IndexCount)
}

func TestOpenMissing(t *testing.T) {
	_, _, fsys := memEnv(t)
	_, err := OpenFile(fsys, "/store/index/none", smallGeo)
	require.ErrorIs(t, err, fs.ErrNotExist)
	_, err = OpenFile(fsys, "/store/index/none", Geometry{})
	require.Error(t, err)
}
