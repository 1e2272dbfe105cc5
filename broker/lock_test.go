package broker

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/remoting"
)

var lockEpoch = time.Date(2024, 3, 5, 12, 0, 0, 0, time.UTC)

func lockMQ(topic string, id int32) remoting.MessageQueue {
	return remoting.MessageQueue{Topic: topic, BrokerName: "broker-a", QueueID: id}
}

func TestLockTableRules(t *testing.T) {
	clock := env.NewManualClock(lockEpoch)
	tbl := newLockTable(time.Minute, 100)
	q0, q1, q2 := lockMQ("t", 0), lockMQ("t", 1), lockMQ("t", 2)

	got, full := tbl.tryLockBatch("g", "A", []remoting.MessageQueue{q0, q1, q0}, clock.Now())
	require.Equal(t, []remoting.MessageQueue{q0, q1}, got, "a repeated queue is answered once")
	require.Zero(t, full)

	got, _ = tbl.tryLockBatch("g", "B", []remoting.MessageQueue{q1, q2}, clock.Now())
	require.Equal(t, []remoting.MessageQueue{q2}, got, "another client's live lock is refused")

	got, _ = tbl.tryLockBatch("other", "B", []remoting.MessageQueue{q0}, clock.Now())
	require.Equal(t, []remoting.MessageQueue{q0}, got, "groups lock independently")
	other := remoting.MessageQueue{Topic: "t", BrokerName: "broker-b", QueueID: 0}
	got, _ = tbl.tryLockBatch("g", "B", []remoting.MessageQueue{other}, clock.Now())
	require.Equal(t, []remoting.MessageQueue{other}, got, "a queue of another broker name is another queue")

	require.Zero(t, tbl.unlockBatch("g", "B", []remoting.MessageQueue{q0, q1}), "unlock leaves other clients' locks")
	holder, ok := tbl.holder("g", q1, clock.Now())
	require.True(t, ok)
	require.Equal(t, "A", holder)

	require.Equal(t, 1, tbl.unlockBatch("g", "A", []remoting.MessageQueue{q1, q2}))
	_, ok = tbl.holder("g", q1, clock.Now())
	require.False(t, ok)
	got, _ = tbl.tryLockBatch("g", "B", []remoting.MessageQueue{q1}, clock.Now())
	require.Equal(t, []remoting.MessageQueue{q1}, got, "an unlocked queue can be taken at once")
}

func TestLockTableExpiry(t *testing.T) {
	clock := env.NewManualClock(lockEpoch)
	tbl := newLockTable(time.Minute, 100)
	q0, q1 := lockMQ("t", 0), lockMQ("t", 1)
	both := []remoting.MessageQueue{q0, q1}

	got, _ := tbl.tryLockBatch("g", "A", both, clock.Now())
	require.Equal(t, both, got)

	clock.Advance(30 * time.Second)
	got, _ = tbl.tryLockBatch("g", "A", []remoting.MessageQueue{q0}, clock.Now())
	require.Equal(t, []remoting.MessageQueue{q0}, got, "the holder renews")

	clock.Advance(30 * time.Second) // q1: exactly the lifetime since its lock
	got, _ = tbl.tryLockBatch("g", "B", both, clock.Now())
	require.Empty(t, got, "a lock is live for the whole lifetime")

	clock.Advance(time.Millisecond)
	got, _ = tbl.tryLockBatch("g", "B", both, clock.Now())
	require.Equal(t, []remoting.MessageQueue{q1}, got, "an unrenewed lock lapses; the renewed one holds")
	holder, ok := tbl.holder("g", q1, clock.Now())
	require.True(t, ok)
	require.Equal(t, "B", holder)

	got, _ = tbl.tryLockBatch("g", "A", both, clock.Now())
	require.Equal(t, []remoting.MessageQueue{q0}, got, "the old holder cannot take it back")

	require.Equal(t, 1, tbl.unlockBatch("g", "A", both), "the holder may unlock its own lock")

	clock.Advance(2 * time.Minute)
	require.Equal(t, 1, tbl.unlockBatch("g", "B", both), "an expired lock of the caller is still released")
	require.Zero(t, tbl.size())
}

func TestLockTableBound(t *testing.T) {
	clock := env.NewManualClock(lockEpoch)
	tbl := newLockTable(time.Minute, 3)
	var mqs []remoting.MessageQueue
	for i := range 5 {
		mqs = append(mqs, lockMQ("t", int32(i)))
	}
	got, full := tbl.tryLockBatch("g", "A", mqs, clock.Now())
	require.Equal(t, mqs[:3], got)
	require.Equal(t, 2, full, "past the bound, locks are refused")
	require.Equal(t, 3, tbl.size())

	got, full = tbl.tryLockBatch("g", "A", mqs[:3], clock.Now())
	require.Equal(t, mqs[:3], got, "renewals need no room")
	require.Zero(t, full)

	clock.Advance(time.Minute + time.Millisecond)
	got, full = tbl.tryLockBatch("g", "B", mqs[3:], clock.Now())
	require.Equal(t, mqs[3:], got, "a full table is swept of expired locks first")
	require.Zero(t, full)
	require.Equal(t, 2, tbl.size())

	require.Equal(t, 0, tbl.sweep(clock.Now()))
	clock.Advance(2 * time.Minute)
	require.Equal(t, 2, tbl.sweep(clock.Now()))
	require.Zero(t, tbl.size())
}

func TestLockTableOneHolderAtATime(t *testing.T) {
	// Clients take turns over a few queues while time moves in steps
	// around the lifetime: at no instant do two clients hold one queue.
	clock := env.NewManualClock(lockEpoch)
	tbl := newLockTable(10*time.Second, 1000)
	rnd := env.NewSeededRand(3)
	type held struct {
		client string
		last   time.Time
	}
	owners := map[remoting.MessageQueue]held{}
	for step := range 2000 {
		client := fmt.Sprintf("c%d", rnd.Intn(3))
		mq := lockMQ("t", int32(rnd.Intn(4)))
		switch rnd.Intn(4) {
		case 0:
			clock.Advance(time.Duration(rnd.Intn(12_000)) * time.Millisecond)
		case 1:
			if tbl.unlockBatch("g", client, []remoting.MessageQueue{mq}) == 1 {
				require.Equal(t, client, owners[mq].client, "step %d", step)
				delete(owners, mq)
			}
		default:
			now := clock.Now()
			got, _ := tbl.tryLockBatch("g", client, []remoting.MessageQueue{mq}, now)
			prev, had := owners[mq]
			live := had && now.Sub(prev.last) <= 10*time.Second
			if live && prev.client != client {
				require.Empty(t, got, "step %d: %s took %v from %s", step, client, mq, prev.client)
				continue
			}
			require.Len(t, got, 1, "step %d", step)
			owners[mq] = held{client: client, last: now}
		}
	}
}
