package commitlog

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
)

const (
	testDir     = "store/commitlog"
	testSegSize = 4096
)

var testStart = time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)

// countingFS wraps an FS and counts Mapping.Flush calls: the fsyncs.
type countingFS struct {
	env.FS
	flushes atomic.Int64
}

func (c *countingFS) Create(name string) (env.File, error) {
	f, err := c.FS.Create(name)
	if err != nil {
		return nil, err
	}
	return countingFile{File: f, fs: c}, nil
}

func (c *countingFS) OpenRW(name string) (env.File, error) {
	f, err := c.FS.OpenRW(name)
	if err != nil {
		return nil, err
	}
	return countingFile{File: f, fs: c}, nil
}

type countingFile struct {
	env.File
	fs *countingFS
}

func (f countingFile) Map(size int) (env.Mapping, error) {
	m, err := f.File.Map(size)
	if err != nil {
		return nil, err
	}
	return countingMapping{Mapping: m, fs: f.fs}, nil
}

type countingMapping struct {
	env.Mapping
	fs *countingFS
}

func (m countingMapping) Flush(off, n int) error {
	m.fs.flushes.Add(1)
	return m.Mapping.Flush(off, n)
}

// holdClock is a ManualClock that holds back every zero-delay callback (the
// group-commit rounds) until released: a disk so slow that no round ends.
type holdClock struct {
	*env.ManualClock
	mu   sync.Mutex
	held []func()
}

type heldTimer struct{}

func (heldTimer) Stop() bool { return false }

func (c *holdClock) AfterFunc(d time.Duration, f func()) env.Timer {
	if d > 0 {
		return c.ManualClock.AfterFunc(d, f)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.held = append(c.held, f)
	return heldTimer{}
}

func (c *holdClock) release() {
	c.mu.Lock()
	held := c.held
	c.held = nil
	c.mu.Unlock()
	for _, f := range held {
		f()
	}
}

// testEnv is a simulated environment with a flush-counting MemFS.
type testEnv struct {
	env.Env
	clock *env.ManualClock
	mem   *env.MemFS
	fs    *countingFS
}

func newTestEnv() *testEnv {
	clock := env.NewManualClock(testStart)
	mem := env.NewMemFS(clock)
	fs := &countingFS{FS: mem}
	return &testEnv{
		Env:   env.Env{Clock: clock, FS: fs, Rand: env.NewSeededRand(1)},
		clock: clock, mem: mem, fs: fs,
	}
}

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.SegmentSizeBytes = testSegSize
	cfg.PreallocateNext = false
	cfg.Logger = slog.New(slog.DiscardHandler)
	return cfg
}

// openRecovered opens and recovers a log, closing it when the test ends.
func openRecovered(t *testing.T, e env.Env, cfg Config) *Log {
	t.Helper()
	l, err := Open(e, testDir, cfg)
	require.NoError(t, err)
	_, err = l.Recover(RecoverOptions{}, nil)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return l
}

// testMsg builds a message with a body of bodyBytes bytes.
func testMsg(topic string, queueID int32, bodyBytes int, seed int) Message {
	body := make([]byte, bodyBytes)
	for i := range body {
		body[i] = byte(seed + i)
	}
	var props []byte
	props = AppendProperty(props, PropertyKeys, fmt.Sprintf("k%d", seed))
	return Message{
		Topic: topic, QueueID: queueID, BornTimestampMs: int64(seed),
		BornHost: hostBorn4, StoreHost: hostStore4, Body: body, Properties: props,
	}
}

// mustAppend appends and fails the test on error.
func mustAppend(t *testing.T, l *Log, m Message) AppendResult {
	t.Helper()
	r, err := l.Append(&m)
	require.NoError(t, err)
	return r
}

// walk reads every record from MinOffset to MaxOffset the way a dispatcher
// does, jumping over blank records, and returns their offsets.
func walk(t *testing.T, l *Log) []int64 {
	t.Helper()
	var offsets []int64
	for off := l.MinOffset(); off < l.MaxOffset(); {
		rec, ref, err := l.ReadRecord(off)
		if errors.Is(err, ErrBlank) {
			require.Equal(t, l.NextSegmentStart(off), off+int64(rec.TotalSize), "blank fills its segment")
			off = l.NextSegmentStart(off)
			continue
		}
		require.NoError(t, err, "record at %d", off)
		require.Equal(t, BodyCRC(rec.Body), rec.BodyCRC)
		offsets = append(offsets, off)
		off = rec.EndOffset()
		ref.Release()
	}
	return offsets
}

// physOffsets returns the PhysOffset of each result.
func physOffsets(rs []AppendResult) []int64 {
	out := make([]int64, len(rs))
	for i, r := range rs {
		out[i] = r.PhysOffset
	}
	return out
}
