package sim

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/store"
)

// openMemStore opens an async-flush store on its own in-memory disk.
func openMemStore(t *testing.T, clock *env.ManualClock, seed uint64) *store.Store {
	t.Helper()
	cfg := store.DefaultConfig("/store")
	cfg.Logger = quiet
	cfg.CommitLog.SegmentSizeBytes = 64 << 10
	st, err := store.Open(env.Env{Clock: clock, FS: env.NewMemFS(clock), Rand: env.NewSeededRand(seed)}, cfg)
	require.NoError(t, err)
	t.Cleanup(st.Abandon)
	return st
}

// putMessage stores one message on an async-flush store.
func putMessage(t *testing.T, st *store.Store, body string) {
	t.Helper()
	m := &commitlog.Message{Topic: simTopic, Body: []byte(body), BornTimestampMs: startUnixSeconds * 1000,
		BornHost: netip.MustParseAddrPort("10.0.3.1:5000"), StoreHost: netip.MustParseAddrPort("10.0.2.1:10911")}
	var res *store.PutResult
	st.Put(m, func(r store.PutResult) { res = &r })
	require.NotNil(t, res)
	require.Equal(t, store.PutOK, res.Status, "%v", res.Err)
}

// copyLog appends the master's bytes from the slave's end, as a slave does,
// with change applied to each piece (nil: verbatim).
func copyLog(t *testing.T, master, slave *store.Store, change func(off int64, b []byte) []byte) {
	t.Helper()
	for off := slave.ReplicaEnd(); off < master.CommitLogMaxOffset(); {
		b, ref, err := master.ReadCommitLog(off, 4096)
		require.NoError(t, err)
		piece := append([]byte(nil), b...)
		ref.Release()
		if change != nil {
			piece = change(off, piece)
		}
		require.NoError(t, slave.AppendReplica(off, piece))
		off += int64(len(piece))
	}
}

func TestFirstDifferenceNamesTheFirstDifferingByte(t *testing.T) {
	clock := env.NewManualClock(time.Unix(startUnixSeconds, 0))
	master, slave := openMemStore(t, clock, 1), openMemStore(t, clock, 2)
	for i := range 5 {
		putMessage(t, master, fmt.Sprintf("m-%d", i))
	}
	copyLog(t, master, slave, nil)
	end := master.CommitLogMaxOffset()
	off, err := firstDifference(master, slave, 0, end)
	require.NoError(t, err)
	assert.Equal(t, int64(-1), off, "a verbatim copy agrees")

	// The next record reaches the slave with one body byte changed (the
	// body CRC is not checked on a replica's append).
	putMessage(t, master, "m-5")
	bodyAt := int64(-1)
	copyLog(t, master, slave, func(from int64, b []byte) []byte {
		i := strings.Index(string(b), "m-5")
		require.GreaterOrEqual(t, i, 0)
		b[i+2] = '6'
		bodyAt = from + int64(i) + 2
		return b
	})
	off, err = firstDifference(master, slave, 0, master.CommitLogMaxOffset())
	require.NoError(t, err)
	assert.Equal(t, bodyAt, off)
	off, err = firstDifference(master, slave, 0, end)
	require.NoError(t, err)
	assert.Equal(t, int64(-1), off, "the bytes before the change still agree")
}

func TestStoredWithinNarrowsByTheWritersSessions(t *testing.T) {
	w := &World{clock: env.NewManualClock(time.Unix(startUnixSeconds, 0))}
	n := &brokerNode{w: w, clock: &nodeClock{base: w.clock}}
	base, sec := w.now(), time.Second.Nanoseconds()
	// Master from 0 s to 10 s over offsets [0, 1000), then again from 12 s
	// past 800 (a crash took [800, 1000) back).
	n.sessions = []session{
		{fromOffset: 0, endOffset: 1000, beganNs: base, endNs: base + 10*sec},
		{fromOffset: 800, endOffset: -1, beganNs: base + 12*sec, endNs: -1},
	}
	w.clock.Advance(20 * time.Second)
	ms := func(ns int64) int64 { return time.Unix(0, ns).UnixMilli() }
	tests := []struct {
		name           string
		physOffset     int64
		storedNs       int64
		wantLo, wantHi int64
	}{
		{"the stamp bounds it", 300, base + 5*sec, base + 5*sec, base + 5*sec + int64(time.Millisecond)},
		{"second session", 1200, base + 15*sec, base + 15*sec, base + 15*sec + int64(time.Millisecond)},
		// A stamp the clock cannot have made (the future) bounds nothing:
		// the session that can hold the offset does.
		{"first session only", 300, base + 30*sec, base, base + 10*sec},
		{"either session", 900, base + 30*sec, base, base + 20*sec},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi := n.storedWithin(tt.physOffset, ms(tt.storedNs))
			assert.Equal(t, tt.wantLo, lo)
			assert.Equal(t, tt.wantHi, hi)
		})
	}
}

func TestParamsDrawBothShapes(t *testing.T) {
	pairs := 0
	for seed := uint64(1); seed <= 40; seed++ {
		p := DrawParams(env.NewSeededRand(seed))
		if p.Pairs {
			pairs++
			assert.Contains(t, p.String(), "+SLAVE")
			assert.Positive(t, p.TransferBatchBytes)
			assert.Positive(t, p.ReconnectDelay)
		} else {
			assert.Contains(t, p.String(), "ha=none")
			assert.Zero(t, p.Faults.Promote, "a master alone has no slave to promote")
		}
	}
	assert.Greater(t, pairs, 5)
	assert.Less(t, pairs, 35)
}
