package client

import (
	"fmt"
	"net/netip"

	"github.com/apogeemq/apogee/remoting"
)

// MessageQueue identifies one queue: queue QueueID of Topic on the broker
// group BrokerName. It is remoting's type, so the queues of admin bodies and
// of client calls are one and the same.
type MessageQueue = remoting.MessageQueue

// Message is a message to send.
type Message struct {
	// Topic is the topic: 1 to 127 characters of [%|a-zA-Z0-9_-].
	Topic string
	// Tags is the tag consumers filter on (the TAGS property); empty for
	// none.
	Tags string
	// Keys are business keys, indexed by the broker (the KEYS property,
	// joined with single spaces).
	Keys []string
	// Body is the payload; it must not be empty. A body sent uncompressed
	// goes to the transport as it is: it must not change until the send's
	// callback ran (after SendOneway, not at all).
	Body []byte
	// Flag is the user's flag, stored and delivered untouched.
	Flag int32
	// Properties are further properties. TAGS, KEYS and UNIQ_KEY given here
	// are used when the fields above are empty (and, for UNIQ_KEY, instead
	// of a generated id). Names and values must not contain the bytes 0x01
	// and 0x02, and neither may be empty. Names starting with
	// "__RMQ.TRANSIENT." are never sent (commitlog.TransientPropertyPrefix).
	Properties map[string]string
}

// MessageExt is a message as pulled from a broker: the decoded CommitLog
// record. Message.Properties holds every stored property (TAGS, KEYS and
// UNIQ_KEY included); Body is inflated when it was sent compressed.
type MessageExt struct {
	Message
	// MsgID is the producer's id (UNIQ_KEY), or OffsetMsgID when the
	// message has none.
	MsgID string
	// OffsetMsgID is the broker's id: store host and CommitLog offset in
	// hex (commitlog.FormatOffsetMsgID).
	OffsetMsgID string
	// QueueID is the queue the message is in.
	QueueID int32
	// QueueOffset is the message's index in its consume queue.
	QueueOffset int64
	// CommitLogOffset is the physical offset of the record in the
	// broker's CommitLog.
	CommitLogOffset int64
	// SysFlag is the record's MessageSysFlag as stored (bit 0 still says
	// whether the body travelled compressed).
	SysFlag int32
	// BornHost is the producer's address as the broker saw it.
	BornHost netip.AddrPort
	// StoreHost is the broker's address.
	StoreHost netip.AddrPort
	// BornTimestampMs is the producer's clock at sending, ms since the
	// epoch.
	BornTimestampMs int64
	// StoreTimestampMs is the broker's clock at storing, ms since the
	// epoch.
	StoreTimestampMs int64
	// ReconsumeTimes counts the deliveries that were sent back for retry.
	ReconsumeTimes int32
	// PreparedTransactionOffset is the CommitLog offset of a committed
	// transactional message's half message, else 0.
	PreparedTransactionOffset int64
	// BodyCRC is the record's BODYCRC field (of the body as stored).
	BodyCRC uint32
}

// SendStatus is the outcome of a send that stored the message.
type SendStatus int

// Send outcomes, as the Go client names them.
const (
	// SendOK: stored, with the durability the broker promises.
	SendOK SendStatus = iota
	// SendFlushDiskTimeout: stored, but the synchronous flush timed out
	// (FLUSH_DISK_TIMEOUT).
	SendFlushDiskTimeout
	// SendFlushSlaveTimeout: stored, but the slave did not confirm in time
	// (FLUSH_SLAVE_TIMEOUT).
	SendFlushSlaveTimeout
	// SendSlaveNotAvailable: stored, but no slave is connected
	// (SLAVE_NOT_AVAILABLE).
	SendSlaveNotAvailable
)

// String names the status.
func (s SendStatus) String() string {
	switch s {
	case SendOK:
		return "SendOK"
	case SendFlushDiskTimeout:
		return "SendFlushDiskTimeout"
	case SendFlushSlaveTimeout:
		return "SendFlushSlaveTimeout"
	case SendSlaveNotAvailable:
		return "SendSlaveNotAvailable"
	}
	return fmt.Sprintf("SendStatus(%d)", int(s))
}

// SendResult describes a stored message.
type SendResult struct {
	// Status is the outcome.
	Status SendStatus
	// MsgID is the message's UNIQ_KEY; for a batch, the UNIQ_KEYs of its
	// messages joined with ",", as RocketMQ reports a batch.
	MsgID string
	// OffsetMsgID is the broker's id of the stored message (for a batch,
	// as the broker reports it).
	OffsetMsgID string
	// Queue is the queue the message went to.
	Queue MessageQueue
	// QueueOffset is the message's consume-queue offset (for a batch, the
	// first message's).
	QueueOffset int64
	// TransactionID is the broker's transaction id, when it sends one.
	TransactionID string
}

// PullStatus is the outcome of a pull.
type PullStatus int

// Pull outcomes, as the Go client names them.
const (
	// PullFound: messages were read (Messages may still be empty when the
	// client-side tag filter dropped all of them).
	PullFound PullStatus = iota
	// PullNoNewMsg: nothing at or after the offset (PULL_NOT_FOUND).
	PullNoNewMsg
	// PullNoMatchedMsg: messages were scanned but none matched the
	// expression (PULL_RETRY_IMMEDIATELY).
	PullNoMatchedMsg
	// PullOffsetIllegal: the offset is outside the queue
	// (PULL_OFFSET_MOVED); NextBeginOffset is the corrected one.
	PullOffsetIllegal
)

// String names the status.
func (s PullStatus) String() string {
	switch s {
	case PullFound:
		return "PullFound"
	case PullNoNewMsg:
		return "PullNoNewMsg"
	case PullNoMatchedMsg:
		return "PullNoMatchedMsg"
	case PullOffsetIllegal:
		return "PullOffsetIllegal"
	}
	return fmt.Sprintf("PullStatus(%d)", int(s))
}

// PullResult is a broker's answer to a pull. The offsets are consume-queue
// offsets of the pulled queue.
type PullResult struct {
	// Status is the outcome.
	Status PullStatus
	// NextBeginOffset is where the next pull of the queue starts.
	NextBeginOffset int64
	// MinOffset is the smallest offset still in the queue.
	MinOffset int64
	// MaxOffset is the offset the next message of the queue will get.
	MaxOffset int64
	// Messages are the messages read, in queue order.
	Messages []*MessageExt
}
