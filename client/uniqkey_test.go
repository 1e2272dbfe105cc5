package client

import (
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

var uniqKeyPattern = regexp.MustCompile(`^[0-9A-F]{32}$`)

func TestUniqKeyLayout(t *testing.T) {
	clock := env.NewManualClock(time.Date(2024, 3, 5, 12, 0, 0, 123_000_000, time.UTC))
	g := newUniqKeys(clock, netip.MustParseAddr("10.1.2.3"), 0x1234, 0xCAFEBABE)
	id := g.next()
	require.Regexp(t, uniqKeyPattern, id)
	assert.Equal(t, "0A0102031234CAFEBABE", id[:20], "IPv4, pid stand-in, instance stand-in")
	assert.Equal(t, "0A0102031234CAFEBABE", g.prefix())

	raw, err := hex.DecodeString(id)
	require.NoError(t, err)
	sinceMonth := 4*24*time.Hour + 12*time.Hour + 123*time.Millisecond
	assert.EqualValues(t, sinceMonth.Milliseconds(), binary.BigEndian.Uint32(raw[10:14]), "ms since 1 March 00:00 UTC")
	assert.EqualValues(t, 0, binary.BigEndian.Uint16(raw[14:16]))

	second, err := hex.DecodeString(g.next())
	require.NoError(t, err)
	assert.EqualValues(t, 1, binary.BigEndian.Uint16(second[14:16]), "the counter moves")
	assert.Equal(t, raw[:14], second[:14], "same instant, same time part")
}

func TestUniqKeyTimePartRestartsEachMonth(t *testing.T) {
	clock := env.NewManualClock(time.Date(2024, 1, 31, 23, 59, 59, 0, time.UTC))
	g := newUniqKeys(clock, netip.MustParseAddr("127.0.0.1"), 1, 2)
	timePart := func() uint32 {
		raw, err := hex.DecodeString(g.next())
		require.NoError(t, err)
		return binary.BigEndian.Uint32(raw[10:14])
	}
	assert.EqualValues(t, (31*24*time.Hour - time.Second).Milliseconds(), timePart())
	clock.Advance(1500 * time.Millisecond)
	assert.EqualValues(t, 500, timePart(), "February counts from its own start")
}

func TestUniqKeyOfIPv6UsesItsLowBytes(t *testing.T) {
	clock := env.NewManualClock(epoch)
	g := newUniqKeys(clock, netip.MustParseAddr("2001:db8::a0b:c0d"), 0, 0)
	assert.Equal(t, "0A0B0C0D", g.next()[:8])
}

func TestUniqKeysAreUnique(t *testing.T) {
	clock := env.NewManualClock(epoch)
	g := newUniqKeys(clock, netip.MustParseAddr("127.0.0.1"), 7, 9)
	const n = 200_000 // more than one counter round
	seen := make(map[string]bool, n)
	for i := range n {
		if i%1000 == 0 {
			clock.Advance(time.Millisecond)
		}
		id := g.next()
		require.Len(t, id, UniqKeyLen)
		require.False(t, seen[id], "duplicate %s after %d ids", id, i)
		seen[id] = true
	}
}

func TestProducersDrawDifferentPrefixes(t *testing.T) {
	e := env.Env{Clock: env.NewManualClock(epoch), Rand: env.NewSeededRand(1)}
	a := NewProducer(e, ProducerConfig{NamesrvAddrs: []string{"127.0.0.1:9876"}, Logger: quiet})
	b := NewProducer(e, ProducerConfig{NamesrvAddrs: []string{"127.0.0.1:9876"}, Logger: quiet})
	assert.NotEqual(t, a.ids.prefix(), b.ids.prefix())
	assert.NotEqual(t, a.ClientID(), b.ClientID())
	assert.Regexp(t, `^127\.0\.0\.1@\d+#\d+$`, a.ClientID())
	c := NewProducer(e, ProducerConfig{NamesrvAddrs: []string{"127.0.0.1:9876"}, InstanceName: "inst", ClientIP: netip.MustParseAddr("10.0.0.5"), Logger: quiet})
	assert.Equal(t, "10.0.0.5@inst", c.ClientID())
	assert.Equal(t, "0A000005", c.ids.prefix()[:8])
}
