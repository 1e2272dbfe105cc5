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
	// jumps records, in order, the shared time of each jump and the offset
	// from then on, for mapping the node's readings back to shared time.
	jumps []offsetFrom
}

// offsetFrom is the clock's offset from a shared time on.
type offsetFrom struct {
	at     time.Time
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
	c.jumps = append(c.jumps, offsetFrom{at: c.base.Now(), offset: c.offset})
}

// jumpSpan returns the most the clock has run ahead of the shared time
// and whether it ever stepped back.
func (c *nodeClock) jumpSpan() (ahead time.Duration, steppedBack bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	prev := time.Duration(0)
	for _, j := range c.jumps {
		ahead = max(ahead, j.offset)
		steppedBack = steppedBack || j.offset < prev
		prev = j.offset
	}
	return ahead, steppedBack
}

// sharedTimes bounds when the node stamped a time in [from, to] with its
// clock, in shared time. A stamp need not be a reading: a CommitLog keeps
// its store times monotonic, so after the clock stepped back it repeats
// the last stamp. So the bounds are the earliest shared time at which the
// clock read from or later, and the latest at which it read to or
// earlier, each over the stretches between jumps (and the present).
func (c *nodeClock) sharedTimes(from, to time.Time) (lo, hi time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.base.Now()
	stretches := append([]offsetFrom{{at: time.Time{}, offset: 0}}, c.jumps...)
	foundLo, foundHi := false, false
	for i, st := range stretches {
		end := now
		if i+1 < len(stretches) {
			end = stretches[i+1].at
		}
		if a := maxTime(st.at, from.Add(-st.offset)); !a.After(end) && (!foundLo || a.Before(lo)) {
			lo, foundLo = a, true
		}
		if b := minTime(end, to.Add(-st.offset)); !b.Before(st.at) && (!foundHi || b.After(hi)) {
			hi, foundHi = b, true
		}
	}
	if !foundLo || !foundHi || hi.Before(lo) {
		// Stamps the clock cannot have made: no bound at all.
		return time.Unix(0, 0), now
	}
	return lo, hi
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
