package linearizability

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRecorderMisusePanics(t *testing.T) {
	tests := []struct {
		name string
		call func(r *Recorder)
		want string
	}{
		{"empty send id", func(r *Recorder) { r.SendStart(0, "", 1) }, "empty message id"},
		{"zero handle", func(r *Recorder) { SendHandle{}.End(1, SendResult{}) }, "zero SendHandle"},
		{"ended twice", func(r *Recorder) {
			h := r.SendStart(0, "m", 1)
			h.End(2, SendResult{Outcome: OutcomeFailed})
			h.End(3, SendResult{Outcome: OutcomeFailed})
		}, "ended twice"},
		{"ends before start", func(r *Recorder) { r.SendStart(0, "m", 5).End(4, SendResult{}) }, "before it started"},
		{"ok without queue", func(r *Recorder) { r.SendStart(0, "m", 1).End(2, SendResult{Outcome: OutcomeOK, Offset: 3}) }, "without queue"},
		{"ok without offset", func(r *Recorder) {
			r.SendStart(0, "m", 1).End(2, SendResult{Outcome: OutcomeOK, Queue: qa, Offset: NoOffset})
		}, "without queue and offset"},
		{"invalid outcome", func(r *Recorder) { r.SendStart(0, "m", 1).End(2, SendResult{Outcome: 9}) }, "invalid outcome"},
		{"empty read id", func(r *Recorder) { r.Read(0, groupA, qa, 0, "", 1, 2) }, "empty message id"},
		{"negative read offset", func(r *Recorder) { r.Read(0, groupA, qa, -1, "m", 1, 2) }, "negative offset"},
		{"read returns before start", func(r *Recorder) { r.Read(0, groupA, qa, 0, "m", 3, 2) }, "before it started"},
		{"read without queue", func(r *Recorder) { r.Read(0, groupA, Queue{}, 0, "m", 1, 2) }, "without a queue"},
		{"negative commit", func(r *Recorder) { r.Commit(groupA, qa, -1, 1) }, "negative consumer offset"},
		{"negative reset", func(r *Recorder) { r.Reset(groupA, qa, -1, 1) }, "negative consumer offset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRecorder()
			defer func() {
				msg := fmt.Sprint(recover())
				assert.Contains(t, msg, tt.want)
			}()
			tt.call(r)
			t.Fatal("no panic")
		})
	}
}

func TestRecorderKeepsEverything(t *testing.T) {
	r := NewRecorder()
	h := r.SendStart(3, "m0", 10)
	r.SendStart(4, "m1", 11) // never ended
	h.End(20, SendResult{Outcome: OutcomeFailed, Queue: qa, Offset: 7})
	send(r, 5, "m2", 12, 21, SendResult{Outcome: OutcomeUnknown, Offset: 4})
	r.Read(1, groupA, qa, 2, "m2", 30, 31)
	r.Commit(groupA, qa, 3, 32)
	r.Reset(groupA, qa, 0, 33)
	r.Annotate(34, "broker-a", "restart")
	r.Crash(35, "broker-a")

	snap := r.snapshot()
	require.Len(t, snap.sends, 3)
	assert.Equal(t, sendRecord{seq: 1, client: 3, msgID: "m0", startNs: 10, endNs: 20, ended: true,
		result: SendResult{Outcome: OutcomeFailed, Offset: NoOffset}}, snap.sends[0], "failed: queue and offset dropped")
	assert.False(t, snap.sends[1].ended)
	assert.Equal(t, NoOffset, snap.sends[2].result.Offset, "an offset without a queue is not trusted")
	assert.Equal(t, []readRecord{{seq: 4, client: 1, group: groupA, queue: qa, queueOffset: 2, msgID: "m2", startNs: 30, endNs: 31, copyID: noCopy}}, snap.reads)
	assert.Equal(t, []offsetRecord{
		{seq: 5, group: groupA, queue: qa, queueOffset: 3, atNs: 32},
		{seq: 6, group: groupA, queue: qa, queueOffset: 0, atNs: 33, reset: true},
	}, snap.offsets)
	assert.Equal(t, []noteRecord{{seq: 7, atNs: 34, node: "broker-a", text: "restart"}}, snap.annotations)
	assert.Equal(t, []noteRecord{{seq: 8, atNs: 35, node: "broker-a", text: "crash: unflushed data lost"}}, snap.crashes)

	rep := Check(r, Config{})
	assert.Equal(t, Stats{SendsFailed: 1, SendsUnknown: 2, SendsUnended: 1, Reads: 1, Commits: 1, Resets: 1,
		Crashes: 1, Annotations: 1, Queues: 1, Operations: 4}, rep.Stats)
}

// TestRecorderConcurrentUse records from many goroutines, as the real env
// does; run it with -race.
func TestRecorderConcurrentUse(t *testing.T) {
	r := NewRecorder()
	const clients, perClient = 8, 50
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perClient {
				id := fmt.Sprintf("c%d-%d", c, i)
				h := r.SendStart(c, id, int64(i))
				r.Annotate(int64(i), "client", id)
				h.End(int64(i)+1, SendResult{Outcome: OutcomeFailed})
			}
		}()
	}
	wg.Wait()
	rep := Check(r, Config{})
	assert.Equal(t, clients*perClient, rep.Stats.SendsFailed)
	assert.Equal(t, clients*perClient, rep.Stats.Annotations)
	assert.True(t, rep.OK)
}

func TestOutcomeAndQueueStrings(t *testing.T) {
	assert.Equal(t, "ok", OutcomeOK.String())
	assert.Equal(t, "failed", OutcomeFailed.String())
	assert.Equal(t, "unknown", OutcomeUnknown.String())
	assert.Equal(t, "Outcome(7)", Outcome(7).String())
	assert.Equal(t, "TopicTest/broker-a/0", qa.String())
	assert.True(t, Queue{}.IsZero())
	assert.False(t, qa.IsZero())
	assert.Equal(t, -1, qa.Compare(qb))
	assert.Equal(t, 1, Queue{Topic: "b"}.Compare(Queue{Topic: "a", Broker: "z"}))
	assert.Equal(t, -1, Queue{Topic: "a", Broker: "b", QueueID: 1}.Compare(Queue{Topic: "a", Broker: "b", QueueID: 2}))
	assert.Equal(t, 0, qa.Compare(qa))
}

func TestReportStringIsBounded(t *testing.T) {
	r := NewRecorder()
	for i := range 30 {
		read(r, fmt.Sprintf("ghost%02d", i), 1, 2, qa, int64(i))
	}
	for i := range 12 {
		ack(r, fmt.Sprintf("m%02d", i), int64(i), int64(i)+1, qb, int64(i))
	}
	rep := Check(r, Config{Groups: []string{groupA}})
	text := rep.String()
	assert.True(t, strings.HasPrefix(text, "check: FAILED, 30 violations\n"), text)
	assert.Contains(t, text, "violations: phantom=30\n")
	assert.Contains(t, text, "  ... 10 more\n")
	assert.Contains(t, text, "lost acknowledged: 12: m00 m01 m02 m03 m04 m05 m06 m07 m08 m09 ...\n")
	assert.Equal(t, maxShownViolations+5, strings.Count(text, "\n"))
}

func TestAssignLanes(t *testing.T) {
	ops := []porcupine.Operation{
		{Call: 0, Return: 10},
		{Call: 5, Return: 6},
		{Call: 7, Return: 20},
		{Call: 11, Return: 12},
		{Call: 10, Return: 10},
	}
	assignLanes(ops)
	var lanes []int
	for _, op := range ops {
		lanes = append(lanes, op.ClientId)
	}
	assert.Equal(t, []int{0, 1, 1, 0, 2}, lanes)
}
