package broker

import (
	"fmt"
	"math/bits"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/store"
	"github.com/apogeemq/apogee/store/configfile"
)

func TestTimerQueueForPicksTheLongestStepThatFits(t *testing.T) {
	tests := []struct {
		remainingMs int64
		want        int32
	}{
		{1000, 0}, {1999, 0}, {2000, 1}, {3999, 1}, {4000, 2}, {100_000, 6},
		{3 * 24 * 3600 * 1000, 17}, {(1 << 31) * 1000, 31}, {maxInt64, 31},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, timerQueueFor(tt.remainingMs), "%d ms", tt.remainingMs)
	}
	assert.Panics(t, func() { timerQueueFor(999) })
}

func TestTimerTargetFromProperties(t *testing.T) {
	const now = 1_700_000_000_000
	tests := []struct {
		name   string
		props  []string
		want   int64
		wantOK bool
	}{
		{"delay in seconds", []string{propertyTimerDelaySec, "90"}, now + 90_000, true},
		{"delay in ms", []string{propertyTimerDelayMs, "2500"}, now + 2500, true},
		{"absolute", []string{propertyTimerDeliverMs, "1700000100000"}, 1_700_000_100_000, true},
		{"aliyun absolute", []string{propertyStartDeliverTime, "1700000009000"}, 1_700_000_009_000, true},
		{"seconds win over the rest", []string{propertyTimerDeliverMs, "5", propertyTimerDelaySec, "1"}, now + 1000, true},
		{"ms win over absolute", []string{propertyTimerDeliverMs, "5", propertyTimerDelayMs, "7"}, now + 7, true},
		{"negative delay is the past", []string{propertyTimerDelaySec, "-10"}, now - 10_000, true},
		{"huge delay saturates", []string{propertyTimerDelaySec, "9223372036854775807"}, maxInt64, true},
		{"not a number", []string{propertyTimerDelaySec, "soon"}, 0, false},
		{"already parked once", []string{propertyTimerDelaySec, "90", propertyTimerOutMs, "1"}, 0, false},
		{"no timer", []string{commitlog.PropertyTags, "A"}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := message("T", 0, "", tt.props...)
			got, ok := timerTargetMs(m.Properties, now)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestTimerSaturatingArithmetic(t *testing.T) {
	assert.Equal(t, int64(maxInt64), satAdd(maxInt64, 1))
	assert.Equal(t, int64(minInt64), satAdd(minInt64, -1))
	assert.Equal(t, int64(3), satAdd(1, 2))
	assert.Equal(t, int64(maxInt64), satSub(0, minInt64))
	assert.Equal(t, int64(minInt64), satSub(-2, maxInt64))
	assert.Equal(t, int64(maxInt64), satMul(maxInt64/10, 1000))
	assert.Equal(t, int64(minInt64), satMul(minInt64/10, 1000))
	assert.Equal(t, int64(-6000), satMul(-6, 1000))
}

// A timer message with 100 s to go hops through the queues of 64 s, 32 s
// and 4 s (the set bits of 100) and reaches its topic within a second
// before its time, with TIMER_OUT_MS kept and REAL_* gone.
func TestTimerMessageHopsAndArrivesWithinASecond(t *testing.T) {
	r := newDelayRig(t, nil)
	m := message("T", 2, "later", commitlog.PropertyTags, "X", propertyTimerDelaySec, "100")
	put := r.put(m)
	targetMs := put.StoreTimestampMs + 100_000
	parked := r.read(TimerTopic, 6)
	require.Len(t, parked, 1)
	assert.Equal(t, strconv.FormatInt(targetMs, 10), parked[0].props[propertyTimerOutMs])

	r.advance(time.Duration(targetMs-1000-r.nowMs())*time.Millisecond - time.Millisecond)
	require.Empty(t, r.read("T", 2), "not more than a second early")
	r.advance(2 * time.Second)
	got := r.read("T", 2)
	require.Len(t, got, 1)
	d := got[0]
	assert.GreaterOrEqual(t, d.rec.StoreTimestampMs, targetMs-1000)
	assert.LessOrEqual(t, d.rec.StoreTimestampMs, targetMs)
	assert.Equal(t, map[string]string{
		commitlog.PropertyTags: "X", propertyTimerDelaySec: "100", propertyTimerOutMs: strconv.FormatInt(targetMs, 10),
		commitlog.PropertyWait: "false",
	}, d.props)
	assert.Equal(t, m.BornTimestampMs, d.rec.BornTimestampMs)
	assert.Equal(t, store.TagCode("X"), d.tagCode)
	for q := range int32(timerQueueNums) {
		want := 0
		if q == 6 || q == 5 || q == 2 {
			want = 1
		}
		assert.Len(t, r.read(TimerTopic, q), want, "hops through queue %d", q)
	}
}

// Messages due now, in the past or within the precision are not parked; a
// DELAY level wins over timer properties (which it drops).
func TestTimerImmediateAndLevelCases(t *testing.T) {
	r := newDelayRig(t, nil)
	now := r.nowMs()
	r.put(message("T", 0, "past", propertyTimerDeliverMs, strconv.FormatInt(now-5000, 10)))
	r.put(message("T", 0, "within", propertyTimerDelayMs, "999"))
	r.put(message("T", 0, "garbage", propertyTimerDelaySec, "1e3"))
	r.put(message("T", 0, "done", propertyTimerDelaySec, "60", propertyTimerOutMs, "5"))
	assert.Equal(t, []string{"past", "within", "garbage", "done"}, r.bodies("T", 0))

	r.put(message("T", 1, "level", commitlog.PropertyDelayLevel, "1", propertyTimerDelaySec, "3600"))
	parked := r.read(store.ScheduleTopic, 0)
	require.Len(t, parked, 1)
	assert.NotContains(t, parked[0].props, propertyTimerDelaySec)
	r.advance(3 * time.Second)
	assert.Equal(t, []string{"level"}, r.bodies("T", 1))
}

// Thousands of timer messages with delays up to six hours, across a
// restart: each is delivered once, never more than a second early and never
// late.
func TestTimerManyMessagesAcrossARestart(t *testing.T) {
	const n = 3000
	r := newDelayRig(t, nil)
	rnd := env.NewSeededRand(42)
	targets := map[string]int64{}
	for i := range n {
		delayMs := 1000 + rnd.Int63()%(6*3600*1000)
		body := fmt.Sprintf("m%d", i)
		res := r.put(message("T", int32(i%4), body, propertyTimerDelayMs, strconv.FormatInt(delayMs, 10)))
		targets[body] = res.StoreTimestampMs + delayMs
	}
	hops := 0
	for _, target := range targets {
		hops += bits.OnesCount64(uint64((target - r.nowMs()) / 1000))
	}
	r.advance(3 * time.Hour)
	r.restart()
	r.advance(4 * time.Hour)
	seen := map[string]bool{}
	for q := range int32(4) {
		for _, d := range r.read("T", q) {
			body := string(d.rec.Body)
			require.False(t, seen[body], "%s delivered twice", body)
			seen[body] = true
			target := targets[body]
			require.GreaterOrEqual(t, d.rec.StoreTimestampMs, target-1000, "%s early", body)
			require.LessOrEqual(t, d.rec.StoreTimestampMs, target+firstRoundDelay.Milliseconds(), "%s late", body)
		}
	}
	require.Len(t, seen, n)
	parked := 0
	for q := range int32(timerQueueNums) {
		parked += len(r.read(TimerTopic, q))
	}
	assert.InDelta(t, hops, parked, float64(n), "about one record per set bit of the delay in seconds")
	offsets, _, err := configfile.LoadDelayOffsets(r.fs, configfile.FilePath(r.cfg.Store.RootDir, timerOffsetFile))
	require.NoError(t, err)
	assert.Len(t, offsets.QueueOffsets, timerQueueNums, "timerOffset.json keys the queues")
}

func TestParseMsAndQueueID(t *testing.T) {
	ms := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"1700000000000", 1_700_000_000_000, true}, {"+5", 5, true}, {"-5", -5, true},
		{"9223372036854775807", maxInt64, true}, {"-9223372036854775808", minInt64, true},
		{"9223372036854775808", 0, false}, {"99999999999999999999", 0, false}, {"", 0, false},
		{"-", 0, false}, {"1e3", 0, false}, {" 1", 0, false}, {"1.0", 0, false},
	}
	for _, tt := range ms {
		got, ok := parseMs([]byte(tt.in))
		assert.Equal(t, tt.ok, ok, "%q", tt.in)
		assert.Equal(t, tt.want, got, "%q", tt.in)
	}
	ids := []struct {
		in   string
		want int32
		ok   bool
	}{
		{"0", 0, true}, {"17", 17, true}, {"2147483647", maxInt32, true}, {"2147483648", 0, false},
		{"-1", 0, false}, {"+1", 0, false}, {"", 0, false}, {"12345678901", 0, false}, {"x", 0, false},
	}
	for _, tt := range ids {
		got, ok := parseQueueID([]byte(tt.in))
		assert.Equal(t, tt.ok, ok, "%q", tt.in)
		assert.Equal(t, tt.want, got, "%q", tt.in)
	}
}

// FuzzParkProperties checks the one-pass reader of the send path against
// commitlog's parser: for any properties it sees the same DELAY, timer and
// TIMER_OUT_MS values, and parking never panics.
func FuzzParkProperties(f *testing.F) {
	f.Add([]byte("DELAY\x013\x02TAGS\x01A\x02"))
	f.Add([]byte("TIMER_DELAY_SEC\x0110\x02TIMER_DELIVER_MS\x011\x02"))
	f.Add([]byte("__STARTDELIVERTIME\x011700000000000\x02TIMER_OUT_MS\x015"))
	f.Add([]byte("DELAY\x01\x02DELAY\x012\x02\x01x\x02D\x02"))
	f.Add([]byte("TIMER_DELAY_MS\x01-9223372036854775808\x02"))
	f.Fuzz(func(t *testing.T, props []byte) {
		ask := scanParkProperties(props)
		want, ok := commitlog.PropertyValue(props, commitlog.PropertyDelayLevel)
		require.Equal(t, ok, ask.delay != nil)
		require.Equal(t, string(want), string(ask.delay))
		_, ok = commitlog.PropertyValue(props, propertyTimerOutMs)
		require.Equal(t, ok, ask.timerOut)
		anyTimer := false
		for k, name := range timerTriggers {
			want, ok := commitlog.PropertyValue(props, name)
			require.Equal(t, ok, ask.triggers[k] != nil, name)
			require.Equal(t, string(want), string(ask.triggers[k]), name)
			anyTimer = anyTimer || ok
		}
		require.Equal(t, anyTimer, ask.timer)

		if level, ok := ask.delayLevel(); ok {
			require.Positive(t, level)
		}
		b := &Broker{env: env.Env{Clock: env.NewManualClock(delayStart)}, cfg: Config{Store: store.DefaultConfig("/x")}}
		m := commitlog.Message{Topic: "T", Properties: append([]byte(nil), props...)}
		b.parkDelayed(&m)
		switch m.Topic {
		case "T", store.ScheduleTopic:
		case TimerTopic:
			v, ok := commitlog.PropertyValue(m.Properties, propertyTimerOutMs)
			require.True(t, ok)
			target, ok := parseMs(v)
			require.True(t, ok)
			require.GreaterOrEqual(t, target-delayStart.UnixMilli(), timerPrecision.Milliseconds())
		default:
			t.Fatalf("parked in %s", m.Topic)
		}
	})
}
