package linearizability

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// groupQueue is one consumer group on one queue.
type groupQueue struct {
	group string
	queue Queue
}

// phantoms reports every place where a read returned an id no send can
// explain, once per (queue, offset, id).
func (ix *index) phantoms() []Violation {
	var out []Violation
	seen := map[location]bool{}
	for i, rd := range ix.h.reads {
		why := ix.phantom[i]
		loc := location{rd.queue, rd.queueOffset, rd.msgID}
		if why == "" || seen[loc] {
			continue
		}
		seen[loc] = true
		out = append(out, Violation{Kind: KindPhantom, Queue: rd.queue, Detail: fmt.Sprintf(
			"%s @%d delivered to group %s client %d at %d: %s", rd.msgID, rd.queueOffset, rd.group, rd.client, rd.endNs, why)})
	}
	return out
}

// requiredGroups returns, sorted, the groups that must receive every
// acknowledged send of topic.
func requiredGroups(cfg Config, topic string) []string {
	var out []string
	for _, g := range cfg.Groups {
		topics, listed := cfg.Topics[g]
		if (!listed || slices.Contains(topics, topic)) && !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	slices.Sort(out)
	return out
}

// lost returns a violation per acknowledged id that a required group never
// received on the topic it was acknowledged on, and the sorted ids.
func (ix *index) lost(cfg Config) ([]Violation, []string) {
	type topicID struct{ topic, msgID string }
	received := map[string]map[topicID]bool{} // group -> what it received
	for i, rd := range ix.h.reads {
		if ix.phantom[i] != "" {
			continue
		}
		if received[rd.group] == nil {
			received[rd.group] = map[topicID]bool{}
		}
		received[rd.group][topicID{rd.queue.Topic, rd.msgID}] = true
	}
	var out []Violation
	lostIDs := map[string]bool{}
	checked := map[topicID]bool{}
	// check reports msgID on q if a required group missed it; what says
	// how it was promised (formatted only for a loss).
	check := func(msgID string, q Queue, what func() string) {
		key := topicID{q.Topic, msgID}
		if checked[key] {
			return
		}
		checked[key] = true
		var missing []string
		for _, g := range requiredGroups(cfg, key.topic) {
			if !received[g][key] {
				missing = append(missing, g)
			}
		}
		if len(missing) > 0 {
			lostIDs[msgID] = true
			out = append(out, Violation{Kind: KindLost, Queue: q, Detail: fmt.Sprintf(
				"%s %s never received by %s", msgID, what(), strings.Join(missing, ", "))})
		}
	}
	for _, s := range ix.h.sends {
		if s.ended && s.result.Outcome == OutcomeOK {
			check(s.msgID, s.result.Queue, func() string { return fmt.Sprintf("acknowledged @%d", s.result.Offset) })
		}
	}
	for _, pr := range ix.h.promises {
		check(pr.msgID, pr.queue, func() string { return "promised (committed or delayed)" })
	}
	return out, slices.Sorted(maps.Keys(lostIDs))
}

// twice reports every message promised once that reads found in two
// stored copies on its queue (told apart by copy id, or by queue offset
// when reads do not say), under durable, unless a failover of the queue's
// broker came between the first reads of every two copies; it counts
// every promised message stored again in dups.
func (ix *index) twice(durable bool, dups map[string]int) []Violation {
	type idQueue struct {
		msgID string
		queue Queue
	}
	type copyKey struct {
		offset, copyID int64
	}
	once := map[idQueue]bool{}
	promised := map[idQueue]bool{}
	for _, pr := range ix.h.promises {
		k := idQueue{pr.msgID, pr.queue}
		promised[k] = true
		once[k] = once[k] || pr.once
	}
	// copies maps each copy to the recording sequence of its first read.
	copies := map[idQueue]map[copyKey]int64{}
	for i, rd := range ix.h.reads {
		k := idQueue{rd.msgID, rd.queue}
		if ix.phantom[i] != "" || !promised[k] {
			continue
		}
		if copies[k] == nil {
			copies[k] = map[copyKey]int64{}
		}
		if _, seen := copies[k][copyKey{rd.queueOffset, rd.copyID}]; !seen {
			copies[k][copyKey{rd.queueOffset, rd.copyID}] = rd.seq
		}
	}
	failovers := ix.failoversByBroker()
	var out []Violation
	for _, k := range slices.SortedFunc(maps.Keys(copies), func(a, b idQueue) int {
		return cmp.Or(strings.Compare(a.msgID, b.msgID), a.queue.Compare(b.queue))
	}) {
		n := len(copies[k])
		if n < 2 {
			continue
		}
		dups[CausePromisedAgain] += n - 1
		if once[k] && durable && !failoverBetweenEach(failovers[k.queue.Broker], copies[k]) {
			out = append(out, Violation{Kind: KindTwice, Queue: k.queue, Detail: fmt.Sprintf(
				"%s, promised once, stored %d times on its queue", k.msgID, n)})
		}
	}
	return out
}

// early reports every first delivery, per group, of a promised message on
// its queue that came before the promise's notBefore time less slack.
func (ix *index) early(slack time.Duration) []Violation {
	type idQueue struct {
		msgID string
		queue Queue
	}
	notBefore := map[idQueue]int64{}
	for _, pr := range ix.h.promises {
		if pr.notBeforeNs > 0 {
			k := idQueue{pr.msgID, pr.queue}
			notBefore[k] = max(notBefore[k], pr.notBeforeNs)
		}
	}
	var out []Violation
	reported := map[idQueue]bool{}
	for i, rd := range ix.h.reads {
		k := idQueue{rd.msgID, rd.queue}
		due, ok := notBefore[k]
		if !ok || ix.phantom[i] != "" || reported[k] || rd.endNs >= due-slack.Nanoseconds() {
			continue
		}
		reported[k] = true
		out = append(out, Violation{Kind: KindEarly, Queue: rd.queue, Detail: fmt.Sprintf(
			"%s delivered to group %s client %d at %d, %v before its delivery time", rd.msgID, rd.group, rd.client, rd.endNs, time.Duration(due-rd.endNs))})
	}
	return out
}

// order checks that, per group, queue and client, first deliveries never
// go back to a lower offset, in recording order. A reset of the group's
// offset on the queue starts new streams.
func (ix *index) order() []Violation {
	type stream struct {
		groupQueue
		client int
	}
	resets := ix.resetsByGroupQueue()
	delivered := map[groupQueue]map[int64]bool{}
	lastFirst := map[stream]int64{}
	lastSeq := map[groupQueue]int64{} // of the last read, to find resets in between
	var out []Violation
	for i, rd := range ix.h.reads {
		if ix.phantom[i] != "" {
			continue
		}
		gq := groupQueue{rd.group, rd.queue}
		if anyBetween(resets[gq], lastSeq[gq], rd.seq) {
			for st := range lastFirst {
				if st.groupQueue == gq {
					delete(lastFirst, st)
				}
			}
		}
		lastSeq[gq] = rd.seq
		if delivered[gq] == nil {
			delivered[gq] = map[int64]bool{}
		}
		if delivered[gq][rd.queueOffset] {
			continue
		}
		delivered[gq][rd.queueOffset] = true
		st := stream{gq, rd.client}
		if prev, ok := lastFirst[st]; ok && rd.queueOffset < prev {
			out = append(out, Violation{Kind: KindOrder, Queue: rd.queue, Detail: fmt.Sprintf(
				"group %s client %d: first delivery @%d (%s) at %d after @%d", rd.group, rd.client, rd.queueOffset, rd.msgID, rd.endNs, prev)})
		}
		lastFirst[st] = max(lastFirst[st], rd.queueOffset)
	}
	return out
}

// offsetRegressions checks that, per group and queue, committed offsets in
// time order never decrease except to an explicit reset. Without durable
// settings a crash of the queue's broker in between excuses a regression:
// offsets persist asynchronously too.
func (ix *index) offsetRegressions(durable bool) []Violation {
	perGQ := map[groupQueue][]offsetRecord{}
	for _, o := range ix.h.offsets {
		gq := groupQueue{o.group, o.queue}
		perGQ[gq] = append(perGQ[gq], o)
	}
	crashTimes := map[string][]int64{}
	for _, c := range ix.h.crashes {
		crashTimes[c.node] = append(crashTimes[c.node], c.atNs)
	}
	for _, ts := range crashTimes {
		slices.Sort(ts)
	}
	var out []Violation
	for _, gq := range slices.SortedFunc(maps.Keys(perGQ), compareGroupQueues) {
		recs := perGQ[gq]
		slices.SortFunc(recs, func(a, b offsetRecord) int {
			return cmp.Or(cmp.Compare(a.atNs, b.atNs), cmp.Compare(a.seq, b.seq))
		})
		var base offsetRecord // the highest commit since the last reset, or that reset
		for i, o := range recs {
			switch {
			case i == 0 || o.reset || o.queueOffset >= base.queueOffset:
			case !durable && anyBetween(crashTimes[gq.queue.Broker], base.atNs, o.atNs+1):
			default:
				out = append(out, Violation{Kind: KindOffsetRegression, Queue: gq.queue, Detail: fmt.Sprintf(
					"group %s: committed %d at %d after %d at %d", gq.group, o.queueOffset, o.atNs, base.queueOffset, base.atNs)})
			}
			base = o
		}
	}
	return out
}

// duplicates adds to counts every extra copy, by cause.
func (ix *index) duplicates(counts map[string]int) {
	places := map[string]map[location]bool{}
	addPlace := func(loc location) {
		if places[loc.msgID] == nil {
			places[loc.msgID] = map[location]bool{}
		}
		places[loc.msgID][loc] = true
	}
	for _, s := range ix.h.sends {
		if s.ended && !s.result.Queue.IsZero() && s.result.Offset >= 0 && s.result.Outcome != OutcomeFailed {
			addPlace(location{s.result.Queue, s.result.Offset, s.msgID})
		}
	}
	resets := ix.resetsByGroupQueue()
	crashes := ix.crashesByBroker()
	type delivery struct {
		group string
		loc   location
	}
	previous := map[delivery]readRecord{}
	for i, rd := range ix.h.reads {
		if ix.phantom[i] != "" {
			continue
		}
		loc := location{rd.queue, rd.queueOffset, rd.msgID}
		addPlace(loc)
		d := delivery{rd.group, loc}
		prev, again := previous[d]
		previous[d] = rd
		if !again {
			continue
		}
		switch {
		case anyBetween(resets[groupQueue{rd.group, rd.queue}], prev.seq, rd.seq):
			counts[CauseRedeliveryReset]++
		case anyBetween(crashes[rd.queue.Broker], prev.seq, rd.seq):
			counts[CauseRedeliveryCrash]++
		case prev.client != rd.client:
			counts[CauseRedeliveryRebalance]++
		default:
			counts[CauseRedeliverySameClient]++
		}
	}
	for _, p := range places {
		if len(p) > 1 {
			counts[CauseProducerRetry] += len(p) - 1
		}
	}
}

// resetsByGroupQueue returns the recording sequence numbers of resets, in
// order, per group and queue.
func (ix *index) resetsByGroupQueue() map[groupQueue][]int64 {
	out := map[groupQueue][]int64{}
	for _, o := range ix.h.offsets {
		if o.reset {
			gq := groupQueue{o.group, o.queue}
			out[gq] = append(out[gq], o.seq)
		}
	}
	return out
}

// failoversByBroker returns the recording sequence numbers of failovers,
// in order, per broker.
func (ix *index) failoversByBroker() map[string][]int64 {
	out := map[string][]int64{}
	for _, c := range ix.h.crashes {
		if c.failover {
			out[c.node] = append(out[c.node], c.seq)
		}
	}
	return out
}

// failoverBetweenEach reports whether, ordering the copies by their first
// read, a failover came between every two consecutive ones: each earlier
// copy may have been taken back by a promotion.
func failoverBetweenEach[K comparable](failovers []int64, firstReads map[K]int64) bool {
	seqs := slices.Sorted(maps.Values(firstReads))
	for i := 1; i < len(seqs); i++ {
		if !anyBetween(failovers, seqs[i-1], seqs[i]) {
			return false
		}
	}
	return true
}

// crashesByBroker returns the recording sequence numbers of crashes, in
// order, per broker.
func (ix *index) crashesByBroker() map[string][]int64 {
	out := map[string][]int64{}
	for _, c := range ix.h.crashes {
		out[c.node] = append(out[c.node], c.seq)
	}
	return out
}

// anyBetween reports whether the sorted values hold one in (after, before).
func anyBetween(sorted []int64, after, before int64) bool {
	i, _ := slices.BinarySearch(sorted, after+1)
	return i < len(sorted) && sorted[i] < before
}

func compareGroupQueues(a, b groupQueue) int {
	return cmp.Or(cmp.Compare(a.group, b.group), a.queue.Compare(b.queue))
}
