package client

import (
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/apogeemq/apogee/env"
)

// UNIQ_KEY layout (see the package doc): a 10-byte prefix fixed per
// generator, then a 4-byte time part and a 2-byte counter.
const (
	uniqKeyPrefixBytes = 10
	uniqKeyBytes       = 16
	// UniqKeyLen is the length of a message id in hex digits.
	UniqKeyLen = 2 * uniqKeyBytes
	// maxPidStandIn bounds the process id stand-in to a positive int16, as
	// RocketMQ writes the process id as a short.
	maxPidStandIn = 1 << 15
)

// uniqKeys generates message ids (UNIQ_KEY) as RocketMQ's
// MessageClientIDSetter lays them out.
type uniqKeys struct {
	clock env.Clock

	mu         sync.Mutex
	buf        [uniqKeyBytes]byte // prefix fixed, tail rewritten per id
	monthStart time.Time          // start of the month the time part counts from
	nextMonth  time.Time
	counter    uint16
}

// newUniqKeys returns a generator for a client at ip whose process id
// stand-in is pid and instance stand-in instance.
func newUniqKeys(clock env.Clock, ip netip.Addr, pid uint16, instance uint32) *uniqKeys {
	g := &uniqKeys{clock: clock}
	a := ip.As16() // IPv4 is in the low 4 bytes of the mapped form
	copy(g.buf[0:4], a[12:16])
	binary.BigEndian.PutUint16(g.buf[4:6], pid)
	binary.BigEndian.PutUint32(g.buf[6:10], instance)
	return g
}

// next returns a new id: 32 uppercase hex digits.
func (g *uniqKeys) next() string {
	now := g.clock.Now().UTC()
	var out [UniqKeyLen]byte
	g.mu.Lock()
	if now.Before(g.monthStart) || !now.Before(g.nextMonth) {
		g.monthStart = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
		g.nextMonth = g.monthStart.AddDate(0, 1, 0)
	}
	binary.BigEndian.PutUint32(g.buf[10:14], uint32(now.Sub(g.monthStart).Milliseconds()))
	binary.BigEndian.PutUint16(g.buf[14:16], g.counter)
	g.counter++
	hex.Encode(out[:], g.buf[:])
	g.mu.Unlock()
	return upperHex(out[:])
}

// prefix returns the fixed part of the ids, in hex.
func (g *uniqKeys) prefix() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return strings.ToUpper(hex.EncodeToString(g.buf[:uniqKeyPrefixBytes]))
}

// upperHex upper-cases lowercase hex digits in place and returns them as a
// string.
func upperHex(b []byte) string {
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
