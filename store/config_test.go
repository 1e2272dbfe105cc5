package store

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestZeroConfigFieldsTakeTheDefaults(t *testing.T) {
	got := Config{RootDir: "/s"}.withDefaults()
	d := DefaultConfig("/s")
	require.Equal(t, d.FlushConsumeQueueInterval, got.FlushConsumeQueueInterval)
	require.Equal(t, d.CleanResourceInterval, got.CleanResourceInterval)
	require.Equal(t, d.ConsumeQueueUnitsPerFile, got.ConsumeQueueUnitsPerFile)
	require.Equal(t, d.DelayLevels, got.DelayLevels)
	require.Equal(t, d.DiskMaxUsedSpaceRatio, got.DiskMaxUsedSpaceRatio)
	require.Equal(t, 0, got.FlushConsumeQueueLeastPages, "zero least pages means any dirty page")
	require.Empty(t, got.DeleteWhen, "no hour stays no hour")

	set := Config{RootDir: "/s", CleanResourceInterval: time.Minute, DiskMaxUsedSpaceRatio: 0.5}.withDefaults()
	require.Equal(t, time.Minute, set.CleanResourceInterval)
	require.Equal(t, 0.5, set.DiskMaxUsedSpaceRatio)
}
