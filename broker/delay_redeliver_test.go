package broker

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
)

// keyedDelayed puts n level-1 messages of topic T queue 0 with UNIQ_KEYs,
// one every 100 ms, and returns their bodies.
func keyedDelayed(r *delayRig, prefix string, n int) []string {
	var bodies []string
	for i := range n {
		body := prefix + strconv.Itoa(i)
		r.put(message("T", 0, body, commitlog.PropertyDelayLevel, "1", commitlog.PropertyUniqKey, "U-"+body))
		bodies = append(bodies, body)
		r.advance(100 * time.Millisecond)
	}
	return bodies
}

// keyedTimers puts n timer messages of topic T queue 0, due in 3 s (queue
// 1 of TimerTopic, then a hop to queue 0), with UNIQ_KEYs.
func keyedTimers(r *delayRig, prefix string, n int) []string {
	var bodies []string
	for i := range n {
		body := prefix + strconv.Itoa(i)
		r.put(message("T", 0, body, propertyTimerDelaySec, "3", commitlog.PropertyUniqKey, "U-"+body))
		bodies = append(bodies, body)
		r.advance(100 * time.Millisecond)
	}
	return bodies
}

// neverPersisted keeps the progress files unwritten but at Close.
func neverPersisted(c *Config) {
	c.Store.DelayLevels = []time.Duration{time.Second}
	c.FlushDelayOffsetInterval = time.Hour
}

// noBackgroundFlush leaves the CommitLog unflushed but by hand.
func noBackgroundFlush(c *Config) {
	c.Store.CommitLog.FlushInterval = time.Hour
	c.Store.CommitLog.FlushThoroughInterval = time.Hour
	c.Store.FlushConsumeQueueInterval = time.Hour
}

// requireFirstPassEnded checks that no queue of either topic still looks
// up earlier deliveries and that the claims are gone.
func requireFirstPassEnded(t *testing.T, r *delayRig) {
	t.Helper()
	for _, pt := range []*parkedTopic{r.b.delay.levels, r.b.delay.timer} {
		for _, q := range pt.queues {
			require.False(t, q.checking, "%s queue %d still checks", pt.name, q.queueID)
		}
	}
	c := r.b.delay.levels.check
	c.mu.Lock()
	defer c.mu.Unlock()
	assert.Zero(t, c.open)
	assert.Nil(t, c.claimed, "the claims are dropped")
}

// A process crash after deliveries that the progress file does not record
// yet: the first pass finds their copies and skips them; the messages not
// due at the crash, and those parked after the restart, come once each.
func TestDelayProcessCrashDeliversExactlyOnce(t *testing.T) {
	r := newDelayRig(t, neverPersisted)
	delivered := keyedDelayed(r, "m", 6)
	r.advance(2 * time.Second)
	require.Equal(t, delivered, r.bodies("T", 0))
	pending := keyedDelayed(r, "p", 3)
	require.Equal(t, delivered, r.bodies("T", 0), "the last three are not due at the crash")

	r.crash(false)
	r.advance(2 * time.Second)
	want := append(append([]string(nil), delivered...), pending...)
	require.Equal(t, want, r.bodies("T", 0), "each message once, in order")
	requireFirstPassEnded(t, r)

	late := keyedDelayed(r, "late", 2)
	r.advance(2 * time.Second)
	require.Equal(t, append(want, late...), r.bodies("T", 0))
}

// A machine crash under async flush: copies flushed before the crash are
// found and skipped, copies the crash took back are delivered again, and
// none comes twice.
func TestDelayMachineCrashDeliversExactlyOnce(t *testing.T) {
	r := newDelayRig(t, func(c *Config) { neverPersisted(c); noBackgroundFlush(c) })
	durable := keyedDelayed(r, "d", 4)
	r.advance(1500 * time.Millisecond)
	require.Equal(t, durable, r.bodies("T", 0))
	require.NoError(t, r.b.Store().Flush(), "the first copies are durable")
	lost := keyedDelayed(r, "l", 3)
	require.NoError(t, r.b.Store().Flush(), "the parked messages are durable")
	r.advance(1500 * time.Millisecond)
	require.Equal(t, append(append([]string(nil), durable...), lost...), r.bodies("T", 0))

	r.crash(true)
	require.Equal(t, durable, r.bodies("T", 0), "the crash took the last copies back")
	r.advance(2 * time.Second)
	require.Equal(t, append(append([]string(nil), durable...), lost...), r.bodies("T", 0))
	requireFirstPassEnded(t, r)
}

// Timer messages after a process crash: the hops and the deliveries since
// the last progress write are found (a hop in TimerTopic, a delivery in
// the real topic), and each message hops once and arrives once — whether
// the crash comes between the hop and the delivery or after both.
func TestTimerProcessCrashDeliversExactlyOnce(t *testing.T) {
	for _, tt := range []struct {
		name  string
		crash time.Duration // after the last put
	}{
		{"between the hop and the delivery", 2500 * time.Millisecond},
		{"after the delivery", 4 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newDelayRig(t, neverPersisted)
			bodies := keyedTimers(r, "m", 5)
			r.advance(tt.crash - 100*time.Millisecond)
			require.Len(t, r.read(TimerTopic, 0), 5, "every message hopped")
			r.crash(false)
			r.advance(5 * time.Second)
			assert.Equal(t, bodies, r.bodies("T", 0), "each message once")
			assert.Len(t, r.read(TimerTopic, 1), 5, "parked once")
			assert.Len(t, r.read(TimerTopic, 0), 5, "one hop each")
			requireFirstPassEnded(t, r)
		})
	}
}

// Timer messages after a machine crash that took back the last hops and
// deliveries: those are made again, the durable ones are not.
func TestTimerMachineCrashDeliversExactlyOnce(t *testing.T) {
	r := newDelayRig(t, func(c *Config) { neverPersisted(c); noBackgroundFlush(c) })
	first := keyedTimers(r, "a", 3)
	r.advance(3500 * time.Millisecond)
	require.Equal(t, first, r.bodies("T", 0))
	require.NoError(t, r.b.Store().Flush())
	second := keyedTimers(r, "b", 3)
	require.NoError(t, r.b.Store().Flush(), "the parked messages are durable")
	r.advance(2500 * time.Millisecond)
	require.Len(t, r.read(TimerTopic, 0), 6, "the second ones hopped")

	r.crash(true)
	require.Len(t, r.read(TimerTopic, 0), 3, "the crash took the last hops back")
	r.advance(5 * time.Second)
	assert.Equal(t, append(append([]string(nil), first...), second...), r.bodies("T", 0))
	assert.Len(t, r.read(TimerTopic, 0), 3,
		"by the restart the second ones have less than a second left: delivered without a hop")
	requireFirstPassEnded(t, r)
}

// Two parked records of one message (same UNIQ_KEY, born time and body, as
// when a consumer sends it back twice) need two copies: a copy found for
// the first is not taken for the second.
func TestDelayRedeliveryCheckMatchesEachCopyOnce(t *testing.T) {
	r := newDelayRig(t, neverPersisted)
	r.put(message("T", 0, "same", commitlog.PropertyDelayLevel, "1", commitlog.PropertyUniqKey, "U"))
	r.advance(500 * time.Millisecond)
	r.put(message("T", 0, "same", commitlog.PropertyDelayLevel, "1", commitlog.PropertyUniqKey, "U"))
	r.advance(700 * time.Millisecond)
	require.Equal(t, []string{"same"}, r.bodies("T", 0), "only the first was due before the crash")

	r.crash(false)
	r.advance(2 * time.Second)
	assert.Equal(t, []string{"same", "same"}, r.bodies("T", 0), "the second is delivered after the restart")
	r.crash(false)
	r.advance(2 * time.Second)
	assert.Equal(t, []string{"same", "same"}, r.bodies("T", 0), "both copies found")
}

// Without the message index, or without UNIQ_KEY, nothing can be looked
// up: deliveries since the last progress write happen again (at least
// once).
func TestDelayRedeliveryFallsBackToAtLeastOnce(t *testing.T) {
	t.Run("index disabled", func(t *testing.T) {
		r := newDelayRig(t, func(c *Config) { neverPersisted(c); c.Store.MessageIndexEnable = false })
		bodies := keyedDelayed(r, "m", 3)
		r.advance(2 * time.Second)
		r.crash(false)
		r.advance(2 * time.Second)
		assert.Equal(t, append(append([]string(nil), bodies...), bodies...), r.bodies("T", 0))
	})
	t.Run("no UNIQ_KEY", func(t *testing.T) {
		r := newDelayRig(t, neverPersisted)
		r.put(message("T", 0, "bare", commitlog.PropertyDelayLevel, "1"))
		keyed := keyedDelayed(r, "k", 2)
		r.advance(2 * time.Second)
		r.crash(false)
		r.advance(2 * time.Second)
		assert.Equal(t, append(append([]string{"bare"}, keyed...), "bare"), r.bodies("T", 0),
			"the keyless message again, the keyed ones once")
	})
}

// A promoted slave's delay progress was copied from its old master and may
// count deliveries whose copies never reached the slave: the promotion
// walks back past the parked messages without a copy, and they are
// delivered, each once.
func TestDelayPromotionRewindsProgressPastMissingCopies(t *testing.T) {
	r := newDelayRig(t, neverPersisted)
	delivered := keyedDelayed(r, "m", 3)
	r.advance(2 * time.Second)
	require.Equal(t, delivered, r.bodies("T", 0))
	missing := keyedDelayed(r, "x", 2)

	// As if copied from a master that delivered the last two in records
	// this log never received.
	lv := r.b.delay.levels
	lv.mu.Lock()
	q := lv.queues[0]
	progress := q.offset
	q.offset = 5
	lv.mu.Unlock()
	require.Equal(t, int64(3), progress)
	lv.beginChecksForPromotion()
	lv.mu.Lock()
	rewound := q.offset
	lv.mu.Unlock()
	require.Equal(t, int64(3), rewound, "rewound to the first message without a copy")

	r.advance(2 * time.Second)
	require.Equal(t, append(delivered, missing...), r.bodies("T", 0), "each once")
	requireFirstPassEnded(t, r)
}
