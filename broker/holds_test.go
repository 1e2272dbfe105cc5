package broker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/store"
)

func TestPullHoldsWakeByOffsetAndTagAndExpire(t *testing.T) {
	clock := env.NewManualClock(time.Unix(1_700_000_000, 0))
	h := newPullHolds(clock, 3)
	var expired []*heldPull
	expire := func(hp *heldPull) { expired = append(expired, hp) }
	subB, err := parseSubscription("t", "B || C", "TAG", 0)
	require.NoError(t, err)
	q0 := queueKey{"t", 0}
	a := &heldPull{key: q0, offset: 5}
	b := &heldPull{key: q0, offset: 5, sub: subB}
	c := &heldPull{key: q0, offset: 9}
	d := &heldPull{key: queueKey{"t", 1}, offset: 0}
	require.True(t, h.hold(a, time.Second, expire))
	require.True(t, h.hold(b, time.Second, expire))
	require.True(t, h.hold(c, 2*time.Second, expire))
	require.False(t, h.hold(d, time.Second, expire), "the table is full")

	// A message below a pull's offset wakes nobody; one at it wakes the
	// pulls whose filter passes.
	require.Empty(t, h.arrived(q0, 4, store.TagCode("A"), true))
	require.Equal(t, []*heldPull{a}, h.arrived(q0, 5, store.TagCode("A"), true))
	require.Equal(t, []*heldPull{b}, h.arrived(q0, 6, store.TagCode("C"), true))
	require.Equal(t, 1, h.size())

	// The timer of a woken pull does nothing; the held one expires.
	clock.Advance(time.Second)
	require.Empty(t, expired)
	clock.Advance(time.Second)
	require.Equal(t, []*heldPull{c}, expired)
	require.Zero(t, h.size())
	require.Empty(t, h.arrived(q0, 100, 0, false))

	// Close hands back what is held and refuses more.
	require.True(t, h.hold(d, time.Minute, expire))
	require.Equal(t, []*heldPull{d}, h.closeAll())
	require.False(t, h.hold(a, time.Second, expire))
	clock.Advance(time.Hour)
	require.Equal(t, []*heldPull{c}, expired, "a pull handed back at close never expires")
}

func TestParseSubscription(t *testing.T) {
	for _, expr := range []string{"", "*", "  *  ", " || "} {
		s, err := parseSubscription("t", expr, "TAG", 0)
		require.NoError(t, err)
		require.True(t, s.all, expr)
	}
	s, err := parseSubscription("t", "TagA || TagB ||TagC", "", 3)
	require.NoError(t, err)
	require.False(t, s.all)
	require.True(t, s.matches(store.TagCode("TagA")))
	require.True(t, s.matches(store.TagCode("TagC")))
	require.False(t, s.matches(store.TagCode("TagD")))
	require.Equal(t, int64(3), s.subVersion)
	_, err = parseSubscription("t", "a > 1", "SQL92", 0)
	require.Error(t, err)
}

func TestValidateNames(t *testing.T) {
	for _, ok := range []string{"a", "Topic_1-x", "%RETRY%g", "a|b", string(make([]byte, 0)) + "x"} {
		require.NoError(t, ValidateTopic(ok), ok)
	}
	long := make([]byte, 128)
	for i := range long {
		long[i] = 'a'
	}
	for _, bad := range []string{"", "../x", "a b", "a/b", "é", string(long)} {
		require.Error(t, ValidateTopic(bad), bad)
	}
	require.NoError(t, ValidateTopic(string(long[:127])))
	require.Error(t, ValidateGroup(""))
	require.Error(t, ValidateGroup("g g"))
	require.NoError(t, ValidateGroup("GID_1"))
}
