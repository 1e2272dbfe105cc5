package broker

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/store"
	"github.com/apogeemq/apogee/store/configfile"
)

// A level-2 message (5 s) is parked in SCHEDULE_TOPIC_XXXX queue 1 with its
// delivery time in the tag slot, is not in its topic a millisecond before
// its time and is there at its time, rebuilt as RocketMQ rebuilds it.
func TestDelayLevelIsDeliveredAtItsTimeAndNotBefore(t *testing.T) {
	r := newDelayRig(t, nil)
	m := message("Orders", 3, "pay", commitlog.PropertyTags, "TagA", commitlog.PropertyKeys, "k1",
		commitlog.PropertyDelayLevel, "2", commitlog.PropertyUniqKey, "U1")
	m.Flag = 7
	put := r.put(m)
	dueMs := put.StoreTimestampMs + 5000

	parked := r.read(store.ScheduleTopic, 1)
	require.Len(t, parked, 1)
	assert.Equal(t, dueMs, parked[0].tagCode, "dispatch wrote the delivery time into the tag slot")
	assert.Equal(t, "Orders", parked[0].props[commitlog.PropertyRealTopic])
	assert.Equal(t, "3", parked[0].props[commitlog.PropertyRealQueueID])

	r.advance(time.Duration(dueMs-r.nowMs()-1) * time.Millisecond)
	require.Empty(t, r.read("Orders", 3), "not delivered before its time")
	r.advance(time.Millisecond)
	got := r.read("Orders", 3)
	require.Len(t, got, 1, "delivered at its time")
	d := got[0]
	assert.Equal(t, "pay", string(d.rec.Body))
	assert.Equal(t, int32(7), d.rec.Flag)
	assert.Equal(t, m.BornTimestampMs, d.rec.BornTimestampMs, "born time kept")
	assert.Equal(t, delayBornHost, d.rec.BornHost, "born host kept")
	assert.Equal(t, dueMs, d.rec.StoreTimestampMs)
	assert.Equal(t, store.TagCode("TagA"), d.tagCode, "tag code from TAGS")
	assert.Equal(t, map[string]string{
		commitlog.PropertyTags: "TagA", commitlog.PropertyKeys: "k1", commitlog.PropertyUniqKey: "U1",
		commitlog.PropertyWait: "false",
	}, d.props, "DELAY, REAL_TOPIC and REAL_QID dropped, WAIT=false")
	assert.Equal(t, []int64{1}, r.b.delay.levels.offsets()[1:2])

	r.advance(time.Hour)
	require.Len(t, r.read("Orders", 3), 1, "delivered once")
}

// Levels run independently: each message comes at its own level's time,
// and a level's queue delivers in order; levels past the last are clamped.
func TestDelayLevelsEachKeepTheirOwnTime(t *testing.T) {
	r := newDelayRig(t, func(c *Config) {
		c.Store.DelayLevels = []time.Duration{time.Second, 3 * time.Second, 10 * time.Second}
	})
	start := r.nowMs()
	r.put(message("T", 0, "c", commitlog.PropertyDelayLevel, "3"))
	r.put(message("T", 0, "a", commitlog.PropertyDelayLevel, "1"))
	r.put(message("T", 0, "b", commitlog.PropertyDelayLevel, "2"))
	r.put(message("T", 0, "clamped", commitlog.PropertyDelayLevel, "99"))
	r.put(message("T", 0, "a2", commitlog.PropertyDelayLevel, "1"))
	require.Len(t, r.read(store.ScheduleTopic, 2), 2, "level 99 parks in the last level's queue")

	var arrivals []string
	seen := 0
	for r.nowMs() < start+12_000 {
		r.advance(100 * time.Millisecond)
		got := r.bodies("T", 0)
		for _, b := range got[seen:] {
			arrivals = append(arrivals, fmt.Sprintf("%s@%d", b, (r.nowMs()-start+999)/1000))
		}
		seen = len(got)
	}
	assert.Equal(t, []string{"a@1", "a2@1", "b@3", "c@10", "clamped@10"}, arrivals)
}

// A DELAY that is not a positive level leaves the message in its topic.
func TestDelayBadLevelsAreNotParked(t *testing.T) {
	r := newDelayRig(t, nil)
	for _, v := range []string{"0", "-1", "x", ""} {
		r.put(message("T", 0, "v="+v, commitlog.PropertyDelayLevel, v))
	}
	assert.Equal(t, []string{"v=0", "v=-1", "v=x", "v="}, r.bodies("T", 0))
	assert.Empty(t, r.read(store.ScheduleTopic, 0))
}

// delayedBatch puts n level-1 messages (1 s) one every 100 ms.
func delayedBatch(r *delayRig, prefix string, n int) []string {
	var bodies []string
	for i := range n {
		body := prefix + strconv.Itoa(i)
		r.put(message("T", 0, body, commitlog.PropertyDelayLevel, "1"))
		bodies = append(bodies, body)
		r.advance(100 * time.Millisecond)
	}
	return bodies
}

// After a clean restart nothing is lost and nothing comes twice:
// delayOffset.json holds the progress (key = level) and is honoured.
func TestDelayProgressSurvivesACleanRestart(t *testing.T) {
	r := newDelayRig(t, func(c *Config) { c.Store.DelayLevels = []time.Duration{time.Second, time.Minute} })
	first := delayedBatch(r, "a", 5)
	later := []string{"late0", "late1"}
	for _, b := range later {
		r.put(message("T", 0, b, commitlog.PropertyDelayLevel, "2"))
	}
	r.advance(2 * time.Second)
	require.Equal(t, first, r.bodies("T", 0))
	second := delayedBatch(r, "b", 3) // parked, not due: the restart comes first
	r.restart()
	assert.Equal(t, map[int32]int64{1: 5, 2: 0}, r.delayOffsets(), "levels 1 and 2 as RocketMQ keys them")

	r.advance(2 * time.Second)
	require.Equal(t, append(append([]string(nil), first...), second...), r.bodies("T", 0))
	r.advance(time.Minute)
	require.Equal(t, append(append(append([]string(nil), first...), second...), later...), r.bodies("T", 0))
	r.restart()
	assert.Equal(t, map[int32]int64{1: 8, 2: 2}, r.delayOffsets())
	r.advance(time.Minute)
	require.Len(t, r.bodies("T", 0), 10, "nothing delivered twice")
}

// After a process crash the deliveries of messages without UNIQ_KEY since
// the last persisted progress happen again (RocketMQ's at-least-once: there
// is no key to find their copies by), and none is lost.
func TestDelayProcessCrashRedeliversKeylessAtLeastOnce(t *testing.T) {
	r := newDelayRig(t, func(c *Config) {
		c.Store.DelayLevels = []time.Duration{time.Second}
		c.FlushDelayOffsetInterval = time.Hour
	})
	bodies := delayedBatch(r, "m", 6)
	r.advance(2 * time.Second)
	require.Equal(t, bodies, r.bodies("T", 0))
	r.crash(false)
	r.advance(2 * time.Second)
	got := r.bodies("T", 0)
	require.Equal(t, append(append([]string(nil), bodies...), bodies...), got,
		"the progress was never persisted: every delivery happens again, in order")
}

// After a machine crash the persisted progress never skips a delivered copy
// that the crash took back: the offset is written only once the CommitLog
// is flushed past the copies.
func TestDelayMachineCrashLosesNothing(t *testing.T) {
	r := newDelayRig(t, func(c *Config) {
		c.Store.DelayLevels = []time.Duration{time.Second}
		c.FlushDelayOffsetInterval = 50 * time.Millisecond
		c.Store.CommitLog.FlushInterval = time.Hour // nothing is flushed but by hand
		c.Store.CommitLog.FlushThoroughInterval = time.Hour
	})
	bodies := delayedBatch(r, "m", 4)
	require.NoError(t, r.b.Store().Flush(), "the parked messages are durable")
	r.advance(1500 * time.Millisecond)
	require.Equal(t, bodies, r.bodies("T", 0), "delivered before the crash")
	require.Equal(t, int64(4), r.b.delay.levels.offsets()[0])
	assert.Equal(t, map[int32]int64{1: 0}, r.delayOffsets(), "the file waits for the copies to be flushed")

	r.crash(true)
	require.Empty(t, r.bodies("T", 0), "the crash took the copies back")
	r.advance(2 * time.Second)
	require.Equal(t, bodies, r.bodies("T", 0), "delivered again after the crash")
}

// delayOffset.json written by a Java broker (fastjson, 4.x) is read; bad
// values are corrected into the queue, unknown levels are kept as they
// are, and a file that does not parse stops the broker from starting.
func TestDelayOffsetFileIsCorrectedAndKept(t *testing.T) {
	r := newDelayRig(t, func(c *Config) { c.Store.DelayLevels = []time.Duration{time.Second, time.Minute} })
	delayedBatch(r, "m", 3)
	require.NoError(t, r.b.Close())
	r.b = nil
	path := configfile.FilePath(r.cfg.Store.RootDir, configfile.DelayOffsetFile)
	require.NoError(t, configfile.Store(r.fs, path, []byte("{\n\t\"offsetTable\":{1:-5,2:40,18:7\n\t}\n}")))

	r.start()
	assert.Equal(t, []int64{0, 0}, r.b.delay.levels.offsets(), "-5 starts at the minimum, 40 at the end of an empty queue")
	r.advance(2 * time.Second)
	assert.Len(t, r.bodies("T", 0), 3)
	r.restart()
	assert.Equal(t, map[int32]int64{1: 3, 2: 0, 18: 7}, r.delayOffsets(), "level 18 is not configured: kept")

	require.NoError(t, r.b.Close())
	r.b = nil
	require.NoError(t, configfile.Store(r.fs, path, []byte(`{"offsetTable":{1:"x"}}`)))
	require.NoError(t, r.fs.Remove(path+".bak"))
	_, err := r.tryStart()
	require.ErrorIs(t, err, configfile.ErrNoValidCopy)
	require.ErrorContains(t, err, configfile.DelayOffsetFile)
}

// A failed delivery is tried again every 100 ms until the store takes it;
// nothing is skipped meanwhile.
func TestDelayFailedPutsAreRetried(t *testing.T) {
	r := newDelayRig(t, func(c *Config) {
		c.Store.DelayLevels = []time.Duration{time.Second}
		c.Store.ConsumeQueueUnitsPerFile = 4
	})
	bodies := delayedBatch(r, "m", 6)
	// The real queue's first ConsumeQueue file holds 4 units: the fifth
	// delivery needs a second one, which a full disk refuses, and the
	// store then refuses puts until a cleaning round finds space.
	r.put(message("T", 0, "direct0"))
	r.put(message("T", 0, "direct1"))
	r.put(message("T", 0, "direct2"))
	r.put(message("T", 0, "direct3"))
	u, err := r.fs.Usage(r.cfg.Store.RootDir)
	require.NoError(t, err)
	r.fs.SetCapacity(int64(u.TotalBytes - u.FreeBytes))
	r.advance(2 * time.Second)
	require.True(t, r.b.Store().DiskFull())
	stalled := r.b.delay.levels.offsets()[0]
	require.Less(t, stalled, int64(len(bodies)), "deliveries wait")

	r.fs.SetCapacity(0)
	r.advance(r.cfg.Store.CleanResourceInterval)
	r.advance(time.Second)
	got := r.bodies("T", 0)
	require.Equal(t, append([]string{"direct0", "direct1", "direct2", "direct3"}, bodies...), got)
	assert.Equal(t, int64(len(bodies)), r.b.delay.levels.offsets()[0])
}

// The number of pending timers does not grow with the pending messages.
func TestDelayUsesOneTimerPerQueue(t *testing.T) {
	r := newDelayRig(t, nil)
	before := r.clock.Pending()
	for i := range 2000 {
		r.put(message("T", int32(i%4), "m", commitlog.PropertyDelayLevel, strconv.Itoa(1+i%18)))
	}
	r.advance(2 * time.Second)
	assert.LessOrEqual(t, r.clock.Pending(), before, "timers: one per queue, whatever the backlog")
}
