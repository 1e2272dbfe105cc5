package store

import (
	"errors"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
)

// PutResult is the outcome of Put or PutBatch. For a batch the offsets are
// those of its first message; the others follow consecutively in the queue.
type PutResult struct {
	Status PutStatus
	// Err explains a status other than PutOK.
	Err error
	// PhysOffset is the CommitLog offset of the (first) record.
	PhysOffset int64
	// WroteBytes is the total size of the records written.
	WroteBytes int
	// QueueOffset is the (first) queue offset assigned.
	QueueOffset int64
	// MsgCount is the number of records written.
	MsgCount int
	// StoreTimestampMs is the (first) record's store time.
	StoreTimestampMs int64
	// MsgID is the offset message id of the (first) record (spec §3.1).
	MsgID string
}

// Put stores one message and calls done once its durability is settled (see
// the package doc). A zero StoreHost is replaced by the store's. done may be
// called before Put returns, and from another goroutine.
func (s *Store) Put(m *commitlog.Message, done func(PutResult)) {
	if st, err := s.checkWritable(); err != nil {
		done(PutResult{Status: st, Err: err})
		return
	}
	if !m.StoreHost.IsValid() {
		m.StoreHost = s.cfg.StoreHost
	}
	ar, err := s.cl.Append(m)
	if err != nil {
		done(s.appendFailure(err))
		return
	}
	res := PutResult{
		Status:           PutOK,
		PhysOffset:       ar.PhysOffset,
		WroteBytes:       ar.SizeBytes,
		QueueOffset:      ar.QueueOffset,
		MsgCount:         1,
		StoreTimestampMs: ar.StoreTimestampMs,
		MsgID:            commitlog.FormatOffsetMsgID(m.StoreHost, ar.PhysOffset),
	}
	s.settle(res, ar.EndOffset, waitForStore(m.Properties), done)
}

// PutBatch stores messages of one topic and queue as consecutive records
// with consecutive queue offsets, all or none.
func (s *Store) PutBatch(msgs []commitlog.Message, done func(PutResult)) {
	if len(msgs) == 0 {
		done(PutResult{Status: PutMessageIllegal, Err: errors.New("store: empty batch")})
		return
	}
	if st, err := s.checkWritable(); err != nil {
		done(PutResult{Status: st, Err: err})
		return
	}
	for i := range msgs {
		if msgs[i].Topic != msgs[0].Topic || msgs[i].QueueID != msgs[0].QueueID {
			done(PutResult{Status: PutMessageIllegal, Err: errors.New("store: a batch must have one topic and queue")})
			return
		}
		if !msgs[i].StoreHost.IsValid() {
			msgs[i].StoreHost = s.cfg.StoreHost
		}
	}
	ars, err := s.cl.AppendBatch(msgs)
	if err != nil {
		done(s.appendFailure(err))
		return
	}
	res := PutResult{
		Status:           PutOK,
		PhysOffset:       ars[0].PhysOffset,
		QueueOffset:      ars[0].QueueOffset,
		MsgCount:         len(ars),
		StoreTimestampMs: ars[0].StoreTimestampMs,
		MsgID:            commitlog.FormatOffsetMsgID(msgs[0].StoreHost, ars[0].PhysOffset),
	}
	for _, ar := range ars {
		res.WroteBytes += ar.SizeBytes
	}
	s.settle(res, ars[len(ars)-1].EndOffset, waitForStore(msgs[0].Properties), done)
}

// settle completes a stored put: at once under async flush, after group
// commit under sync flush (unless the message asked not to wait), and on a
// master with a replicator also after a slave's acknowledgement (see
// SetReplicator). Dispatch runs first, so a consumer can read what a
// producer was told is stored.
func (s *Store) settle(res PutResult, endOffset int64, wait bool, done func(PutResult)) {
	if r := s.replicatorOrNil(); r != nil {
		if s.cfg.CommitLog.FlushMode != commitlog.FlushSync {
			r.Appended(endOffset) // under sync flush, the flush tells it
		}
		if wait {
			s.settleReplicated(r, res, endOffset, done)
			return
		}
	}
	if s.cfg.CommitLog.FlushMode != commitlog.FlushSync {
		s.kickDispatch()
		done(res)
		return
	}
	if s.cfg.PlantedBug == BugAckBeforeFlush {
		// The planted bug: answer at once and leave the record to the
		// periodic flush.
		done(res)
		return
	}
	if !wait {
		s.cl.Durable(endOffset, func(error) { s.kickDispatch() })
		done(res)
		return
	}
	s.cl.Durable(endOffset, func(err error) {
		s.kickDispatch()
		if err != nil {
			res.Err = err
			res.Status = PutFlushDiskTimeout
			if errors.Is(err, commitlog.ErrFlushWaitersFull) {
				res.Status = PutOSPageCacheBusy
			}
		}
		done(res)
	})
}

// waitForStore reads the WAIT property: only "false" skips waiting.
func waitForStore(props []byte) bool {
	v, ok := commitlog.PropertyValue(props, commitlog.PropertyWait)
	return !ok || string(v) != "false"
}

func (s *Store) checkWritable() (PutStatus, error) {
	switch {
	case s.closed.Load():
		return PutServiceNotAvailable, ErrClosed
	case s.diskFull.Load():
		return PutServiceNotAvailable, ErrDiskFull
	case s.notWritable.Load():
		return PutServiceNotAvailable, s.Err()
	}
	return PutOK, nil
}

// appendFailure maps a CommitLog append error to a put status.
func (s *Store) appendFailure(err error) PutResult {
	res := PutResult{Status: PutUnknownError, Err: err}
	switch {
	case errors.Is(err, commitlog.ErrPropertiesTooLong):
		res.Status = PutPropertiesSizeExceeded
	case errors.Is(err, commitlog.ErrTopicEmpty), errors.Is(err, commitlog.ErrTopicTooLong),
		errors.Is(err, commitlog.ErrBodyTooLarge), errors.Is(err, commitlog.ErrInvalidHost):
		res.Status = PutMessageIllegal
	case errors.Is(err, env.ErrNoSpace):
		s.diskFull.Store(true)
		s.logger.Error("store: disk full; refusing puts until space is freed", "err", err)
		res.Status = PutServiceNotAvailable
		res.Err = errors.Join(ErrDiskFull, err)
	case errors.Is(err, commitlog.ErrClosed):
		res.Status = PutServiceNotAvailable
	default:
		s.logger.Error("store: append failed", "err", err)
		res.Status = PutCreateMappedFileFailed
	}
	return res
}
