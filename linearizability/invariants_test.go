package linearizability

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stored acknowledges m0..m(n-1) at qa@0..n-1 early in the history.
func stored(r *Recorder, n int) {
	for i := range n {
		ack(r, fmt.Sprintf("m%d", i), int64(i), int64(i)+1, qa, int64(i))
	}
}

func TestOffsetRegression(t *testing.T) {
	tests := []struct {
		name    string
		durable bool
		record  func(r *Recorder)
		details []string
	}{
		{"forward only", true, func(r *Recorder) {
			r.Commit(groupA, qa, 1, 10)
			r.Commit(groupA, qa, 1, 20) // a query returning the same offset
			r.Commit(groupA, qa, 4, 30)
		}, nil},
		{"backwards", true, func(r *Recorder) {
			r.Commit(groupA, qa, 5, 10)
			r.Commit(groupA, qa, 3, 20)
			r.Commit(groupA, qa, 4, 30)
		}, []string{"group group-a: committed 3 at 20 after 5 at 10"}},
		{"time order, not recording order", true, func(r *Recorder) {
			r.Commit(groupA, qa, 3, 20)
			r.Commit(groupA, qa, 5, 10)
		}, []string{"group group-a: committed 3 at 20 after 5 at 10"}},
		{"back to an explicit reset", true, func(r *Recorder) {
			r.Commit(groupA, qa, 5, 10)
			r.Reset(groupA, qa, 2, 15)
			r.Commit(groupA, qa, 3, 20)
		}, nil},
		{"below the reset", true, func(r *Recorder) {
			r.Commit(groupA, qa, 5, 10)
			r.Reset(groupA, qa, 2, 15)
			r.Commit(groupA, qa, 1, 20)
		}, []string{"group group-a: committed 1 at 20 after 2 at 15"}},
		{"groups and queues are separate", true, func(r *Recorder) {
			r.Commit(groupA, qa, 5, 10)
			r.Commit("group-b", qa, 1, 20)
			r.Commit(groupA, qb, 1, 20)
		}, nil},
		{"async: a crash excuses it", false, func(r *Recorder) {
			r.Commit(groupA, qa, 5, 10)
			r.Crash(15, "broker-a")
			r.Commit(groupA, qa, 3, 20)
		}, nil},
		{"async: a crash of another broker does not", false, func(r *Recorder) {
			r.Commit(groupA, qa, 5, 10)
			r.Crash(15, "broker-b")
			r.Commit(groupA, qa, 3, 20)
		}, []string{"group group-a: committed 3 at 20 after 5 at 10"}},
		{"durable: a crash does not", true, func(r *Recorder) {
			r.Commit(groupA, qa, 5, 10)
			r.Crash(15, "broker-a")
			r.Commit(groupA, qa, 3, 20)
		}, []string{"group group-a: committed 3 at 20 after 5 at 10"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRecorder()
			tt.record(r)
			rep := Check(r, Config{Durable: tt.durable})
			var details []string
			for _, v := range rep.Violations {
				require.Equal(t, KindOffsetRegression, v.Kind)
				details = append(details, v.Detail)
			}
			assert.Equal(t, tt.details, details)
			assert.Equal(t, len(tt.details) == 0, rep.OK)
		})
	}
}

func TestOrder(t *testing.T) {
	type delivery struct {
		client int
		off    int64
	}
	tests := []struct {
		name    string
		reads   []delivery
		resetAt int // deliveries before this index precede a reset of groupA on qa; -1 for none
		details []string
	}{
		{"increasing", []delivery{{1, 0}, {1, 1}, {1, 3}}, -1, nil},
		{"backwards", []delivery{{1, 0}, {1, 3}, {1, 1}},
			-1, []string{"group group-a client 1: first delivery @1 (m1) at 102 after @3"}},
		{"redelivery is not a first delivery", []delivery{{1, 0}, {1, 1}, {1, 3}, {1, 1}, {1, 4}}, -1, nil},
		{"per client", []delivery{{1, 3}, {2, 1}, {2, 2}}, -1, nil},
		{"a reset starts new streams", []delivery{{1, 3}, {1, 1}}, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRecorder()
			stored(r, 5)
			for i, d := range tt.reads {
				if i == tt.resetAt {
					r.Reset(groupA, qa, 0, int64(100+i))
				}
				r.Read(d.client, groupA, qa, d.off, fmt.Sprintf("m%d", d.off), int64(100+i), int64(100+i))
			}
			rep := Check(r, Config{Durable: true})
			var details []string
			for _, v := range rep.Violations {
				require.Equal(t, KindOrder, v.Kind)
				details = append(details, v.Detail)
			}
			assert.Equal(t, tt.details, details)
		})
	}
}

func TestDuplicateCauses(t *testing.T) {
	r := NewRecorder()
	stored(r, 3)
	// m9 was stored by a first attempt that timed out, then acknowledged.
	send(r, 0, "m9", 10, 20, SendResult{Outcome: OutcomeUnknown, Queue: qa, Offset: NoOffset})
	ack(r, "m9", 21, 22, qa, 4)
	r.Read(3, groupA, qa, 3, "m9", 30, 31)
	r.Read(3, groupA, qa, 4, "m9", 30, 31)

	r.Read(1, groupA, qa, 0, "m0", 40, 41)
	r.Read(1, groupA, qa, 0, "m0", 42, 43) // same client
	r.Read(2, groupA, qa, 0, "m0", 44, 45) // another client
	r.Reset(groupA, qa, 0, 46)
	r.Read(2, groupA, qa, 0, "m0", 47, 48) // after a reset
	r.Crash(49, "broker-a")
	r.Read(2, groupA, qa, 0, "m0", 50, 51) // after a crash
	r.Read(1, "group-b", qa, 0, "m0", 52, 53)

	rep := Check(r, Config{Durable: true})
	assert.Equal(t, map[string]int{
		CauseProducerRetry:        1,
		CauseRedeliverySameClient: 1,
		CauseRedeliveryRebalance:  1,
		CauseRedeliveryReset:      1,
		CauseRedeliveryCrash:      1,
	}, rep.Duplicates)
	assert.True(t, rep.OK, rep.String())
	assert.Contains(t, rep.String(), "duplicates: producer retry (same id at two offsets)=1; redelivery after broker crash=1;")
}
