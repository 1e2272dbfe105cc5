package linearizability

import (
	"fmt"
	"sync"
)

// maxRecords bounds the records one Recorder keeps (sends, reads, commits,
// resets, annotations and crashes together). A record costs about a hundred
// bytes, so this is a few hundred MiB, and a history this long would not
// finish its linearizability check in a test budget anyway: a workload that
// exceeds it is misconfigured, and the recorder panics rather than grow.
const maxRecords = 1 << 22

// NoOffset is the SendResult.Offset of a send whose answer named no offset.
const NoOffset int64 = -1

// Outcome classifies how a send ended.
type Outcome uint8

const (
	// OutcomeUnknown: the message may or may not be stored (timeout,
	// connection reset after the request was written, FLUSH_DISK_TIMEOUT,
	// FLUSH_SLAVE_TIMEOUT, SLAVE_NOT_AVAILABLE, or a send that never ended).
	// It is the zero value, the safe default.
	OutcomeUnknown Outcome = iota
	// OutcomeOK: acknowledged with SEND_OK, durable as the configuration
	// promises.
	OutcomeOK
	// OutcomeFailed: definitely not stored: an error answer that RocketMQ
	// guarantees wrote nothing (MESSAGE_ILLEGAL, TOPIC_NOT_EXIST,
	// SERVICE_NOT_AVAILABLE from a slave or a full disk), or a connection
	// that failed before the request was written.
	OutcomeFailed
)

// String returns "ok", "failed" or "unknown".
func (o Outcome) String() string {
	switch o {
	case OutcomeOK:
		return "ok"
	case OutcomeFailed:
		return "failed"
	case OutcomeUnknown:
		return "unknown"
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// SendResult is how one send ended.
//
// With OutcomeOK, Queue and Offset (the queue offset the broker assigned) are
// required. With OutcomeUnknown, Queue is the queue the request was sent to
// when known (the zero Queue otherwise) and Offset is the queue offset the
// answer named, or NoOffset; an offset is trusted only with a queue. With
// OutcomeFailed both are ignored.
type SendResult struct {
	Outcome Outcome
	Queue   Queue
	Offset  int64
	// HasCopy says that CopyID names the stored record the answer reports
	// (its CommitLog offset, as Copy.ID): a read of another copy at the
	// same queue offset — the same message stored there again after a
	// failover took the first copy back — is then not taken for this one.
	HasCopy bool
	CopyID  int64
}

// sendRecord is one send as recorded.
type sendRecord struct {
	seq     int64 // recording order, shared by every kind of record
	client  int
	msgID   string
	startNs int64
	endNs   int64 // meaningful only when ended
	ended   bool
	result  SendResult
}

// readRecord is one message of one pull answer.
type readRecord struct {
	seq         int64
	client      int
	group       string
	queue       Queue
	queueOffset int64
	msgID       string
	startNs     int64 // the pull's invocation
	endNs       int64 // the pull's return
	// copyID identifies the stored copy read (noCopy when unknown), and
	// storedFromNs..storedToNs bounds when it was stored (see Copy).
	copyID                   int64
	storedFromNs, storedToNs int64
}

// noCopy is the copyID of a read that tells nothing of its record.
const noCopy = -1

// offsetRecord is a committed offset or an explicit reset.
type offsetRecord struct {
	seq         int64
	group       string
	queue       Queue
	queueOffset int64
	atNs        int64
	reset       bool
}

// promiseRecord is a delivery the cluster promised (see Recorder.Promise).
type promiseRecord struct {
	seq         int64
	msgID       string
	queue       Queue
	notBeforeNs int64
	once        bool
	atNs        int64
}

// noteRecord is an annotation or a crash.
type noteRecord struct {
	seq  int64
	atNs int64
	node string // for a crash: the brokerName
	text string
	// failover marks a crash recorded by Failover.
	failover bool
}

// history is everything a Recorder holds.
type history struct {
	sends       []sendRecord
	reads       []readRecord
	offsets     []offsetRecord
	annotations []noteRecord
	crashes     []noteRecord
	promises    []promiseRecord
}

// Recorder collects one run's client history. The zero value is an empty
// recorder, as NewRecorder returns. Its methods are safe for concurrent use
// and never read a clock: every time is the caller's, in nanoseconds of
// virtual time.
type Recorder struct {
	mu  sync.Mutex
	seq int64
	h   history
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{} }

// SendHandle is the open send returned by SendStart; End closes it.
type SendHandle struct {
	r     *Recorder
	index int
}

// nextSeqLocked returns the next recording sequence number, panicking once
// the recorder is full. r.mu must be held.
func (r *Recorder) nextSeqLocked() int64 {
	if r.seq >= maxRecords {
		panic(fmt.Sprintf("linearizability: more than %d records: the workload is too long to check", maxRecords))
	}
	r.seq++
	return r.seq
}

// SendStart records that client invoked a send of msgID at tNs. A send that
// is never ended counts as OutcomeUnknown.
func (r *Recorder) SendStart(client int, msgID string, tNs int64) SendHandle {
	if msgID == "" {
		panic("linearizability: SendStart with an empty message id")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.h.sends = append(r.h.sends, sendRecord{seq: r.nextSeqLocked(), client: client, msgID: msgID, startNs: tNs})
	return SendHandle{r: r, index: len(r.h.sends) - 1}
}

// End records that the send returned at tNs with res. It panics when called
// twice, before the send started, or with an OutcomeOK result that lacks a
// queue or an offset.
func (h SendHandle) End(tNs int64, res SendResult) {
	if h.r == nil {
		panic("linearizability: End on a zero SendHandle")
	}
	if res.Outcome == OutcomeOK && (res.Queue.IsZero() || res.Offset < 0) {
		panic(fmt.Sprintf("linearizability: acknowledged send without queue and offset: %+v", res))
	}
	if res.Outcome > OutcomeFailed {
		panic(fmt.Sprintf("linearizability: invalid outcome %d", res.Outcome))
	}
	h.r.mu.Lock()
	defer h.r.mu.Unlock()
	s := &h.r.h.sends[h.index]
	if s.ended {
		panic(fmt.Sprintf("linearizability: send of %q ended twice", s.msgID))
	}
	if tNs < s.startNs {
		panic(fmt.Sprintf("linearizability: send of %q ends at %d before it started at %d", s.msgID, tNs, s.startNs))
	}
	switch {
	case res.Outcome == OutcomeFailed:
		res.Queue, res.Offset = Queue{}, NoOffset
	case res.Outcome == OutcomeUnknown && res.Queue.IsZero():
		res.Offset = NoOffset
	}
	s.ended, s.endNs, s.result = true, tNs, res
}

// Read records that a pull by client for group, invoked at startNs and
// returned at endNs, delivered msgID at queueOffset of q. Call it once per
// message of the pull answer, in answer order.
func (r *Recorder) Read(client int, group string, q Queue, queueOffset int64, msgID string, startNs, endNs int64) {
	switch {
	case msgID == "":
		panic("linearizability: Read with an empty message id")
	case queueOffset < 0:
		panic(fmt.Sprintf("linearizability: Read of %q at negative offset %d", msgID, queueOffset))
	case endNs < startNs:
		panic(fmt.Sprintf("linearizability: Read of %q returns at %d before it started at %d", msgID, endNs, startNs))
	case q.IsZero():
		panic(fmt.Sprintf("linearizability: Read of %q without a queue", msgID))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.h.reads = append(r.h.reads, readRecord{
		seq: r.nextSeqLocked(), client: client, group: group, queue: q,
		queueOffset: queueOffset, msgID: msgID, startNs: startNs, endNs: endNs, copyID: noCopy,
	})
}

// Copy is what a read tells of the stored record it returned: which copy
// it is (the broker's CommitLog offset: a message can be stored at one
// queue offset twice, before and after a crash that took the first copy
// back) and when it was stored, as far as the record's timestamp and the
// broker's recoveries tell: not before StoredFromNs, not after
// StoredToNs.
type Copy struct {
	ID                       int64
	StoredFromNs, StoredToNs int64
}

// ReadCopy is Read with what the read tells of the record (see Copy). The
// store window narrows when the model may place an append that only reads
// revealed, so it can only add violations, never hide one; a window that
// leaves no room is ignored.
func (r *Recorder) ReadCopy(client int, group string, q Queue, queueOffset int64, msgID string, startNs, endNs int64, c Copy) {
	if c.ID < 0 || c.StoredToNs < c.StoredFromNs {
		panic(fmt.Sprintf("linearizability: ReadCopy of %q with a bad copy %+v", msgID, c))
	}
	r.Read(client, group, q, queueOffset, msgID, startNs, endNs)
	r.mu.Lock()
	defer r.mu.Unlock()
	rd := &r.h.reads[len(r.h.reads)-1]
	rd.copyID, rd.storedFromNs, rd.storedToNs = c.ID, c.StoredFromNs, c.StoredToNs
}

// Commit records a consumer offset of group on q that the broker
// acknowledged as committed (UPDATE_CONSUMER_OFFSET answered SUCCESS) or
// returned (QUERY_CONSUMER_OFFSET) at tNs.
func (r *Recorder) Commit(group string, q Queue, queueOffset int64, tNs int64) {
	r.recordOffset(group, q, queueOffset, tNs, false)
}

// Reset records an explicit reset of group's offset on q to queueOffset at
// tNs; committed offsets may move backwards to it.
func (r *Recorder) Reset(group string, q Queue, queueOffset int64, tNs int64) {
	r.recordOffset(group, q, queueOffset, tNs, true)
}

func (r *Recorder) recordOffset(group string, q Queue, queueOffset int64, tNs int64, reset bool) {
	if queueOffset < 0 {
		panic(fmt.Sprintf("linearizability: negative consumer offset %d for %s on %s", queueOffset, group, q))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.h.offsets = append(r.h.offsets, offsetRecord{
		seq: r.nextSeqLocked(), group: group, queue: q, queueOffset: queueOffset, atNs: tNs, reset: reset,
	})
}

// Annotate records a fault, restart, partition or other event on node at
// tNs, for the report and the visualization. It changes no check.
func (r *Recorder) Annotate(tNs int64, node string, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.h.annotations = append(r.h.annotations, noteRecord{seq: r.nextSeqLocked(), atNs: tNs, node: node, text: text})
}

// Crash records that at tNs a machine holding the CommitLog of broker (a
// brokerName) lost everything it had not flushed: a power loss, not a
// process kill, which keeps the page cache. It opens a loss window on the
// broker's queues (see the package doc) and shows in the visualization.
func (r *Recorder) Crash(tNs int64, broker string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.h.crashes = append(r.h.crashes, noteRecord{seq: r.nextSeqLocked(), atNs: tNs, node: broker, text: "crash: unflushed data lost"})
}

// Failover records that at tNs a slave of broker (a brokerName) was
// promoted to serve its queues in place of its master. It opens a loss
// window as Crash does: the new master continues each queue where its
// copy ends, and hands out again the offsets of what the old master stored
// that the copy lacks. Under Config.Durable that tail holds nothing
// acknowledged (sync replication), but it may hold copies the old master
// stored for a promise — a delayed message delivered, a transaction
// committed — that a group already read: a message promised once and read
// in a copy before a failover may be stored again after it, which counts
// as a duplicate, not a violation (see twice in the package doc).
func (r *Recorder) Failover(tNs int64, broker string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.h.crashes = append(r.h.crashes, noteRecord{seq: r.nextSeqLocked(), atNs: tNs, node: broker, text: "failover: a slave promoted", failover: true})
}

// Terms are the terms of a promised delivery (see Promise).
type Terms struct {
	// NotBeforeNs, when > 0, is the earliest time a group may receive the
	// message (less Config.EarlySlack): a delayed message's delivery time.
	NotBeforeNs int64
	// Once says the broker must store the message on its queue only once:
	// a second stored copy is a violation under Config.Durable (a delayed
	// message the schedule service delivered twice), and without it is
	// counted as a duplicate (a machine crash lost the first copy after a
	// group read it). Without Once, second copies are counted (a
	// transaction committed again after a crash lost its op record).
	Once bool
}

// Promise records that at tNs the cluster promised to deliver msgID on q
// although the producer learns no offset: a transaction whose half message
// was acknowledged and whose outcome is commit, or an acknowledged delayed
// message (its answer names the offset of the parked copy, not of the
// message its consumers will see). Under Config.Durable every required
// group must receive it on q, as an acknowledged send; t sets when and how
// often. The send itself is recorded as usual, with an unknown outcome on
// q, so the model lets it take any later offset.
func (r *Recorder) Promise(msgID string, q Queue, t Terms, tNs int64) {
	if msgID == "" || q.IsZero() {
		panic(fmt.Sprintf("linearizability: Promise of %q on %v: an id and a queue are required", msgID, q))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.h.promises = append(r.h.promises, promiseRecord{seq: r.nextSeqLocked(), msgID: msgID, queue: q, notBeforeNs: t.NotBeforeNs, once: t.Once, atNs: tNs})
}

// snapshot copies the history so that checks run without the lock.
func (r *Recorder) snapshot() history {
	r.mu.Lock()
	defer r.mu.Unlock()
	return history{
		sends:       append([]sendRecord(nil), r.h.sends...),
		reads:       append([]readRecord(nil), r.h.reads...),
		offsets:     append([]offsetRecord(nil), r.h.offsets...),
		annotations: append([]noteRecord(nil), r.h.annotations...),
		crashes:     append([]noteRecord(nil), r.h.crashes...),
		promises:    append([]promiseRecord(nil), r.h.promises...),
	}
}
