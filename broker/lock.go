package broker

import (
	"sync"
	"time"

	"github.com/apogeemq/apogee/remoting"
)

// Queue locks for orderly consumption (RocketMQ's RebalanceLockManager).
//
// An orderly consumer pulls a queue only while it holds the queue's lock
// on the queue's broker, so that one member of a group at a time consumes
// it: LOCK_BATCH_MQ takes or renews locks, UNLOCK_BATCH_MQ gives them back.
// A lock belongs to a (consumer group, message queue) pair and is held by
// one client id. It lasts RebalanceLockMaxLiveTime after its last renewal;
// the Go client renews every 20 s (RebalanceLockInterval), Java's every
// 20 s too, so a live holder never loses it. Locks are kept in memory
// only, as in RocketMQ: a restarted broker starts with none, and clients
// take them again on their next renewal.
//
// Rules (each as RebalanceLockManager.tryLockBatch and unlockBatch):
//
//   - a queue nobody holds, or whose holder let it expire, is locked for
//     the caller;
//   - the holder's own request renews its lock;
//   - a live lock of another client is refused;
//   - unlock releases a queue only when the caller holds it (expired or
//     not); another client's lock is left alone;
//   - a closed connection keeps its client's locks until they expire, as
//     in RocketMQ: a client whose connection broke for a moment still
//     consumes its queues and must not find a second consumer on them.
//
// Invariants:
//   - at any instant a (group, queue) pair has at most one unexpired
//     holder;
//   - the table holds at most maxQueueLocks entries; expired entries are
//     swept every RebalanceLockMaxLiveTime and whenever the table is full,
//     and a lock that would pass the bound after a sweep is refused;
//   - time is the env's Clock: under a manual clock locks expire only as
//     the clock moves.

// DefaultRebalanceLockMaxLiveTime is how long a queue lock lasts without
// renewal: RocketMQ's rocketmq.broker.rebalance.lockMaxLiveTime, 60 s, three
// renewal periods of the clients.
const DefaultRebalanceLockMaxLiveTime = 60 * time.Second

// maxQueueLocks bounds the lock table, all groups together. Each entry
// costs about 150 bytes; a million covers ten thousand orderly groups
// locking a hundred queues each on one broker, far beyond any real one,
// while keeping a client that invents queues from growing the table past
// some 150 MiB.
const maxQueueLocks = 1 << 20

// lockKey names one lock: a consumer group's message queue.
type lockKey struct {
	group string
	mq    remoting.MessageQueue
}

// lockEntry is a lock's holder and the time of its last renewal.
type lockEntry struct {
	clientID   string
	lastUpdate time.Time
}

// lockTable is the broker's queue locks. Its methods take the current
// time from the caller and are safe for concurrent use.
type lockTable struct {
	maxLive    time.Duration
	maxEntries int

	mu    sync.Mutex
	locks map[lockKey]lockEntry
}

// newLockTable returns an empty table whose locks last maxLive and which
// holds at most maxEntries locks.
func newLockTable(maxLive time.Duration, maxEntries int) *lockTable {
	if maxLive <= 0 || maxEntries <= 0 {
		panic("broker: lock table needs a positive lifetime and bound")
	}
	return &lockTable{maxLive: maxLive, maxEntries: maxEntries, locks: map[lockKey]lockEntry{}}
}

// expired reports whether a lock last renewed at lastUpdate has lapsed at
// now (RocketMQ: strictly more than the lifetime has passed).
func (t *lockTable) expired(e lockEntry, now time.Time) bool {
	return now.Sub(e.lastUpdate) > t.maxLive
}

// tryLockBatch locks or renews each of mqs of group for clientID at now and
// returns those clientID holds afterwards, in request order, each once.
// The second result counts the queues refused because the table is full.
func (t *lockTable) tryLockBatch(group, clientID string, mqs []remoting.MessageQueue, now time.Time) ([]remoting.MessageQueue, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	locked := make([]remoting.MessageQueue, 0, len(mqs))
	seen := make(map[remoting.MessageQueue]bool, len(mqs))
	full := 0
	for _, mq := range mqs {
		if seen[mq] {
			continue
		}
		seen[mq] = true
		key := lockKey{group: group, mq: mq}
		e, ok := t.locks[key]
		switch {
		case ok && e.clientID == clientID, ok && t.expired(e, now):
			// Renewal, or the takeover of a lapsed lock.
		case ok:
			continue // held by another client
		case len(t.locks) >= t.maxEntries && t.sweepLocked(now) == 0:
			full++
			continue
		}
		t.locks[key] = lockEntry{clientID: clientID, lastUpdate: now}
		locked = append(locked, mq)
	}
	return locked, full
}

// unlockBatch releases the queues of mqs that clientID holds in group and
// returns how many it released.
func (t *lockTable) unlockBatch(group, clientID string, mqs []remoting.MessageQueue) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, mq := range mqs {
		key := lockKey{group: group, mq: mq}
		if e, ok := t.locks[key]; ok && e.clientID == clientID {
			delete(t.locks, key)
			n++
		}
	}
	return n
}

// holder returns the client that holds a live lock on mq of group at now.
func (t *lockTable) holder(group string, mq remoting.MessageQueue, now time.Time) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.locks[lockKey{group: group, mq: mq}]
	if !ok || t.expired(e, now) {
		return "", false
	}
	return e.clientID, true
}

// sweep drops the locks that have expired at now and returns how many.
func (t *lockTable) sweep(now time.Time) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sweepLocked(now)
}

func (t *lockTable) sweepLocked(now time.Time) int {
	n := 0
	for key, e := range t.locks {
		if t.expired(e, now) {
			delete(t.locks, key)
			n++
		}
	}
	return n
}

// size returns the number of entries, expired ones included.
func (t *lockTable) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.locks)
}
