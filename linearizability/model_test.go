package linearizability

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func acked(id string, off int64) modelInput {
	return modelInput{kind: opAppend, source: sourceAcked, msgID: id, idHash: hashID(id), offset: off}
}

func answered(id string, off int64) modelInput {
	return modelInput{kind: opAppend, source: sourceAnswered, msgID: id, idHash: hashID(id), offset: off}
}

func readOp(id string, off int64) modelInput {
	return modelInput{kind: opRead, msgID: id, offset: off}
}

var (
	maybeOp = modelInput{kind: opMaybeAppend, msgID: "u"}
	crashOp = modelInput{kind: opCrash}
)

// TestStep runs sequences of operations through the model: every step but
// the last must be legal, and the last must be legal exactly when ok says so.
func TestStep(t *testing.T) {
	tests := []struct {
		name    string
		durable bool
		// confined lists the (offset, epoch) pairs a definite append of the
		// history is confined to.
		confined []claim
		ops      []modelInput
		ok       bool
		ids      []string // the log after the last step, when legal
	}{
		{name: "append at the end", ops: []modelInput{acked("a", 0), acked("b", 1)}, ok: true, ids: []string{"a", "b"}},
		{name: "append past the end", ops: []modelInput{acked("a", 0), acked("b", 2)}},
		{name: "append below the end", ops: []modelInput{acked("a", 0), acked("b", 0)}},
		{name: "read what was appended", ops: []modelInput{acked("a", 0), acked("b", 1), readOp("a", 0)}, ok: true, ids: []string{"a", "b"}},
		{name: "read another id", ops: []modelInput{acked("a", 0), readOp("b", 0)}},
		{name: "read beyond the end", ops: []modelInput{acked("a", 0), readOp("a", 1)}},
		{name: "maybe-append fills a gap", ops: []modelInput{acked("a", 0), maybeOp, acked("b", 2)}, ok: true, ids: []string{"a", "", "b"}},
		{name: "maybe-append fills one gap only", ops: []modelInput{maybeOp, acked("a", 1), acked("b", 3)}},
		{name: "maybe-append may not happen", ops: []modelInput{maybeOp, acked("a", 0), acked("b", 1)}, ok: true, ids: []string{"a", "b"}},
		{name: "gap is never readable", ops: []modelInput{maybeOp, acked("a", 1), readOp("u", 0)}},
		{name: "crash lets an offset be reused", ops: []modelInput{acked("a", 0), acked("b", 1), crashOp, acked("c", 0)}, ok: true, ids: []string{"c"}},
		{name: "reuse needs a crash", ops: []modelInput{acked("a", 0), acked("b", 1), acked("c", 1)}},
		{name: "durable crash keeps acked", durable: true, ops: []modelInput{acked("a", 0), acked("b", 1), crashOp, acked("c", 1)}},
		{name: "durable crash loses unacked tail", durable: true,
			ops: []modelInput{acked("a", 0), answered("b", 1), answered("c", 2), crashOp, acked("d", 1)}, ok: true, ids: []string{"a", "d"}},
		{name: "durable crash floor is past the newest ack", durable: true,
			ops: []modelInput{answered("a", 0), acked("b", 1), crashOp, acked("c", 0)}},
		{name: "the loss window closes at the next append",
			ops: []modelInput{acked("a", 0), acked("b", 1), crashOp, acked("c", 2), acked("d", 1)}},
		{name: "maybe-append cannot fill a confined offset", confined: []claim{{0, 0}},
			ops: []modelInput{maybeOp, acked("b", 1)}},
		{name: "confinement to a later epoch does not block", confined: []claim{{0, 1}},
			ops: []modelInput{maybeOp, acked("b", 1)}, ok: true, ids: []string{"", "b"}},
		{name: "confinement to an earlier epoch does not block", confined: []claim{{1, 0}},
			ops: []modelInput{acked("a", 0), maybeOp, crashOp, acked("c", 2)}, ok: true, ids: []string{"a", "", "c"}},
		{name: "read after truncation sees the new entry",
			ops: []modelInput{acked("a", 0), crashOp, acked("b", 0), readOp("b", 0)}, ok: true, ids: []string{"b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules := modelRules{durable: tt.durable, confined: map[claim]bool{}}
			for _, c := range tt.confined {
				rules.confined[c] = true
			}
			s := initialState
			for i, in := range tt.ops {
				ok, next := step(s, in, rules)
				if i < len(tt.ops)-1 {
					require.True(t, ok, "step %d (%s) should be legal", i, describeInput(in))
				} else {
					require.Equal(t, tt.ok, ok, "last step %s", describeInput(in))
				}
				s = next
			}
			if !tt.ok {
				return
			}
			var ids []string
			for off := range s.log.depth {
				ids = append(ids, s.log.at(off).msgID)
			}
			assert.Equal(t, tt.ids, ids)
		})
	}
}

func TestModelEqualAndHashAgree(t *testing.T) {
	m := newModel(modelRules{})
	run := func(ops ...modelInput) any {
		s := m.Init()
		for _, in := range ops {
			ok, next := m.Step(s, in, nil)
			require.True(t, ok)
			s = next
		}
		return s
	}
	a := run(acked("a", 0), maybeOp, acked("b", 2))
	b := run(maybeOp, acked("a", 0), acked("b", 2))
	c := run(acked("a", 0), maybeOp, maybeOp, acked("b", 2))
	assert.True(t, m.Equal(a, b), "built in different orders, same log and pending")
	assert.Equal(t, m.Hash(a), m.Hash(b))
	assert.False(t, m.Equal(a, c), "one more maybe-append still pending")
	assert.False(t, m.Equal(a, run(acked("a", 0), crashOp)))
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		in   modelInput
		want string
	}{
		{acked("m1", 3), "send m1 -> ok @3"},
		{answered("m1", 3), "send m1 -> unknown @3"},
		{modelInput{kind: opAppend, source: sourceObserved, msgID: "m1", offset: 3}, "send m1 -> unknown, read @3"},
		{readOp("m1", 3), "read @3 -> m1"},
		{maybeOp, "send u -> unknown, never read here"},
		{crashOp, "crash: unflushed data may be lost"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, describeInput(tt.in))
	}
	s := initialState
	for _, in := range []modelInput{maybeOp, acked("a", 0), crashOp} {
		_, s = step(s, in, modelRules{})
	}
	assert.Equal(t, "len=1 maybe=1 loss-window>=0 [0:a]", describeState(s))
	for i := range int64(8) {
		_, s = step(s, acked("x", i+1), modelRules{})
	}
	assert.Equal(t, "len=9 maybe=1 [... 3:x 4:x 5:x 6:x 7:x 8:x]", describeState(s))
}
