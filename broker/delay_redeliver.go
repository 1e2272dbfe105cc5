package broker

import (
	"bytes"
	"sync"
	"time"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/store"
)

// Bounds of the redelivery check.
const (
	// redeliveryMaxCopies is how many records of a key one lookup reads.
	// A parked record has one copy per delivery or hop made from it; more
	// records of the key come only from a producer's retries, the
	// message's send-backs and a timer message's hops (at most
	// timerQueueNums), which stay below this. It is RocketMQ's default
	// maxMsgsNumBatch; the store caps a key query at its maxMsgsNumBatch,
	// so a broker configured far below it may miss copies (and deliver
	// them again).
	redeliveryMaxCopies = 64
	// redeliveryClockSlack is how long before the parked record's store
	// time a lookup starts. A copy is stored after its parked record, but
	// the index keeps times in whole seconds, and a wall clock stepped
	// back by less than this between the two still finds the copy.
	redeliveryClockSlack = time.Minute
)

// redeliveryCheck is the first pass of every parked queue after start: it
// skips the parked messages whose copy the store already holds, delivered
// before a crash that came before the progress file was written.
//
// A parked queue puts its messages one at a time, in queue order, each
// only after the previous put completed, so their copies are in the
// CommitLog in that order, and a crash that takes one copy back (a machine
// crash under async flush) takes every later one too. The pass therefore
// walks a queue from its loaded progress and ends at its first due message
// that has no copy and is then stored, or at the first message parked
// after the start (nothing parked since can have been delivered before):
// at most the messages delivered between the last write of the progress
// file and the crash, plus one, cost a lookup each, and no lookup happens
// once every queue has ended its pass.
//
// A copy is found through the message index: a record of the target topic
// (REAL_TOPIC, or TimerTopic for a hop) with the parked record's UNIQ_KEY,
// stored after it in the CommitLog, with the same born time and body
// (and, for a delivery, the same queue). Each copy is matched to one parked
// record only (the oldest unmatched copy is taken), so that two parked
// records of one message — sent back twice by a consumer, say — need two
// copies.
// Without the index, or for a message without UNIQ_KEY, nothing is skipped
// and delivery after a crash is at least once.
type redeliveryCheck struct {
	store *store.Store

	mu sync.Mutex
	// open counts the queues still in their first pass.
	open int
	// claimed holds the CommitLog offsets of the copies already matched to
	// a parked record; it is dropped once no queue checks any more.
	claimed map[int64]struct{}
}

// newRedeliveryCheck returns the check over st, or nil when st keeps no
// message index.
func newRedeliveryCheck(st *store.Store, indexEnabled bool) *redeliveryCheck {
	if !indexEnabled {
		return nil
	}
	return &redeliveryCheck{store: st, claimed: map[int64]struct{}{}}
}

// begin counts one more queue in its first pass.
func (c *redeliveryCheck) begin() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.open++
}

// end counts a queue out of its first pass and drops the claims when it
// was the last.
func (c *redeliveryCheck) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open <= 0 {
		panic("broker: a parked queue ended a redelivery check it never began")
	}
	c.open--
	if c.open == 0 {
		c.claimed = nil
	}
}

// claimOldest matches the oldest of candidates that no parked record has
// matched yet; false when every candidate is taken.
func (c *redeliveryCheck) claimOldest(candidates []int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	best := int64(-1)
	for _, phys := range candidates {
		if _, taken := c.claimed[phys]; taken {
			continue
		}
		if best < 0 || phys < best {
			best = phys
		}
	}
	if best < 0 {
		return false
	}
	if c.claimed == nil {
		panic("broker: a redelivery claim after every queue ended its check")
	}
	c.claimed[best] = struct{}{}
	return true
}

// beginCheck puts the queue in its first pass, up to the queue offset
// maxOffset (the end of the queue at start). The topic's lock is held.
func (q *parkedQueue) beginCheck(maxOffset int64) {
	c := q.t.check
	if c == nil || q.offset >= maxOffset {
		return
	}
	q.checking, q.checkUntil = true, maxOffset
	c.begin()
}

// endCheck ends the queue's first pass.
func (q *parkedQueue) endCheck(reason string) {
	if !q.checking {
		return
	}
	q.checking = false
	q.t.check.end()
	if q.skipped > 0 {
		q.t.log.Info("broker: parked messages delivered before the restart were skipped", "service", q.t.name,
			"queue", q.queueID, "skipped", q.skipped, "checkEnded", reason)
	}
}

// deliveredBefore reports whether the store already holds the copy made
// from the parked record at queueOffset, during the queue's first pass; see
// redeliveryCheck. q.out holds the message rebuilt from it.
func (q *parkedQueue) deliveredBefore(rec *commitlog.Record, queueOffset int64) bool {
	q.checkMiss = false
	if !q.checking {
		return false
	}
	t := q.t
	if queueOffset >= q.checkUntil {
		q.endCheck("parked after the start")
		return false
	}
	if !q.findAllCopies(rec) {
		return false // no key, or the lookup failed: delivered again, at least once
	}
	if len(q.candidates) == 0 || !t.check.claimOldest(q.candidates) {
		q.checkMiss = true
		return false
	}
	q.skipped++
	return true
}

// findAllCopies sets q.candidates to the CommitLog offsets of the copies
// of the parked record the store holds. It reports false when it cannot
// tell: the record has no UNIQ_KEY, or a lookup failed (which ends the
// queue's check).
func (q *parkedQueue) findAllCopies(rec *commitlog.Record) bool {
	t := q.t
	q.candidates = q.candidates[:0]
	key, ok := commitlog.PropertyValue(rec.Properties, commitlog.PropertyUniqKey)
	if !ok || len(key) == 0 {
		return false
	}
	realTopic, _ := commitlog.PropertyValue(rec.Properties, commitlog.PropertyRealTopic)
	qidText, _ := commitlog.PropertyValue(rec.Properties, commitlog.PropertyRealQueueID)
	realQueueID, valid := parseQueueID(qidText)
	if !valid {
		realQueueID = -1 // rebuild found it valid; a hop's copy has no such queue
	}
	// A copy made before the crash may be a hop even when the record is
	// due for delivery now (it was hopped when more time was left), so a
	// topic that hops is searched as well as the real topic.
	if t.policy.hops() && !q.findCopies(rec, string(key), t.topic, -1) {
		return false
	}
	return q.findCopies(rec, string(key), string(realTopic), realQueueID)
}

// findCopies appends to q.candidates the CommitLog offsets of the records
// of topic (and queueID unless it is -1) keyed key, stored after rec and
// with its born time and body. It reports false, having ended the check,
// when the lookup failed.
func (q *parkedQueue) findCopies(rec *commitlog.Record, key, topic string, queueID int32) bool {
	t := q.t
	res, err := t.check.store.QueryByKey(topic, key, redeliveryMaxCopies,
		satSub(rec.StoreTimestampMs, redeliveryClockSlack.Milliseconds()), maxInt64)
	if err != nil {
		t.log.Warn("broker: looking up earlier deliveries failed; delivering at least once", "service", t.name,
			"queue", q.queueID, "physOffset", rec.PhysOffset, "err", err)
		q.endCheck("lookup failed")
		return false
	}
	defer res.Release()
	for i, phys := range res.PhysOffsets {
		if phys <= rec.PhysOffset {
			continue
		}
		c, err := commitlog.Decode(res.Messages[i], false)
		if err != nil || c.BornTimestampMs != rec.BornTimestampMs || !bytes.Equal(c.Body, rec.Body) ||
			(queueID >= 0 && c.QueueID != queueID) {
			continue
		}
		q.candidates = append(q.candidates, phys)
	}
	return true
}

// promotionRewindMax bounds the parked messages a promotion looks at below
// a queue's copied progress.
const promotionRewindMax = 10_000

// rewindToDelivered returns where a promoted slave's queue must deliver
// from: the progress it copied from its old master counts deliveries whose
// copies may not have reached this log (it fell behind before the master
// was lost), and those messages would never be delivered. Copies are
// stored in queue order, so the ones missing are the last: the walk goes
// back from the progress while the parked message's copy is missing, and
// stops at the first copy found (or a message without UNIQ_KEY, which
// cannot be looked up). The queue's first pass then delivers from there.
// Without the message index nothing can be told and nothing moves. The
// topic's lock is held.
func (q *parkedQueue) rewindToDelivered(minOffset int64) int64 {
	t := q.t
	offset := q.offset
	if t.check == nil {
		return offset
	}
	for steps := 0; offset > minOffset && steps < promotionRewindMax; steps++ {
		r := t.store.Get(t.topic, q.queueID, offset-1, 1, nil)
		if r.Status != store.GetFound || len(r.Messages) == 0 {
			r.Release()
			break
		}
		rec, err := commitlog.Decode(r.Messages[0], false)
		found := true
		if err == nil {
			found = q.hasCopy(&rec)
		}
		r.Release()
		if found {
			break
		}
		offset--
	}
	return offset
}

// hasCopy reports whether the store holds a copy of the parked record, or
// cannot tell (no UNIQ_KEY, a failed lookup).
func (q *parkedQueue) hasCopy(rec *commitlog.Record) bool {
	return !q.findAllCopies(rec) || len(q.candidates) > 0
}
