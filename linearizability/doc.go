// Package linearizability records client histories of a RocketMQ-compatible
// cluster and checks them after the run: a per-queue FIFO log model checked
// with porcupine (github.com/anishathalye/porcupine), plus invariant checkers
// for phantom deliveries, lost messages, delivery order, committed consumer
// offsets and duplicates.
//
// # Recording
//
// A Recorder is fed by the simulator (or a test) while it runs. It reads no
// clock: every call carries the caller's virtual time as int64 nanoseconds.
// Messages are identified by a unique, non-empty string id that the workload
// puts in the body or keys; a queue is (topic, brokerName, queueID).
//
//	SendStart / End   one producer send of one message (a batch is one send
//	                  per message, each with its own offset)
//	Read              one message of a pull answer, at its queue offset
//	Commit / Reset    a committed consumer offset the broker acknowledged or
//	                  returned; an explicit reset
//	Annotate          a fault, restart, partition... kept for the report
//	Crash             a machine holding a broker's CommitLog lost whatever it
//	                  had not flushed (power loss)
//	Failover          a slave of a broker was promoted in its master's place:
//	                  a crash for the model (the new master may hand out
//	                  again the offsets of a tail it never received)
//	Promise           the cluster promised to deliver an id on a queue at an
//	                  offset nobody names, no earlier than a time: a
//	                  committed transaction, an acknowledged delayed message
//
// A send ends with one of three outcomes. OutcomeOK: acknowledged, durable as
// the configuration promises. OutcomeFailed: an answer that guarantees
// nothing was written. OutcomeUnknown: anything else (timeout, reset after the
// request was written, FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT,
// SLAVE_NOT_AVAILABLE). A send that never ends is unknown.
//
// # The per-queue model
//
// The state of one queue is the sequence of message ids at offsets 0..n-1,
// kept as a persistent list with jump pointers (O(1) append, O(log n) index,
// structural sharing between the states porcupine explores) and a rolling
// hash. Operations, one porcupine partition per queue:
//
//	append(id) -> offset k   legal iff k == n (state' = state + [id]), or
//	                         n < k <= n + pending (the gap is taken by
//	                         maybe-appends), or in a loss window (below)
//	read(k) -> id            legal iff k < n and state[k] == id
//	maybe-append(id)         an unknown outcome never observed on this
//	                         queue: always legal, pending++
//	crash                    the queue's broker lost unflushed data (a
//	                         point at its time)
//
// Reads of phantom ids (below) are left out of the model: they are reported
// as phantoms, not twice.
//
// Unknown outcomes are handled as etcd's robustness tests do. An unknown send
// whose id is later read on a queue is known to have happened there: it
// becomes a definite append at the observed offset, whose return time is
// patched to the earliest return of a read that saw it (it cannot have taken
// effect later). An unknown send whose answer still named its offset
// (FLUSH_DISK_TIMEOUT and the like: written, durability not confirmed) is a
// definite, unacknowledged append at that offset. An unknown send never
// observed may or may not have happened, at any time after its invocation.
// Rather than branching on every such send, the model counts them (pending)
// and lets a later append at k > n fill the gap k-n from that count; the ids
// of never-observed sends cannot matter, because no read returns them. Since
// a pending send stays usable until the end, the maybe-append is a point
// operation at the send's invocation: counting it as early as possible never
// rules out a linearization, and it keeps porcupine from trying it at every
// position of the history. An unknown send whose queue is not known may have
// landed in any queue, so it becomes a maybe-append in every queue. Failed
// sends are not operations; they feed the phantom checker. Reads that find
// nothing are not recorded: a broker may lag in dispatch, so absence proves
// nothing.
//
// A crash opens a loss window: the next append may land below n, at an
// offset k no lower than a floor, truncating the log to k first (the lost
// tail's offsets are handed out again after recovery). With Config.Durable
// the floor is just past the newest acknowledged entry, since an
// acknowledged append survives a crash; otherwise it is 0. The window closes
// at the next append. Crashes are known only through Recorder.Crash: without
// one, an offset handed out twice is a violation.
//
// The messages of one pull answer (the same client, group, queue and times)
// form one read operation, checked at one moment: the broker reads them
// together, and porcupine would otherwise have to order each pull's reads
// among themselves around every crash window.
//
// One pruning keeps the search linear on ordinary histories: a definite
// append whose interval holds no crash of its broker is confined to one
// epoch (the stretch between two crashes), and within an epoch a
// maybe-append may not fill its offset, since the append could then never
// be placed. This only removes dead ends; tests compare verdicts with and
// without it.
//
// The check of each queue is bounded by Config.CheckTimeout; a check that does
// not finish is reported as a "linearizability" violation (undecided), never
// as a pass.
//
// # Invariant checks
//
//   - phantom: a read id that was never sent, whose every send definitely
//     failed, or that was delivered before any of its sends began.
//   - lost: an acknowledged or promised id that some required group never
//     read on its topic. A violation with Config.Durable; otherwise listed
//     in Report.Lost and counted, not failed (async flush loses the
//     unflushed tail on a machine crash).
//   - twice: an id promised once (Terms.Once) that reads found in two stored
//     copies on its queue, under Config.Durable; unless a failover of the
//     queue's broker came between the first reads of every two copies (the
//     earlier copy was in the old master's tail, which a promotion takes
//     back even when every acknowledged send survives).
//   - early: a promised id first delivered to a group on its queue before
//     the promise's notBefore time, less Config.EarlySlack (a delayed
//     message delivered early; the slack covers brokers' clocks that ran
//     ahead). A rolled-back transaction is recorded as a send that
//     definitely failed, so its delivery is a phantom.
//   - order: per group, queue and client, the offsets of first deliveries
//     (the first time the group receives that offset of that queue) never
//     decrease, in recording order; an explicit Reset starts new streams.
//   - offset-regression: per group and queue, committed offsets in time order
//     never decrease, except to the offset of an explicit Reset (without
//     Config.Durable, also across a crash of the queue's broker).
//   - duplicates are counted by cause (Duplicates map keys): an id stored at
//     two (queue, offset) places is a producer retry; a group receiving the
//     same (queue, offset, id) again is a redelivery, after a reset, after a
//     broker crash, to another client (rebalance) or to the same client.
//
// # Invariants
//
//   - The recorder only appends; Check and VisualizeQueue read a snapshot and
//     never change it. Recorder methods are safe for concurrent use.
//   - A Report is deterministic for a given recording and configuration:
//     queues, violations, ids and causes are sorted; no map order leaks. The
//     only exception is a check that hits its wall-clock timeout.
//   - Misuse of the recorder (an empty id, a negative offset, a return before
//     its call, a send ended twice, an acknowledged send without a queue and
//     offset) is a bug in the harness and panics.
package linearizability
