package store

import (
	"fmt"
)

// fail stops the store for good after a failure it cannot repair in place:
// a flush of the CommitLog, a ConsumeQueue, the index or the checkpoint
// that the device refused, or a dispatch write that could not complete.
//
// The store fails stop rather than retrying. After a failed fsync or msync
// the kernel may already have dropped the dirty pages, or marked them clean
// with their contents never written, so a retry that succeeds proves
// nothing (PostgreSQL's "fsyncgate"). From the first failure on, puts are
// refused with SERVICE_NOT_AVAILABLE, sync-flush waiters get
// FLUSH_DISK_TIMEOUT, dispatch stops, reads keep serving what was
// dispatched, and Close writes no checkpoint and keeps the abort file, so
// the next Open recovers from what the files hold, as after a crash. The
// process that owns the store is expected to exit and be restarted (Err
// tells it when); the commands do that.
func (s *Store) fail(err error) {
	wrapped := fmt.Errorf("%w: %w", ErrNotWritable, err)
	if !s.failure.CompareAndSwap(nil, &wrapped) {
		return
	}
	s.notWritable.Store(true)
	s.logger.Error("store: failed; refusing puts until restarted and recovered", "err", err)
}

// Err returns the failure that stopped the store (matching ErrNotWritable),
// or nil while it is healthy. A full disk is not a failure: it clears by
// itself (see DiskFull).
func (s *Store) Err() error {
	if p := s.failure.Load(); p != nil {
		return *p
	}
	return nil
}
