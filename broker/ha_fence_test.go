package broker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

// haTestEpoch is the manual clock's start in the replication unit tests.
var haTestEpoch = time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)

// A cut waits, on the clock, for the readers in flight; readers arriving
// meanwhile are turned away; reopen lets them in again.
func TestReadFenceCutWaitsForReaders(t *testing.T) {
	clock := env.NewManualClock(haTestEpoch)
	f := newReadFence(clock, true)
	require.True(t, f.enter())
	require.True(t, f.enter())
	cuts := 0
	f.shutThen(func() { cuts++ })
	assert.False(t, f.enter(), "shut: a new reader is turned away")
	clock.RunDue()
	assert.Zero(t, cuts, "two readers are in")
	f.leave()
	clock.RunDue()
	assert.Zero(t, cuts)
	f.leave()
	assert.Zero(t, cuts, "the cut runs on the clock, not on the last reader's goroutine")
	clock.RunDue()
	assert.Equal(t, 1, cuts)
	assert.False(t, f.isOpen())
	f.reopen()
	require.True(t, f.enter())
	f.leave()
	clock.RunDue()
	assert.Equal(t, 1, cuts, "a cut runs once")
}

// With no reader in, the cut runs at once; a newer cut replaces one still
// waiting.
func TestReadFenceIdleAndReplacedCuts(t *testing.T) {
	clock := env.NewManualClock(haTestEpoch)
	f := newReadFence(clock, true)
	var ran []string
	f.shutThen(func() { ran = append(ran, "idle") })
	clock.RunDue()
	assert.Equal(t, []string{"idle"}, ran)
	f.reopen()

	require.True(t, f.enter())
	f.shutThen(func() { ran = append(ran, "old") })
	f.shutThen(func() { ran = append(ran, "new") })
	f.leave()
	clock.RunDue()
	assert.Equal(t, []string{"idle", "new"}, ran)
}
