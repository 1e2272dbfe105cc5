package store

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
)

// Geometry of the in-memory test stores: small enough that a few dozen
// messages span several CommitLog segments and ConsumeQueue files.
const (
	testRoot            = "/store"
	testSegmentBytes    = 16 * 1024
	testCQUnitsPerFile  = 16
	testIndexHashSlots  = 64
	testIndexMaxEntries = 128
	// testBodyBytes makes about 14 records per 16 KiB segment.
	testBodyBytes = 1000
)

// testStart is a whole second in UTC: index entries keep seconds relative to
// their file's first message, and retention compares Hour() with DeleteWhen.
var testStart = time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)

var testBornHost = netip.MustParseAddrPort("10.0.0.1:5000")

// testConfig is DefaultConfig with the small geometry and no segment
// preallocation, so the files on disk are exactly the ones the puts needed.
func testConfig() Config {
	cfg := DefaultConfig(testRoot)
	cfg.CommitLog.SegmentSizeBytes = testSegmentBytes
	cfg.CommitLog.PreallocateNext = false
	cfg.ConsumeQueueUnitsPerFile = testCQUnitsPerFile
	cfg.IndexHashSlots = testIndexHashSlots
	cfg.IndexMaxEntries = testIndexMaxEntries
	return cfg
}

// memStore is a Store on a MemFS and a ManualClock, reopened across
// restarts and crashes.
type memStore struct {
	t     *testing.T
	clock *env.ManualClock
	fs    *env.MemFS
	e     env.Env
	cfg   Config
	st    *Store
}

// newMemStore opens a fresh store; tune adjusts testConfig first.
func newMemStore(t *testing.T, tune func(*Config)) *memStore {
	t.Helper()
	clock := env.NewManualClock(testStart)
	memFS := env.NewMemFS(clock)
	cfg := testConfig()
	if tune != nil {
		tune(&cfg)
	}
	m := &memStore{t: t, clock: clock, fs: memFS, cfg: cfg,
		e: env.Env{Clock: clock, FS: memFS, Rand: env.NewSeededRand(1)}}
	m.open()
	t.Cleanup(func() {
		if m.st != nil {
			m.st.Close()
		}
	})
	return m
}

// tryOpen opens the store on the current files.
func (m *memStore) tryOpen() (*Store, error) { return Open(m.e, m.cfg) }

// open opens the store and requires success.
func (m *memStore) open() *Store {
	m.t.Helper()
	st, err := m.tryOpen()
	require.NoError(m.t, err)
	m.st = st
	return st
}

// close shuts the store down cleanly.
func (m *memStore) close() {
	m.t.Helper()
	require.NoError(m.t, m.st.Close())
	m.st = nil
}

// reopen closes cleanly and opens again.
func (m *memStore) reopen() *Store {
	m.t.Helper()
	m.close()
	return m.open()
}

// crashProcess kills the process under the store: the page cache and the
// abort file survive, nothing is flushed.
func (m *memStore) crashProcess() {
	m.fs.CrashProcess()
	m.st.Abandon()
	m.st = nil
}

// sent is a message the test stored, with what the store answered.
type sent struct {
	topic       string
	queueID     int32
	body        []byte
	props       []byte
	queueOffset int64
	physOffset  int64
	sizeBytes   int
	storeMs     int64
}

// newMessage builds a message whose body starts with a unique label and is
// padded to bodyBytes. props are name/value pairs.
func newMessage(topic string, queueID int32, label string, bodyBytes int, props ...string) *commitlog.Message {
	body := bytes.Repeat([]byte{'.'}, max(bodyBytes, len(label)))
	copy(body, label)
	var p []byte
	for i := 0; i+1 < len(props); i += 2 {
		p = commitlog.AppendProperty(p, props[i], props[i+1])
	}
	return &commitlog.Message{
		Topic:           topic,
		QueueID:         queueID,
		BornTimestampMs: testStart.UnixMilli(),
		BornHost:        testBornHost,
		Body:            body,
		Properties:      p,
	}
}

// putAsync stores msg on an async-flush store, where the callback runs
// before Put returns, and returns the result whatever its status.
func putAsync(t *testing.T, st *Store, msg *commitlog.Message) PutResult {
	t.Helper()
	var got *PutResult
	st.Put(msg, func(r PutResult) { got = &r })
	require.NotNil(t, got, "put did not complete before returning")
	return *got
}

// putOK stores msg and requires PUT_OK.
func putOK(t *testing.T, st *Store, msg *commitlog.Message) sent {
	t.Helper()
	r := putAsync(t, st, msg)
	require.Equal(t, PutOK, r.Status, "put: %v", r.Err)
	return sent{
		topic: msg.Topic, queueID: msg.QueueID,
		body: bytes.Clone(msg.Body), props: bytes.Clone(msg.Properties),
		queueOffset: r.QueueOffset, physOffset: r.PhysOffset, sizeBytes: r.WroteBytes, storeMs: r.StoreTimestampMs,
	}
}

// putMany stores n messages of testBodyBytes in topic/queueID.
func putMany(t *testing.T, st *Store, topic string, queueID int32, n int) []sent {
	t.Helper()
	out := make([]sent, 0, n)
	for range n {
		label := fmt.Sprintf("%s/%d/%d|", topic, queueID, st.MaxOffsetInQueue(topic, queueID))
		out = append(out, putOK(t, st, newMessage(topic, queueID, label, testBodyBytes)))
	}
	return out
}

// putRoundRobin stores n messages spread over queues 0..queues-1 of topic.
func putRoundRobin(t *testing.T, st *Store, topic string, queues, n int) []sent {
	t.Helper()
	out := make([]sent, 0, n)
	for i := range n {
		out = append(out, putMany(t, st, topic, int32(i%queues), 1)...)
	}
	return out
}

// requireRecord checks that raw is exactly the record of want.
func requireRecord(t *testing.T, raw []byte, want sent) {
	t.Helper()
	rec, err := commitlog.Decode(raw, true)
	require.NoError(t, err)
	require.Equal(t, want.topic, string(rec.Topic))
	require.Equal(t, want.queueID, rec.QueueID)
	require.Equal(t, want.queueOffset, rec.QueueOffset)
	require.Equal(t, want.physOffset, rec.PhysOffset)
	require.Equal(t, want.storeMs, rec.StoreTimestampMs)
	require.Equal(t, want.body, rec.Body)
	require.Equal(t, string(want.props), string(rec.Properties))
	require.Len(t, raw, want.sizeBytes)
}

// requireReadable reads every message back through Get, one at a time.
func requireReadable(t *testing.T, st *Store, msgs []sent) {
	t.Helper()
	for _, want := range msgs {
		r := st.Get(want.topic, want.queueID, want.queueOffset, 1, nil)
		require.Equal(t, GetFound, r.Status, "%s/%d@%d", want.topic, want.queueID, want.queueOffset)
		require.Len(t, r.Messages, 1)
		require.Equal(t, want.queueOffset+1, r.NextBeginOffset)
		requireRecord(t, r.Messages[0], want)
		r.Release()
	}
}

// maxOffsets counts the messages of each queue in msgs.
func maxOffsets(msgs []sent) map[string]int64 {
	out := map[string]int64{}
	for _, m := range msgs {
		k := fmt.Sprintf("%s/%d", m.topic, m.queueID)
		out[k] = max(out[k], m.queueOffset+1)
	}
	return out
}

// requireMaxOffsets checks the store's max offset of every queue in want.
func requireMaxOffsets(t *testing.T, st *Store, want map[string]int64, msgs []sent) {
	t.Helper()
	for _, m := range msgs {
		k := fmt.Sprintf("%s/%d", m.topic, m.queueID)
		require.Equal(t, want[k], st.MaxOffsetInQueue(m.topic, m.queueID), k)
	}
}

// segmentPath is the CommitLog segment starting at physOffset.
func segmentPath(cfg Config, physOffset int64) string {
	return filepath.Join(cfg.RootDir, commitLogDirName, fmt.Sprintf("%020d", physOffset))
}

// segmentStart is the start of the segment holding physOffset.
func segmentStart(physOffset int64) int64 {
	return physOffset - physOffset%testSegmentBytes
}

// listDir lists a directory of the MemFS, or nothing when it is missing.
func listDir(t *testing.T, fsys env.FS, dir string) []string {
	t.Helper()
	names, err := fsys.List(dir)
	if err != nil {
		require.ErrorIs(t, err, fs.ErrNotExist)
		return nil
	}
	return names
}

// patchFile overwrites bytes of a file at off through the FS (and syncs, so
// the change survives any crash that follows).
func patchFile(t *testing.T, fsys env.FS, path string, off int64, p []byte) {
	t.Helper()
	f, err := fsys.OpenRW(path)
	require.NoError(t, err)
	_, err = f.WriteAt(p, off)
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
}

// readFile reads a whole file of the FS.
func readFile(t *testing.T, fsys env.FS, path string) []byte {
	t.Helper()
	f, err := fsys.Open(path)
	require.NoError(t, err)
	defer f.Close()
	size, err := f.Size()
	require.NoError(t, err)
	b := make([]byte, size)
	_, err = f.ReadAt(b, 0)
	require.NoError(t, err)
	return b
}

// resizeFile truncates or extends a file through the FS.
func resizeFile(t *testing.T, fsys env.FS, path string, size int64) {
	t.Helper()
	f, err := fsys.OpenRW(path)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(size))
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
}
