package ha

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/store"
)

// The master and its slave in the simulated world: one ManualClock, one
// MemNetwork with a host per node, a crashable MemFS per node.
const (
	masterHost     = "10.0.0.1"
	slaveHost      = "10.0.0.2"
	intruderHost   = "10.0.0.9"
	haAddr         = masterHost + ":10912"
	testSegBytes   = 16 * 1024
	testBodyBytes  = 1000 // about 14 records per segment
	testBatchBytes = 4096 // several frames per segment
)

var (
	testStart    = time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)
	testBornHost = netip.MustParseAddrPort("10.0.0.7:5000")
)

// Both kinds of store the Server and Client work with.
var (
	_ Source  = (*store.Store)(nil)
	_ Replica = (*store.Store)(nil)
)

type node struct {
	t    *testing.T
	fs   *env.MemFS
	e    env.Env
	host string
	cfg  store.Config
	st   *store.Store
}

type rig struct {
	t      *testing.T
	clock  *env.ManualClock
	net    *env.MemNetwork
	master *node
	slave  *node
	server *Server
	client *Client
}

// storeConfig is a small store: segments of 16 KiB, no preallocation.
func storeConfig(flush commitlog.FlushMode) store.Config {
	cfg := store.DefaultConfig("/store")
	cfg.CommitLog.SegmentSizeBytes = testSegBytes
	cfg.CommitLog.PreallocateNext = false
	cfg.CommitLog.FlushMode = flush
	cfg.ConsumeQueueUnitsPerFile = 16
	cfg.IndexHashSlots = 64
	cfg.IndexMaxEntries = 128
	return cfg
}

func newRig(t *testing.T) *rig {
	clock := env.NewManualClock(testStart)
	r := &rig{t: t, clock: clock, net: env.NewMemNetwork(clock)}
	r.master = r.newNode(masterHost, storeConfig(commitlog.FlushAsync))
	r.slave = r.newNode(slaveHost, storeConfig(commitlog.FlushAsync))
	t.Cleanup(func() {
		if r.client != nil {
			r.client.Close()
		}
		if r.server != nil {
			r.server.Close()
		}
		for _, n := range []*node{r.master, r.slave} {
			if n.st != nil {
				n.st.Close()
			}
		}
	})
	return r
}

func (r *rig) newNode(host string, cfg store.Config) *node {
	fs := env.NewMemFS(r.clock)
	n := &node{t: r.t, fs: fs, host: host, cfg: cfg,
		e: env.Env{Clock: r.clock, FS: fs, Rand: env.NewSeededRand(1), Net: r.net.Host(host)}}
	n.open()
	return n
}

func (n *node) open() {
	n.t.Helper()
	st, err := store.Open(n.e, n.cfg)
	require.NoError(n.t, err)
	n.st = st
}

// startServer starts the master's HA server and installs it in the store.
func (r *rig) startServer(tune func(*ServerConfig)) *Server {
	r.t.Helper()
	cfg := ServerConfig{ListenAddr: haAddr, SyncMaster: true, TransferBatchBytes: testBatchBytes, Logger: testLogger(r.t)}
	if tune != nil {
		tune(&cfg)
	}
	s, err := NewServer(r.master.e, r.master.st, cfg)
	require.NoError(r.t, err)
	require.NoError(r.t, s.Start())
	r.master.st.SetReplicator(s)
	r.server = s
	return s
}

// startClient starts the slave's HA client.
func (r *rig) startClient(tune func(*ClientConfig)) *Client {
	cfg := ClientConfig{MasterAddr: haAddr, Logger: testLogger(r.t)}
	if tune != nil {
		tune(&cfg)
	}
	c := NewClient(r.slave.e, r.slave.st, cfg)
	c.Start()
	r.client = c
	return c
}

// run delivers everything due now.
func (r *rig) run() { r.clock.RunDue() }

// sent is a message the test stored on the master, with its answer.
type sent struct {
	topic       string
	queueID     int32
	body        []byte
	queueOffset int64
	physOffset  int64
	endOffset   int64
	status      *store.PutStatus
}

func message(topic string, queueID int32, label string, props ...string) *commitlog.Message {
	body := bytes.Repeat([]byte{'.'}, testBodyBytes)
	copy(body, label)
	var p []byte
	for i := 0; i+1 < len(props); i += 2 {
		p = commitlog.AppendProperty(p, props[i], props[i+1])
	}
	return &commitlog.Message{Topic: topic, QueueID: queueID, BornTimestampMs: testStart.UnixMilli(),
		BornHost: testBornHost, Body: body, Properties: p}
}

// put stores a message on st; its status and offsets are filled in when
// the put completes (a SYNC_MASTER put waits for the slave).
func put(t *testing.T, st *store.Store, m *commitlog.Message) *sent {
	t.Helper()
	s := &sent{topic: m.Topic, queueID: m.QueueID, body: bytes.Clone(m.Body), status: new(store.PutStatus)}
	*s.status = -1
	st.Put(m, func(res store.PutResult) {
		*s.status = res.Status
		s.queueOffset, s.physOffset = res.QueueOffset, res.PhysOffset
		s.endOffset = res.PhysOffset + int64(res.WroteBytes)
	})
	require.True(t, *s.status == -1 || (*s.status).Stored(), "put failed: %v", *s.status)
	return s
}

// putMany stores n messages round robin over queues 0..queues-1 and
// returns them; their statuses fill in later under SYNC_MASTER.
func putMany(t *testing.T, st *store.Store, topic string, queues, n int) []*sent {
	t.Helper()
	out := make([]*sent, 0, n)
	for i := range n {
		q := int32(i % queues)
		out = append(out, put(t, st, message(topic, q, fmt.Sprintf("%s/%d/%d|", topic, q, i))))
	}
	return out
}

// logBytes reads a store's CommitLog bytes [from, to).
func logBytes(t *testing.T, st *store.Store, from, to int64) []byte {
	t.Helper()
	var out []byte
	for from < to {
		b, ref, err := st.ReadCommitLog(from, int(to-from))
		require.NoError(t, err)
		out = append(out, b...)
		from += int64(len(b))
		ref.Release()
	}
	return out
}

// requireReplicated checks that the slave's CommitLog is the master's,
// byte for byte, from the slave's first offset to the master's end, and
// that its queues serve the same messages as the master's.
func (r *rig) requireReplicated(topic string, queues int) {
	t := r.t
	t.Helper()
	m, s := r.master.st, r.slave.st
	end := m.CommitLogMaxOffset()
	require.Equal(t, end, s.CommitLogMaxOffset(), "slave caught up")
	from := s.CommitLogMinOffset()
	require.True(t, bytes.Equal(logBytes(t, m, from, end), logBytes(t, s, from, end)), "CommitLogs differ in [%d, %d)", from, end)
	require.NoError(t, s.CheckConsistency())
	for q := range int32(queues) {
		require.Equal(t, m.MaxOffsetInQueue(topic, q), s.MaxOffsetInQueue(topic, q), "queue %d", q)
		for off := s.MinOffsetInQueue(topic, q); off < s.MaxOffsetInQueue(topic, q); off++ {
			want := m.Get(topic, q, off, 1, nil)
			got := s.Get(topic, q, off, 1, nil)
			require.Equal(t, store.GetFound, want.Status)
			require.Equal(t, store.GetFound, got.Status, "%s/%d@%d on the slave", topic, q, off)
			require.Equal(t, want.Messages, got.Messages)
			want.Release()
			got.Release()
		}
	}
}

// testLogger writes through t.Log when -v is given, else nowhere.
func testLogger(t *testing.T) *slog.Logger {
	if !testing.Verbose() {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// intruder is a hand-driven slave connection: it records the master's
// frames and sends whatever reports a test wants.
type intruder struct {
	t       *testing.T
	nc      env.Conn
	frames  *FrameReader
	rec     recorder
	closed  bool
	closeBy error
}

func (r *rig) dialIntruder() *intruder {
	r.t.Helper()
	in := &intruder{t: r.t, frames: NewFrameReader(DefaultMaxFrameBodyBytes)}
	r.net.Host(intruderHost).Dial(haAddr, time.Second, func(nc env.Conn, err error) {
		require.NoError(r.t, err)
		in.nc = nc
		nc.Start(func(p []byte) { require.NoError(r.t, in.frames.Feed(p, &in.rec)) },
			func(err error) { in.closed, in.closeBy = true, err })
	})
	r.run()
	require.NotNil(r.t, in.nc)
	return in
}

func (in *intruder) report(off int64) {
	b := make([]byte, ReportSizeBytes)
	EncodeReport(b, off)
	in.nc.Write([][]byte{b}, nil)
}

// received returns the end of the body bytes received so far.
func (in *intruder) received() int64 {
	if n := len(in.rec.pieces); n > 0 {
		p := in.rec.pieces[n-1]
		return p.offset + int64(len(p.data))
	}
	if n := len(in.rec.headers); n > 0 {
		return in.rec.headers[n-1].PhysOffset
	}
	return -1
}
