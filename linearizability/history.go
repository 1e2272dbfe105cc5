package linearizability

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/anishathalye/porcupine"
)

// location is one place a message id sits: a queue offset.
type location struct {
	queue       Queue
	queueOffset int64
	msgID       string
}

func compareLocations(a, b location) int {
	if c := a.queue.Compare(b.queue); c != 0 {
		return c
	}
	if c := cmp.Compare(a.queueOffset, b.queueOffset); c != 0 {
		return c
	}
	return cmp.Compare(a.msgID, b.msgID)
}

// idQueue is a message id on one queue.
type idQueue struct {
	msgID string
	queue Queue
}

// index holds what every check looks up in a snapshot.
type index struct {
	h         *history
	sendsByID map[string][]int // indexes into h.sends, in recording order
	// horizonNs is later than every recorded time: the latest a send that
	// never ended can have taken effect.
	horizonNs int64
	// phantom holds, for every read index, why it is a phantom ("" if not).
	phantom []string
	// observedIDs holds the ids read anywhere by a non-phantom read.
	observedIDs map[string]bool
}

func newIndex(h *history) *index {
	ix := &index{h: h, sendsByID: map[string][]int{}, observedIDs: map[string]bool{}}
	latest := int64(0)
	for i, s := range h.sends {
		ix.sendsByID[s.msgID] = append(ix.sendsByID[s.msgID], i)
		latest = max(latest, s.startNs, s.endNs)
	}
	for _, rd := range h.reads {
		latest = max(latest, rd.endNs)
	}
	for _, o := range h.offsets {
		latest = max(latest, o.atNs)
	}
	for _, n := range h.crashes {
		latest = max(latest, n.atNs)
	}
	for _, n := range h.annotations {
		latest = max(latest, n.atNs)
	}
	ix.horizonNs = latest + 1
	ix.phantom = make([]string, len(h.reads))
	for i, rd := range h.reads {
		ix.phantom[i] = ix.phantomReason(rd)
		if ix.phantom[i] == "" {
			ix.observedIDs[rd.msgID] = true
		}
	}
	return ix
}

// phantomReason says why a read cannot be explained by any send, or "".
func (ix *index) phantomReason(rd readRecord) string {
	sends := ix.sendsByID[rd.msgID]
	if len(sends) == 0 {
		return "never sent"
	}
	earliest, found := int64(0), false
	for _, i := range sends {
		s := ix.h.sends[i]
		if s.ended && s.result.Outcome == OutcomeFailed {
			continue
		}
		if !found || s.startNs < earliest {
			earliest, found = s.startNs, true
		}
	}
	if !found {
		return "its every send definitely failed"
	}
	if earliest > rd.endNs {
		return fmt.Sprintf("delivered at %d before its first send began at %d", rd.endNs, earliest)
	}
	return ""
}

// endOrHorizon is the latest time a send can have taken effect: its end
// when its answer said what happened, the end of the history when it never
// ended or ended without knowing (a request that timed out or lost its
// connection may still be in flight, held by a partition, and be stored
// long after the client gave up).
func (ix *index) endOrHorizon(s sendRecord) int64 {
	if s.ended && (s.result.Outcome != OutcomeUnknown || s.result.Offset >= 0) {
		return s.endNs
	}
	return ix.horizonNs
}

// queueHistories builds the porcupine operations of every queue that has a
// definite append or a read, keyed by queue.
func (ix *index) queueHistories() map[Queue][]porcupine.Operation {
	h := ix.h
	ops := map[Queue][]porcupine.Operation{}
	add := func(q Queue, in modelInput, callNs, returnNs int64, meta opMeta) {
		ops[q] = append(ops[q], porcupine.Operation{Input: in, Call: callNs, Return: returnNs, Metadata: meta})
	}

	// Where each id was seen, per stored copy when reads tell it, with the
	// earliest return of a read seeing it and when the copy was stored.
	type window struct{ from, to int64 }
	type sighting struct {
		firstNs int64
		stored  window
		bounded bool
	}
	seen := map[copyLocation]*sighting{}
	firstSeenNs := map[location]int64{}
	for i, rd := range h.reads {
		if ix.phantom[i] != "" {
			continue
		}
		loc := location{rd.queue, rd.queueOffset, rd.msgID}
		if t, ok := firstSeenNs[loc]; !ok || rd.endNs < t {
			firstSeenNs[loc] = rd.endNs
		}
		cl := copyLocation{loc, rd.copyID}
		sg := seen[cl]
		if sg == nil {
			sg = &sighting{firstNs: rd.endNs}
			seen[cl] = sg
		}
		sg.firstNs = min(sg.firstNs, rd.endNs)
		if rd.copyID != noCopy {
			w := window{rd.storedFromNs, rd.storedToNs}
			if sg.bounded {
				w = window{max(w.from, sg.stored.from), min(w.to, sg.stored.to)}
			}
			sg.stored, sg.bounded = w, true
		}
	}

	// Sends whose answer placed them.
	// covered holds the places an answer explains: every copy there, or
	// only the copy the answer named.
	covered := map[location]bool{}
	coveredCopy := map[copyLocation]bool{}
	coveredSomeCopy := map[location]bool{}
	unplaced := map[idQueue][]int{} // unknown outcome, queue known, offset not
	var floating []int              // unknown outcome, queue not known
	for i, s := range h.sends {
		res := s.result
		switch {
		case !s.ended || (res.Outcome == OutcomeUnknown && res.Queue.IsZero()):
			floating = append(floating, i)
		case res.Outcome == OutcomeFailed:
		case res.Outcome == OutcomeOK || res.Offset >= 0:
			src := sourceAcked
			if res.Outcome != OutcomeOK {
				src = sourceAnswered
			}
			in := modelInput{kind: opAppend, source: src, msgID: s.msgID, idHash: hashID(s.msgID), offset: res.Offset}
			add(res.Queue, in, s.startNs, s.endNs, opMeta{client: s.client})
			loc := location{res.Queue, res.Offset, s.msgID}
			if res.HasCopy {
				coveredCopy[copyLocation{loc, res.CopyID}] = true
				coveredSomeCopy[loc] = true
			} else {
				covered[loc] = true
			}
		default:
			key := idQueue{s.msgID, res.Queue}
			unplaced[key] = append(unplaced[key], i)
		}
	}

	// Places seen by reads that no answer explains: the append definitely
	// happened, before the first read that saw it returned (and within
	// what its store timestamp tells, when that leaves room).
	explained := map[idQueue]int{}
	for _, cl := range slices.SortedFunc(maps.Keys(seen), compareCopyLocations) {
		loc := cl.location
		if covered[loc] || coveredCopy[cl] || (cl.copyID == noCopy && coveredSomeCopy[loc]) {
			continue
		}
		sg := seen[cl]
		seenNs := sg.firstNs
		callNs, latestNs, found := int64(0), int64(0), false
		for _, i := range ix.sendsByID[loc.msgID] {
			s := h.sends[i]
			if (s.ended && s.result.Outcome == OutcomeFailed) || s.startNs > seenNs {
				continue
			}
			if !found || s.startNs < callNs {
				callNs = s.startNs
			}
			latestNs = max(latestNs, ix.endOrHorizon(s))
			found = true
		}
		if !found {
			panic(fmt.Sprintf("linearizability: non-phantom read of %q has no send", loc.msgID))
		}
		returnNs := min(seenNs, latestNs)
		if w := sg.stored; sg.bounded && max(callNs, w.from) <= min(returnNs, w.to) {
			callNs, returnNs = max(callNs, w.from), min(returnNs, w.to)
		}
		in := modelInput{kind: opAppend, source: sourceObserved, msgID: loc.msgID, idHash: hashID(loc.msgID), offset: loc.queueOffset}
		add(loc.queue, in, callNs, returnNs, opMeta{client: noClient, note: "placed by a read"})
		explained[idQueue{loc.msgID, loc.queue}]++
	}

	// Unknown sends to a known queue that no read explains may have
	// happened there. Each is a point at its invocation: the model keeps it
	// pending from then on, so it can still take an offset at any later
	// moment, and a fixed point spares porcupine from trying it at every
	// position.
	for _, key := range slices.SortedFunc(maps.Keys(unplaced), compareIDQueues) {
		sends := unplaced[key]
		for _, i := range sends[min(explained[key], len(sends)):] {
			s := h.sends[i]
			in := modelInput{kind: opMaybeAppend, msgID: s.msgID}
			add(key.queue, in, s.startNs, s.startNs, opMeta{client: s.client})
		}
	}

	// A promised message (a committed transaction, a delayed message) is
	// stored by the broker, not the producer, and a machine crash can take
	// a stored copy back before anyone read it: the broker then stores it
	// again (a check commits the transaction once more, the schedule
	// service delivers the message again). So a promised message first
	// seen after a crash of its broker that came after its send began may
	// have taken an offset before that crash too, which no read names: a
	// maybe-append at the send's invocation, one per such crash.
	firstRead := map[idQueue]int64{}
	for loc, seenNs := range firstSeenNs {
		k := idQueue{loc.msgID, loc.queue}
		if t, ok := firstRead[k]; !ok || seenNs < t {
			firstRead[k] = seenNs
		}
	}
	for _, pr := range h.promises {
		seenNs, seen := firstRead[idQueue{pr.msgID, pr.queue}]
		callNs, found := int64(0), false
		for _, i := range ix.sendsByID[pr.msgID] {
			if s := h.sends[i]; !found || s.startNs < callNs {
				callNs, found = s.startNs, true
			}
		}
		if !seen || !found {
			continue
		}
		for _, c := range h.crashes {
			if c.node == pr.queue.Broker && c.atNs > callNs && c.atNs < seenNs {
				add(pr.queue, modelInput{kind: opMaybeAppend, msgID: pr.msgID}, callNs, callNs, opMeta{client: noClient, note: "copy lost to a crash"})
			}
		}
	}

	// The messages of one pull (recorded one after another with the same
	// client, group, queue and times) form one read operation.
	for i := 0; i < len(h.reads); {
		rd := h.reads[i]
		j := i + 1
		for j < len(h.reads) && samePull(&h.reads[j], &rd) {
			j++
		}
		var in *modelInput
		for k := i; k < j; k++ {
			if ix.phantom[k] != "" {
				continue
			}
			r := h.reads[k]
			if in == nil {
				in = &modelInput{kind: opRead, msgID: r.msgID, offset: r.queueOffset}
			} else {
				in.more = append(in.more, readAt{offset: r.queueOffset, msgID: r.msgID})
			}
		}
		if in != nil {
			add(rd.queue, *in, rd.startNs, rd.endNs, opMeta{client: rd.client, group: rd.group})
		}
		i = j
	}

	// Sends to an unknown queue may have landed in any queue; crashes hit
	// the queues of their broker. Neither creates a queue.
	queues := slices.SortedFunc(maps.Keys(ops), Queue.Compare)
	for _, i := range floating {
		s := h.sends[i]
		if ix.observedIDs[s.msgID] {
			continue
		}
		for _, q := range queues {
			in := modelInput{kind: opMaybeAppend, msgID: s.msgID}
			add(q, in, s.startNs, s.startNs, opMeta{client: s.client, note: "queue unknown"})
		}
	}
	for _, c := range h.crashes {
		for _, q := range queues {
			if q.Broker == c.node {
				add(q, modelInput{kind: opCrash}, c.atNs, c.atNs, opMeta{client: noClient, note: c.node})
			}
		}
	}
	return ops
}

// copyLocation is one stored copy of a location (see Copy).
type copyLocation struct {
	location
	copyID int64
}

// compareCopyLocations orders copy locations by location, then copy.
func compareCopyLocations(a, b copyLocation) int {
	if c := compareLocations(a.location, b.location); c != 0 {
		return c
	}
	return cmp.Compare(a.copyID, b.copyID)
}

// samePull reports whether two reads came from one pull's answer.
func samePull(a, b *readRecord) bool {
	return a.client == b.client && a.group == b.group && a.queue == b.queue && a.startNs == b.startNs && a.endNs == b.endNs
}

// noClient is the opMeta.client of operations no single client made.
const noClient = -1

// opMeta is the Metadata of a porcupine operation, shown in the
// visualization: porcupine's ClientId is a drawing lane, not the client.
type opMeta struct {
	client int
	group  string
	note   string
}

func (m opMeta) String() string {
	var parts []string
	if m.group != "" {
		parts = append(parts, "group "+m.group)
	}
	if m.client != noClient {
		parts = append(parts, fmt.Sprintf("client %d", m.client))
	}
	if m.note != "" {
		parts = append(parts, m.note)
	}
	return strings.Join(parts, ", ")
}

func compareIDQueues(a, b idQueue) int {
	if c := a.queue.Compare(b.queue); c != 0 {
		return c
	}
	return cmp.Compare(a.msgID, b.msgID)
}
