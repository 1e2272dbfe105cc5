package commitlog

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestConfigDefaultsAndBounds(t *testing.T) {
	got, err := Config{}.withDefaults()
	require.NoError(t, err)
	want := DefaultConfig()
	require.Equal(t, want.SegmentSizeBytes, got.SegmentSizeBytes)
	require.Equal(t, FlushAsync, got.FlushMode)
	require.Equal(t, 500*time.Millisecond, got.FlushInterval)
	require.Equal(t, 4, got.FlushLeastPages)
	require.Equal(t, 10*time.Second, got.FlushThoroughInterval)
	require.Equal(t, 5*time.Second, got.SyncFlushTimeout)
	require.Equal(t, DefaultMaxPendingFlushWaiters, got.MaxPendingFlushWaiters)
	require.Equal(t, 4<<20, got.MaxBodySizeBytes)
	require.False(t, got.PreallocateNext, "a zero Config does not preallocate")
	require.True(t, want.PreallocateNext)
	require.NotNil(t, got.Logger)

	bad := []Config{
		{SegmentSizeBytes: MinSegmentSizeBytes - 1},
		{SegmentSizeBytes: MaxSegmentSizeBytes + 1},
		{FlushMode: 7},
		{FlushInterval: -time.Second},
		{SyncFlushTimeout: -time.Second},
		{FlushLeastPages: -1},
		{MaxPendingFlushWaiters: -1},
		{MaxBodySizeBytes: -1},
	}
	for _, c := range bad {
		_, err := c.withDefaults()
		require.ErrorIs(t, err, ErrConfig, "%+v", c)
	}
	require.Equal(t, "SYNC_FLUSH", FlushSync.String())
	require.Equal(t, "ASYNC_FLUSH", FlushAsync.String())
	require.Equal(t, "FlushMode(7)", FlushMode(7).String())
}
