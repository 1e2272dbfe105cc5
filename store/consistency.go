package store

import (
	"errors"
	"fmt"

	"github.com/apogeemq/apogee/commitlog"
)

// ErrInconsistent reports a ConsumeQueue unit that disagrees with the
// CommitLog, or a dispatched record without its unit.
var ErrInconsistent = errors.New("store: ConsumeQueue and CommitLog disagree")

// CheckConsistency verifies that every ConsumeQueue unit names a record of
// its topic, queue and queue offset with the unit's size, and that every
// dispatched record of a queue-bearing type has its unit. It reads
// everything: tests and the simulator call it, never the serving path.
func (s *Store) CheckConsistency() error {
	for _, q := range s.cqs.Queues() {
		for off := q.MinOffset(); off < q.MaxOffset(); off++ {
			u, ok := q.Get(off)
			if !ok {
				return fmt.Errorf("%w: %s/%d@%d unreadable", ErrInconsistent, q.Topic(), q.QueueID(), off)
			}
			if u.IsFiller() || u.PhysOffset < s.cl.MinOffset() {
				continue
			}
			rec, ref, err := s.cl.ReadRecord(u.PhysOffset)
			if err != nil {
				return fmt.Errorf("%w: %s/%d@%d -> %d: %w", ErrInconsistent, q.Topic(), q.QueueID(), off, u.PhysOffset, err)
			}
			bad := string(rec.Topic) != q.Topic() || rec.QueueID != q.QueueID() || rec.QueueOffset != off || rec.TotalSize != u.SizeBytes
			ref.Release()
			if bad {
				return fmt.Errorf("%w: %s/%d@%d -> %d names %s/%d@%d size %d (unit size %d)", ErrInconsistent,
					q.Topic(), q.QueueID(), off, u.PhysOffset, rec.Topic, rec.QueueID, rec.QueueOffset, rec.TotalSize, u.SizeBytes)
			}
		}
	}
	end := s.DispatchedOffset()
	for off := s.cl.MinOffset(); off < end; {
		rec, ref, err := s.cl.ReadRecord(off)
		if errors.Is(err, commitlog.ErrBlank) {
			off = s.cl.NextSegmentStart(off)
			continue
		}
		if err != nil {
			return fmt.Errorf("%w: reading record at %d: %w", ErrInconsistent, off, err)
		}
		tx := rec.TransactionType()
		if tx == commitlog.SysFlagTransactionNone || tx == commitlog.SysFlagTransactionCommit {
			q := s.cqs.Get(string(rec.Topic), rec.QueueID)
			var u struct {
				ok   bool
				phys int64
			}
			if q != nil && rec.QueueOffset >= q.MinOffset() {
				unit, ok := q.Get(rec.QueueOffset)
				u.ok, u.phys = ok, unit.PhysOffset
			} else if q != nil {
				u.ok, u.phys = true, off // expired from the queue's front
			}
			if !u.ok || u.phys != off {
				ref.Release()
				return fmt.Errorf("%w: record %s/%d@%d at %d has no unit", ErrInconsistent, rec.Topic, rec.QueueID, rec.QueueOffset, off)
			}
		}
		next := rec.EndOffset()
		ref.Release()
		off = next
	}
	return nil
}
