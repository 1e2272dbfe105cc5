package broker

import (
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/store"
	"github.com/apogeemq/apogee/store/configfile"
)

// Timing of the delivery rounds, RocketMQ's ScheduleMessageService values
// unless stated.
const (
	// firstRoundDelay is how long after Start each queue is first read
	// (FIRST_DELAY_TIME).
	firstRoundDelay = time.Second
	// retryDelay is when a failed put is tried again (DELAY_FOR_A_WHILE).
	retryDelay = 100 * time.Millisecond
	// idleWait is when a queue with nothing to deliver is read again.
	// RocketMQ looks every 100 ms; Apogee is woken by the store's arrival
	// listener when a message lands in a parked queue (see wake), so this
	// is only a safety net.
	idleWait = 10 * time.Second
	// maxHeadWait bounds the wait for a head that is not due yet: a
	// wall-clock step forward then delays deliveries by at most this
	// (RocketMQ looks every 100 ms; Apogee wakes at the due time).
	maxHeadWait = time.Second
	// maxDeliveriesPerRound bounds the puts one timer callback makes, so
	// that a backlog coming due at once never holds a callback (or the
	// simulator's only goroutine) for long; the round then continues on
	// the clock at once.
	maxDeliveriesPerRound = 1024
	// parkedReadBatch is how many ConsumeQueue units one store read asks
	// for; the first read of a round asks for one, as most rounds only
	// find a head that is not due yet.
	parkedReadBatch = 32
)

// parkPolicy is what differs between the topics a parkedTopic drives.
type parkPolicy interface {
	// dueMs returns when the message in rec is due, in ms since the epoch;
	// tagCode is its ConsumeQueue unit's tag code when tagKnown.
	dueMs(q *parkedQueue, rec *commitlog.Record, tagCode int64, tagKnown bool) int64
	// rebuild writes into q.out the message to put for a due record and
	// reports true, or logs why the record is dropped and reports false.
	rebuild(q *parkedQueue, rec *commitlog.Record, nowMs int64) bool
	// hops reports whether a due record may be put back into the parked
	// topic itself rather than delivered.
	hops() bool
}

// parkedTopic delivers the messages parked in a system topic whose queues
// each hold messages in due order: every record of a queue waits the same
// step after its store time, and store times grow in queue order. One timer
// per queue (never one per message) reads the queue from its progress
// offset, puts each due message and moves the offset past it, and sleeps
// until the head of the queue is due. The progress offsets are kept in a
// JSON file in the DelayOffsetTable format (see delay_offsets.go).
type parkedTopic struct {
	name   string // in log lines
	topic  string
	store  *store.Store
	clock  env.Clock
	fs     env.FS
	log    *slog.Logger
	policy parkPolicy
	// host returns the store host written into the messages put.
	host func() netip.AddrPort
	// check skips, in each queue's first pass after start, the messages
	// delivered before a crash (delay_redeliver.go); nil without the
	// message index.
	check *redeliveryCheck
	// path is the progress file; keyBase is the key of queue 0 in it.
	path    string
	keyBase int32

	// saveMu serializes writes of the progress file.
	saveMu sync.Mutex

	mu      sync.Mutex
	stopped bool
	queues  []*parkedQueue
	// extra holds the keys of the progress file that name no queue of
	// this topic (levels of a longer messageDelayLevel), kept as loaded.
	extra map[int32]int64
	// written is the table last written or loaded.
	written map[int32]int64
	version configfile.DataVersion
}

// parkedQueue is one queue of a parkedTopic. Its delivery state is used
// by one round at a time: each round ends by scheduling the next one (or
// leaves it to the completion of a put that is still pending).
type parkedQueue struct {
	t       *parkedTopic
	queueID int32
	// step is the fixed wait after a record's store time.
	step time.Duration

	// Guarded by t.mu.
	offset  int64     // next queue offset to deliver
	endPhys int64     // CommitLog end of the last record this queue put
	mark    progress  // offset and endPhys when the file was last written
	durable int64     // offset whose deliveries are all flushed
	timer   env.Timer // the pending round
	idle    bool      // the pending round waits for an arrival
	putting bool      // inside store.Put
	putDone bool      // the pending put completed
	putRes  store.PutResult
	putAt   int64 // queue offset of the message being put
	failing bool  // the last put failed (its failures are logged once)

	// Used by the running round only (set before the first one).
	checking   bool    // in the first pass: look for copies before putting
	checkUntil int64   // the queue's end at start: the first pass ends there
	checkMiss  bool    // the last lookup found no copy
	skipped    int     // messages the first pass found delivered
	candidates []int64 // deliveredBefore's matching copies, reused
	tags       []int64
	out        commitlog.Message
	props      []byte
	lastTopic  string // the previous real topic, reused to spare a string
	runFn      func()
	onPutFn    func(store.PutResult)
	captureFn  store.TagFilter
}

// progress pairs a queue offset with the CommitLog end of the last record
// put before it.
type progress struct {
	offset  int64
	endPhys int64
}

// newParkedTopic builds a topic's queues, one per step, queue i waiting
// steps[i].
func newParkedTopic(b *Broker, name, topic string, steps []time.Duration, policy parkPolicy, path string, keyBase int32,
	check *redeliveryCheck) *parkedTopic {
	t := &parkedTopic{
		name: name, topic: topic, store: b.store, clock: b.env.Clock, fs: b.env.FS, log: b.log,
		policy: policy, host: b.storeHostNow, check: check, path: path, keyBase: keyBase,
		extra: map[int32]int64{}, written: map[int32]int64{},
	}
	for i, step := range steps {
		q := &parkedQueue{t: t, queueID: int32(i), step: step, tags: make([]int64, 0, parkedReadBatch)}
		q.runFn = q.run
		q.onPutFn = q.onPut
		q.captureFn = q.captureTag
		t.queues = append(t.queues, q)
	}
	return t
}

// start schedules every queue's first round.
func (t *parkedTopic) start() {
	for _, q := range t.queues {
		q.schedule(firstRoundDelay, false)
	}
}

// wake runs at once the round of a queue that waits idle: a message has
// just been dispatched to it.
func (t *parkedTopic) wake(queueID int32) {
	if queueID < 0 || int(queueID) >= len(t.queues) {
		return
	}
	q := t.queues[queueID]
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped || !q.idle || q.timer == nil || !q.timer.Stop() {
		return
	}
	q.idle = false
	q.timer = t.clock.AfterFunc(0, q.runFn)
}

// stop cancels the rounds; a round already running ends at its next step.
func (t *parkedTopic) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
	for _, q := range t.queues {
		if q.timer != nil {
			q.timer.Stop()
			q.timer = nil
		}
	}
}

// schedule runs the queue's next round after d, unless the topic stopped;
// idle lets an arrival run it sooner.
func (q *parkedQueue) schedule(d time.Duration, idle bool) {
	t := q.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	if q.timer != nil {
		panic("broker: a parked queue's round scheduled while another is pending")
	}
	q.idle = idle
	q.timer = t.clock.AfterFunc(d, q.runFn)
}

// roundNext says how a step of a round ends.
type roundNext int

const (
	roundContinue roundNext = iota // read on at once
	roundWait                      // schedule the next round
	roundIdle                      // nothing to deliver: wait for an arrival
	roundPending                   // a put is pending: its completion goes on
)

// run is one round: it reads and delivers until the head is not due, the
// queue is empty, a put fails or is pending, or the round's budget is
// spent.
func (q *parkedQueue) run() {
	t := q.t
	t.mu.Lock()
	if t.stopped {
		t.mu.Unlock()
		return
	}
	q.timer = nil
	q.idle = false
	t.mu.Unlock()
	budget := maxDeliveriesPerRound
	for batch := 1; ; batch = parkedReadBatch {
		next, wait := q.readAndDeliver(batch, &budget)
		switch next {
		case roundContinue:
			continue
		case roundWait:
			q.schedule(wait, false)
		case roundIdle:
			q.schedule(idleWait, true)
		}
		return
	}
}

// readAndDeliver reads up to batch units from the progress offset and
// delivers the due ones.
func (q *parkedQueue) readAndDeliver(batch int, budget *int) (roundNext, time.Duration) {
	t := q.t
	offset := q.current()
	if q.checking && offset >= q.checkUntil {
		q.endCheck("caught up")
	}
	q.tags = q.tags[:0]
	r := t.store.Get(t.topic, q.queueID, offset, batch, q.captureFn)
	defer r.Release()
	switch r.Status {
	case store.GetFound:
		return q.deliverFound(r, budget)
	case store.GetOffsetTooSmall, store.GetOffsetOverflowBadly:
		// Retention removed the files below, or the queue was cut back
		// below the progress: go to the nearest end of the queue, as
		// RocketMQ's schedule service does (not to the store's answer for
		// a pull, which restarts an overflowing consumer at 0).
		to := min(max(offset, r.MinOffset), r.MaxOffset)
		if q.moveFrom(offset, to) {
			t.log.Warn("broker: parked queue offset corrected", "service", t.name, "queue", q.queueID,
				"from", offset, "to", to, "min", r.MinOffset, "max", r.MaxOffset)
			return roundContinue, 0
		}
	case store.GetNoMatchedMessage, store.GetMessageWasRemoving:
		// Every unit read named a record the CommitLog no longer holds.
		if q.moveFrom(offset, r.NextBeginOffset) {
			t.log.Warn("broker: parked messages expired before delivery", "service", t.name, "queue", q.queueID,
				"from", offset, "to", r.NextBeginOffset)
			return roundContinue, 0
		}
	}
	return roundIdle, 0
}

// deliverFound delivers the due messages of a read, in queue order.
func (q *parkedQueue) deliverFound(r *store.GetResult, budget *int) (roundNext, time.Duration) {
	t := q.t
	// The filter saw the tag of every unit whose record was read, and of
	// no other unit, unless a record could not be read (then the counts
	// differ and the policy works from the records alone).
	tagsKnown := len(q.tags) == len(r.Messages)
	for i, raw := range r.Messages {
		queueOffset := r.QueueOffsets[i]
		rec, err := commitlog.Decode(raw, false)
		if err != nil {
			t.log.Error("broker: a parked queue names no record; skipped", "service", t.name, "queue", q.queueID,
				"queueOffset", queueOffset, "err", err)
			q.advance(queueOffset+1, nil)
			continue
		}
		nowMs := t.clock.Now().UnixMilli()
		var tag int64
		if tagsKnown {
			tag = q.tags[i]
		}
		due := t.policy.dueMs(q, &rec, tag, tagsKnown)
		// A time further ahead than the queue's whole step means the clock
		// went back since the message was parked: it is due now
		// (RocketMQ's correctDeliverTimestamp).
		if due > satAdd(nowMs, q.step.Milliseconds()) {
			due = nowMs
		}
		if due > nowMs {
			return roundWait, min(time.Duration(due-nowMs)*time.Millisecond, maxHeadWait)
		}
		if *budget == 0 {
			return roundWait, 0
		}
		*budget--
		if !t.policy.rebuild(q, &rec, nowMs) {
			q.advance(queueOffset+1, nil)
			continue
		}
		if q.deliveredBefore(&rec, queueOffset) {
			// The copy survived the crash, so recovery made it durable:
			// the progress may pass it without waiting for a flush.
			q.advance(queueOffset+1, nil)
			continue
		}
		switch q.put(queueOffset) {
		case putPending:
			return roundPending, 0
		case putFailed:
			return roundWait, retryDelay
		}
	}
	q.advance(r.NextBeginOffset, nil)
	return roundContinue, 0
}

// captureTag is the read's filter: it keeps every unit and notes its tag.
func (q *parkedQueue) captureTag(tagCode int64) bool {
	q.tags = append(q.tags, tagCode)
	return true
}

// putOutcome is how a delivery's put ended.
type putOutcome int

const (
	putDelivered putOutcome = iota // stored, or dropped for good
	putFailed                      // to be tried again
	putPending                     // not complete yet
)

// put stores q.out, the message rebuilt from the record at queueOffset.
// store.Put may complete before it returns or later: whichever of put and
// onPut sees the result second settles it.
func (q *parkedQueue) put(queueOffset int64) putOutcome {
	t := q.t
	t.mu.Lock()
	q.putting, q.putDone, q.putAt = true, false, queueOffset
	t.mu.Unlock()
	t.store.Put(&q.out, q.onPutFn)
	t.mu.Lock()
	q.putting = false
	if !q.putDone {
		t.mu.Unlock()
		return putPending
	}
	res := q.putRes
	t.mu.Unlock()
	return q.settle(queueOffset, res)
}

// onPut receives a delivery's put result; when put has already returned
// it settles the result and goes on with the round on the clock.
func (q *parkedQueue) onPut(res store.PutResult) {
	t := q.t
	t.mu.Lock()
	q.putRes, q.putDone = res, true
	if q.putting {
		t.mu.Unlock()
		return
	}
	at := q.putAt
	t.mu.Unlock()
	wait := time.Duration(0)
	if q.settle(at, res) == putFailed {
		wait = retryDelay
	}
	q.schedule(wait, false)
}

// settle moves the progress past a stored message, drops one the store
// can never take, and leaves the offset for a retry otherwise.
func (q *parkedQueue) settle(queueOffset int64, res store.PutResult) putOutcome {
	t := q.t
	switch {
	case res.Status.Stored():
		q.advance(queueOffset+1, &res)
		if q.checkMiss {
			// Copies come in queue order: none past this one was stored
			// before the start.
			q.endCheck("a message had no copy")
		}
		return putDelivered
	case res.Status == store.PutMessageIllegal || res.Status == store.PutPropertiesSizeExceeded:
		t.log.Error("broker: a parked message cannot be stored; dropped", "service", t.name, "queue", q.queueID,
			"queueOffset", queueOffset, "topic", q.out.Topic, "status", res.Status.String(), "err", res.Err)
		q.advance(queueOffset+1, nil)
		return putDelivered
	}
	t.mu.Lock()
	first := !q.failing
	q.failing = true
	t.mu.Unlock()
	if first {
		t.log.Warn("broker: delivering a parked message failed; retrying", "service", t.name, "queue", q.queueID,
			"queueOffset", queueOffset, "status", res.Status.String(), "err", res.Err, "retryEvery", retryDelay)
	}
	return putFailed
}

// current returns the progress offset.
func (q *parkedQueue) current() int64 {
	q.t.mu.Lock()
	defer q.t.mu.Unlock()
	return q.offset
}

// advance moves the progress offset forward to next, noting the CommitLog
// end of the record put when res is not nil.
func (q *parkedQueue) advance(next int64, res *store.PutResult) {
	q.t.mu.Lock()
	defer q.t.mu.Unlock()
	if next > q.offset {
		q.offset = next
	}
	if res != nil {
		q.endPhys = max(q.endPhys, res.PhysOffset+int64(res.WroteBytes))
		q.failing = false
	}
}

// moveFrom sets the progress offset to to if it is still from, and reports
// whether it moved.
func (q *parkedQueue) moveFrom(from, to int64) bool {
	q.t.mu.Lock()
	defer q.t.mu.Unlock()
	if q.offset != from || to == from {
		return false
	}
	q.offset = to
	return true
}
