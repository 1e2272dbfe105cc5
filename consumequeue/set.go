package consumequeue

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"

	"github.com/apogeemq/apogee/env"
)

// Key names one queue.
type Key struct {
	// Topic is the queue's topic name.
	Topic string
	// QueueID is the queue's id within the topic.
	QueueID int32
}

// compareKeys orders keys by topic, then by queue id.
func compareKeys(a, b Key) int {
	if c := cmp.Compare(a.Topic, b.Topic); c != 0 {
		return c
	}
	return cmp.Compare(a.QueueID, b.QueueID)
}

// Set is every ConsumeQueue of a store, keyed by (topic, queueId). Its
// methods are safe for concurrent use; bulk operations visit queues in
// (topic, queueId) order and do not hold the table lock while they work on
// a queue.
type Set struct {
	e       env.Env
	rootDir string
	cfg     Config

	mu      sync.RWMutex
	queues  map[Key]*Queue
	skipped []string // guarded by mu
}

// OpenAll opens every queue under <rootDir>/consumequeue (a missing
// directory is an empty set). Entries that cannot be queues are skipped, as
// RocketMQ skips them, with a warning to cfg.Logger and their paths kept for
// Skipped: a topic entry that is not a directory or not a valid topic name,
// and a queue entry that is not a directory named by a canonical
// non-negative int32. A queue that fails to open (a file of the wrong size,
// a stray file among its files) fails OpenAll. Call RecoverAll next.
func OpenAll(e env.Env, rootDir string, cfg Config) (*Set, error) {
	cfg, err := cfg.normalized()
	if err != nil {
		return nil, err
	}
	s := &Set{e: e, rootDir: rootDir, cfg: cfg, queues: make(map[Key]*Queue)}
	base := filepath.Join(rootDir, dirName)
	topics, err := e.FS.List(base)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("consumequeue: listing %s: %w", base, err)
	}
	for _, topic := range topics {
		topicDir := filepath.Join(base, topic)
		if ok, err := s.isDir(topicDir); err != nil {
			s.Close()
			return nil, err
		} else if !ok || !ValidTopic(topic) {
			s.skip(topicDir, "not a topic directory")
			continue
		}
		names, err := e.FS.List(topicDir)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("consumequeue: listing %s: %w", topicDir, err)
		}
		for _, name := range names {
			queueDir := filepath.Join(topicDir, name)
			id, idOK := parseQueueID(name)
			if ok, err := s.isDir(queueDir); err != nil {
				s.Close()
				return nil, err
			} else if !ok || !idOK {
				s.skip(queueDir, "not a queue directory")
				continue
			}
			q, err := Open(e, rootDir, topic, id, cfg)
			if err != nil {
				s.Close()
				return nil, err
			}
			s.queues[Key{Topic: topic, QueueID: id}] = q
		}
	}
	return s, nil
}

func (s *Set) isDir(path string) (bool, error) {
	info, err := s.e.FS.Stat(path)
	if err != nil {
		return false, fmt.Errorf("consumequeue: stat %s: %w", path, err)
	}
	return info.IsDir, nil
}

func (s *Set) skip(path, why string) {
	s.cfg.Logger.Warn("consumequeue: skipping "+why, slog.String("path", path))
	s.mu.Lock()
	s.skipped = append(s.skipped, path)
	s.mu.Unlock()
}

// Skipped returns the paths OpenAll skipped, in the order it met them.
func (s *Set) Skipped() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.skipped)
}

// Get returns the queue of (topic, queueID), or nil.
func (s *Set) Get(topic string, queueID int32) *Queue {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.queues[Key{Topic: topic, QueueID: queueID}]
}

// GetOrCreate returns the queue of (topic, queueID), opening an empty one
// (and its directory) when it does not exist yet.
func (s *Set) GetOrCreate(topic string, queueID int32) (*Queue, error) {
	if q := s.Get(topic, queueID); q != nil {
		return q, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := Key{Topic: topic, QueueID: queueID}
	if q := s.queues[k]; q != nil {
		return q, nil
	}
	q, err := Open(s.e, s.rootDir, topic, queueID, s.cfg)
	if err != nil {
		return nil, err
	}
	s.queues[k] = q
	return q, nil
}

// Queues returns the queues in (topic, queueId) order.
func (s *Set) Queues() []*Queue {
	s.mu.RLock()
	keys := make([]Key, 0, len(s.queues))
	for k := range s.queues {
		keys = append(keys, k)
	}
	qs := make([]*Queue, len(keys))
	slices.SortFunc(keys, compareKeys)
	for i, k := range keys {
		qs[i] = s.queues[k]
	}
	s.mu.RUnlock()
	return qs
}

// Len returns the number of queues.
func (s *Set) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.queues)
}

// RecoverAll recovers every queue (§4.8), stopping at the first I/O error.
func (s *Set) RecoverAll() error {
	for _, q := range s.Queues() {
		if err := q.Recover(); err != nil {
			return err
		}
	}
	return nil
}

// MaxPhysicOffset returns the largest MaxPhysicOffset of all queues: the
// CommitLog offset up to which everything has been dispatched, where
// dispatch restarts after recovery.
func (s *Set) MaxPhysicOffset() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var m int64
	for _, q := range s.queues {
		m = max(m, q.MaxPhysicOffset())
	}
	return m
}

// TruncateByPhysOffsetAll truncates every queue at physOffset (§4.8),
// stopping at the first I/O error.
func (s *Set) TruncateByPhysOffsetAll(physOffset int64) error {
	for _, q := range s.Queues() {
		if err := q.TruncateByPhysOffset(physOffset); err != nil {
			return err
		}
	}
	return nil
}

// DeleteBelowPhysOffsetAll runs DeleteBelowPhysOffset on every queue and
// returns the number of files deleted; errors are joined.
func (s *Set) DeleteBelowPhysOffsetAll(minPhysOffset int64) (int, error) {
	total := 0
	var errs []error
	for _, q := range s.Queues() {
		n, err := q.DeleteBelowPhysOffset(minPhysOffset)
		total += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return total, errors.Join(errs...)
}

// FlushAll flushes every queue (see Queue.Flush); errors are joined and do
// not stop the other queues.
func (s *Set) FlushAll(leastPages int) error {
	var errs []error
	for _, q := range s.Queues() {
		if err := q.Flush(leastPages); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// DestroyAll destroys every queue's files, keeping the queues usable: what
// recovery does when the CommitLog has no files at all (§4.8).
func (s *Set) DestroyAll() error {
	var errs []error
	for _, q := range s.Queues() {
		if err := q.Destroy(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// DeleteTopic removes every queue of topic from the set and deletes their
// files and the topic's directory.
func (s *Set) DeleteTopic(topic string) error {
	if !ValidTopic(topic) {
		return fmt.Errorf("%w: topic %q", ErrBadName, topic)
	}
	s.mu.Lock()
	var qs []*Queue
	for k, q := range s.queues {
		if k.Topic == topic {
			qs = append(qs, q)
			delete(s.queues, k)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(qs, func(a, b *Queue) int { return cmp.Compare(a.queueID, b.queueID) })
	var errs []error
	for _, q := range qs {
		if err := q.Destroy(); err != nil {
			errs = append(errs, err)
		}
	}
	dir := filepath.Join(s.rootDir, dirName, topic)
	if err := s.e.FS.RemoveAll(dir); err != nil {
		errs = append(errs, fmt.Errorf("consumequeue: removing %s: %w", dir, err))
	}
	return errors.Join(errs...)
}

// Close closes every queue and empties the set; errors are joined.
func (s *Set) Close() error {
	qs := s.Queues()
	s.mu.Lock()
	s.queues = make(map[Key]*Queue)
	s.mu.Unlock()
	var errs []error
	for _, q := range qs {
		if err := q.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
