package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

func TestNodeClockMapsReadingsBackToSharedTime(t *testing.T) {
	start := time.Unix(startUnixSeconds, 0)
	base := env.NewManualClock(start)
	c := &nodeClock{base: base}
	at := func(d time.Duration) time.Time { return start.Add(d) }

	base.Advance(10 * time.Second)
	c.jump(-5 * time.Second) // at 10 s the node reads 5 s
	base.Advance(10 * time.Second)
	c.jump(20 * time.Second) // at 20 s the node reads 35 s (offset +15 s)
	base.Advance(10 * time.Second)

	// A reading of 3 s: only the first stretch produced it.
	lo, hi := c.sharedTimes(at(3*time.Second), at(3*time.Second+time.Millisecond))
	require.Equal(t, at(3*time.Second), lo)
	require.Equal(t, at(3*time.Second+time.Millisecond), hi)

	// A stamp of 8 s: first read at 8 s; after the step back the clock
	// read 8 s or less until 13 s (a monotonic stamp may repeat 8 s then).
	lo, hi = c.sharedTimes(at(8*time.Second), at(8*time.Second))
	require.Equal(t, at(8*time.Second), lo)
	require.Equal(t, at(13*time.Second), hi)

	// A reading of 40 s: only after the step forward, at 25 s.
	lo, hi = c.sharedTimes(at(40*time.Second), at(40*time.Second))
	require.Equal(t, at(25*time.Second), lo)
	require.Equal(t, at(25*time.Second), hi)

	// A stamp the clock never read is no evidence.
	lo, hi = c.sharedTimes(at(100*time.Second), at(100*time.Second))
	require.Equal(t, time.Unix(0, 0), lo)
	require.Equal(t, at(30*time.Second), hi)
}
