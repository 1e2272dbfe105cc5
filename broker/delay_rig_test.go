package broker

import (
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/store"
	"github.com/apogeemq/apogee/store/configfile"
)

// The delay rig runs a broker on a ManualClock, a MemFS and a MemNetwork:
// deliveries happen inside clock.Advance, so a test says exactly when time
// passes and never sleeps.

var (
	delayStart    = time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)
	delayBornHost = netip.MustParseAddrPort("10.0.0.1:5000")
	quietLog      = slog.New(slog.DiscardHandler)
)

type delayRig struct {
	t     testing.TB
	clock *env.ManualClock
	fs    *env.MemFS
	cfg   Config
	b     *Broker
}

// newDelayRig starts a broker; tweak adjusts its config.
func newDelayRig(t testing.TB, tweak func(*Config)) *delayRig {
	t.Helper()
	clock := env.NewManualClock(delayStart)
	cfg := DefaultConfig("/store")
	cfg.ListenAddr = "10.0.0.2:10911"
	cfg.BrokerIP1 = netip.MustParseAddr("10.0.0.2")
	cfg.Logger = quietLog
	cfg.Store.Logger = quietLog
	cfg.Store.CommitLog.SegmentSizeBytes = 1 << 20
	cfg.Store.ConsumeQueueUnitsPerFile = 1000
	cfg.Store.IndexHashSlots = 64
	cfg.Store.IndexMaxEntries = 256
	if tweak != nil {
		tweak(&cfg)
	}
	r := &delayRig{t: t, clock: clock, fs: env.NewMemFS(clock), cfg: cfg}
	r.start()
	t.Cleanup(func() {
		if r.b != nil {
			r.b.Close()
		}
	})
	return r
}

// tryStart opens and starts a broker on the rig's files.
func (r *delayRig) tryStart() (*Broker, error) {
	e := env.Env{Clock: r.clock, FS: r.fs, Rand: env.NewSeededRand(7), Net: env.NewMemNetwork(r.clock).Host("10.0.0.2")}
	b, err := New(e, r.cfg)
	if err != nil {
		return nil, err
	}
	if err := b.Start(); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

func (r *delayRig) start() {
	r.t.Helper()
	b, err := r.tryStart()
	require.NoError(r.t, err)
	r.b = b
}

// restart closes the broker cleanly and starts it again.
func (r *delayRig) restart() {
	r.t.Helper()
	require.NoError(r.t, r.b.Close())
	r.b = nil
	r.start()
}

// crash kills the broker's process (machine: the machine too, losing what
// was not synced) and starts it again.
func (r *delayRig) crash(machine bool) {
	r.t.Helper()
	if machine {
		r.fs.CrashMachine(11, env.CrashOptions{KeepNoPages: true})
	} else {
		r.fs.CrashProcess()
	}
	r.b.Abandon()
	r.b = nil
	r.start()
}

// advance moves time forward.
func (r *delayRig) advance(d time.Duration) { r.clock.Advance(d) }

// nowMs is the rig's time in ms.
func (r *delayRig) nowMs() int64 { return r.clock.Now().UnixMilli() }

// message builds a message of topic with body and properties (name, value
// pairs).
func message(topic string, queueID int32, body string, props ...string) commitlog.Message {
	var p []byte
	for i := 0; i+1 < len(props); i += 2 {
		p = commitlog.AppendProperty(p, props[i], props[i+1])
	}
	return commitlog.Message{
		Topic: topic, QueueID: queueID, BornTimestampMs: delayStart.UnixMilli() - 1000,
		BornHost: delayBornHost, Body: []byte(body), Properties: p,
	}
}

// put stores m as a send does and returns the result.
func (r *delayRig) put(m commitlog.Message) store.PutResult {
	r.t.Helper()
	var res store.PutResult
	done := false
	r.b.PutMessage(&m, func(pr store.PutResult) { res, done = pr, true })
	r.clock.RunDue()
	require.True(r.t, done, "the put completed")
	require.Equal(r.t, store.PutOK, res.Status, "%v", res.Err)
	return res
}

// delivered is one message read back from a queue.
type delivered struct {
	queueOffset int64
	tagCode     int64
	rec         commitlog.Record
	props       map[string]string
}

// read returns every message of a queue, with its unit's tag code.
func (r *delayRig) read(topic string, queueID int32) []delivered {
	r.t.Helper()
	var out []delivered
	st := r.b.Store()
	for offset := st.MinOffsetInQueue(topic, queueID); offset < st.MaxOffsetInQueue(topic, queueID); {
		var tags []int64
		res := st.Get(topic, queueID, offset, 32, func(tag int64) bool { tags = append(tags, tag); return true })
		require.Equal(r.t, store.GetFound, res.Status, "offset %d", offset)
		require.Len(r.t, tags, len(res.Messages))
		for i, raw := range res.Messages {
			rec, err := commitlog.Decode(raw, true)
			require.NoError(r.t, err)
			rec.Body = append([]byte(nil), rec.Body...)
			rec.Properties = append([]byte(nil), rec.Properties...)
			rec.Topic = append([]byte(nil), rec.Topic...)
			rec.Raw = nil
			out = append(out, delivered{queueOffset: res.QueueOffsets[i], tagCode: tags[i], rec: rec,
				props: commitlog.ParseProperties(rec.Properties)})
		}
		offset = res.NextBeginOffset
		res.Release()
	}
	return out
}

// bodies returns the bodies of a queue's messages in queue order.
func (r *delayRig) bodies(topic string, queueID int32) []string {
	var out []string
	for _, d := range r.read(topic, queueID) {
		out = append(out, string(d.rec.Body))
	}
	return out
}

// delayOffsets reads delayOffset.json as the broker left it.
func (r *delayRig) delayOffsets() map[int32]int64 {
	r.t.Helper()
	table, src, err := configfile.LoadDelayOffsets(r.fs, configfile.FilePath(r.cfg.Store.RootDir, configfile.DelayOffsetFile))
	require.NoError(r.t, err)
	require.NotEqual(r.t, configfile.SourceNone, src, "delayOffset.json exists")
	return table.QueueOffsets
}
