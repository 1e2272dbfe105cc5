package consumequeue

import (
	"errors"
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/mappedfile"
)

// FuzzConsumeQueueFile feeds an arbitrary image as a ConsumeQueue file
// (placed as the first, second or third file of a queue whose earlier files
// are valid, cut or zero-padded to the file size unless bit 2 of position is
// set) and runs Open, Recover, the reads, the truncations and an
// Append. Nothing may panic; a wrong-size image must fail Open with
// ErrSegmentSize; after Recover every readable unit must be valid and the
// positions consistent.
func FuzzConsumeQueueFile(f *testing.F) {
	valid := make([]byte, 0, testFileSize)
	for i := int64(0); i < testUnitsPerFile; i++ {
		valid = append(valid, encoded(unitOf(i))...)
	}
	torn := append(append([]byte(nil), valid[:7*UnitSize+9]...), make([]byte, testFileSize-7*UnitSize-9)...)
	fillers := make([]byte, 0, testFileSize)
	for i := 0; i < testUnitsPerFile; i++ {
		fillers = append(fillers, encoded(fillerUnit)...)
	}
	f.Add(valid, uint8(0), physOf(4))
	f.Add(torn, uint8(1), physOf(12))
	f.Add(fillers, uint8(2), int64(0))
	f.Add(make([]byte, testFileSize), uint8(1), int64(-1))
	f.Add(valid[:testFileSize-1], uint8(4), int64(5))
	f.Add([]byte{}, uint8(6), int64(1))
	f.Add(valid[:3*UnitSize], uint8(1), physOf(2))

	f.Fuzz(func(t *testing.T, image []byte, position uint8, physOffset int64) {
		e, _ := memEnv(t)
		dir := QueueDir(testRoot, testTopic, 0)
		before := int64(position % 3) // valid full files in front of the image
		for k := int64(0); k < before; k++ {
			writeFile(t, e, filepath.Join(dir, name(k*testFileSize)), valid)
		}
		if position&4 == 0 {
			// Most inputs are fitted to the file size so that they reach
			// recovery; bit 2 keeps the raw length to exercise Open.
			image = append(image[:min(len(image), testFileSize):min(len(image), testFileSize)], make([]byte, testFileSize-min(len(image), testFileSize))...)
		}
		writeFile(t, e, filepath.Join(dir, name(before*testFileSize)), image)

		q, err := Open(e, testRoot, testTopic, 0, testConfig())
		if len(image) != testFileSize && len(image) != 0 {
			require.True(t, errors.Is(err, mappedfile.ErrSegmentSize), "image of %d bytes: %v", len(image), err)
			return
		}
		require.NoError(t, err)
		defer q.Close()
		require.NoError(t, q.Recover())
		checkQueue(t, q, true)

		q.OffsetByTime(physOffset, func(p int64, _ int32) (int64, bool) { return p, p%3 != 0 })
		q.CorrectMinOffset(physOffset)
		checkQueue(t, q, false)
		_, err = q.DeleteBelowPhysOffset(physOffset)
		require.NoError(t, err)
		checkQueue(t, q, false)
		require.NoError(t, q.TruncateByPhysOffset(physOffset))
		checkQueue(t, q, false)

		next, phys := q.MaxOffset(), q.MaxPhysicOffset()
		err = q.Append(next, phys, recSize, 1)
		if phys > math.MaxInt64-int64(recSize) {
			require.ErrorIs(t, err, ErrBadUnit)
			return
		}
		require.NoError(t, err)
		require.Equal(t, next+1, q.MaxOffset())
		checkQueue(t, q, false)
	})
}

// checkQueue asserts the invariants a reader relies on. MaxPhysicOffset
// follows the last real unit; with none left it is 0 right after Recover,
// and otherwise keeps what was dispatched before retention deleted it.
func checkQueue(t *testing.T, q *Queue, afterRecover bool) {
	t.Helper()
	minOffset, maxOffset := q.MinOffset(), q.MaxOffset()
	require.LessOrEqual(t, minOffset, maxOffset)
	require.GreaterOrEqual(t, minOffset, int64(0))
	dst := make([]Unit, testUnitsPerFile*4)
	n := q.Units(minOffset, dst)
	require.Equal(t, int(min(maxOffset-minOffset, int64(len(dst)))), n)
	for i := 0; i < n; i++ {
		require.True(t, dst[i].Valid(), "unit %d", minOffset+int64(i))
		u, ok := q.Get(minOffset + int64(i))
		require.True(t, ok)
		require.Equal(t, dst[i], u)
	}
	if last, ok := q.lastReal(); ok {
		require.Equal(t, last.PhysEnd(), q.MaxPhysicOffset())
	} else if afterRecover {
		require.Zero(t, q.MaxPhysicOffset())
	}
	if minOffset < maxOffset {
		u, ok := q.Get(minOffset)
		require.True(t, ok)
		require.False(t, u.IsFiller(), "the minimum is a real unit")
	}
}
