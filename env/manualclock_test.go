package env

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var clockStart = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// firing records a callback's name and the clock's time when it ran.
type firing struct {
	name string
	at   time.Duration // since clockStart
}

func recorder(c *ManualClock, log *[]firing) func(name string) func() {
	return func(name string) func() {
		return func() { *log = append(*log, firing{name, c.Now().Sub(clockStart)}) }
	}
}

func TestManualClockFiresInDueThenSchedulingOrder(t *testing.T) {
	c := NewManualClock(clockStart)
	var log []firing
	rec := recorder(c, &log)
	c.AfterFunc(30*time.Millisecond, rec("c30"))
	c.AfterFunc(10*time.Millisecond, rec("a10"))
	c.AfterFunc(20*time.Millisecond, rec("b20-first"))
	c.AfterFunc(20*time.Millisecond, rec("b20-second"))
	c.AfterFunc(50*time.Millisecond, rec("late"))
	require.Equal(t, 5, c.Pending())
	due, ok := c.NextDue()
	require.True(t, ok)
	assert.Equal(t, clockStart.Add(10*time.Millisecond), due)

	c.Advance(30 * time.Millisecond)

	assert.Equal(t, []firing{
		{"a10", 10 * time.Millisecond},
		{"b20-first", 20 * time.Millisecond},
		{"b20-second", 20 * time.Millisecond},
		{"c30", 30 * time.Millisecond},
	}, log)
	assert.Equal(t, clockStart.Add(30*time.Millisecond), c.Now())
	assert.Equal(t, 1, c.Pending())
	due, ok = c.NextDue()
	require.True(t, ok)
	assert.Equal(t, clockStart.Add(50*time.Millisecond), due)
}

func TestManualClockAdvanceWithoutTimersMovesTime(t *testing.T) {
	c := NewManualClock(clockStart)
	c.Advance(time.Hour)
	assert.Equal(t, clockStart.Add(time.Hour), c.Now())
	_, ok := c.NextDue()
	assert.False(t, ok)
	assert.Panics(t, func() { c.Advance(-time.Second) })
}

func TestManualClockStop(t *testing.T) {
	c := NewManualClock(clockStart)
	var log []firing
	rec := recorder(c, &log)
	stopped := c.AfterFunc(time.Second, rec("stopped"))
	kept := c.AfterFunc(2*time.Second, rec("kept"))

	assert.True(t, stopped.Stop(), "first Stop prevents the call")
	assert.False(t, stopped.Stop(), "second Stop has nothing to prevent")
	assert.Equal(t, 1, c.Pending())

	c.Advance(3 * time.Second)
	assert.Equal(t, []firing{{"kept", 2 * time.Second}}, log)
	assert.False(t, kept.Stop(), "Stop after firing reports false")
}

func TestManualClockNestedSchedulingWithinTheWindow(t *testing.T) {
	c := NewManualClock(clockStart)
	var log []firing
	rec := recorder(c, &log)
	c.AfterFunc(10*time.Millisecond, func() {
		rec("outer")()
		c.AfterFunc(0, rec("inner-now"))
		c.AfterFunc(5*time.Millisecond, rec("inner-15"))
		c.AfterFunc(100*time.Millisecond, rec("inner-110"))
	})
	c.AfterFunc(12*time.Millisecond, rec("sibling-12"))

	c.Advance(20 * time.Millisecond)

	assert.Equal(t, []firing{
		{"outer", 10 * time.Millisecond},
		{"inner-now", 10 * time.Millisecond},
		{"sibling-12", 12 * time.Millisecond},
		{"inner-15", 15 * time.Millisecond},
	}, log)
	assert.Equal(t, 1, c.Pending(), "the timer past the window waits")
	assert.Equal(t, clockStart.Add(20*time.Millisecond), c.Now())
}

func TestManualClockCallbackMayStopAnotherTimer(t *testing.T) {
	c := NewManualClock(clockStart)
	var log []firing
	rec := recorder(c, &log)
	var victim Timer
	c.AfterFunc(time.Second, func() { assert.True(t, victim.Stop()) })
	victim = c.AfterFunc(2*time.Second, rec("victim"))
	c.Advance(5 * time.Second)
	assert.Empty(t, log)
	assert.Zero(t, c.Pending())
}

func TestManualClockRunDueAndFireNext(t *testing.T) {
	c := NewManualClock(clockStart)
	var log []firing
	rec := recorder(c, &log)
	c.AfterFunc(0, rec("zero"))
	c.AfterFunc(-time.Second, rec("negative"))
	c.AfterFunc(time.Minute, rec("minute"))

	c.RunDue()
	assert.Equal(t, []firing{{"zero", 0}, {"negative", 0}}, log)
	assert.Equal(t, clockStart, c.Now(), "RunDue does not move time")

	require.True(t, c.FireNext())
	assert.Equal(t, firing{"minute", time.Minute}, log[2])
	assert.Equal(t, clockStart.Add(time.Minute), c.Now())
	assert.False(t, c.FireNext())
}

func TestManualClockPanicsOnZeroDelayLivelock(t *testing.T) {
	c := NewManualClock(clockStart)
	var again func()
	again = func() { c.AfterFunc(0, again) }
	c.AfterFunc(0, again)
	assert.Panics(t, c.RunDue)
}

func TestManualClockNilFuncPanics(t *testing.T) {
	c := NewManualClock(clockStart)
	assert.Panics(t, func() { c.AfterFunc(time.Second, nil) })
}

func TestManualClockIsDeterministic(t *testing.T) {
	run := func() []string {
		c := NewManualClock(clockStart)
		r := NewSeededRand(7)
		var log []string
		for i := range 50 {
			d := time.Duration(r.Intn(20)) * time.Millisecond
			c.AfterFunc(d, func() {
				log = append(log, fmt.Sprintf("%d@%v", i, c.Now().Sub(clockStart)))
				if i%3 == 0 {
					c.AfterFunc(time.Duration(r.Intn(5))*time.Millisecond, func() { log = append(log, fmt.Sprintf("child%d", i)) })
				}
			})
		}
		c.Advance(time.Second)
		return log
	}
	first := run()
	assert.Len(t, first, 50+17)
	assert.Equal(t, first, run())
}

func TestManualClockConcurrentUse(t *testing.T) {
	c := NewManualClock(clockStart)
	var mu sync.Mutex
	fired, stopped := 0, 0
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				tm := c.AfterFunc(time.Duration(i%7)*time.Millisecond, func() {
					mu.Lock()
					fired++
					mu.Unlock()
				})
				if (g+i)%5 == 0 && tm.Stop() {
					mu.Lock()
					stopped++
					mu.Unlock()
				}
				_ = c.Now()
			}
		}()
	}
	for range 100 {
		c.Advance(time.Millisecond)
	}
	wg.Wait()
	c.Advance(time.Second)
	mu.Lock()
	defer mu.Unlock()
	assert.Zero(t, c.Pending())
	assert.Positive(t, stopped)
	assert.Equal(t, 800, fired+stopped, "every timer either fired once or was stopped")
}

func TestManualClockStallDefersDueTimers(t *testing.T) {
	start := time.Unix(1000, 0)
	c := NewManualClock(start)
	var order []string
	var firedAt []time.Time
	c.AfterFunc(10*time.Millisecond, func() {
		order = append(order, "a")
		firedAt = append(firedAt, c.Now())
		c.Stall(time.Second) // a slow call inside a callback
	})
	c.AfterFunc(20*time.Millisecond, func() {
		order = append(order, "b")
		firedAt = append(firedAt, c.Now())
	})
	c.AfterFunc(2*time.Second, func() { order = append(order, "c") })
	require.True(t, c.FireNext())
	require.Equal(t, []string{"a"}, order, "Stall fires nothing by itself")
	require.Equal(t, start.Add(1010*time.Millisecond), c.Now())
	require.True(t, c.FireNext())
	require.Equal(t, []string{"a", "b"}, order, "the overdue timer fires next")
	require.Equal(t, start.Add(1010*time.Millisecond), firedAt[1], "at the stalled time, not its due time")
	c.Advance(time.Second)
	require.Equal(t, []string{"a", "b", "c"}, order)
	require.Panics(t, func() { c.Stall(-time.Nanosecond) })
}
