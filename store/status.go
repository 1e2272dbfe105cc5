package store

import "errors"

// PutStatus is the outcome of a put, named after RocketMQ's PutMessageStatus.
// The broker maps each to a remoting response code.
type PutStatus int

// Put statuses. PutOK means the configured durability holds; the timeout
// statuses mean the message is stored but its durability was not confirmed
// in time (the sender must treat the outcome as unknown).
const (
	PutOK PutStatus = iota
	PutFlushDiskTimeout
	PutFlushSlaveTimeout
	PutSlaveNotAvailable
	PutServiceNotAvailable
	PutCreateMappedFileFailed
	PutMessageIllegal
	PutPropertiesSizeExceeded
	PutOSPageCacheBusy
	PutUnknownError
)

var putStatusNames = [...]string{
	PutOK:                     "PUT_OK",
	PutFlushDiskTimeout:       "FLUSH_DISK_TIMEOUT",
	PutFlushSlaveTimeout:      "FLUSH_SLAVE_TIMEOUT",
	PutSlaveNotAvailable:      "SLAVE_NOT_AVAILABLE",
	PutServiceNotAvailable:    "SERVICE_NOT_AVAILABLE",
	PutCreateMappedFileFailed: "CREATE_MAPPED_FILE_FAILED",
	PutMessageIllegal:         "MESSAGE_ILLEGAL",
	PutPropertiesSizeExceeded: "PROPERTIES_SIZE_EXCEEDED",
	PutOSPageCacheBusy:        "OS_PAGE_CACHE_BUSY",
	PutUnknownError:           "UNKNOWN_ERROR",
}

func (s PutStatus) String() string {
	if s >= 0 && int(s) < len(putStatusNames) {
		return putStatusNames[s]
	}
	return "PutStatus(?)"
}

// Stored reports whether the message is in the CommitLog (possibly without
// its durability confirmed).
func (s PutStatus) Stored() bool {
	switch s {
	case PutOK, PutFlushDiskTimeout, PutFlushSlaveTimeout, PutSlaveNotAvailable:
		return true
	}
	return false
}

// GetStatus is the outcome of a Get, named after RocketMQ's GetMessageStatus.
type GetStatus int

// Get statuses.
const (
	GetFound GetStatus = iota
	GetNoMatchedMessage
	GetMessageWasRemoving
	GetOffsetFoundNull
	GetOffsetOverflowBadly
	GetOffsetOverflowOne
	GetOffsetTooSmall
	GetNoMatchedLogicQueue
	GetNoMessageInQueue
)

var getStatusNames = [...]string{
	GetFound:               "FOUND",
	GetNoMatchedMessage:    "NO_MATCHED_MESSAGE",
	GetMessageWasRemoving:  "MESSAGE_WAS_REMOVING",
	GetOffsetFoundNull:     "OFFSET_FOUND_NULL",
	GetOffsetOverflowBadly: "OFFSET_OVERFLOW_BADLY",
	GetOffsetOverflowOne:   "OFFSET_OVERFLOW_ONE",
	GetOffsetTooSmall:      "OFFSET_TOO_SMALL",
	GetNoMatchedLogicQueue: "NO_MATCHED_LOGIC_QUEUE",
	GetNoMessageInQueue:    "NO_MESSAGE_IN_QUEUE",
}

func (s GetStatus) String() string {
	if s >= 0 && int(s) < len(getStatusNames) {
		return getStatusNames[s]
	}
	return "GetStatus(?)"
}

// Errors returned by the store.
var (
	// ErrClosed means the store has been shut down.
	ErrClosed = errors.New("store: closed")
	// ErrDiskFull means puts are refused because disk usage passed
	// DiskSpaceWarningLevelRatio or the device reported no space.
	ErrDiskFull = errors.New("store: disk is full, service not available now")
	// ErrLocked means another process holds the store's lock file.
	ErrLocked = errors.New("store: the store directory is locked by another process")
	// ErrNotWritable means an earlier failure (a flush the device refused,
	// or a dispatch write that could not complete) stopped the store; it
	// accepts no puts until it is reopened (see Store.Err).
	ErrNotWritable = errors.New("store: not writable after an internal write failure")
)
