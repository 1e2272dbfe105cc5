package env

import (
	"bytes"
	"io/fs"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// snapshot returns copies of the cache and durable bytes of name.
func snapshot(t *testing.T, m *MemFS, name string) (cache, durable []byte) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.nodeLocked("snapshot", name)
	require.NoError(t, err)
	return bytes.Clone(n.data), bytes.Clone(n.synced)
}

func TestMemFSCrashProcessKeepsThePageCache(t *testing.T) {
	m, _ := newTestMemFS(t)
	require.NoError(t, m.MkdirAll("/d"))
	f, err := m.Create("/d/x")
	require.NoError(t, err)
	_, err = f.WriteAt([]byte("unsynced"), 0)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(4096))
	mp, err := f.Map(4096)
	require.NoError(t, err)
	copy(mp.Bytes()[100:], "mapped")
	old := mp.Bytes()

	m.CrashProcess()

	assert.Equal(t, "unsynced", readAll(t, m, "/d/x")[:8], "unsynced writes survive")
	assert.Equal(t, "mapped", readAll(t, m, "/d/x")[100:106], "unflushed stores survive")
	names, err := m.List("/d")
	require.NoError(t, err)
	assert.Equal(t, []string{"x"}, names, "unsynced entries survive")

	_, err = f.WriteAt([]byte("late"), 0)
	assert.ErrorIs(t, err, fs.ErrClosed)
	assert.ErrorIs(t, err, errCrashed)
	_, err = f.ReadAt(make([]byte, 1), 0)
	assert.ErrorIs(t, err, fs.ErrClosed)
	assert.ErrorIs(t, f.Sync(), fs.ErrClosed)
	assert.ErrorIs(t, f.Truncate(0), fs.ErrClosed)
	_, err = f.Map(1)
	assert.ErrorIs(t, err, fs.ErrClosed)
	assert.ErrorIs(t, f.Close(), fs.ErrClosed)
	assert.ErrorIs(t, mp.Flush(0, 1), fs.ErrClosed)

	copy(old[100:], "STALE!")
	assert.Equal(t, "mapped", readAll(t, m, "/d/x")[100:106], "old slices no longer alias the file")
	assert.Equal(t, "STALE!", string(mp.Bytes()[100:106]), "but stay readable")
	assert.ErrorIs(t, mp.Unmap(), fs.ErrClosed)

	g, err := m.OpenRW("/d/x")
	require.NoError(t, err)
	require.NoError(t, g.Truncate(10), "no mapping holds the file after the crash")
	checkUsedInvariant(t, m)
}

func TestMemFSCrashMachineNamespace(t *testing.T) {
	m, _ := newTestMemFS(t)
	require.NoError(t, m.MkdirAll("/d/sub"))
	mustCreate(t, m, "/d/synced", "")
	mustCreate(t, m, "/d/removed", "")
	mustCreate(t, m, "/d/renamed", "")
	require.NoError(t, m.SyncDir("/d"))
	mustCreate(t, m, "/d/unsynced", "")
	require.NoError(t, m.Remove("/d/removed"))
	require.NoError(t, m.Rename("/d/renamed", "/d/newname"))
	mustCreate(t, m, "/d/sub/deep", "")
	require.NoError(t, m.SyncDir("/d/sub"))

	m.CrashMachine(1, CrashOptions{})

	names, err := m.List("/d")
	require.NoError(t, err)
	assert.Equal(t, []string{"removed", "renamed", "sub", "synced"}, names, "back to the last SyncDir")
	names, err = m.List("/d/sub")
	require.NoError(t, err)
	assert.Equal(t, []string{"deep"}, names, "MkdirAll is durable at once")

	mustCreate(t, m, "/d/unsynced", "")
	require.NoError(t, m.Remove("/d/removed"))
	require.NoError(t, m.Rename("/d/renamed", "/d/newname"))
	require.NoError(t, m.SyncDir("/d"))
	m.CrashMachine(2, CrashOptions{})
	names, err = m.List("/d")
	require.NoError(t, err)
	assert.Equal(t, []string{"newname", "sub", "synced", "unsynced"}, names, "kept after SyncDir")
}

func TestMemFSCrossDirectoryRenameMayLeaveTwoNames(t *testing.T) {
	m, _ := newTestMemFS(t)
	require.NoError(t, m.MkdirAll("/a"))
	require.NoError(t, m.MkdirAll("/b"))
	f, err := m.Create("/a/x")
	require.NoError(t, err)
	_, err = f.WriteAt([]byte("content"), 0)
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, m.SyncDir("/a"))
	require.NoError(t, m.Rename("/a/x", "/b/x"))
	require.NoError(t, m.SyncDir("/b"))

	m.CrashMachine(3, CrashOptions{})

	assert.Equal(t, "content", readAll(t, m, "/a/x"))
	assert.Equal(t, "content", readAll(t, m, "/b/x"))
	checkUsedInvariant(t, m)
	g, err := m.OpenRW("/a/x")
	require.NoError(t, err)
	_, err = g.WriteAt([]byte("C"), 0)
	require.NoError(t, err)
	assert.Equal(t, "Content", readAll(t, m, "/b/x"), "one inode under two names")
	checkUsedInvariant(t, m)
}

func TestMemFSCrashMachineKeepsSyncedContent(t *testing.T) {
	m, _ := newTestMemFS(t)
	f, err := m.Create("/x")
	require.NoError(t, err)
	require.NoError(t, m.SyncDir("/"))
	synced := bytes.Repeat([]byte{'s'}, 3*4096)
	_, err = f.WriteAt(synced, 0)
	require.NoError(t, err)
	require.NoError(t, f.Sync())

	for seed := range uint64(50) {
		m.CrashMachine(seed, CrashOptions{TornPage: true})
		assert.Equal(t, string(synced), readAll(t, m, "/x"), "seed %d", seed)
	}
}

func TestMemFSCrashMachineKeepNoPages(t *testing.T) {
	m, _ := newTestMemFS(t)
	f, err := m.Create("/x")
	require.NoError(t, err)
	require.NoError(t, m.SyncDir("/"))
	_, err = f.WriteAt([]byte("durable"), 0)
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	_, err = f.WriteAt([]byte("DUR"), 0)
	require.NoError(t, err)
	_, err = f.WriteAt(make([]byte, 3*4096), 4096)
	require.NoError(t, err)

	m.CrashMachine(9, CrashOptions{KeepNoPages: true})
	assert.Equal(t, "durable", readAll(t, m, "/x"))
}

func TestMemFSMappingFlushIsDurable(t *testing.T) {
	m, _ := newTestMemFS(t)
	f, err := m.Create("/seg")
	require.NoError(t, err)
	require.NoError(t, m.SyncDir("/"))
	require.NoError(t, f.Truncate(4*4096))
	mp, err := f.Map(4 * 4096)
	require.NoError(t, err)
	copy(mp.Bytes()[4096:], "flushed")
	copy(mp.Bytes()[3*4096:], "not flushed")
	require.NoError(t, mp.Flush(4096, 7))

	cache, durable := snapshot(t, m, "/seg")
	assert.Len(t, durable, 4*4096, "a flush makes the length durable")
	assert.Equal(t, "flushed", string(durable[4096:4103]))
	assert.Equal(t, make([]byte, 11), durable[3*4096:3*4096+11])
	assert.Equal(t, "not flushed", string(cache[3*4096:3*4096+11]))

	m.CrashMachine(0, CrashOptions{KeepNoPages: true})
	content := readAll(t, m, "/seg")
	assert.Len(t, content, 4*4096)
	assert.Equal(t, "flushed", content[4096:4103])
	assert.Equal(t, string(make([]byte, 11)), content[3*4096:3*4096+11])
}

func TestMemFSCrashMachineIsDeterministic(t *testing.T) {
	run := func(seed uint64) [][]byte {
		m, _ := newTestMemFS(t)
		r := rand.New(rand.NewPCG(5, 5))
		var out [][]byte
		for _, name := range []string{"/a", "/b", "/c"} {
			f, err := m.Create(name)
			require.NoError(t, err)
			for range 20 {
				_, err = f.WriteAt(bytes.Repeat([]byte{byte(1 + r.IntN(255))}, 1+r.IntN(3000)), int64(r.IntN(8*4096)))
				require.NoError(t, err)
				if r.IntN(6) == 0 {
					require.NoError(t, f.Sync())
				}
			}
		}
		require.NoError(t, m.SyncDir("/"))
		m.CrashMachine(seed, CrashOptions{TornPage: true})
		for _, name := range []string{"/a", "/b", "/c"} {
			out = append(out, []byte(readAll(t, m, name)))
		}
		return out
	}
	first := run(11)
	assert.Equal(t, first, run(11))
	differs := false
	for seed := uint64(12); seed < 20 && !differs; seed++ {
		differs = !assert.ObjectsAreEqual(first, run(seed))
	}
	assert.True(t, differs, "other seeds give other outcomes")
}

// pageClass is how a differing page came through a crash.
type pageClass int

const (
	pageKept pageClass = iota
	pageTorn
	pageLost
)

// classifyCrash checks that result is durable plus a page prefix of the
// changes from durable to cache (with at most one torn page after it when
// allowTorn), independently of crashContent, and returns the class of each
// differing page.
func classifyCrash(t require.TestingT, cache, durable, result []byte, allowTorn bool) []pageClass {
	const p = crashPageBytes
	page := func(b []byte, i int) []byte { return b[min(i*p, len(b)):min((i+1)*p, len(b))] }
	size := max(len(cache), len(durable), len(result))
	var classes []pageClass
	if bytes.Equal(result, cache) {
		// Every change kept, an unsynced shrink included.
		for i := 0; i*p < size; i++ {
			if !bytes.Equal(page(cache, i), page(durable, i)) {
				classes = append(classes, pageKept)
			}
		}
		return classes
	}
	reach := 0 // end of the bytes taken from the cache
	for i := 0; i*p < size; i++ {
		c, d, r := page(cache, i), page(durable, i), page(result, i)
		if bytes.Equal(c, d) {
			require.Equal(t, d, r, "page %d had no change and must read as before", i)
			continue
		}
		kept := append(bytes.Clone(c), d[min(len(c), len(d)):]...)
		torn := len(commonPrefix(r, c))
		tornWant := append(bytes.Clone(c[:torn]), d[min(torn, len(d)):]...)
		switch {
		case bytes.Equal(r, d):
			// Checked first: past the end of a shrunken cache, keeping a
			// page and losing it look the same.
			classes = append(classes, pageLost)
		case bytes.Equal(r, kept):
			classes = append(classes, pageKept)
			reach = i*p + len(c)
		case allowTorn && bytes.Equal(r, tornWant):
			classes = append(classes, pageTorn)
			reach = i*p + torn
		default:
			require.Failf(t, "page neither kept, lost nor torn", "page %d", i)
		}
	}
	// Kept* Torn? Lost*, never a later page without the earlier ones.
	phase := pageKept
	for i, c := range classes {
		require.GreaterOrEqual(t, c, phase, "differing page #%d came through after an earlier one was lost: %v", i, classes)
		if c == pageTorn {
			require.Equal(t, pageKept, phase, "two torn pages: %v", classes)
			phase = pageLost
		} else {
			phase = c
		}
	}
	require.Equal(t, max(len(durable), reach), len(result), "length = durable length or the reach of the kept bytes")
	return classes
}

func commonPrefix(a, b []byte) []byte {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return a[:n]
}

func TestMemFSCrashMachineTornPage(t *testing.T) {
	sawTorn := false
	for seed := range uint64(200) {
		m, _ := newTestMemFS(t)
		f, err := m.Create("/log")
		require.NoError(t, err)
		require.NoError(t, m.SyncDir("/"))
		_, err = f.WriteAt(bytes.Repeat([]byte{'a'}, 4096), 0)
		require.NoError(t, err)
		require.NoError(t, f.Sync())
		_, err = f.WriteAt(bytes.Repeat([]byte{'b'}, 3*4096+100), 4096)
		require.NoError(t, err)
		cache, durable := snapshot(t, m, "/log")

		m.CrashMachine(seed, CrashOptions{TornPage: true})

		result := []byte(readAll(t, m, "/log"))
		classes := classifyCrash(t, cache, durable, result, true)
		for _, c := range classes {
			sawTorn = sawTorn || (c == pageTorn && len(result)%4096 != 0)
		}
	}
	assert.True(t, sawTorn, "some seed tears a page mid-way")
}

func TestMemFSCrashMachineShrink(t *testing.T) {
	cache := bytes.Repeat([]byte{'c'}, 4096+10)
	durable := bytes.Repeat([]byte{'d'}, 3*4096)
	got := map[int]bool{}
	for seed := range uint64(100) {
		r := rand.New(rand.NewPCG(seed, crashStream))
		result := crashContent(cache, durable, r, CrashOptions{})
		if bytes.Equal(result, cache) {
			got[-1] = true
			continue
		}
		assert.Len(t, result, 3*4096, "an unsynced shrink needs every change kept")
		classes := classifyCrash(t, cache, durable, result, false)
		kept := 0
		for _, c := range classes {
			if c == pageKept {
				kept++
			}
		}
		got[kept] = true
	}
	assert.Equal(t, map[int]bool{-1: true, 0: true, 1: true, 2: true}, got, "every prefix length occurs")
}

func TestDifferingPages(t *testing.T) {
	page := func(b byte) []byte { return bytes.Repeat([]byte{b}, crashPageBytes) }
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name           string
		cache, durable []byte
		want           []int
	}{
		{"equal", join(page(1), page(2)), join(page(1), page(2)), nil},
		{"both empty", nil, nil, nil},
		{"one byte in page 1", join(page(1), page(2)), join(page(1), page(3)[:1], page(2)[1:]), []int{1}},
		{"growth", join(page(1), page(2), page(3)[:5]), page(1), []int{1, 2}},
		{"growth inside a page", page(1)[:10], page(1)[:4], []int{0}},
		{"shrink", page(1)[:5], join(page(1), page(2)), []int{0, 1}},
		{"zeros past the durable end still differ in length", make([]byte, 2*crashPageBytes), nil, []int{0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, differingPages(tt.cache, tt.durable))
		})
	}
}

// TestMemFSCrashMachineProperty drives a file through random writes,
// truncates, syncs and mapped flushes, then crashes it, and checks that what
// survives is the durable bytes plus a page prefix of the changes.
func TestMemFSCrashMachineProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		m, _ := newTestMemFS(t)
		f, err := m.Create("/f")
		require.NoError(rt, err)
		require.NoError(rt, m.SyncDir("/"))
		const maxBytes = 6 * crashPageBytes
		steps := rapid.IntRange(1, 30).Draw(rt, "steps")
		for range steps {
			switch rapid.IntRange(0, 5).Draw(rt, "op") {
			case 0, 1:
				off := rapid.IntRange(0, maxBytes-1).Draw(rt, "off")
				n := rapid.IntRange(1, min(2*crashPageBytes, maxBytes-off)).Draw(rt, "len")
				fill := rapid.ByteRange(1, 255).Draw(rt, "fill")
				_, err := f.WriteAt(bytes.Repeat([]byte{fill}, n), int64(off))
				require.NoError(rt, err)
			case 2:
				require.NoError(rt, f.Truncate(int64(rapid.IntRange(0, maxBytes).Draw(rt, "size"))))
			case 3:
				require.NoError(rt, f.Sync())
			case 4:
				size, err := f.Size()
				require.NoError(rt, err)
				if size == 0 {
					continue
				}
				mp, err := f.Map(int(size))
				require.NoError(rt, err)
				off := rapid.IntRange(0, int(size)-1).Draw(rt, "storeOff")
				mp.Bytes()[off] = rapid.ByteRange(1, 255).Draw(rt, "store")
				from := rapid.IntRange(0, int(size)).Draw(rt, "flushFrom")
				require.NoError(rt, mp.Flush(from, rapid.IntRange(0, int(size)-from).Draw(rt, "flushLen")))
				require.NoError(rt, mp.Unmap())
			case 5:
				size, err := f.Size()
				require.NoError(rt, err)
				_, err = f.WriteAt([]byte{rapid.ByteRange(1, 255).Draw(rt, "append")}, size)
				require.NoError(rt, err)
			}
		}
		cache, durable := snapshot(t, m, "/f")
		torn := rapid.Bool().Draw(rt, "torn")
		m.CrashMachine(rapid.Uint64().Draw(rt, "seed"), CrashOptions{TornPage: torn})

		result := []byte(readAll(t, m, "/f"))
		classifyCrash(rt, cache, durable, result, torn)
		after, afterDurable := snapshot(t, m, "/f")
		require.Equal(rt, after, afterDurable, "after a crash everything on disk is durable")
		checkUsedInvariant(t, m)
	})
}

func TestMemFSCrashMachineOutcomesCoverEveryPrefix(t *testing.T) {
	kept := map[int]bool{}
	for seed := range uint64(300) {
		m, _ := newTestMemFS(t)
		f, err := m.Create("/f")
		require.NoError(t, err)
		require.NoError(t, m.SyncDir("/"))
		for i := range 4 {
			_, err = f.WriteAt(bytes.Repeat([]byte{byte('1' + i)}, crashPageBytes), int64(i*crashPageBytes))
			require.NoError(t, err)
		}
		cache, durable := snapshot(t, m, "/f")
		m.CrashMachine(seed, CrashOptions{})
		result := []byte(readAll(t, m, "/f"))
		classifyCrash(t, cache, durable, result, false)
		require.Zero(t, len(result)%crashPageBytes, "whole pages without TornPage")
		kept[len(result)/crashPageBytes] = true
	}
	assert.Equal(t, map[int]bool{0: true, 1: true, 2: true, 3: true, 4: true}, kept)
}
