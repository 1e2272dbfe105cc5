package store

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/consumequeue"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/indexfile"
)

// File and directory names under the root (spec/store.md §1).
const (
	commitLogDirName  = "commitlog"
	indexDirName      = "index"
	configDirName     = "config"
	checkpointName    = "checkpoint"
	abortName         = "abort"
	lockName          = "lock"
	abortFileContents = "running\n"
)

// Store is the message store. It is safe for concurrent use: puts serialize
// on the CommitLog's append lock, gets read mapped memory without locks.
type Store struct {
	e      env.Env
	cfg    Config
	logger *slog.Logger

	lock io.Closer
	cl   *commitlog.Log
	cqs  *consumequeue.Set
	idx  *indexfile.Set // nil when MessageIndexEnable is false
	cp   *checkpointFile

	report RecoveryReport

	closed      atomic.Bool
	diskFull    atomic.Bool
	notWritable atomic.Bool
	// failure is the first fatal error (see fail); set once, with
	// notWritable set after it.
	failure atomic.Pointer[error]

	dispatch dispatcher

	listener atomic.Pointer[ArrivalListener]
	// replicator is the master's replication (SetReplicator), or nil.
	replicator atomic.Pointer[Replicator]

	// bgMu is held (read) by timer callbacks while they work and (write) by
	// Close, so no background work touches files after Close returns.
	bgMu         sync.RWMutex
	timersMu     sync.Mutex
	timers       map[string]env.Timer
	lastThorough time.Time
	manualClean  atomic.Int32
}

// ArrivalListener is told about every message dispatched to a ConsumeQueue:
// long-polling pulls waiting on that queue wake up. It runs on the
// dispatching goroutine and must not block.
type ArrivalListener func(topic string, queueID int32, queueOffset int64, tagCode int64)

// RecoveryReport says how the last Open recovered.
type RecoveryReport struct {
	// Abnormal is true when the abort file showed a crash (or the checkpoint
	// was unreadable).
	Abnormal bool
	// CheckpointErr is why the checkpoint was not trusted, if it was not.
	CheckpointErr error
	// CommitLog is the CommitLog scan result: where it started, where the
	// valid data ends and why.
	CommitLog commitlog.RecoverResult
	// RedispatchFrom is the CommitLog offset dispatch restarted at.
	RedispatchFrom int64
	// SkippedQueueDirs lists ConsumeQueue directories that were ignored.
	SkippedQueueDirs []string
}

// Open opens (creating if needed) the store under cfg.RootDir and recovers
// it (see the package doc).
func Open(e env.Env, cfg Config) (*Store, error) {
	if cfg.RootDir == "" {
		return nil, errors.New("store: RootDir is empty")
	}
	cfg = cfg.withDefaults()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.CommitLog.Logger == nil {
		cfg.CommitLog.Logger = cfg.Logger
	}
	s := &Store{e: e, cfg: cfg, logger: cfg.Logger, timers: map[string]env.Timer{}}
	onFlushFailure := cfg.CommitLog.OnFlushFailure
	s.cfg.CommitLog.OnFlushFailure = func(err error) {
		s.fail(fmt.Errorf("flushing the CommitLog: %w", err))
		if onFlushFailure != nil {
			onFlushFailure(err)
		}
	}
	if s.cfg.CommitLog.FlushMode == commitlog.FlushSync {
		// Under sync flush slaves are streamed only durable bytes
		// (ReplicableEnd): each flush lets the streams move on.
		onFlushed := cfg.CommitLog.OnFlushed
		s.cfg.CommitLog.OnFlushed = func(flushed int64) {
			if r := s.replicatorOrNil(); r != nil {
				r.Appended(flushed)
			}
			if onFlushed != nil {
				onFlushed(flushed)
			}
		}
	}
	if err := s.open(); err != nil {
		s.closeFiles()
		return nil, err
	}
	return s, nil
}

func (s *Store) path(name string) string { return filepath.Join(s.cfg.RootDir, name) }

// ConfigDir returns the directory of the JSON metadata files.
func (s *Store) ConfigDir() string { return s.path(configDirName) }

func (s *Store) open() error {
	fsys := s.e.FS
	for _, dir := range []string{s.cfg.RootDir, s.ConfigDir()} {
		if err := fsys.MkdirAll(dir); err != nil {
			return fmt.Errorf("store: creating %s: %w", dir, err)
		}
	}
	lock, err := fsys.Lock(s.path(lockName))
	switch {
	case errors.Is(err, env.ErrLocked):
		return fmt.Errorf("%w: %s: %w", ErrLocked, s.path(lockName), err)
	case err != nil:
		// Not another process: the lock file could not be made (a full
		// disk, a read-only mount).
		return fmt.Errorf("store: taking the lock %s: %w", s.path(lockName), err)
	}
	s.lock = lock

	_, err = fsys.Stat(s.path(abortName))
	switch {
	case err == nil:
		s.report.Abnormal = true
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("store: checking abort file: %w", err)
	}

	cp, cpVal, err := openCheckpoint(fsys, s.path(checkpointName))
	if cp == nil {
		return err
	}
	s.cp = cp
	if err != nil {
		// An untrusted checkpoint: recover as after a crash, from the
		// oldest segment (minTimestamp 0 matches no segment).
		s.logger.Warn("store: checkpoint not trusted, recovering from the oldest segment", "err", err)
		s.report.CheckpointErr = err
		s.report.Abnormal = true
		cpVal = Checkpoint{}
		s.cp.update(func(c *Checkpoint) { *c = Checkpoint{} })
	}

	if s.cl, err = commitlog.Open(s.e, s.path(commitLogDirName), s.cfg.CommitLog); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	cqCfg := consumequeue.Config{FileSizeBytes: int64(s.cfg.ConsumeQueueUnitsPerFile) * consumequeue.UnitSize, Logger: s.logger}
	if s.cqs, err = consumequeue.OpenAll(s.e, s.cfg.RootDir, cqCfg); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	s.report.SkippedQueueDirs = s.cqs.Skipped()
	if s.cfg.MessageIndexEnable {
		idxCfg := indexfile.Config{
			Geometry:          indexfile.Geometry{HashSlots: s.cfg.IndexHashSlots, MaxEntries: s.cfg.IndexMaxEntries},
			MaxQueryResults:   s.cfg.MaxQueryResults,
			OnFullFileFlushed: s.indexFileFlushed,
		}
		if s.idx, err = indexfile.Open(s.e, s.path(indexDirName), idxCfg); err != nil {
			return fmt.Errorf("store: %w", err)
		}
	}
	if err := s.recover(cpVal); err != nil {
		return err
	}
	if err := s.writeAbortFile(); err != nil {
		return err
	}
	s.startTimers()
	return nil
}

// indexFileFlushed records the end time of the newest durable full index
// file in the checkpoint.
func (s *Store) indexFileFlushed(endTimestampMs int64) {
	s.cp.update(func(c *Checkpoint) { c.IndexMsgTimestampMs = max(c.IndexMsgTimestampMs, endTimestampMs) })
}

func (s *Store) writeAbortFile() error {
	f, err := s.e.FS.Create(s.path(abortName))
	if err == nil {
		_, err = f.WriteAt([]byte(abortFileContents), 0)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil {
		err = s.e.FS.SyncDir(s.cfg.RootDir)
	}
	if err != nil {
		return fmt.Errorf("store: writing abort file: %w", err)
	}
	return nil
}

// Report returns how the last Open recovered.
func (s *Store) Report() RecoveryReport { return s.report }

// SetArrivalListener installs the listener told about dispatched messages.
func (s *Store) SetArrivalListener(l ArrivalListener) {
	if l == nil {
		s.listener.Store(nil)
		return
	}
	s.listener.Store(&l)
}

// Flush makes everything written so far durable: the CommitLog, the
// ConsumeQueues, the index and the checkpoint.
func (s *Store) Flush() error {
	if s.closed.Load() {
		return ErrClosed
	}
	if err := s.Err(); err != nil {
		return err
	}
	if err := s.cl.Flush(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	s.kickDispatch()
	return s.flushLogic(true)
}

// Close flushes everything, dispatches what is left and shuts the store
// down. The abort file is removed only when all of that succeeded, so the
// next Open recovers normally only after a truly clean shutdown.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	s.stopTimers()
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	if ferr := s.Err(); ferr != nil {
		// After a failed flush nothing the page cache holds can be
		// trusted to reach the disk, and a flush that succeeds now may
		// only mean the kernel dropped the failed pages: write no
		// checkpoint and keep the abort file, so the next Open recovers
		// from what the files hold, as after a crash.
		s.dispatch.mu.Lock()
		defer s.dispatch.mu.Unlock()
		return errors.Join(ferr, s.closeFiles())
	}

	err := s.cl.Flush()
	// Hold the dispatcher until the files are closed: a put that passed its
	// checks before Close must not dispatch into closing queues (it only
	// ever tries the lock, so it cannot block Close).
	s.dispatch.mu.Lock()
	defer s.dispatch.mu.Unlock()
	s.dispatchLocked()
	clean := s.dispatch.reputFrom >= s.cl.MaxOffset() && !s.notWritable.Load()
	if ferr := s.flushLogic(true); err == nil {
		err = ferr
	}
	if err == nil && clean {
		if rerr := s.e.FS.Remove(s.path(abortName)); rerr == nil {
			err = s.e.FS.SyncDir(s.cfg.RootDir)
		} else {
			err = rerr
		}
	}
	if cerr := s.closeFiles(); err == nil {
		err = cerr
	}
	return err
}

// Abandon drops the store as a crash would: timers stop, no shutdown work is
// done and the abort file stays, so the next Open recovers as after a
// crash. Its file handles, mappings and lock are released (closing may
// flush what the handles still reach; crash the MemFS first for a crash
// that loses the page cache). Crash tests, benchmarks and the simulator use
// it.
func (s *Store) Abandon() {
	if !s.closed.CompareAndSwap(false, true) {
		return
	}
	s.stopTimers()
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	s.dispatch.mu.Lock()
	defer s.dispatch.mu.Unlock()
	if err := s.closeFiles(); err != nil {
		s.logger.Debug("store: abandoned with errors", "err", err)
	}
}

func (s *Store) closeFiles() error {
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	if s.cl != nil {
		keep(s.cl.Close())
	}
	if s.cqs != nil {
		keep(s.cqs.Close())
	}
	if s.idx != nil {
		keep(s.idx.Close())
	}
	if s.cp != nil {
		keep(s.cp.close())
	}
	if s.lock != nil {
		keep(s.lock.Close())
	}
	return first
}
