package broker

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/remoting"
)

// queueKey names one queue of a topic.
type queueKey struct {
	topic   string
	queueID int32
}

// heldPull is a pull that found nothing new and waits for a message or its
// suspend timeout (long polling).
type heldPull struct {
	peer   remoting.Peer
	req    *remoting.Command
	reply  func(*remoting.Command)
	key    queueKey
	offset int64
	sub    *subscription
	timer  env.Timer
	seq    uint64
}

// pullHolds keeps the held pulls by queue, at most max of them. A held pull
// leaves the table exactly once: woken by an arrival, by its timer, or at
// shutdown; whoever removes it re-runs it.
type pullHolds struct {
	clock env.Clock
	max   int

	mu     sync.Mutex
	closed bool
	seq    uint64
	count  int
	// held mirrors count for the dispatch path, which asks about every
	// message and should not take the lock when nothing is held.
	held    atomic.Int64
	byQueue map[queueKey]map[uint64]*heldPull
}

func newPullHolds(clock env.Clock, max int) *pullHolds {
	return &pullHolds{clock: clock, max: max, byQueue: map[queueKey]map[uint64]*heldPull{}}
}

// hold registers hp for up to d; expire runs it again when the time is up.
// It returns false when the table is full or closed, and the caller answers
// at once.
func (h *pullHolds) hold(hp *heldPull, d time.Duration, expire func(*heldPull)) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || h.count >= h.max {
		return false
	}
	h.seq++
	hp.seq = h.seq
	q := h.byQueue[hp.key]
	if q == nil {
		q = map[uint64]*heldPull{}
		h.byQueue[hp.key] = q
	}
	q[hp.seq] = hp
	h.count++
	h.held.Store(int64(h.count))
	hp.timer = h.clock.AfterFunc(d, func() {
		if h.take(hp) {
			expire(hp)
		}
	})
	return true
}

// take removes hp if it is still held and reports whether it was.
func (h *pullHolds) take(hp *heldPull) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	q := h.byQueue[hp.key]
	if q == nil || q[hp.seq] != hp {
		return false
	}
	delete(q, hp.seq)
	if len(q) == 0 {
		delete(h.byQueue, hp.key)
	}
	h.count--
	h.held.Store(int64(h.count))
	return true
}

// arrived removes and returns the pulls of a queue that a message at
// queueOffset with tagCode satisfies, in the order they were held. tagCode
// is ignored when known is false (wake everything waiting below the offset).
func (h *pullHolds) arrived(key queueKey, queueOffset int64, tagCode int64, known bool) []*heldPull {
	if h.held.Load() == 0 {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	q := h.byQueue[key]
	if len(q) == 0 {
		return nil
	}
	var out []*heldPull
	for seq, hp := range q {
		if hp.offset > queueOffset {
			continue
		}
		if known && hp.sub != nil && !hp.sub.matches(tagCode) {
			continue
		}
		delete(q, seq)
		h.count--
		h.held.Store(int64(h.count))
		out = append(out, hp)
	}
	if len(q) == 0 {
		delete(h.byQueue, key)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	for _, hp := range out {
		hp.timer.Stop()
	}
	return out
}

// closeAll empties the table and refuses new holds; it returns the pulls
// that were held, for a last answer.
func (h *pullHolds) closeAll() []*heldPull {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	var out []*heldPull
	for _, q := range h.byQueue {
		for _, hp := range q {
			out = append(out, hp)
		}
	}
	h.byQueue = map[queueKey]map[uint64]*heldPull{}
	h.count = 0
	h.held.Store(0)
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	for _, hp := range out {
		hp.timer.Stop()
	}
	return out
}

// size returns the number of held pulls.
func (h *pullHolds) size() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.count
}
