package broker

import (
	"fmt"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/remoting"
	"github.com/apogeemq/apogee/store"
)

// endTransaction serves END_TRANSACTION: a producer's commit or rollback of
// a half message, on its own or answering CHECK_TRANSACTION_STATE
// (spec/store.md §8). The half message is found by its CommitLog offset and
// checked (a record of the half queue whose ConsumeQueue unit points at it,
// of the producer group, at the queue offset the producer names). A commit
// writes the real message and then the op record; a rollback only the op
// record. A transaction already ended — by this half message or by another
// copy of it — is answered SUCCESS and nothing is written again. An unknown
// state (0) leaves the half message to the check service.
func (b *Broker) endTransaction(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, ok := header(req, reply, remoting.DecodeEndTransactionRequestHeader)
	if !ok {
		return
	}
	if b.isSlave() {
		reply(remoting.NewResponse(req, remoting.ResSlaveNotAvailable, "the broker is a slave and cannot end transactions"))
		return
	}
	switch h.CommitOrRollback {
	case remoting.TransactionNotType:
		reply(remoting.NewResponse(req, remoting.ResSuccess, ""))
		return
	case remoting.TransactionCommitType, remoting.TransactionRollbackType:
	default:
		reply(remoting.NewResponse(req, remoting.ResSystemError, fmt.Sprintf("unknown commitOrRollback %d", h.CommitOrRollback)))
		return
	}
	rec, ref, err := b.store.ReadRecord(h.CommitLogOffset)
	if err != nil {
		reply(remoting.NewResponse(req, remoting.ResSystemError,
			fmt.Sprintf("find prepared transaction message failed: commitLogOffset %d: %v", h.CommitLogOffset, err)))
		return
	}
	info, err := b.checkPrepared(&rec, &h)
	if err != nil {
		ref.Release()
		reply(remoting.NewResponse(req, remoting.ResSystemError, err.Error()))
		return
	}
	t := b.txn
	t.mu.Lock()
	if t.endedLocked(info) {
		t.mu.Unlock()
		ref.Release()
		b.log.Debug("broker: transaction already ended", "halfOffset", info.queueOffset, "root", info.root,
			"producerGroup", h.ProducerGroup, "msgId", h.MsgID, "fromCheck", h.FromTransactionCheck)
		reply(remoting.NewResponse(req, remoting.ResSuccess, ""))
		return
	}
	// Marked before anything is written, so that an end arriving again
	// meanwhile, or the check service, leaves the transaction alone. The op
	// record will be at or past the op queue's current end.
	opLow := b.store.MaxOffsetInQueue(TransOpHalfTopic, halfQueueID)
	t.ended.mark(info.queueOffset, opLow)
	t.ended.mark(info.root, opLow)
	// Should the end fail, what the check service passed from here on may
	// have been passed because of the mark.
	rescanFrom := min(info.queueOffset, t.halfProgress)
	t.mu.Unlock()

	if h.CommitOrRollback == remoting.TransactionRollbackType {
		ref.Release()
		b.writeOp(info, func(r store.PutResult) {
			if !r.Status.Stored() {
				b.forgetEnd(info, rescanFrom)
			}
			reply(endResponse(req, r))
		})
		return
	}
	m := b.realMessage(&rec, info)
	b.prepareForStore(&m)
	b.store.Put(&m, func(r store.PutResult) {
		if !r.Status.Stored() {
			b.forgetEnd(info, rescanFrom)
			reply(endResponse(req, r))
			return
		}
		b.stats.putTotal.Add(1)
		b.writeOp(info, func(op store.PutResult) {
			if !op.Status.Stored() {
				// The real message is stored and this process remembers
				// the end; after a restart the check service will ask the
				// producer again, who commits again: at least once.
				b.log.Error("broker: the op record of a committed transaction was not written",
					"halfOffset", info.queueOffset, "status", op.Status, "err", op.Err)
			}
			reply(endResponse(req, r))
		})
	})
	// The record's bytes were copied by the append.
	ref.Release()
}

// checkPrepared verifies that rec is the half message an END_TRANSACTION
// names, as RocketMQ's checkPrepareMessage does, and more: it must be a
// record of the half queue that the queue's unit points at (a record found
// inside another message's body is not one).
func (b *Broker) checkPrepared(rec *commitlog.Record, h *remoting.EndTransactionRequestHeader) (halfInfo, error) {
	info, err := parseHalf(rec)
	if err != nil {
		return info, fmt.Errorf("find prepared transaction message failed: %w", err)
	}
	if phys, ok := b.store.CommitLogOffsetInQueue(TransHalfTopic, halfQueueID, rec.QueueOffset); !ok || phys != rec.PhysOffset {
		return info, fmt.Errorf("find prepared transaction message failed: %w: no half-queue unit at %d points at %d",
			errNotHalf, rec.QueueOffset, rec.PhysOffset)
	}
	if pg, _ := commitlog.PropertyValue(rec.Properties, commitlog.PropertyProducerGroup); string(pg) != h.ProducerGroup {
		return info, fmt.Errorf("the producer group wrong: the half message's is %q, the request's %q", pg, h.ProducerGroup)
	}
	if rec.QueueOffset != h.TranStateTableOffset {
		return info, fmt.Errorf("the transaction state table offset wrong: the half message is at %d, the request names %d",
			rec.QueueOffset, h.TranStateTableOffset)
	}
	return info, nil
}

// realMessage builds the committed message of a half message: its real
// topic and queue, without REAL_TOPIC, REAL_QID and TRAN_MSG (a consumer that
// sends it on must not make a half message of it), transaction type COMMIT
// and the half message's CommitLog offset as prepared-transaction offset.
func (b *Broker) realMessage(rec *commitlog.Record, info halfInfo) commitlog.Message {
	m := rec.Message()
	m.Topic = info.realTopic
	m.QueueID = info.realQueueID
	m.SysFlag = m.SysFlag&^commitlog.SysFlagTransactionMask | commitlog.SysFlagTransactionCommit
	m.PreparedTransactionOffset = rec.PhysOffset
	m.StoreHost = b.ownHost()
	m.Properties = commitlog.AppendWithout(make([]byte, 0, len(rec.Properties)), rec.Properties,
		commitlog.PropertyRealTopic, commitlog.PropertyRealQueueID, commitlog.PropertyTransactionPrepared)
	return m
}

// writeOp writes the op record ending a half message and the first one of
// its transaction, and calls done with the put's result.
func (b *Broker) writeOp(info halfInfo, done func(store.PutResult)) {
	offsets := []int64{info.queueOffset}
	if info.root != info.queueOffset {
		offsets = append(offsets, info.root)
	}
	b.store.Put(opMessage(halfQueueID, b.ownHost(), b.env.Clock.Now().UnixMilli(), offsets...), done)
}

// forgetEnd undoes the mark of an end that could not be written and has the
// check service examine the half queue again from rescanFrom.
func (b *Broker) forgetEnd(info halfInfo, rescanFrom int64) {
	t := b.txn
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ended.unmark(info.queueOffset)
	if info.root != info.queueOffset {
		t.ended.unmark(info.root)
	}
	t.rewindLocked(rescanFrom)
}

// endResponse answers an END_TRANSACTION with the outcome of its put:
// SUCCESS once the message is stored (a flush or replication timeout
// included: the transaction is ended either way), the send's error code
// otherwise.
func endResponse(req *remoting.Command, r store.PutResult) *remoting.Command {
	if r.Status.Stored() {
		return remoting.NewResponse(req, remoting.ResSuccess, "")
	}
	code := remoting.ResSystemError
	if r.Status == store.PutServiceNotAvailable {
		code = remoting.ResServiceNotAvailable
	}
	remark := r.Status.String()
	if r.Err != nil {
		remark += ": " + r.Err.Error()
	}
	return remoting.NewResponse(req, code, remark)
}
