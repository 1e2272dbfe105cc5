package consumequeue

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

func TestCrashProcessKeepsEverything(t *testing.T) {
	e, fs := memEnv(t)
	q := openQueue(t, e, testConfig())
	appendRange(t, q, 0, 25) // never flushed
	fs.CrashProcess()

	q = openQueue(t, e, testConfig())
	defer q.Close()
	require.EqualValues(t, 25, q.MaxOffset())
	requireUnits(t, q, 0, 25)
}

func TestCrashMachineRecoversFlushedPrefix(t *testing.T) {
	// Files of several pages, so that power loss keeps a random page prefix
	// of the unflushed units and tears the page after it.
	const (
		unitsPerFile = 1000
		flushedUnits = 1200
		totalUnits   = 2500
	)
	cfg := Config{FileSizeBytes: unitsPerFile * UnitSize}
	for seed := uint64(1); seed <= 40; seed++ {
		e, fs := memEnv(t)
		q := openQueue(t, e, cfg)
		appendRange(t, q, 0, flushedUnits)
		require.NoError(t, q.Flush(0))
		appendRange(t, q, flushedUnits, totalUnits)
		fs.CrashMachine(seed, env.CrashOptions{TornPage: seed%2 == 0, KeepNoPages: seed%5 == 0})

		q = openQueue(t, e, cfg)
		maxOffset := q.MaxOffset()
		require.GreaterOrEqual(t, maxOffset, int64(flushedUnits), "seed %d: flushed units survive", seed)
		require.LessOrEqual(t, maxOffset, int64(totalUnits), "seed %d", seed)
		requireUnits(t, q, 0, maxOffset-1)
		// A unit torn inside its tag still reads as valid (the format has
		// no checksum); its CommitLog position is right.
		last, ok := q.Get(maxOffset - 1)
		require.True(t, ok)
		require.Equal(t, physOf(maxOffset-1), last.PhysOffset, "seed %d", seed)
		require.Equal(t, recSize, last.SizeBytes, "seed %d", seed)
		require.Equal(t, physOf(maxOffset-1)+int64(recSize), q.MaxPhysicOffset())
		// Dispatch resumes right after.
		appendRange(t, q, maxOffset, maxOffset+5)
		requireUnits(t, q, maxOffset, maxOffset+5)
		require.NoError(t, q.Close())
	}
}
