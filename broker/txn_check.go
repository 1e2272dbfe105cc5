package broker

import (
	"strconv"
	"time"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/remoting"
	"github.com/apogeemq/apogee/store"
)

const (
	// maxCopiesPerRound bounds the half messages one check round copies
	// forward (to ask their producers, or to keep an immune one for later):
	// a round is a bounded piece of work on the timer, and what it leaves
	// is the next round's.
	maxCopiesPerRound = 10_000
	// maxReadsPerRound bounds the half-queue records one round reads,
	// copied or not (ended ones are skipped without reading).
	maxReadsPerRound = 4 * maxCopiesPerRound
	// checkReadBatch is how many half-queue records one read returns.
	checkReadBatch = 16
	// maxCheckImmunity bounds CHECK_IMMUNITY_TIME_IN_SECONDS: longer than
	// any store keeps a message, and far from overflowing a Duration.
	maxCheckImmunity = 10 * 365 * 24 * time.Hour
)

// halfVerdict is what a check round does with a half message.
type halfVerdict int

const (
	// verdictSkip: the transaction was ended; go on.
	verdictSkip halfVerdict = iota
	// verdictDiscard: checked transactionCheckMax times, or older than
	// the store keeps messages; log it and go on.
	verdictDiscard
	// verdictWait: too young to check; the round stops here.
	verdictWait
	// verdictKeep: immune for longer; copy it forward unchanged so that it
	// does not hold up the progress.
	verdictKeep
	// verdictCheck: copy it forward with one more check and ask a producer.
	verdictCheck
)

// judgeHalf decides about a half message of transaction info, not ended,
// born at bornMs with properties props, at nowMs (RocketMQ's
// TransactionalMessageServiceImpl check loop). The age is taken from the born
// time, which copies keep, so an unanswered transaction is asked about once
// per round.
func (b *Broker) judgeHalf(info halfInfo, bornMs int64, props []byte, nowMs int64) halfVerdict {
	cfg := b.cfg.Transaction
	if info.checkTimes >= cfg.CheckMax {
		return verdictDiscard
	}
	age := time.Duration(nowMs-bornMs) * time.Millisecond
	if keep := b.cfg.Store.FileReservedTime; keep > 0 && age > keep {
		return verdictDiscard
	}
	if age < 0 {
		// Born in the future by the broker's clock: ask at once, as
		// RocketMQ does, rather than wait for the clocks to meet.
		return verdictCheck
	}
	immunity, immune := checkImmunity(props)
	if age >= max(cfg.Timeout, immunity) {
		return verdictCheck
	}
	if immune {
		return verdictKeep
	}
	return verdictWait
}

// checkImmunity reads CHECK_IMMUNITY_TIME_IN_SECONDS; an absent, malformed
// or negative value gives no immunity.
func checkImmunity(props []byte) (time.Duration, bool) {
	v, ok := commitlog.PropertyValue(props, commitlog.PropertyCheckImmunityTimeInSeconds)
	if !ok {
		return 0, false
	}
	secs, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil || secs < 0 {
		return 0, false
	}
	return time.Duration(min(secs, int64(maxCheckImmunity/time.Second))) * time.Second, true
}

// checkTransactions is one round of the check service: it examines the half
// queue from its progress up to the end it had when the round began, skips
// ended transactions, discards those asked about transactionCheckMax times,
// stops at the first one too young to ask about, and copies each one to ask
// about to the end of the half queue with TRANSACTION_CHECK_TIMES + 1 and
// TRAN_PREPARED_QUEUE_OFFSET naming the transaction's first half message,
// then sends CHECK_TRANSACTION_STATE about the copy to a producer of its
// group. The progress is then committed as TransCheckGroup's offsets.
func (b *Broker) checkTransactions() {
	if b.isSlave() {
		return
	}
	t := b.txn
	t.roundMu.Lock()
	defer t.roundMu.Unlock()
	nowMs := b.env.Clock.Now().UnixMilli()
	halfMin := b.store.MinOffsetInQueue(TransHalfTopic, halfQueueID)
	end := b.store.MaxOffsetInQueue(TransHalfTopic, halfQueueID)
	t.mu.Lock()
	next := max(min(t.halfProgress, t.rewindTo), halfMin)
	t.rewindTo = noRewind
	t.mu.Unlock()

	reads, copies := 0, 0
	stop := false
	for next < end && !stop && reads < maxReadsPerRound && copies < maxCopiesPerRound {
		t.mu.Lock()
		next = t.ended.nextUnended(next, end)
		t.mu.Unlock()
		if next >= end {
			break
		}
		r := b.store.Get(TransHalfTopic, halfQueueID, next, checkReadBatch, nil)
		if r.Status != store.GetFound {
			r.Release()
			if r.NextBeginOffset <= next {
				break
			}
			next = r.NextBeginOffset
			continue
		}
		for k, raw := range r.Messages {
			off := r.QueueOffsets[k]
			if off >= end || reads >= maxReadsPerRound || copies >= maxCopiesPerRound {
				stop = true
				break
			}
			reads++
			verdict, copied := b.examineHalf(raw, nowMs)
			if copied {
				copies++
			}
			if verdict == verdictWait || b.rewoundBelow(off+1) {
				stop = true
				break
			}
			next = off + 1
		}
		if !stop {
			next = max(next, r.NextBeginOffset)
		}
		r.Release()
	}
	b.finishCheckRound(next)
}

// examineHalf judges one half-queue record and acts on the verdict; copied
// reports whether it was copied forward.
func (b *Broker) examineHalf(raw []byte, nowMs int64) (halfVerdict, bool) {
	rec, err := commitlog.Decode(raw, false)
	if err != nil {
		b.log.Error("broker: unreadable record in the half queue, skipped", "err", err)
		return verdictSkip, false
	}
	info, err := parseHalf(&rec)
	if err != nil {
		b.log.Error("broker: record of the half queue skipped", "halfOffset", rec.QueueOffset, "err", err)
		return verdictSkip, false
	}
	t := b.txn
	t.mu.Lock()
	ended := t.endedLocked(info)
	t.mu.Unlock()
	if ended {
		return verdictSkip, false
	}
	verdict := b.judgeHalf(info, rec.BornTimestampMs, rec.Properties, nowMs)
	switch verdict {
	case verdictDiscard:
		uniq, _ := commitlog.PropertyValue(rec.Properties, commitlog.PropertyUniqKey)
		pg, _ := commitlog.PropertyValue(rec.Properties, commitlog.PropertyProducerGroup)
		b.log.Warn("broker: transaction half message discarded without an end",
			"topic", info.realTopic, "queueId", info.realQueueID, "msgId", string(uniq), "producerGroup", string(pg),
			"halfOffset", info.queueOffset, "firstHalfOffset", info.root, "checkTimes", info.checkTimes,
			"bornMs", rec.BornTimestampMs)
		return verdict, false
	case verdictKeep, verdictCheck:
		b.copyHalf(&rec, info, verdict == verdictCheck)
		return verdict, true
	}
	return verdict, false
}

// copyHalf appends a copy of a half message to the half queue (RocketMQ's
// putBackHalfMsg) and, when ask is set, counts one more check and asks a
// producer about the copy once it is stored. A copy that cannot be stored
// makes the next round examine the original again.
func (b *Broker) copyHalf(rec *commitlog.Record, info halfInfo, ask bool) {
	m := rec.Message()
	m.StoreHost = b.ownHost()
	props := commitlog.AppendWithout(make([]byte, 0, len(rec.Properties)+64), rec.Properties,
		commitlog.PropertyTransactionCheckTimes, commitlog.PropertyTransactionPreparedQueueOffset)
	checkTimes := info.checkTimes
	if ask {
		checkTimes++
	}
	if checkTimes > 0 {
		props = commitlog.AppendProperty(props, commitlog.PropertyTransactionCheckTimes, strconv.Itoa(checkTimes))
	}
	m.Properties = commitlog.AppendProperty(props, commitlog.PropertyTransactionPreparedQueueOffset, strconv.FormatInt(info.root, 10))
	original := info.queueOffset
	b.store.Put(&m, func(r store.PutResult) {
		if !r.Status.Stored() {
			b.log.Error("broker: copying a transaction half message failed; it is examined again next round",
				"halfOffset", original, "status", r.Status, "err", r.Err)
			t := b.txn
			t.mu.Lock()
			t.rewindLocked(original)
			t.mu.Unlock()
			return
		}
		if ask {
			b.askProducer(r.PhysOffset)
		}
	})
}

// rewoundBelow reports whether a failed write asked for a half offset
// below limit to be examined again.
func (b *Broker) rewoundBelow(limit int64) bool {
	t := b.txn
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.rewindTo < limit
}

// finishCheckRound records where the round stopped, forgets ends far
// enough behind it, and commits the progress of the half and op queues.
func (b *Broker) finishCheckRound(next int64) {
	t := b.txn
	t.mu.Lock()
	t.halfProgress = min(next, t.rewindTo)
	t.ended.forgetBelow(max(t.halfProgress-endedRetainOffsets, 0))
	if hi := t.ended.base + maxEndedWindowOffsets; hi < next {
		t.ended.forgetBelow(next - maxEndedWindowOffsets/2)
	}
	opProgress, ok := t.ended.leastOpOffset()
	if !ok {
		opProgress = b.store.MaxOffsetInQueue(TransOpHalfTopic, halfQueueID)
	}
	halfProgress := t.halfProgress
	t.mu.Unlock()
	if halfProgress == 0 && b.store.MaxOffsetInQueue(TransHalfTopic, halfQueueID) == 0 {
		// No half message ever: consumerOffset.json stays as it is.
		return
	}
	b.commitTransactionProgress(halfProgress, opProgress)
}

// askProducer sends CHECK_TRANSACTION_STATE about the half message at
// physOffset to one live producer of its group, picked at random; the body
// is the record as a pull returns it, with its real topic and queue.
func (b *Broker) askProducer(physOffset int64) {
	rec, ref, err := b.store.ReadRecord(physOffset)
	if err != nil {
		b.log.Error("broker: reading a half message to check failed", "physOffset", physOffset, "err", err)
		return
	}
	defer ref.Release()
	info, err := parseHalf(&rec)
	if err != nil {
		b.log.Error("broker: half message to check is unreadable", "physOffset", physOffset, "err", err)
		return
	}
	group, _ := commitlog.PropertyValue(rec.Properties, commitlog.PropertyProducerGroup)
	peers := b.clients.producerPeers(string(group))
	if len(peers) == 0 {
		b.log.Warn("broker: no live producer to check a transaction with", "producerGroup", string(group),
			"halfOffset", info.queueOffset, "checkTimes", info.checkTimes)
		return
	}
	peer := peers[b.env.Rand.Intn(len(peers))]
	m := rec.Message()
	m.Topic = info.realTopic
	m.QueueID = info.realQueueID
	size, err := commitlog.EncodedSize(&m)
	if err != nil {
		b.log.Error("broker: half message to check cannot be encoded", "physOffset", physOffset, "err", err)
		return
	}
	body := make([]byte, size)
	commitlog.Encode(body, &m, rec.BodyCRC, rec.QueueOffset, rec.PhysOffset, rec.StoreTimestampMs)
	uniq, _ := commitlog.PropertyValue(rec.Properties, commitlog.PropertyUniqKey)
	h := remoting.CheckTransactionStateRequestHeader{
		TranStateTableOffset: rec.QueueOffset,
		CommitLogOffset:      rec.PhysOffset,
		MsgID:                string(uniq),
		TransactionID:        string(uniq),
		OffsetMsgID:          commitlog.FormatOffsetMsgID(rec.StoreHost, rec.PhysOffset),
	}
	if err := peer.InvokeOneway(remoting.NewRequest(remoting.ReqCheckTransactionState, h.ToExtFields(), body)); err != nil {
		b.log.Warn("broker: sending a transaction check failed", "producerGroup", string(group), "addr", peer.RemoteAddr(), "err", err)
	}
}
