package commitlog

import (
	"errors"
	"net/netip"
)

// Magic codes at offset 4 of a record.
const (
	// MagicV1 marks a record whose topic length is one signed byte.
	MagicV1 uint32 = 0xDAA320A7
	// MagicV2 marks a record whose topic length is a signed int16.
	MagicV2 uint32 = 0xDAA320AB
	// MagicBlank marks the blank record that fills the end of a segment.
	MagicBlank uint32 = 0xCBD43194
)

// SYSFLAG bits (see the package documentation).
const (
	// SysFlagCompressed says the body is compressed.
	SysFlagCompressed int32 = 0x1
	// SysFlagMultiTags is the legacy multi-tags filter marker.
	SysFlagMultiTags int32 = 0x2
	// SysFlagTransactionMask selects the transaction type bits.
	SysFlagTransactionMask int32 = 0xC
	// SysFlagTransactionNone is the type of an ordinary message.
	SysFlagTransactionNone int32 = 0x0
	// SysFlagTransactionPrepared is the type of a transactional half message.
	SysFlagTransactionPrepared int32 = 0x4
	// SysFlagTransactionCommit is the type of a committed transaction record.
	SysFlagTransactionCommit int32 = 0x8
	// SysFlagTransactionRollback is the type of a rolled-back transaction record.
	SysFlagTransactionRollback int32 = 0xC
	// SysFlagBornHostV6 says BORNHOST is 20 bytes. Set by the encoder.
	SysFlagBornHostV6 int32 = 0x10
	// SysFlagStoreHostV6 says STOREHOSTADDRESS is 20 bytes. Set by the encoder.
	SysFlagStoreHostV6 int32 = 0x20
	// SysFlagNeedUnwrap is the 5.x batch marker.
	SysFlagNeedUnwrap int32 = 0x40
	// SysFlagInnerBatch says one record carries several messages (5.x).
	SysFlagInnerBatch int32 = 0x80
	// SysFlagCompressionTypeMask selects the compression type bits.
	SysFlagCompressionTypeMask int32 = 0x700
)

// Sizes and limits of the record format.
const (
	// FixedOverheadBytes is the size of a record with IPv4 hosts, the v1
	// magic, and an empty body, topic and properties.
	FixedOverheadBytes = 91
	// MinRecordSizeBytes is the smallest record that can be stored: the
	// fixed overhead plus a one-byte topic.
	MinRecordSizeBytes = FixedOverheadBytes + 1
	// BlankRecordSizeBytes is how many bytes of a blank record are written
	// (TOTALSIZE and MAGICCODE); it is also the least room a segment must
	// keep free after a record, so that a blank record always fits.
	BlankRecordSizeBytes = 8
	// MaxV1TopicBytes is the longest topic a one-byte signed length holds.
	MaxV1TopicBytes = 127
	// MaxTopicBytes is the longest topic the broker stores (UTF-8 bytes).
	MaxTopicBytes = 255
	// MaxPropertiesBytes is the largest properties field: its length is a
	// signed int16.
	MaxPropertiesBytes = 32767
	// MaxRecordSizeBytes bounds a whole record: TOTALSIZE is a signed int32.
	MaxRecordSizeBytes = 1<<31 - 1
	// RetryTopicPrefix starts the topics allowed past MaxV1TopicBytes.
	RetryTopicPrefix = "%RETRY%"

	ipv4HostBytes = 4 + 4  // address + port as int32
	ipv6HostBytes = 16 + 4 // address + port as int32
)

// Fixed field offsets: the fields before BORNHOST never move.
const (
	offTotalSize   = 0
	offMagic       = 4
	offBodyCRC     = 8
	offQueueID     = 12
	offFlag        = 16
	offQueueOffset = 20
	offPhysOffset  = 28
	offSysFlag     = 36
	offBornTime    = 40
	offBornHost    = 48
)

// Errors from EncodedSize: the message cannot be stored as given.
var (
	// ErrTopicEmpty rejects a message without a topic.
	ErrTopicEmpty = errors.New("commitlog: topic is empty")
	// ErrTopicTooLong rejects a topic longer than MaxTopicBytes, or than
	// MaxV1TopicBytes without the RetryTopicPrefix.
	ErrTopicTooLong = errors.New("commitlog: topic too long")
	// ErrPropertiesTooLong rejects properties longer than MaxPropertiesBytes.
	ErrPropertiesTooLong = errors.New("commitlog: properties too long")
	// ErrBodyTooLarge rejects a body over the configured limit or one that
	// would push the record past MaxRecordSizeBytes.
	ErrBodyTooLarge = errors.New("commitlog: body too large")
	// ErrInvalidHost rejects a message whose born or store address is unset.
	ErrInvalidHost = errors.New("commitlog: invalid host address")
)

// Errors from Decode.
var (
	// ErrShort says the bytes end before the record does.
	ErrShort = errors.New("commitlog: record truncated")
	// ErrBlank says the bytes start with a blank record; the Record returned
	// with it carries TotalSize, Magic and Raw.
	ErrBlank = errors.New("commitlog: blank record")
	// ErrCorrupt says the bytes are not a record. It is always wrapped
	// together with one of the reasons below.
	ErrCorrupt = errors.New("commitlog: corrupt record")
	// ErrZeroRegion: TOTALSIZE and MAGICCODE are zero — never-written space,
	// the normal end of the data in a segment.
	ErrZeroRegion = errors.New("zero region")
	// ErrBadMagic: MAGICCODE is none of the three magic codes.
	ErrBadMagic = errors.New("bad magic code")
	// ErrNegativeLength: a length field reads negative.
	ErrNegativeLength = errors.New("negative length")
	// ErrSizeMismatch: TOTALSIZE differs from the size the fields add up to.
	ErrSizeMismatch = errors.New("size mismatch")
	// ErrBadPort: a host port is outside [0, 65535].
	ErrBadPort = errors.New("port out of range")
	// ErrCRCMismatch: BODYCRC differs from the CRC of the body.
	ErrCRCMismatch = errors.New("body crc mismatch")
)

// Message is what a producer asks to store: every field of a record that the
// log does not assign itself (QUEUEOFFSET, PHYSICALOFFSET, STORETIMESTAMP and
// BODYCRC are passed to Encode separately).
type Message struct {
	Topic   string
	QueueID int32
	Flag    int32
	// SysFlag is written as given except for the host bits 0x10 and 0x20,
	// which the encoder derives from BornHost and StoreHost.
	SysFlag                   int32
	BornTimestampMs           int64
	BornHost                  netip.AddrPort
	StoreHost                 netip.AddrPort
	ReconsumeTimes            int32
	PreparedTransactionOffset int64
	Body                      []byte
	// Properties are already encoded (name 0x01 value 0x02 ...).
	Properties []byte
}

// Record is a zero-copy view of one decoded record. Body, Topic, Properties
// and Raw alias the bytes given to Decode and are valid as long as they are.
type Record struct {
	TotalSize                 int32
	Magic                     uint32
	BodyCRC                   uint32
	QueueID                   int32
	Flag                      int32
	QueueOffset               int64
	PhysOffset                int64
	SysFlag                   int32
	BornTimestampMs           int64
	BornHost                  netip.AddrPort
	StoreTimestampMs          int64
	StoreHost                 netip.AddrPort
	ReconsumeTimes            int32
	PreparedTransactionOffset int64
	Body                      []byte
	Topic                     []byte
	Properties                []byte
	// Raw is the whole record, TOTALSIZE bytes.
	Raw []byte
}

// TopicString returns the topic as a string (it allocates; compare with
// string(r.Topic) == name to avoid that).
func (r *Record) TopicString() string { return string(r.Topic) }

// TransactionType returns the record's transaction type bits.
func (r *Record) TransactionType() int32 { return TransactionType(r.SysFlag) }

// EndOffset returns the log offset just past the record.
func (r *Record) EndOffset() int64 { return r.PhysOffset + int64(r.TotalSize) }

// Message returns the Message that encodes back to this record (with its
// BodyCRC, QueueOffset, PhysOffset and StoreTimestampMs). Body and Properties
// alias the record; the topic is copied.
func (r *Record) Message() Message {
	return Message{
		Topic:                     string(r.Topic),
		QueueID:                   r.QueueID,
		Flag:                      r.Flag,
		SysFlag:                   r.SysFlag,
		BornTimestampMs:           r.BornTimestampMs,
		BornHost:                  r.BornHost,
		StoreHost:                 r.StoreHost,
		ReconsumeTimes:            r.ReconsumeTimes,
		PreparedTransactionOffset: r.PreparedTransactionOffset,
		Body:                      r.Body,
		Properties:                r.Properties,
	}
}

// TransactionType returns sysFlag & SysFlagTransactionMask.
func TransactionType(sysFlag int32) int32 { return sysFlag & SysFlagTransactionMask }

// HasQueueOffset reports whether a record with this SYSFLAG takes a queue
// offset: PREPARED and ROLLBACK records do not.
func HasQueueOffset(sysFlag int32) bool {
	t := TransactionType(sysFlag)
	return t != SysFlagTransactionPrepared && t != SysFlagTransactionRollback
}
