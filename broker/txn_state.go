package broker

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"sync"

	"github.com/apogeemq/apogee/commitlog"
)

const (
	// TransCheckGroup is the broker's own consumer group of the half and op
	// topics (CID_RMQ_SYS_TRANS): its offsets in consumerOffset.json are the
	// check service's progress.
	TransCheckGroup = "CID_RMQ_SYS_TRANS"
	// halfQueueID is the queue of RMQ_SYS_TRANS_HALF_TOPIC (and of its op
	// topic) that half messages are parked in.
	halfQueueID int32 = 0
	// endedRetainOffsets is how far below the check progress ends are still
	// remembered, in half-queue offsets, so that an END_TRANSACTION that
	// arrives again (a producer's retry, an answer to a check racing the
	// producer's own end) is recognised after the check service passed the
	// half message. 2^18 transactions is minutes of a busy broker; the
	// bitmap costs 32 KiB and a restart re-reads the op records behind it.
	endedRetainOffsets = 1 << 18
	// opReadBatch is how many op records one read of the op queue returns
	// while the ends are rebuilt at start.
	opReadBatch = 32
	// noRewind marks that no half message needs scanning again.
	noRewind = math.MaxInt64
)

// transactions is the broker's transactional-message state: which half
// messages were ended and where the check service goes on. Its mutex guards
// the fields; rounds of the check service are serialized by roundMu, which is
// taken first.
type transactions struct {
	roundMu sync.Mutex

	mu sync.Mutex
	// ended holds the half-queue offsets with an op record (or one being
	// written), from endedRetainOffsets below halfProgress on.
	ended endedOffsets
	// halfProgress is the next half-queue offset the check service examines.
	halfProgress int64
	// rewindTo is the least half-queue offset below halfProgress that must
	// be examined again (an end or a check copy that could not be
	// written), noRewind if none.
	rewindTo int64
	// scratch holds the offsets of one op body while they are marked.
	scratch []int64
}

// halfInfo is what a record of the half queue says about its transaction.
type halfInfo struct {
	// queueOffset is the record's own offset in the half queue.
	queueOffset int64
	// root is the half-queue offset of the transaction's first half
	// message: the record itself, or for a copy the check service made,
	// its TRAN_PREPARED_QUEUE_OFFSET.
	root        int64
	realTopic   string
	realQueueID int32
	// checkTimes is TRANSACTION_CHECK_TIMES (0 when absent).
	checkTimes int
}

// errNotHalf means a record is not a half message of this broker.
var errNotHalf = errors.New("not a transactional half message")

// parseHalf reads the transaction facts of a half-queue record.
func parseHalf(rec *commitlog.Record) (halfInfo, error) {
	info := halfInfo{queueOffset: rec.QueueOffset, root: rec.QueueOffset}
	if string(rec.Topic) != TransHalfTopic || rec.QueueID != halfQueueID {
		return info, fmt.Errorf("%w: the record at %d is in %s queue %d", errNotHalf, rec.PhysOffset, rec.Topic, rec.QueueID)
	}
	topic, ok := commitlog.PropertyValue(rec.Properties, commitlog.PropertyRealTopic)
	if !ok || ValidateTopic(string(topic)) != nil {
		return info, fmt.Errorf("%w: the record at %d has no valid %s", errNotHalf, rec.PhysOffset, commitlog.PropertyRealTopic)
	}
	info.realTopic = string(topic)
	qid, ok := commitlog.PropertyValue(rec.Properties, commitlog.PropertyRealQueueID)
	q, err := strconv.ParseInt(string(qid), 10, 32)
	if !ok || err != nil || q < 0 || q >= maxTopicQueueNums {
		return info, fmt.Errorf("%w: the record at %d has no valid %s", errNotHalf, rec.PhysOffset, commitlog.PropertyRealQueueID)
	}
	info.realQueueID = int32(q)
	// The check service's own properties: a value it could not have written
	// reads as absent, so that the transaction can still be ended.
	if v, ok := commitlog.PropertyValue(rec.Properties, commitlog.PropertyTransactionPreparedQueueOffset); ok {
		if root, err := strconv.ParseInt(string(v), 10, 64); err == nil && root >= 0 && root <= rec.QueueOffset {
			info.root = root
		}
	}
	if v, ok := commitlog.PropertyValue(rec.Properties, commitlog.PropertyTransactionCheckTimes); ok {
		if n, err := strconv.Atoi(string(v)); err == nil && n >= 0 {
			info.checkTimes = n
		}
	}
	return info, nil
}

// loadTransactions rebuilds the transaction state from the check service's
// progress in consumerOffset.json and the op records written since.
func (b *Broker) loadTransactions() *transactions {
	t := &transactions{rewindTo: noRewind}
	halfMin := b.store.MinOffsetInQueue(TransHalfTopic, halfQueueID)
	halfMax := b.store.MaxOffsetInQueue(TransHalfTopic, halfQueueID)
	t.halfProgress = halfMin
	if off, ok := b.offsets.query(TransCheckGroup, TransHalfTopic, halfQueueID); ok {
		t.halfProgress = min(max(off, halfMin), halfMax)
	}
	t.ended.forgetBelow(max(t.halfProgress-endedRetainOffsets, 0))
	opOffset := b.store.MinOffsetInQueue(TransOpHalfTopic, halfQueueID)
	if off, ok := b.offsets.query(TransCheckGroup, TransOpHalfTopic, halfQueueID); ok {
		opOffset = max(off, opOffset)
	}
	opMax := b.store.MaxOffsetInQueue(TransOpHalfTopic, halfQueueID)
	records, bad := 0, 0
	for opOffset < opMax {
		r := b.store.Get(TransOpHalfTopic, halfQueueID, opOffset, opReadBatch, nil)
		for k, raw := range r.Messages {
			records++
			if err := t.markOpRecord(raw, r.QueueOffsets[k], halfMax); err != nil {
				bad++
				b.log.Warn("broker: skipping an op record of the transaction op queue", "opOffset", r.QueueOffsets[k], "err", err)
			}
		}
		r.Release()
		if r.NextBeginOffset <= opOffset {
			break
		}
		opOffset = r.NextBeginOffset
	}
	if records > 0 {
		b.log.Info("broker: transaction ends rebuilt from the op queue", "opRecords", records, "skipped", bad,
			"halfProgress", t.halfProgress)
	}
	return t
}

// markOpRecord marks the half offsets an op record at opOffset lists; half
// offsets at or past halfMax (which no half message has) are garbage.
func (t *transactions) markOpRecord(raw []byte, opOffset, halfMax int64) error {
	rec, err := commitlog.Decode(raw, false)
	if err != nil {
		return err
	}
	if tag, _ := commitlog.PropertyValue(rec.Properties, commitlog.PropertyTags); string(tag) != opRemoveTag {
		return nil
	}
	t.scratch, err = decodeOpBody(t.scratch[:0], rec.Body)
	if err != nil {
		return err
	}
	for _, off := range t.scratch {
		if off >= halfMax {
			return fmt.Errorf("%w: half offset %d is past the half queue's end %d", ErrBadOpBody, off, halfMax)
		}
	}
	for _, off := range t.scratch {
		t.ended.mark(off, opOffset)
	}
	return nil
}

// endedLocked reports whether the transaction of a half message was ended.
func (t *transactions) endedLocked(info halfInfo) bool {
	own, _ := t.ended.has(info.queueOffset)
	root, _ := t.ended.has(info.root)
	return own || root
}

// rewindLocked makes the check service examine halfOffset again.
func (t *transactions) rewindLocked(halfOffset int64) {
	t.rewindTo = min(t.rewindTo, halfOffset)
}

// ownHost is the address written into the records the broker makes itself:
// the published one once started, the configured one before.
func (b *Broker) ownHost() netip.AddrPort {
	if hp := b.host.Load(); hp != nil {
		return *hp
	}
	return b.cfg.Store.StoreHost
}

// commitTransactionProgress records the check service's progress as
// TransCheckGroup's offsets of the half and op queues.
func (b *Broker) commitTransactionProgress(halfProgress, opProgress int64) {
	b.offsets.commit(TransCheckGroup, TransHalfTopic, halfQueueID, halfProgress)
	b.offsets.commit(TransCheckGroup, TransOpHalfTopic, halfQueueID, opProgress)
}

// rewindToUnsupported lowers the check progress of a promoted slave, which
// it copied from its old master, to the first half message below it whose
// transaction the slave's own log leaves open: not ended, and with no
// later copy in the half queue. The old master's check passes a half
// message once it is ended or copied to the end of the half queue; when
// those records never reached the slave (it fell behind, then the master
// was lost), the new master would never examine that transaction again
// (found by the simulator, seed 461). A half message discarded after
// transactionCheckMax checks is examined again only to be discarded again.
// The scan covers what the ended set covers, endedRetainOffsets below the
// progress.
func (b *Broker) rewindToUnsupported(t *transactions) {
	halfMin := b.store.MinOffsetInQueue(TransHalfTopic, halfQueueID)
	end := b.store.MaxOffsetInQueue(TransHalfTopic, halfQueueID)
	from := max(halfMin, t.halfProgress-endedRetainOffsets)
	if from >= t.halfProgress {
		return
	}
	type half struct{ offset, root int64 }
	var below []half
	lastOfRoot := map[int64]int64{}
	for next := from; next < end; {
		r := b.store.Get(TransHalfTopic, halfQueueID, next, checkReadBatch, nil)
		for k, raw := range r.Messages {
			rec, err := commitlog.Decode(raw, false)
			if err != nil {
				continue
			}
			info, err := parseHalf(&rec)
			if err != nil {
				continue
			}
			off := r.QueueOffsets[k]
			lastOfRoot[info.root] = max(lastOfRoot[info.root], off)
			if off < t.halfProgress {
				below = append(below, half{off, info.root})
			}
		}
		r.Release()
		if r.NextBeginOffset <= next {
			break
		}
		next = r.NextBeginOffset
	}
	for _, h := range below {
		own, _ := t.ended.has(h.offset)
		root, _ := t.ended.has(h.root)
		if own || root || lastOfRoot[h.root] > h.offset {
			continue
		}
		b.log.Warn("broker: transaction check progress copied from the old master rewound to a half message this log leaves open",
			"halfOffset", h.offset, "progress", t.halfProgress)
		t.rewindTo = min(t.rewindTo, h.offset)
		return
	}
}
