package linearizability

import (
	"fmt"
	"strings"

	"github.com/anishathalye/porcupine"
)

// opKind is the kind of one model operation.
type opKind uint8

const (
	// opAppend: a send that definitely stored msgID at offset (acknowledged,
	// observed by a read, or named by an unknown-outcome answer).
	opAppend opKind = iota + 1
	// opMaybeAppend: an unknown-outcome send never observed on this queue.
	opMaybeAppend
	// opRead: a pull returned msgID at offset, and each entry of more at
	// its offset, all at one moment.
	opRead
	// opCrash: the queue's broker lost its unflushed data.
	opCrash
)

// appendSource says why an opAppend is known to have happened.
type appendSource uint8

const (
	sourceAcked    appendSource = iota + 1 // SEND_OK with this offset
	sourceObserved                         // outcome unknown, read at this offset
	sourceAnswered                         // outcome unknown, the answer named this offset
)

// modelInput is the porcupine Input of every operation; Output is unused
// because each operation's result is part of what is being checked here.
type modelInput struct {
	kind   opKind
	source appendSource // opAppend only
	msgID  string
	idHash uint64
	offset int64 // opAppend and opRead
	// more holds the other messages of a pull's answer (opRead only).
	// One pull reads its queue at one moment, so its messages are
	// checked together: far fewer operations for porcupine to order.
	more []readAt
}

// readAt is one message of a pull's answer: msgID at offset.
type readAt struct {
	offset int64
	msgID  string
}

// logState is one state of a queue. It is immutable.
type logState struct {
	log *logEntry
	// pending counts maybe-appends invoked so far and not yet placed: an
	// append at k > n may fill the offsets n..k-1 with them.
	pending int64
	// lossFloor is the lowest offset an append may overwrite after a crash;
	// -1 outside a crash window.
	lossFloor int64
	// crashes counts the crashes linearized so far.
	crashes int32
}

var initialState = &logState{log: emptyLog, lossFloor: -1}

// modelRules are the facts a queue's model is specialised with.
type modelRules struct {
	// durable: an acknowledged append survives a crash.
	durable bool
	// confined holds (offset, epoch) when some definite append names the
	// offset and must be linearized in that epoch: after exactly epoch
	// crashes of the broker (no crash can fall inside its interval). Within
	// an epoch an offset is filled at most once after the first append, so
	// a maybe-append filling that offset in that epoch would leave the
	// append nowhere to go. Refusing it prunes the search without losing a
	// valid linearization.
	confined map[claim]bool
}

// claim is an offset named by a definite append, in one epoch.
type claim struct {
	offset int64
	epoch  int32
}

// newModel returns the FIFO log model of one queue.
func newModel(rules modelRules) porcupine.Model {
	return porcupine.Model{
		Init: func() any { return initialState },
		Step: func(state, input, _ any) (bool, any) {
			return step(state.(*logState), input.(modelInput), rules)
		},
		Equal: func(a, b any) bool {
			x, y := a.(*logState), b.(*logState)
			return x.pending == y.pending && x.lossFloor == y.lossFloor && x.crashes == y.crashes && sameLog(x.log, y.log)
		},
		Hash: func(state any) uint64 {
			s := state.(*logState)
			return s.log.hash ^ mix64(uint64(s.pending)<<2) ^ mix64(uint64(s.lossFloor+1)<<2|1) ^ mix64(uint64(s.crashes)<<2|2)
		},
		DescribeOperation:         func(input, _ any) string { return describeInput(input.(modelInput)) },
		DescribeState:             func(state any) string { return describeState(state.(*logState)) },
		DescribeOperationMetadata: func(meta any) string { return fmt.Sprint(meta) },
	}
}

// step applies in to s: whether it is legal, and the next state.
func step(s *logState, in modelInput, rules modelRules) (bool, *logState) {
	n := s.log.depth
	next := *s
	switch in.kind {
	case opRead:
		if in.offset >= n || s.log.at(in.offset).msgID != in.msgID {
			return false, s
		}
		for _, r := range in.more {
			if r.offset >= n || s.log.at(r.offset).msgID != r.msgID {
				return false, s
			}
		}
		return true, s
	case opMaybeAppend:
		next.pending++
		return true, &next
	case opCrash:
		next.lossFloor = 0
		if rules.durable {
			next.lossFloor = s.log.lastAcked
		}
		next.crashes++
		return true, &next
	case opAppend:
		k := in.offset
		acked := in.source == sourceAcked
		switch {
		case k == n:
			next.log = s.log.push(in.msgID, in.idHash, acked)
		case k > n:
			gap := k - n
			if gap > s.pending {
				return false, s
			}
			for off := n; off < k; off++ {
				if rules.confined[claim{off, s.crashes}] {
					return false, s
				}
			}
			log := s.log
			for range gap {
				log = log.push("", 0, false)
			}
			next.log = log.push(in.msgID, in.idHash, acked)
			next.pending -= gap
		default: // k < n: only a crash lets an offset be handed out again
			if s.lossFloor < 0 || k < s.lossFloor {
				return false, s
			}
			next.log = s.log.prefix(k).push(in.msgID, in.idHash, acked)
		}
		next.lossFloor = -1
		return true, &next
	}
	panic(fmt.Sprintf("linearizability: unknown operation kind %d", in.kind))
}

// describeInput renders one operation for the visualization.
func describeInput(in modelInput) string {
	switch in.kind {
	case opRead:
		if len(in.more) > 0 {
			last := in.more[len(in.more)-1]
			return fmt.Sprintf("read @%d -> %s ... @%d -> %s (%d messages)", in.offset, in.msgID, last.offset, last.msgID, len(in.more)+1)
		}
		return fmt.Sprintf("read @%d -> %s", in.offset, in.msgID)
	case opMaybeAppend:
		return fmt.Sprintf("send %s -> unknown, never read here", in.msgID)
	case opCrash:
		return "crash: unflushed data may be lost"
	case opAppend:
		switch in.source {
		case sourceAcked:
			return fmt.Sprintf("send %s -> ok @%d", in.msgID, in.offset)
		case sourceObserved:
			return fmt.Sprintf("send %s -> unknown, read @%d", in.msgID, in.offset)
		case sourceAnswered:
			return fmt.Sprintf("send %s -> unknown @%d", in.msgID, in.offset)
		}
	}
	return fmt.Sprintf("operation kind %d", in.kind)
}

// describeTail is how many of the newest entries a state description shows;
// logs run to thousands of entries and the tail is where operations land.
const describeTail = 6

// describeState renders a state compactly: its length and newest entries.
func describeState(s *logState) string {
	var b strings.Builder
	fmt.Fprintf(&b, "len=%d", s.log.depth)
	if s.pending > 0 {
		fmt.Fprintf(&b, " maybe=%d", s.pending)
	}
	if s.lossFloor >= 0 {
		fmt.Fprintf(&b, " loss-window>=%d", s.lossFloor)
	}
	tail := make([]string, 0, describeTail)
	for e := s.log; e.depth > 0 && len(tail) < describeTail; e = e.parent {
		id := e.msgID
		if id == "" {
			id = "?"
		}
		tail = append(tail, fmt.Sprintf("%d:%s", e.depth-1, id))
	}
	b.WriteString(" [")
	if s.log.depth > describeTail {
		b.WriteString("... ")
	}
	for i := len(tail) - 1; i >= 0; i-- {
		b.WriteString(tail[i])
		if i > 0 {
			b.WriteString(" ")
		}
	}
	b.WriteString("]")
	return b.String()
}
