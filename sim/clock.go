package sim

import (
	"sync"
	"time"

	"github.com/apogeemq/apogee/env"
)

// nodeClock is one node's view of the simulation's clock: the shared
// virtual time plus the node's own offset, which a clock jump moves.
// Timers run on the shared clock, so a jump changes what the node reads,
// never when its timers fire (as a wall-clock step does to monotonic
// timers).
type nodeClock struct {
	base *env.ManualClock

	mu     sync.Mutex
	offset time.Duration
}

var _ env.Clock = (*nodeClock)(nil)

// Now returns the shared time plus the node's offset.
func (c *nodeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base.Now().Add(c.offset)
}

// AfterFunc schedules f on the shared clock.
func (c *nodeClock) AfterFunc(d time.Duration, f func()) env.Timer { return c.base.AfterFunc(d, f) }

// jump moves the node's clock by d (either way).
func (c *nodeClock) jump(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}
