package linearizability

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCleanHistoryPasses(t *testing.T) {
	r := NewRecorder()
	ack(r, "m0", 10, 20, qa, 0)
	ack(r, "m1", 15, 30, qa, 1)
	ack(r, "m2", 12, 40, qb, 0)
	read(r, "m0", 25, 35, qa, 0)
	read(r, "m1", 36, 45, qa, 1)
	read(r, "m2", 41, 50, qb, 0)
	r.Commit(groupA, qa, 2, 50)
	r.Commit(groupA, qb, 1, 55)
	r.Annotate(33, "broker-a", "partition from name server")

	rep := Check(r, durable)
	require.True(t, rep.OK, rep.String())
	assert.Empty(t, rep.Violations)
	assert.Empty(t, rep.Lost)
	assert.Empty(t, rep.Duplicates)
	assert.Equal(t, Stats{SendsOK: 3, Reads: 3, Commits: 2, Annotations: 1, Queues: 2, Operations: 6}, rep.Stats)
	assert.True(t, strings.HasPrefix(rep.String(), "check: OK\n"), rep.String())
}

func TestReadOfAnotherIDFailsAndRenders(t *testing.T) {
	r := NewRecorder()
	ack(r, "m0", 10, 20, qa, 0)
	ack(r, "m1", 21, 30, qa, 1)
	read(r, "m1", 31, 40, qa, 0) // offset 0 holds m0
	read(r, "m0", 41, 50, qa, 0)
	r.Annotate(25, "broker-a", "disk stalls 5s")
	r.Crash(45, "broker-b")

	rep := Check(r, durable)
	require.False(t, rep.OK)
	require.Equal(t, []string{KindLinearizability}, kinds(rep), rep.String())
	v := rep.Violations[0]
	assert.Equal(t, qa, v.Queue)
	assert.Contains(t, v.Detail, "offset 0 stored both m0 and m1")
	assert.Contains(t, v.Detail, "read @0 returned m1 but m0 was acknowledged there")
	assert.Contains(t, rep.String(), "linearizability TopicTest/broker-a/0:")

	var html bytes.Buffer
	require.NoError(t, VisualizeQueue(r, durable, qa, &html))
	page := html.String()
	assert.True(t, strings.HasPrefix(strings.TrimSpace(page), "<!DOCTYPE html>") || strings.Contains(page, "<html"), "not HTML")
	for _, want := range []string{"send m0 -\\u003e ok @0", "read @0 -\\u003e m1", "group group-a, client 1", "disk stalls 5s", "crash: unflushed data lost"} {
		assert.Contains(t, page, want)
	}
}

func TestVisualizeUnknownQueue(t *testing.T) {
	r := NewRecorder()
	ack(r, "m0", 10, 20, qa, 0)
	err := VisualizeQueue(r, durable, qb, &bytes.Buffer{})
	require.ErrorIs(t, err, ErrNoHistory)
	assert.Contains(t, err.Error(), qb.String())
}

func TestUnknownOutcomes(t *testing.T) {
	unknownAt := func(q Queue) SendResult { return SendResult{Outcome: OutcomeUnknown, Queue: q, Offset: NoOffset} }
	tests := []struct {
		name   string
		record func(r *Recorder)
	}{
		{"unknown send later read", func(r *Recorder) {
			ack(r, "m0", 10, 20, qa, 0)
			send(r, 2, "m1", 21, 90, unknownAt(qa))
			ack(r, "m2", 30, 40, qa, 2)
			read(r, "m1", 50, 60, qa, 1)
			read(r, "m2", 61, 62, qa, 2)
		}},
		{"unknown send read before its timeout", func(r *Recorder) {
			send(r, 2, "m0", 10, 90, unknownAt(qa))
			read(r, "m0", 20, 30, qa, 0)
			ack(r, "m1", 40, 50, qa, 1)
		}},
		{"unknown send not read, took no offset", func(r *Recorder) {
			ack(r, "m0", 10, 20, qa, 0)
			send(r, 2, "m1", 21, 90, unknownAt(qa))
			ack(r, "m2", 30, 40, qa, 1)
		}},
		{"unknown send not read, took an offset", func(r *Recorder) {
			ack(r, "m0", 10, 20, qa, 0)
			send(r, 2, "m1", 21, 90, unknownAt(qa))
			ack(r, "m2", 30, 40, qa, 2)
		}},
		{"unknown send to an unknown queue", func(r *Recorder) {
			ack(r, "m0", 10, 20, qa, 0)
			send(r, 2, "m1", 21, 90, SendResult{Outcome: OutcomeUnknown, Offset: NoOffset})
			ack(r, "m2", 30, 40, qa, 2)
		}},
		{"send that never ended", func(r *Recorder) {
			ack(r, "m0", 10, 20, qa, 0)
			r.SendStart(2, "m1", 21)
			ack(r, "m2", 30, 40, qa, 2)
		}},
		{"flush timeout answer names its offset", func(r *Recorder) {
			send(r, 2, "m0", 10, 20, SendResult{Outcome: OutcomeUnknown, Queue: qa, Offset: 0})
			ack(r, "m1", 30, 40, qa, 1)
		}},
		{"retry after a timeout stored twice", func(r *Recorder) {
			send(r, 2, "m0", 10, 20, unknownAt(qa))
			ack(r, "m0", 21, 30, qa, 1)
			read(r, "m0", 31, 40, qa, 0)
			read(r, "m0", 41, 50, qa, 1)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRecorder()
			tt.record(r)
			rep := Check(r, Config{Durable: true})
			assert.True(t, rep.OK, rep.String())
		})
	}
}

func TestUnknownOutcomeLimits(t *testing.T) {
	tests := []struct {
		name   string
		record func(r *Recorder)
		hint   string
	}{
		{"one unknown send fills one gap only", func(r *Recorder) {
			send(r, 2, "m0", 10, 90, SendResult{Outcome: OutcomeUnknown, Queue: qa, Offset: NoOffset})
			ack(r, "m1", 30, 40, qa, 2)
		}, "m1 @2 but only 2 sends were invoked by then"},
		{"unknown send invoked after the ack cannot fill its gap", func(r *Recorder) {
			ack(r, "m1", 30, 40, qa, 1)
			send(r, 2, "m0", 50, 90, SendResult{Outcome: OutcomeUnknown, Queue: qa, Offset: NoOffset})
		}, "m1 @1 but only 1 sends were invoked by then"},
		{"flush timeout offset handed out again without a crash", func(r *Recorder) {
			send(r, 2, "m0", 10, 20, SendResult{Outcome: OutcomeUnknown, Queue: qa, Offset: 0})
			ack(r, "m1", 30, 40, qa, 0)
		}, "offset 0 stored both m0 and m1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRecorder()
			tt.record(r)
			rep := Check(r, Config{Durable: true})
			require.Equal(t, []string{KindLinearizability}, kinds(rep), rep.String())
			assert.Contains(t, rep.Violations[0].Detail, tt.hint)
		})
	}
}

func TestTwoAcksForOneOffsetFail(t *testing.T) {
	r := NewRecorder()
	ack(r, "m0", 10, 20, qa, 0)
	ack(r, "m1", 15, 30, qa, 0)
	rep := Check(r, Config{Durable: true})
	require.Equal(t, []string{KindLinearizability}, kinds(rep), rep.String())
	assert.Contains(t, rep.Violations[0].Detail, "offset 0 stored both m0 and m1")
}

func TestAckBeyondTheEndFails(t *testing.T) {
	r := NewRecorder()
	ack(r, "m0", 10, 20, qa, 0)
	ack(r, "m1", 21, 30, qa, 1)
	ack(r, "m2", 31, 40, qa, 5)
	rep := Check(r, Config{Durable: true})
	require.Equal(t, []string{KindLinearizability}, kinds(rep), rep.String())
	assert.Contains(t, rep.Violations[0].Detail, "m2 @5 but only 3 sends were invoked by then")
}

func TestReadBeforeTheAppendFails(t *testing.T) {
	r := NewRecorder()
	send(r, 0, "m0", 10, 100, SendResult{Outcome: OutcomeUnknown, Queue: qa, Offset: NoOffset})
	ack(r, "m1", 20, 30, qa, 0)
	read(r, "m0", 40, 50, qa, 0) // offset 0 was acknowledged to m1 before this read began
	rep := Check(r, Config{Durable: true})
	require.Equal(t, []string{KindLinearizability}, kinds(rep), rep.String())
}

func TestCrashAndOffsetReuse(t *testing.T) {
	flushTimeout := func(r *Recorder, id string, off int64) {
		send(r, 2, id, 21, 30, SendResult{Outcome: OutcomeUnknown, Queue: qa, Offset: off})
	}
	tests := []struct {
		name    string
		durable bool
		record  func(r *Recorder)
		ok      bool
		// reuseHint: the report points at the offset handed out twice, which
		// it does only when the queue's broker never crashed.
		reuseHint bool
	}{
		{"async flush: acked tail lost in a crash", false, func(r *Recorder) {
			ack(r, "m0", 10, 20, qa, 0)
			ack(r, "m1", 21, 30, qa, 1)
			read(r, "m1", 31, 40, qa, 1)
			r.Crash(50, "broker-a")
			ack(r, "m2", 60, 70, qa, 1)
			read(r, "m2", 71, 80, qa, 1)
		}, true, false},
		{"async flush: reuse without a crash", false, func(r *Recorder) {
			ack(r, "m0", 10, 20, qa, 0)
			ack(r, "m1", 21, 30, qa, 1)
			ack(r, "m2", 60, 70, qa, 1)
		}, false, true},
		{"async flush: a crash of another broker does not excuse reuse", false, func(r *Recorder) {
			ack(r, "m0", 10, 20, qa, 0)
			ack(r, "m1", 21, 30, qa, 1)
			r.Crash(50, "broker-b")
			ack(r, "m2", 60, 70, qa, 1)
		}, false, true},
		{"sync flush: an acked record survives", true, func(r *Recorder) {
			ack(r, "m0", 10, 20, qa, 0)
			ack(r, "m1", 21, 30, qa, 1)
			r.Crash(50, "broker-a")
			ack(r, "m2", 60, 70, qa, 1)
		}, false, false},
		{"sync flush: a flush timeout record may be lost", true, func(r *Recorder) {
			ack(r, "m0", 10, 20, qa, 0)
			flushTimeout(r, "m1", 1)
			read(r, "m1", 31, 40, qa, 1)
			r.Crash(50, "broker-a")
			ack(r, "m2", 60, 70, qa, 1)
		}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRecorder()
			tt.record(r)
			rep := Check(r, Config{Durable: tt.durable})
			assert.Equal(t, tt.ok, rep.OK, rep.String())
			if tt.reuseHint {
				assert.Contains(t, rep.String(), "offset 1 stored both m1 and m2")
			} else {
				assert.NotContains(t, rep.String(), "stored both", "a crash may hand an offset out again")
			}
		})
	}
}

func TestPhantoms(t *testing.T) {
	r := NewRecorder()
	ack(r, "m0", 10, 20, qa, 0)
	send(r, 0, "bad", 21, 25, SendResult{Outcome: OutcomeFailed})
	read(r, "m0", 30, 40, qa, 0)
	read(r, "ghost", 30, 40, qa, 1)
	read(r, "ghost", 50, 60, qa, 1) // the same place again: one violation
	read(r, "bad", 41, 45, qa, 2)
	read(r, "early", 5, 8, qa, 1)
	ack(r, "early", 9, 10, qa, 1)

	rep := Check(r, Config{Durable: true})
	require.Equal(t, []string{KindPhantom, KindPhantom, KindPhantom}, kinds(rep), rep.String())
	var details []string
	for _, v := range rep.Violations {
		details = append(details, v.Detail)
	}
	assert.Equal(t, []string{
		"bad @2 delivered to group group-a client 1 at 45: its every send definitely failed",
		"early @1 delivered to group group-a client 1 at 8: delivered at 8 before its first send began at 9",
		"ghost @1 delivered to group group-a client 1 at 40: never sent",
	}, details)
}

func TestLostUnderDurableVersusAsync(t *testing.T) {
	record := func() *Recorder {
		r := NewRecorder()
		ack(r, "m0", 10, 20, qa, 0)
		ack(r, "m1", 21, 30, qa, 1)
		ack(r, "other", 21, 30, Queue{Topic: "Other", Broker: "broker-a"}, 0)
		send(r, 0, "m2", 31, 40, SendResult{Outcome: OutcomeUnknown, Queue: qa, Offset: NoOffset})
		read(r, "m0", 41, 50, qa, 0)
		r.Read(3, "group-b", qa, 1, "m1", 41, 50)
		return r
	}
	cfg := Config{Groups: []string{groupA, "group-b", "group-c"},
		Topics: map[string][]string{groupA: {"TopicTest"}, "group-b": {"TopicTest"}, "group-c": {"Other"}}}

	rep := Check(record(), cfg)
	assert.True(t, rep.OK, rep.String())
	assert.Equal(t, []string{"m0", "m1", "other"}, rep.Lost)
	assert.Equal(t, 3, rep.Stats.LostAcked)
	assert.Contains(t, rep.String(), "lost acknowledged: 3: m0 m1 other")

	cfg.Durable = true
	rep = Check(record(), cfg)
	require.Equal(t, []string{KindLost, KindLost, KindLost}, kinds(rep), rep.String())
	assert.Equal(t, "m0 acknowledged @0 never received by group-b", rep.Violations[1].Detail)
	assert.Equal(t, "m1 acknowledged @1 never received by group-a", rep.Violations[2].Detail)
	assert.Equal(t, "other acknowledged @0 never received by group-c", rep.Violations[0].Detail)
}

func TestGroupWithoutTopicsMustReceiveEverything(t *testing.T) {
	r := NewRecorder()
	ack(r, "m0", 10, 20, qa, 0)
	rep := Check(r, Config{Durable: true, Groups: []string{"g"}})
	assert.Equal(t, []string{KindLost}, kinds(rep))
	assert.Equal(t, []string{"m0"}, rep.Lost)
}

func TestReportIsDeterministic(t *testing.T) {
	record := func() *Recorder {
		r := NewRecorder()
		rng := rand.New(rand.NewPCG(7, 7))
		genHistory(rng, r, []Queue{qa, qb, {Topic: "T2", Broker: "broker-a"}}, 60, 0)
		read(r, "ghost", 1, 2, qb, 0)
		ack(r, "late", 3, 4, qa, 500)
		r.Commit(groupA, qa, 1, 5)
		r.Commit(groupA, qa, 0, 6)
		return r
	}
	first := Check(record(), durable)
	second := Check(record(), durable)
	assert.False(t, first.OK)
	assert.Equal(t, first, second)
	assert.Equal(t, first.String(), second.String())
}

func TestGeneratedHistoriesPass(t *testing.T) {
	for seed := range uint64(20) {
		r := NewRecorder()
		rng := rand.New(rand.NewPCG(seed, 1))
		genHistory(rng, r, []Queue{qa, qb}, 40, 0)
		rep := Check(r, Config{Durable: true, Groups: []string{"g1", "g2"}})
		require.True(t, rep.OK, "seed %d:\n%s", seed, rep.String())
	}
}

func TestCorruptedGeneratedHistoryFails(t *testing.T) {
	r := NewRecorder()
	rng := rand.New(rand.NewPCG(3, 1))
	genHistory(rng, r, []Queue{qa}, 50, 0)
	h := r.snapshot()
	last := h.reads[len(h.reads)-1]
	// A read at the same offset that returns the id stored one place later.
	var other string
	for _, rd := range h.reads {
		if rd.queue == last.queue && rd.queueOffset == last.queueOffset-1 {
			other = rd.msgID
		}
	}
	require.NotEmpty(t, other)
	r.Read(0, "g1", last.queue, last.queueOffset, other, last.endNs+1, last.endNs+2)
	rep := Check(r, Config{Durable: true, Groups: []string{"g1", "g2"}})
	assert.Contains(t, kinds(rep), KindLinearizability, rep.String())
}

// TestLargeHistoryPasses checks 10,000 sends and reads over 8 queues; its
// speed is measured by BenchmarkCheckLarge.
func TestLargeHistoryPasses(t *testing.T) {
	r, records := largeHistory(0)
	require.GreaterOrEqual(t, records, 10_000)
	rep := Check(r, Config{Durable: true, Groups: []string{"g1", "g2"}})
	require.True(t, rep.OK, rep.String())
	assert.Equal(t, 8, rep.Stats.Queues)
}

func TestGeneratedCrashHistoriesPass(t *testing.T) {
	crashes := 0
	for seed := range uint64(20) {
		r := NewRecorder()
		rng := rand.New(rand.NewPCG(seed, 2))
		genHistory(rng, r, []Queue{qa, qb, {Topic: "TopicTest", Broker: "broker-a", QueueID: 1}}, 60, 40)
		rep := Check(r, Config{Groups: []string{"g1", "g2"}})
		require.True(t, rep.OK, "seed %d:\n%s", seed, rep.String())
		crashes += rep.Stats.Crashes
	}
	assert.Greater(t, crashes, 20)
}

func TestLargeCrashHistoryPasses(t *testing.T) {
	r, _ := largeHistory(200)
	rep := Check(r, Config{Groups: []string{"g1", "g2"}})
	require.True(t, rep.OK, rep.String())
	assert.Positive(t, rep.Stats.Crashes)
	assert.Positive(t, rep.Stats.LostAcked)
}

func largeHistory(crashEvery int) (*Recorder, int) {
	queues := make([]Queue, 8)
	for i := range queues {
		queues[i] = Queue{Topic: "TopicTest", Broker: []string{"broker-a", "broker-b"}[i%2], QueueID: int32(i / 2)}
	}
	r := NewRecorder()
	records := genHistory(rand.New(rand.NewPCG(42, 42)), r, queues, 1000, crashEvery)
	return r, records
}

func BenchmarkCheckLarge(b *testing.B) {
	r, records := largeHistory(0)
	cfg := Config{Durable: true, Groups: []string{"g1", "g2"}}
	b.ReportMetric(float64(records), "records")
	for b.Loop() {
		if rep := Check(r, cfg); !rep.OK {
			b.Fatal(rep.String())
		}
	}
}

// A send that timed out may still be in flight (held by a partition) and
// be stored after the client gave up, behind sends that began later.
func TestUnknownSendStoredAfterItsTimeout(t *testing.T) {
	r := NewRecorder()
	q := Queue{Topic: "t", Broker: "b", QueueID: 0}
	a := r.SendStart(0, "A", 0)
	a.End(1, SendResult{Outcome: OutcomeOK, Queue: q, Offset: 0})
	x := r.SendStart(1, "X", 2)
	x.End(5, SendResult{Outcome: OutcomeUnknown, Queue: q, Offset: NoOffset})
	b := r.SendStart(0, "B", 6)
	b.End(7, SendResult{Outcome: OutcomeOK, Queue: q, Offset: 1})
	r.Read(2, "g", q, 0, "A", 8, 9)
	r.Read(2, "g", q, 1, "B", 8, 9)
	r.Read(2, "g", q, 2, "X", 10, 11)
	rep := Check(r, Config{Durable: true, Groups: []string{"g"}})
	require.True(t, rep.OK, "%s", rep)
}

func TestOnePullIsOneReadAtOneMoment(t *testing.T) {
	// Two messages of one pull (same client, queue and times) are checked
	// together: both must be in the log at one moment.
	ok := NewRecorder()
	ack(ok, "m0", 10, 20, qa, 0)
	ack(ok, "m1", 21, 30, qa, 1)
	read(ok, "m0", 31, 40, qa, 0)
	read(ok, "m1", 31, 40, qa, 1)
	rep := Check(ok, durable)
	require.True(t, rep.OK, rep.String())
	require.Equal(t, 2, rep.Stats.Reads)

	// The second message of the pull contradicts the log: the whole pull
	// fails, and the hint names the message.
	bad := NewRecorder()
	ack(bad, "m0", 10, 20, qa, 0)
	ack(bad, "m1", 21, 30, qa, 1)
	read(bad, "m0", 31, 40, qa, 0)
	read(bad, "m0", 31, 40, qa, 1)
	rep = Check(bad, durable)
	require.False(t, rep.OK)
	require.Contains(t, kinds(rep), KindLinearizability, rep.String())
	assert.Contains(t, rep.Violations[0].Detail, "read @1 returned m0 but m1 was acknowledged there")

	var html bytes.Buffer
	require.NoError(t, VisualizeQueue(bad, durable, qa, &html))
	assert.Contains(t, html.String(), "(2 messages)")
}

func TestPromisedDeliveries(t *testing.T) {
	// A delayed message: its send is unknown on the real queue (the answer
	// named the parked copy's offset), promised for delivery from 5000.
	delayed := func(r *Recorder) {
		r.SendStart(0, "d1", 100).End(200, SendResult{Outcome: OutcomeUnknown, Queue: qa, Offset: NoOffset})
		r.Promise("d1", qa, Terms{NotBeforeNs: 5000, Once: true}, 200)
	}

	ok := NewRecorder()
	delayed(ok)
	read(ok, "d1", 5100, 5200, qa, 0)
	rep := Check(ok, durable)
	require.True(t, rep.OK, rep.String())
	require.Equal(t, 1, rep.Stats.Promises)
	require.Contains(t, rep.String(), "promised=1")

	early := NewRecorder()
	delayed(early)
	read(early, "d1", 300, 400, qa, 0)
	read(early, "d1", 500, 600, qa, 0) // reported once
	rep = Check(early, durable)
	require.Equal(t, []string{KindEarly}, kinds(rep), rep.String())
	assert.Contains(t, rep.Violations[0].Detail, "d1 delivered to group group-a client 1 at 400, 4.6µs before its delivery time")
	slack := durable
	slack.EarlySlack = 5 * time.Microsecond
	require.True(t, Check(early, slack).OK, "a broker clock ahead by up to the slack may deliver that early")

	lost := NewRecorder()
	delayed(lost)
	rep = Check(lost, durable)
	require.Equal(t, []string{KindLost}, kinds(rep), rep.String())
	assert.Contains(t, rep.Violations[0].Detail, "d1 promised (committed or delayed) never received by group-a")
	require.Equal(t, []string{"d1"}, rep.Lost)
	asyncCfg := durable
	asyncCfg.Durable = false
	require.True(t, Check(lost, asyncCfg).OK, "measured, not failed, when not durable")

	// A rolled-back transaction is a send that definitely failed: a
	// delivery of it is a phantom.
	rolledBack := NewRecorder()
	rolledBack.SendStart(0, "t1", 100).End(200, SendResult{Outcome: OutcomeFailed})
	read(rolledBack, "t1", 300, 400, qa, 0)
	require.Equal(t, []string{KindPhantom}, kinds(Check(rolledBack, durable)))

	require.Panics(t, func() { NewRecorder().Promise("", qa, Terms{}, 0) })
	require.Panics(t, func() { NewRecorder().Promise("x", Queue{}, Terms{}, 0) })
}

func TestReadCopyNarrowsWhereAReadPlacesAnAppend(t *testing.T) {
	// An unknown send, read at offset 1 after a crash of its broker, with
	// an acknowledged send at offset 1 before the crash.
	history := func(c *Copy) *Recorder {
		r := NewRecorder()
		ack(r, "m0", 10, 20, qa, 0)
		r.SendStart(0, "u", 30).End(40, SendResult{Outcome: OutcomeUnknown, Queue: qa, Offset: NoOffset})
		ack(r, "m1", 50, 60, qa, 1)
		r.Crash(100, qa.Broker)
		read(r, "m0", 200, 210, qa, 0)
		if c == nil {
			read(r, "u", 200, 210, qa, 1)
		} else {
			r.ReadCopy(1, groupA, qa, 1, "u", 200, 210, *c)
		}
		return r
	}
	asyncCfg := Config{Groups: []string{groupA}}
	// Without evidence, u may have been stored after the crash, which took
	// m1 back: linearizable.
	require.True(t, Check(history(nil), asyncCfg).OK)
	// The store timestamp says u was stored before m1 was acknowledged,
	// so u would have to be at offset 1 before m1: no FIFO log fits.
	require.Contains(t, kinds(Check(history(&Copy{ID: 7, StoredFromNs: 30, StoredToNs: 45}), asyncCfg)), KindLinearizability)
	// Stored after the crash: fine.
	require.True(t, Check(history(&Copy{ID: 7, StoredFromNs: 150, StoredToNs: 160}), asyncCfg).OK)
	// A window that leaves no room in the read's is ignored.
	require.True(t, Check(history(&Copy{ID: 7, StoredFromNs: 500, StoredToNs: 600}), asyncCfg).OK)
	require.Panics(t, func() {
		NewRecorder().ReadCopy(1, groupA, qa, 1, "u", 1, 2, Copy{ID: 1, StoredFromNs: 10, StoredToNs: 5})
	})
}

func TestTwoCopiesAtOneOffsetAreTwoAppends(t *testing.T) {
	// A committed transaction at offset 1, read, lost to a machine crash,
	// and committed again after it, at offset 1 again: two copies.
	r := NewRecorder()
	ack(r, "m0", 10, 20, qa, 0)
	r.SendStart(0, "tx", 25).End(30, SendResult{Outcome: OutcomeUnknown, Queue: qa, Offset: NoOffset})
	r.Promise("tx", qa, Terms{}, 30)
	r.ReadCopy(1, groupA, qa, 1, "tx", 40, 50, Copy{ID: 100, StoredFromNs: 31, StoredToNs: 39})
	ack(r, "m2", 60, 70, qa, 2)
	r.Crash(100, qa.Broker)
	r.ReadCopy(1, groupA, qa, 1, "tx", 200, 210, Copy{ID: 300, StoredFromNs: 150, StoredToNs: 160})
	ack(r, "m3", 220, 230, qa, 2)
	rep := Check(r, Config{Groups: []string{groupA}})
	require.True(t, rep.OK, rep.String())
}

func TestAnAnswerNamesItsCopy(t *testing.T) {
	// A send whose outcome is unknown stored m1 at offset 1, where it was
	// read; a crash took it back, and the producer's second send stored
	// m1 at offset 1 again, acknowledged, naming its copy. The read before
	// the crash saw the first copy, not the acknowledged one, which did not
	// exist yet.
	history := func(named bool) *Recorder {
		r := NewRecorder()
		ack(r, "m0", 10, 20, qa, 0)
		r.SendStart(0, "m1", 25).End(90, SendResult{Outcome: OutcomeUnknown, Queue: qa, Offset: NoOffset})
		r.ReadCopy(1, groupA, qa, 1, "m1", 40, 50, Copy{ID: 100, StoredFromNs: 26, StoredToNs: 39})
		r.Crash(100, qa.Broker)
		res := SendResult{Outcome: OutcomeOK, Queue: qa, Offset: 1}
		if named {
			res.HasCopy, res.CopyID = true, 300
		}
		r.SendStart(0, "m1", 110).End(120, res)
		r.ReadCopy(1, groupA, qa, 1, "m1", 200, 210, Copy{ID: 300, StoredFromNs: 111, StoredToNs: 119})
		return r
	}
	rep := Check(history(true), Config{Groups: []string{groupA}})
	require.True(t, rep.OK, rep.String())
	rep = Check(history(false), Config{Groups: []string{groupA}})
	require.False(t, rep.OK, "without the copy, the first read is taken for the acknowledged send's: %s", rep.String())
}

func TestAPromisedCopyLostToACrashMayHaveTakenAnOffset(t *testing.T) {
	// A committed transaction stored at offset 1 before a machine crash,
	// lost, and committed again at offset 2 after it, where it is read;
	// offset 1 was taken again after the crash.
	r := NewRecorder()
	ack(r, "m0", 10, 20, qa, 0)
	r.SendStart(0, "tx", 25).End(30, SendResult{Outcome: OutcomeUnknown, Queue: qa, Offset: NoOffset})
	r.Promise("tx", qa, Terms{}, 30)
	ack(r, "m2", 40, 50, qa, 2) // offset 1 holds the first copy of tx
	r.Crash(100, qa.Broker)
	ack(r, "m3", 110, 120, qa, 1)
	read(r, "m0", 200, 210, qa, 0)
	read(r, "m3", 200, 210, qa, 1)
	read(r, "tx", 200, 210, qa, 2)
	rep := Check(r, Config{Groups: []string{groupA}})
	require.True(t, rep.OK, rep.String())
}

func TestPromisedOnceStoredTwice(t *testing.T) {
	history := func(once bool) *Recorder {
		r := NewRecorder()
		r.SendStart(0, "d1", 100).End(200, SendResult{Outcome: OutcomeUnknown, Queue: qa, Offset: NoOffset})
		r.Promise("d1", qa, Terms{NotBeforeNs: 1000, Once: once}, 200)
		r.ReadCopy(1, groupA, qa, 0, "d1", 1100, 1200, Copy{ID: 4096, StoredFromNs: 1000, StoredToNs: 1050})
		r.ReadCopy(1, groupA, qa, 1, "d1", 1300, 1400, Copy{ID: 8192, StoredFromNs: 1250, StoredToNs: 1260})
		r.ReadCopy(1, groupA, qa, 1, "d1", 1500, 1600, Copy{ID: 8192, StoredFromNs: 1250, StoredToNs: 1260}) // a redelivery of one copy
		return r
	}
	rep := Check(history(true), durable)
	require.Equal(t, []string{KindTwice}, kinds(rep), rep.String())
	assert.Contains(t, rep.Violations[0].Detail, "d1, promised once, stored 2 times on its queue")
	assert.Equal(t, 1, rep.Duplicates[CausePromisedAgain])

	asyncCfg := durable
	asyncCfg.Durable = false
	rep = Check(history(true), asyncCfg)
	require.True(t, rep.OK, "a machine crash may have taken the first copy back: counted, not failed")
	assert.Equal(t, 1, rep.Duplicates[CausePromisedAgain])

	rep = Check(history(false), durable)
	require.True(t, rep.OK, "a transaction may be committed twice: counted")
	assert.Equal(t, 1, rep.Duplicates[CausePromisedAgain])
}

func TestPromisedOnceStoredAgainAfterAFailover(t *testing.T) {
	// A delayed message delivered by the old master at offset 0 and read
	// there; its slave never received the copy and, promoted, delivers it
	// again, at offset 0 of its own log.
	history := func(failover bool) *Recorder {
		r := NewRecorder()
		r.SendStart(0, "d1", 100).End(200, SendResult{Outcome: OutcomeUnknown, Queue: qa, Offset: NoOffset})
		r.Promise("d1", qa, Terms{NotBeforeNs: 1000, Once: true}, 200)
		r.ReadCopy(1, groupA, qa, 0, "d1", 1100, 1200, Copy{ID: 4096, StoredFromNs: 1000, StoredToNs: 1050})
		if failover {
			r.Failover(1250, qa.Broker)
		} else {
			r.Crash(1250, qa.Broker)
		}
		r.ReadCopy(1, groupA, qa, 0, "d1", 1300, 1400, Copy{ID: 4200, StoredFromNs: 1260, StoredToNs: 1270})
		return r
	}
	rep := Check(history(true), durable)
	require.True(t, rep.OK, "a promotion took the first copy back: counted, not failed\n%s", rep.String())
	assert.Equal(t, 1, rep.Duplicates[CausePromisedAgain])
	assert.Equal(t, 1, rep.Stats.Crashes, "a failover is a loss window for the model")

	rep = Check(history(false), durable)
	require.Equal(t, []string{KindTwice}, kinds(rep), "a machine crash under a durable configuration keeps delivered copies\n%s", rep.String())
}
