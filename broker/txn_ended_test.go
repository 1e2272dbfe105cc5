package broker

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestTxnEndedOffsetsMarkAndForget(t *testing.T) {
	var e endedOffsets
	require.True(t, e.mark(5, 100))
	require.True(t, e.mark(70, 90))
	require.True(t, e.mark(endedChunkOffsets+1, 120))

	for _, tc := range []struct {
		off   int64
		ended bool
	}{{4, false}, {5, true}, {6, false}, {70, true}, {endedChunkOffsets + 1, true}, {1 << 40, false}} {
		ended, known := e.has(tc.off)
		require.True(t, known, "offset %d", tc.off)
		require.Equal(t, tc.ended, ended, "offset %d", tc.off)
	}
	least, ok := e.leastOpOffset()
	require.True(t, ok)
	require.Equal(t, int64(90), least)

	require.Equal(t, int64(0), e.nextUnended(0, 10))
	require.Equal(t, int64(6), e.nextUnended(5, 10))
	require.Equal(t, int64(7), e.nextUnended(7, 10))
	require.Equal(t, int64(5), e.nextUnended(5, 5), "the end bounds the answer")

	// Forgetting the first chunk drops its ends and their op offsets.
	e.forgetBelow(endedChunkOffsets + 3)
	require.Equal(t, int64(endedChunkOffsets), e.base)
	_, known := e.has(5)
	require.False(t, known)
	require.Equal(t, int64(3), e.nextUnended(3, 10), "below the window nothing is known to be ended")
	ended, known := e.has(endedChunkOffsets + 1)
	require.True(t, known)
	require.True(t, ended)
	least, ok = e.leastOpOffset()
	require.True(t, ok)
	require.Equal(t, int64(120), least)
	require.False(t, e.mark(5, 130), "below the window an end cannot be marked")

	// The window never moves back.
	e.forgetBelow(0)
	require.Equal(t, int64(endedChunkOffsets), e.base)

	e.unmark(endedChunkOffsets + 1)
	ended, _ = e.has(endedChunkOffsets + 1)
	require.False(t, ended)
	require.False(t, e.mark(endedChunkOffsets+maxEndedWindowOffsets, 1), "past the window's bound")

	e.forgetBelow(10 * endedChunkOffsets)
	_, ok = e.leastOpOffset()
	require.False(t, ok)
}

// endedModel is the obvious implementation endedOffsets is checked against.
type endedModel struct {
	base  int64
	ended map[int64]int64 // half offset -> least op offset
}

func TestTxnEndedOffsetsMatchAModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var e endedOffsets
		m := endedModel{ended: map[int64]int64{}}
		offset := rapid.Int64Range(0, 6*endedChunkOffsets)
		for range rapid.IntRange(1, 200).Draw(t, "steps") {
			switch rapid.IntRange(0, 4).Draw(t, "op") {
			case 0:
				off, op := offset.Draw(t, "half"), rapid.Int64Range(0, 1000).Draw(t, "opOffset")
				marked := e.mark(off, op)
				require.Equal(t, off >= m.base, marked)
				if marked {
					if old, ok := m.ended[off]; !ok || op < old {
						m.ended[off] = op
					}
				}
			case 1:
				off := offset.Draw(t, "half")
				e.unmark(off)
				if old, ok := m.ended[off]; ok {
					// The chunk's op offset stays: keep it with a negative key.
					delete(m.ended, off)
					if prev, ok := m.ended[-1-off]; !ok || old < prev {
						m.ended[-1-off] = old
					}
				}
			case 2:
				off := offset.Draw(t, "forget")
				e.forgetBelow(off)
				if nb := off - off%endedChunkOffsets; nb > m.base {
					m.base = nb
					for k := range m.ended {
						if (k >= 0 && k < nb) || (k < 0 && -1-k < nb) {
							delete(m.ended, k)
						}
					}
				}
			case 3:
				from := offset.Draw(t, "from")
				end := from + rapid.Int64Range(0, 300).Draw(t, "span")
				want := from
				if from >= m.base {
					for want < end {
						if _, ok := m.ended[want]; !ok {
							break
						}
						want++
					}
				}
				require.Equal(t, want, e.nextUnended(from, end))
			case 4:
				want, found := int64(noOpOffset), false
				for _, op := range m.ended {
					want, found = min(want, op), true
				}
				got, ok := e.leastOpOffset()
				require.Equal(t, found, ok)
				if found {
					require.Equal(t, want, got)
				}
			}
			for off := range m.ended {
				if off >= 0 {
					ended, known := e.has(off)
					require.True(t, known && ended, "offset %d", off)
				}
			}
		}
	})
}
