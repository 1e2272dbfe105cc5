package store

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
)

// The model: per queue, the messages in queue-offset order. A message is
// durable when the store promised it (a sync-flush PutOK) or after an
// explicit Flush; after a machine crash only durable messages are
// guaranteed, and whatever else survives must be an exact prefix of what was
// appended.
type modelMsg struct {
	topic      string
	queueID    int32
	body       []byte
	keys       string
	tags       string
	physOffset int64
	durable    bool
}

type queueKey struct {
	topic   string
	queueID int32
}

type storeMachine struct {
	t       *rapid.T
	fs      *env.MemFS
	clock   *env.ManualClock
	cfg     Config
	st      *Store
	sync    bool
	queues  map[queueKey][]*modelMsg
	seq     int
	crashes int
}

var rapidTopics = []string{"TopicA", "TopicB"}

func newStoreMachine(t *rapid.T) *storeMachine {
	clock := env.NewManualClock(time.UnixMilli(1_700_000_000_000))
	fs := env.NewMemFS(clock)
	cfg := DefaultConfig("/store")
	cfg.CommitLog.SegmentSizeBytes = 16 * 1024
	cfg.ConsumeQueueUnitsPerFile = 16
	cfg.IndexHashSlots = 64
	cfg.IndexMaxEntries = 128
	cfg.MessageIndexSafe = true
	// A torn page can cut a record's properties while its body, and so its
	// body CRC, survive: the whole-record CRC catches it.
	cfg.CommitLog.AppendPropCRC = true
	cfg.CommitLog.VerifyPropCRC = true
	m := &storeMachine{t: t, fs: fs, clock: clock, cfg: cfg, queues: map[queueKey][]*modelMsg{}}
	m.sync = rapid.Bool().Draw(t, "syncFlush")
	if m.sync {
		m.cfg.CommitLog.FlushMode = commitlog.FlushSync
	}
	m.open()
	return m
}

func (m *storeMachine) open() {
	st, err := Open(env.Env{Clock: m.clock, FS: m.fs, Rand: env.NewSeededRand(1)}, m.cfg)
	if err != nil {
		m.t.Fatalf("open: %v", err)
	}
	m.st = st
}

func (m *storeMachine) message(topic string, queueID int32, size int) *commitlog.Message {
	m.seq++
	body := bytes.Repeat([]byte{byte(m.seq)}, size)
	copy(body, fmt.Sprintf("m%d|", m.seq))
	keys := fmt.Sprintf("k%d shared%d", m.seq, m.seq%3)
	tags := fmt.Sprintf("tag%d", m.seq%2)
	var props []byte
	props = commitlog.AppendProperty(props, commitlog.PropertyKeys, keys)
	props = commitlog.AppendProperty(props, commitlog.PropertyTags, tags)
	props = commitlog.AppendProperty(props, commitlog.PropertyUniqKey, fmt.Sprintf("U%08d", m.seq))
	return &commitlog.Message{
		Topic:           topic,
		QueueID:         queueID,
		BornTimestampMs: m.clock.Now().UnixMilli(),
		BornHost:        netip.MustParseAddrPort("10.0.0.1:5000"),
		Body:            body,
		Properties:      props,
	}
}

// settle lets group commit and other immediate work run.
func (m *storeMachine) settle() { m.clock.RunDue() }

func (m *storeMachine) record(msg *commitlog.Message, r PutResult, i int) {
	k := queueKey{msg.Topic, msg.QueueID}
	q := m.queues[k]
	if r.QueueOffset+int64(i) != int64(len(q)) {
		m.t.Fatalf("%v: queue offset %d, model expects %d (offsets reused or skipped)", k, r.QueueOffset+int64(i), len(q))
	}
	keys, _ := commitlog.PropertyValue(msg.Properties, commitlog.PropertyKeys)
	tags, _ := commitlog.PropertyValue(msg.Properties, commitlog.PropertyTags)
	m.queues[k] = append(q, &modelMsg{
		topic: msg.Topic, queueID: msg.QueueID, body: slices.Clone(msg.Body),
		keys: string(keys), tags: string(tags), durable: m.sync,
	})
}

func (m *storeMachine) Put(t *rapid.T) {
	topic := rapid.SampledFrom(rapidTopics).Draw(t, "topic")
	qid := int32(rapid.IntRange(0, 2).Draw(t, "queue"))
	size := rapid.IntRange(0, 6000).Draw(t, "size")
	msg := m.message(topic, qid, size)
	var got *PutResult
	m.st.Put(msg, func(r PutResult) { got = &r })
	m.settle()
	if got == nil {
		t.Fatalf("put not completed after group commit ran")
	}
	if got.Status != PutOK {
		t.Fatalf("put: %v %v", got.Status, got.Err)
	}
	m.record(msg, *got, 0)
	m.queues[queueKey{topic, qid}][len(m.queues[queueKey{topic, qid}])-1].physOffset = got.PhysOffset
}

func (m *storeMachine) PutBatch(t *rapid.T) {
	topic := rapid.SampledFrom(rapidTopics).Draw(t, "topic")
	qid := int32(rapid.IntRange(0, 2).Draw(t, "queue"))
	n := rapid.IntRange(1, 5).Draw(t, "n")
	msgs := make([]commitlog.Message, n)
	for i := range msgs {
		msgs[i] = *m.message(topic, qid, rapid.IntRange(0, 3000).Draw(t, "size"))
	}
	var got *PutResult
	m.st.PutBatch(msgs, func(r PutResult) { got = &r })
	m.settle()
	if got == nil || got.Status != PutOK {
		t.Fatalf("batch put: %+v", got)
	}
	if got.MsgCount != n {
		t.Fatalf("batch put stored %d of %d", got.MsgCount, n)
	}
	for i := range msgs {
		m.record(&msgs[i], *got, i)
	}
}

func (m *storeMachine) Flush(t *rapid.T) {
	if err := m.st.Flush(); err != nil {
		t.Fatalf("flush: %v", err)
	}
	for _, q := range m.queues {
		for _, msg := range q {
			msg.durable = true
		}
	}
}

func (m *storeMachine) AdvanceClock(t *rapid.T) {
	m.clock.Advance(time.Duration(rapid.IntRange(1, 3000).Draw(t, "ms")) * time.Millisecond)
}

func (m *storeMachine) pickQueue(t *rapid.T) (queueKey, []*modelMsg, bool) {
	var keys []queueKey
	for k, q := range m.queues {
		if len(q) > 0 {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return queueKey{}, nil, false
	}
	slices.SortFunc(keys, func(a, b queueKey) int {
		if a.topic != b.topic {
			return cmpString(a.topic, b.topic)
		}
		return int(a.queueID - b.queueID)
	})
	k := rapid.SampledFrom(keys).Draw(t, "queue")
	return k, m.queues[k], true
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (m *storeMachine) checkRecord(raw []byte, want *modelMsg, queueOffset int64) {
	rec, err := commitlog.Decode(raw, true)
	if err != nil {
		m.t.Fatalf("decode %v@%d: %v", queueKey{want.topic, want.queueID}, queueOffset, err)
	}
	if string(rec.Topic) != want.topic || rec.QueueID != want.queueID || rec.QueueOffset != queueOffset {
		m.t.Fatalf("record at %v@%d is %s/%d@%d", queueKey{want.topic, want.queueID}, queueOffset, rec.Topic, rec.QueueID, rec.QueueOffset)
	}
	if !bytes.Equal(rec.Body, want.body) {
		m.t.Fatalf("body at %v@%d differs", queueKey{want.topic, want.queueID}, queueOffset)
	}
}

func (m *storeMachine) GetByQueue(t *rapid.T) {
	k, q, ok := m.pickQueue(t)
	if !ok {
		return // nothing stored yet: the action has nothing to read
	}
	from := rapid.IntRange(0, len(q)).Draw(t, "offset")
	maxMsgs := rapid.IntRange(1, 8).Draw(t, "max")
	r := m.st.Get(k.topic, k.queueID, int64(from), maxMsgs, nil)
	defer r.Release()
	if from == len(q) {
		if r.Status != GetOffsetOverflowOne || len(r.Messages) != 0 {
			t.Fatalf("get at max offset: %v with %d messages", r.Status, len(r.Messages))
		}
		return
	}
	if r.Status != GetFound {
		t.Fatalf("get %v@%d: %v", k, from, r.Status)
	}
	if r.MaxOffset != int64(len(q)) {
		t.Fatalf("get %v: max offset %d, model %d", k, r.MaxOffset, len(q))
	}
	for i, raw := range r.Messages {
		m.checkRecord(raw, q[from+i], int64(from+i))
	}
	if r.NextBeginOffset != int64(from+len(r.Messages)) {
		t.Fatalf("next begin %d after %d messages from %d", r.NextBeginOffset, len(r.Messages), from)
	}
}

func (m *storeMachine) GetByTag(t *rapid.T) {
	k, q, ok := m.pickQueue(t)
	if !ok {
		return // nothing stored yet: the action has nothing to read
	}
	tag := rapid.SampledFrom([]string{"tag0", "tag1"}).Draw(t, "tag")
	code := TagCode(tag)
	r := m.st.Get(k.topic, k.queueID, 0, 32, func(tagCode int64) bool { return tagCode == code })
	defer r.Release()
	var want []int
	for i, msg := range q {
		if msg.tags == tag && len(want) < 32 {
			want = append(want, i)
		}
	}
	if len(r.Messages) > len(want) {
		t.Fatalf("tag %s: %d messages, model has %d", tag, len(r.Messages), len(want))
	}
	for i, raw := range r.Messages {
		if r.QueueOffsets[i] != int64(want[i]) {
			var tags []string
			for _, msg := range q {
				tags = append(tags, msg.tags)
			}
			u, _ := m.st.cqs.Get(k.topic, k.queueID).Get(int64(want[i]))
			rec, ref, err := m.st.ReadRecord(u.PhysOffset)
			var recTags []byte
			if err == nil {
				recTags, _ = commitlog.PropertyValue(rec.Properties, commitlog.PropertyTags)
				ref.Release()
			}
			t.Fatalf("tag %s: message %d at offset %d, model wants %d (model tags %v); unit %v record tags %q err %v report %+v",
				tag, i, r.QueueOffsets[i], want[i], tags, u, recTags, err, m.st.Report())
		}
		m.checkRecord(raw, q[want[i]], int64(want[i]))
	}
}

func (m *storeMachine) LookupByKey(t *rapid.T) {
	k, q, ok := m.pickQueue(t)
	if !ok {
		return // nothing stored yet: the action has nothing to read
	}
	i := rapid.IntRange(0, len(q)-1).Draw(t, "i")
	key := q[i].keys[:bytes.IndexByte([]byte(q[i].keys), ' ')]
	res, err := m.st.QueryByKey(k.topic, key, 64, 0, m.clock.Now().UnixMilli()+1)
	if err != nil {
		t.Fatalf("query %s: %v", key, err)
	}
	defer res.Release()
	if len(res.Messages) != 1 {
		t.Fatalf("query %s/%s: %d results, want 1", k.topic, key, len(res.Messages))
	}
	m.checkRecord(res.Messages[0], q[i], int64(i))
}

func (m *storeMachine) CleanRestart(t *rapid.T) {
	if err := m.st.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	for _, q := range m.queues {
		for _, msg := range q {
			msg.durable = true
		}
	}
	m.open()
}

func (m *storeMachine) ProcessCrash(t *rapid.T) {
	m.fs.CrashProcess()
	m.st.Abandon()
	m.open()
	m.crashes++
}

func (m *storeMachine) MachineCrash(t *rapid.T) {
	seed := rapid.Uint64().Draw(t, "crashSeed")
	m.fs.CrashMachine(seed, env.CrashOptions{TornPage: rapid.Bool().Draw(t, "torn")})
	m.st.Abandon()
	m.open()
	m.crashes++
	// Reconcile the model with what survived: durable messages must all be
	// there; beyond them, whatever survived must be what was appended.
	for k, q := range m.queues {
		maxOffset := m.st.MaxOffsetInQueue(k.topic, k.queueID)
		durable := 0
		for durable < len(q) && q[durable].durable {
			durable++
		}
		if maxOffset < int64(durable) {
			t.Fatalf("%v lost acknowledged durable messages: max offset %d, %d durable", k, maxOffset, durable)
		}
		if maxOffset > int64(len(q)) {
			t.Fatalf("%v has %d messages after crash, only %d appended", k, maxOffset, len(q))
		}
		m.queues[k] = q[:maxOffset]
	}
	m.Check(t)
}

// Check holds after every action: each queue reads back exactly as modelled
// and its ConsumeQueue units agree with the CommitLog.
func (m *storeMachine) Check(t *rapid.T) {
	for k, q := range m.queues {
		if got := m.st.MaxOffsetInQueue(k.topic, k.queueID); got != int64(len(q)) {
			t.Fatalf("%v: max offset %d, model %d", k, got, len(q))
		}
		for from := 0; from < len(q); {
			r := m.st.Get(k.topic, k.queueID, int64(from), 32, nil)
			if r.Status != GetFound || len(r.Messages) == 0 {
				r.Release()
				t.Fatalf("%v@%d: %v", k, from, r.Status)
			}
			for i, raw := range r.Messages {
				m.checkRecord(raw, q[from+i], int64(from+i))
			}
			from += len(r.Messages)
			r.Release()
		}
	}
	if err := m.st.CheckConsistency(); err != nil {
		t.Fatalf("consistency: %v", err)
	}
}

func TestStoreStateMachine(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := newStoreMachine(t)
		defer func() {
			if m.st != nil {
				m.st.Close()
			}
		}()
		t.Repeat(map[string]func(*rapid.T){
			"put":          m.Put,
			"putBatch":     m.PutBatch,
			"flush":        m.Flush,
			"advanceClock": m.AdvanceClock,
			"getByQueue":   m.GetByQueue,
			"getByTag":     m.GetByTag,
			"lookupByKey":  m.LookupByKey,
			"cleanRestart": m.CleanRestart,
			"processCrash": m.ProcessCrash,
			"machineCrash": m.MachineCrash,
			"":             m.Check,
		})
	})
}

func TestStoreStateMachineRegression(t *testing.T) {
	// Fixed scenario: fill several segments, crash the machine mid-way with a
	// torn page, and check recovery keeps every flushed message.
	clock := env.NewManualClock(time.UnixMilli(1_700_000_000_000))
	fs := env.NewMemFS(clock)
	cfg := DefaultConfig("/store")
	cfg.CommitLog.SegmentSizeBytes = 16 * 1024
	cfg.ConsumeQueueUnitsPerFile = 16
	cfg.IndexHashSlots = 64
	cfg.IndexMaxEntries = 128
	e := env.Env{Clock: clock, FS: fs, Rand: env.NewSeededRand(1)}
	st, err := Open(e, cfg)
	require.NoError(t, err)
	body := bytes.Repeat([]byte("x"), 1500)
	for i := range 30 {
		msg := &commitlog.Message{Topic: "T", QueueID: int32(i % 2), BornHost: netip.MustParseAddrPort("10.0.0.1:1"), Body: body}
		st.Put(msg, func(r PutResult) { require.Equal(t, PutOK, r.Status) })
	}
	require.NoError(t, st.Flush())
	for range 5 {
		st.Put(&commitlog.Message{Topic: "T", QueueID: 0, BornHost: netip.MustParseAddrPort("10.0.0.1:1"), Body: body}, func(PutResult) {})
	}
	fs.CrashMachine(7, env.CrashOptions{TornPage: true})
	st.Abandon()
	st, err = Open(e, cfg)
	require.NoError(t, err)
	defer st.Close()
	require.GreaterOrEqual(t, st.MaxOffsetInQueue("T", 0), int64(15))
	require.LessOrEqual(t, st.MaxOffsetInQueue("T", 0), int64(20))
	require.Equal(t, int64(15), st.MaxOffsetInQueue("T", 1))
	require.NoError(t, st.CheckConsistency())
}
