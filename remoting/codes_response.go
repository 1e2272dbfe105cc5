package remoting

import (
	"errors"
	"fmt"
	"strconv"
)

// Response codes (apache/rocketmq RemotingSysResponseCode.java and
// ResponseCode.java). Command.Code holds one in a response; spec/remoting.md
// §2 says how the Go client reacts to each.
const (
	// ResSuccess: the request succeeded.
	ResSuccess int32 = 0
	// ResSystemError: an unexpected failure on the server.
	ResSystemError int32 = 1
	// ResSystemBusy: the server sheds load; the send is not retried.
	ResSystemBusy int32 = 2
	// ResRequestCodeNotSupported: the server does not serve the code.
	ResRequestCodeNotSupported int32 = 3
	// ResTransactionFailed: a transaction operation failed.
	ResTransactionFailed int32 = 4
	// ResFlushDiskTimeout: stored, but the sync flush timed out.
	ResFlushDiskTimeout int32 = 10
	// ResSlaveNotAvailable: stored, but no slave to replicate to.
	ResSlaveNotAvailable int32 = 11
	// ResFlushSlaveTimeout: stored, but the slave did not acknowledge in time.
	ResFlushSlaveTimeout int32 = 12
	// ResMessageIllegal: the message was refused (size, topic, properties).
	ResMessageIllegal int32 = 13
	// ResServiceNotAvailable: the broker cannot take the request now.
	ResServiceNotAvailable int32 = 14
	// ResVersionNotSupported: the client version is not supported.
	ResVersionNotSupported int32 = 15
	// ResNoPermission: the topic or group forbids the operation.
	ResNoPermission int32 = 16
	// ResTopicNotExist: the topic is unknown.
	ResTopicNotExist int32 = 17
	// ResTopicExistAlready: the topic to create exists.
	ResTopicExistAlready int32 = 18
	// ResPullNotFound: no new message at the requested offset.
	ResPullNotFound int32 = 19
	// ResPullRetryImmediately: messages exist but none matched the filter.
	ResPullRetryImmediately int32 = 20
	// ResPullOffsetMoved: the requested offset is out of range.
	ResPullOffsetMoved int32 = 21
	// ResQueryNotFound: nothing matched the query (no committed offset).
	ResQueryNotFound int32 = 22
	// ResSubscriptionParseFailed: the subscription expression is invalid.
	ResSubscriptionParseFailed int32 = 23
	// ResSubscriptionNotExist: the group has no subscription to the topic.
	ResSubscriptionNotExist int32 = 24
	// ResSubscriptionNotLatest: the subscription is older than the broker's.
	ResSubscriptionNotLatest int32 = 25
	// ResSubscriptionGroupNotExist: the consumer group is unknown.
	ResSubscriptionGroupNotExist int32 = 26
	// ResFilterDataNotExist: no filter data for the subscription.
	ResFilterDataNotExist int32 = 27
	// ResFilterDataNotLatest: the filter data is outdated.
	ResFilterDataNotLatest int32 = 28
	// ResInvalidParameter: a request field is missing or invalid.
	ResInvalidParameter int32 = 29
	// ResTransactionShouldCommit: the transaction state says commit.
	ResTransactionShouldCommit int32 = 200
	// ResTransactionShouldRollback: the transaction state says roll back.
	ResTransactionShouldRollback int32 = 201
	// ResTransactionStateUnknown: the transaction state is unknown.
	ResTransactionStateUnknown int32 = 202
	// ResTransactionStateGroupWrong: the transaction's group is wrong.
	ResTransactionStateGroupWrong int32 = 203
	// ResNoBuyerID: no buyer id (legacy unit routing).
	ResNoBuyerID int32 = 204
	// ResNotInCurrentUnit: not in the current unit (legacy unit routing).
	ResNotInCurrentUnit int32 = 205
	// ResConsumerNotOnline: the consumer is not connected.
	ResConsumerNotOnline int32 = 206
	// ResConsumeMsgTimeout: consuming the message directly timed out.
	ResConsumeMsgTimeout int32 = 207
	// ResNoMessage: the message was not found.
	ResNoMessage int32 = 208
	// ResPollingFull: too many polling requests are held.
	ResPollingFull int32 = 209
	// ResPollingTimeout: a polling request timed out.
	ResPollingTimeout int32 = 210
	// ResBrokerNotExist: the broker is unknown.
	ResBrokerNotExist int32 = 211
	// ResBrokerDispatchNotComplete: the broker has not dispatched yet.
	ResBrokerDispatchNotComplete int32 = 212
	// ResBroadcastConsumption: the group consumes in broadcasting mode.
	ResBroadcastConsumption int32 = 213
	// ResFlowControl: the request was refused by flow control.
	ResFlowControl int32 = 215
	// ResNotLeaderForQueue: this broker does not lead the queue.
	ResNotLeaderForQueue int32 = 501
	// ResIllegalOperation: the operation is not allowed.
	ResIllegalOperation int32 = 604
)

// Sentinel errors, one per non-success response code. ErrorForCode wraps
// them with the response's remark; CodeOf maps an error back to its code.
var (
	// ErrSystemError is the sentinel of SYSTEM_ERROR (ResSystemError).
	ErrSystemError error = &codeError{ResSystemError}
	// ErrSystemBusy is the sentinel of SYSTEM_BUSY (ResSystemBusy).
	ErrSystemBusy error = &codeError{ResSystemBusy}
	// ErrRequestCodeNotSupported is the sentinel of REQUEST_CODE_NOT_SUPPORTED (ResRequestCodeNotSupported).
	ErrRequestCodeNotSupported error = &codeError{ResRequestCodeNotSupported}
	// ErrTransactionFailed is the sentinel of TRANSACTION_FAILED (ResTransactionFailed).
	ErrTransactionFailed error = &codeError{ResTransactionFailed}
	// ErrFlushDiskTimeout is the sentinel of FLUSH_DISK_TIMEOUT (ResFlushDiskTimeout).
	ErrFlushDiskTimeout error = &codeError{ResFlushDiskTimeout}
	// ErrSlaveNotAvailable is the sentinel of SLAVE_NOT_AVAILABLE (ResSlaveNotAvailable).
	ErrSlaveNotAvailable error = &codeError{ResSlaveNotAvailable}
	// ErrFlushSlaveTimeout is the sentinel of FLUSH_SLAVE_TIMEOUT (ResFlushSlaveTimeout).
	ErrFlushSlaveTimeout error = &codeError{ResFlushSlaveTimeout}
	// ErrMessageIllegal is the sentinel of MESSAGE_ILLEGAL (ResMessageIllegal).
	ErrMessageIllegal error = &codeError{ResMessageIllegal}
	// ErrServiceNotAvailable is the sentinel of SERVICE_NOT_AVAILABLE (ResServiceNotAvailable).
	ErrServiceNotAvailable error = &codeError{ResServiceNotAvailable}
	// ErrVersionNotSupported is the sentinel of VERSION_NOT_SUPPORTED (ResVersionNotSupported).
	ErrVersionNotSupported error = &codeError{ResVersionNotSupported}
	// ErrNoPermission is the sentinel of NO_PERMISSION (ResNoPermission).
	ErrNoPermission error = &codeError{ResNoPermission}
	// ErrTopicNotExist is the sentinel of TOPIC_NOT_EXIST (ResTopicNotExist).
	ErrTopicNotExist error = &codeError{ResTopicNotExist}
	// ErrTopicExistAlready is the sentinel of TOPIC_EXIST_ALREADY (ResTopicExistAlready).
	ErrTopicExistAlready error = &codeError{ResTopicExistAlready}
	// ErrPullNotFound is the sentinel of PULL_NOT_FOUND (ResPullNotFound).
	ErrPullNotFound error = &codeError{ResPullNotFound}
	// ErrPullRetryImmediately is the sentinel of PULL_RETRY_IMMEDIATELY (ResPullRetryImmediately).
	ErrPullRetryImmediately error = &codeError{ResPullRetryImmediately}
	// ErrPullOffsetMoved is the sentinel of PULL_OFFSET_MOVED (ResPullOffsetMoved).
	ErrPullOffsetMoved error = &codeError{ResPullOffsetMoved}
	// ErrQueryNotFound is the sentinel of QUERY_NOT_FOUND (ResQueryNotFound).
	ErrQueryNotFound error = &codeError{ResQueryNotFound}
	// ErrSubscriptionParseFailed is the sentinel of SUBSCRIPTION_PARSE_FAILED (ResSubscriptionParseFailed).
	ErrSubscriptionParseFailed error = &codeError{ResSubscriptionParseFailed}
	// ErrSubscriptionNotExist is the sentinel of SUBSCRIPTION_NOT_EXIST (ResSubscriptionNotExist).
	ErrSubscriptionNotExist error = &codeError{ResSubscriptionNotExist}
	// ErrSubscriptionNotLatest is the sentinel of SUBSCRIPTION_NOT_LATEST (ResSubscriptionNotLatest).
	ErrSubscriptionNotLatest error = &codeError{ResSubscriptionNotLatest}
	// ErrSubscriptionGroupNotExist is the sentinel of SUBSCRIPTION_GROUP_NOT_EXIST (ResSubscriptionGroupNotExist).
	ErrSubscriptionGroupNotExist error = &codeError{ResSubscriptionGroupNotExist}
	// ErrFilterDataNotExist is the sentinel of FILTER_DATA_NOT_EXIST (ResFilterDataNotExist).
	ErrFilterDataNotExist error = &codeError{ResFilterDataNotExist}
	// ErrFilterDataNotLatest is the sentinel of FILTER_DATA_NOT_LATEST (ResFilterDataNotLatest).
	ErrFilterDataNotLatest error = &codeError{ResFilterDataNotLatest}
	// ErrInvalidParameter is the sentinel of INVALID_PARAMETER (ResInvalidParameter).
	ErrInvalidParameter error = &codeError{ResInvalidParameter}
	// ErrTransactionShouldCommit is the sentinel of TRANSACTION_SHOULD_COMMIT (ResTransactionShouldCommit).
	ErrTransactionShouldCommit error = &codeError{ResTransactionShouldCommit}
	// ErrTransactionShouldRollback is the sentinel of TRANSACTION_SHOULD_ROLLBACK (ResTransactionShouldRollback).
	ErrTransactionShouldRollback error = &codeError{ResTransactionShouldRollback}
	// ErrTransactionStateUnknown is the sentinel of TRANSACTION_STATE_UNKNOW (ResTransactionStateUnknown).
	ErrTransactionStateUnknown error = &codeError{ResTransactionStateUnknown}
	// ErrTransactionStateGroupWrong is the sentinel of TRANSACTION_STATE_GROUP_WRONG (ResTransactionStateGroupWrong).
	ErrTransactionStateGroupWrong error = &codeError{ResTransactionStateGroupWrong}
	// ErrNoBuyerID is the sentinel of NO_BUYER_ID (ResNoBuyerID).
	ErrNoBuyerID error = &codeError{ResNoBuyerID}
	// ErrNotInCurrentUnit is the sentinel of NOT_IN_CURRENT_UNIT (ResNotInCurrentUnit).
	ErrNotInCurrentUnit error = &codeError{ResNotInCurrentUnit}
	// ErrConsumerNotOnline is the sentinel of CONSUMER_NOT_ONLINE (ResConsumerNotOnline).
	ErrConsumerNotOnline error = &codeError{ResConsumerNotOnline}
	// ErrConsumeMsgTimeout is the sentinel of CONSUME_MSG_TIMEOUT (ResConsumeMsgTimeout).
	ErrConsumeMsgTimeout error = &codeError{ResConsumeMsgTimeout}
	// ErrNoMessage is the sentinel of NO_MESSAGE (ResNoMessage).
	ErrNoMessage error = &codeError{ResNoMessage}
	// ErrPollingFull is the sentinel of POLLING_FULL (ResPollingFull).
	ErrPollingFull error = &codeError{ResPollingFull}
	// ErrPollingTimeout is the sentinel of POLLING_TIMEOUT (ResPollingTimeout).
	ErrPollingTimeout error = &codeError{ResPollingTimeout}
	// ErrBrokerNotExist is the sentinel of BROKER_NOT_EXIST (ResBrokerNotExist).
	ErrBrokerNotExist error = &codeError{ResBrokerNotExist}
	// ErrBrokerDispatchNotComplete is the sentinel of BROKER_DISPATCH_NOT_COMPLETE (ResBrokerDispatchNotComplete).
	ErrBrokerDispatchNotComplete error = &codeError{ResBrokerDispatchNotComplete}
	// ErrBroadcastConsumption is the sentinel of BROADCAST_CONSUMPTION (ResBroadcastConsumption).
	ErrBroadcastConsumption error = &codeError{ResBroadcastConsumption}
	// ErrFlowControl is the sentinel of FLOW_CONTROL (ResFlowControl).
	ErrFlowControl error = &codeError{ResFlowControl}
	// ErrNotLeaderForQueue is the sentinel of NOT_LEADER_FOR_QUEUE (ResNotLeaderForQueue).
	ErrNotLeaderForQueue error = &codeError{ResNotLeaderForQueue}
	// ErrIllegalOperation is the sentinel of ILLEGAL_OPERATION (ResIllegalOperation).
	ErrIllegalOperation error = &codeError{ResIllegalOperation}
)

// responseCode is one row of the response code catalog.
type responseCode struct {
	code int32
	name string
	err  error // nil for SUCCESS
}

// responseCodes is the catalog: every response code, its RocketMQ name and
// its sentinel. Tests check that it is one to one.
var responseCodes = []responseCode{
	{ResSuccess, "SUCCESS", nil},
	{ResSystemError, "SYSTEM_ERROR", ErrSystemError},
	{ResSystemBusy, "SYSTEM_BUSY", ErrSystemBusy},
	{ResRequestCodeNotSupported, "REQUEST_CODE_NOT_SUPPORTED", ErrRequestCodeNotSupported},
	{ResTransactionFailed, "TRANSACTION_FAILED", ErrTransactionFailed},
	{ResFlushDiskTimeout, "FLUSH_DISK_TIMEOUT", ErrFlushDiskTimeout},
	{ResSlaveNotAvailable, "SLAVE_NOT_AVAILABLE", ErrSlaveNotAvailable},
	{ResFlushSlaveTimeout, "FLUSH_SLAVE_TIMEOUT", ErrFlushSlaveTimeout},
	{ResMessageIllegal, "MESSAGE_ILLEGAL", ErrMessageIllegal},
	{ResServiceNotAvailable, "SERVICE_NOT_AVAILABLE", ErrServiceNotAvailable},
	{ResVersionNotSupported, "VERSION_NOT_SUPPORTED", ErrVersionNotSupported},
	{ResNoPermission, "NO_PERMISSION", ErrNoPermission},
	{ResTopicNotExist, "TOPIC_NOT_EXIST", ErrTopicNotExist},
	{ResTopicExistAlready, "TOPIC_EXIST_ALREADY", ErrTopicExistAlready},
	{ResPullNotFound, "PULL_NOT_FOUND", ErrPullNotFound},
	{ResPullRetryImmediately, "PULL_RETRY_IMMEDIATELY", ErrPullRetryImmediately},
	{ResPullOffsetMoved, "PULL_OFFSET_MOVED", ErrPullOffsetMoved},
	{ResQueryNotFound, "QUERY_NOT_FOUND", ErrQueryNotFound},
	{ResSubscriptionParseFailed, "SUBSCRIPTION_PARSE_FAILED", ErrSubscriptionParseFailed},
	{ResSubscriptionNotExist, "SUBSCRIPTION_NOT_EXIST", ErrSubscriptionNotExist},
	{ResSubscriptionNotLatest, "SUBSCRIPTION_NOT_LATEST", ErrSubscriptionNotLatest},
	{ResSubscriptionGroupNotExist, "SUBSCRIPTION_GROUP_NOT_EXIST", ErrSubscriptionGroupNotExist},
	{ResFilterDataNotExist, "FILTER_DATA_NOT_EXIST", ErrFilterDataNotExist},
	{ResFilterDataNotLatest, "FILTER_DATA_NOT_LATEST", ErrFilterDataNotLatest},
	{ResInvalidParameter, "INVALID_PARAMETER", ErrInvalidParameter},
	{ResTransactionShouldCommit, "TRANSACTION_SHOULD_COMMIT", ErrTransactionShouldCommit},
	{ResTransactionShouldRollback, "TRANSACTION_SHOULD_ROLLBACK", ErrTransactionShouldRollback},
	{ResTransactionStateUnknown, "TRANSACTION_STATE_UNKNOW", ErrTransactionStateUnknown},
	{ResTransactionStateGroupWrong, "TRANSACTION_STATE_GROUP_WRONG", ErrTransactionStateGroupWrong},
	{ResNoBuyerID, "NO_BUYER_ID", ErrNoBuyerID},
	{ResNotInCurrentUnit, "NOT_IN_CURRENT_UNIT", ErrNotInCurrentUnit},
	{ResConsumerNotOnline, "CONSUMER_NOT_ONLINE", ErrConsumerNotOnline},
	{ResConsumeMsgTimeout, "CONSUME_MSG_TIMEOUT", ErrConsumeMsgTimeout},
	{ResNoMessage, "NO_MESSAGE", ErrNoMessage},
	{ResPollingFull, "POLLING_FULL", ErrPollingFull},
	{ResPollingTimeout, "POLLING_TIMEOUT", ErrPollingTimeout},
	{ResBrokerNotExist, "BROKER_NOT_EXIST", ErrBrokerNotExist},
	{ResBrokerDispatchNotComplete, "BROKER_DISPATCH_NOT_COMPLETE", ErrBrokerDispatchNotComplete},
	{ResBroadcastConsumption, "BROADCAST_CONSUMPTION", ErrBroadcastConsumption},
	{ResFlowControl, "FLOW_CONTROL", ErrFlowControl},
	{ResNotLeaderForQueue, "NOT_LEADER_FOR_QUEUE", ErrNotLeaderForQueue},
	{ResIllegalOperation, "ILLEGAL_OPERATION", ErrIllegalOperation},
}

// responseByCode indexes responseCodes by code.
var responseByCode = func() map[int32]responseCode {
	m := make(map[int32]responseCode, len(responseCodes))
	for _, r := range responseCodes {
		m[r.code] = r
	}
	return m
}()

// codeError is the type of the response-code sentinels, and of the error
// ErrorForCode makes for a code outside the catalog.
type codeError struct {
	code int32
}

// Error names the code: "remoting: TOPIC_NOT_EXIST (17)".
func (e *codeError) Error() string {
	return "remoting: " + ResponseCodeName(e.code) + " (" + strconv.FormatInt(int64(e.code), 10) + ")"
}

// ResponseCodeName returns RocketMQ's name of a response code
// ("TOPIC_NOT_EXIST"), or "RESPONSE_CODE(n)" for a code the catalog lacks.
func ResponseCodeName(code int32) string {
	if r, ok := responseByCode[code]; ok {
		return r.name
	}
	return "RESPONSE_CODE(" + strconv.FormatInt(int64(code), 10) + ")"
}

// ErrorForCode returns the error a response with code and remark stands for:
// nil for SUCCESS, otherwise the code's sentinel wrapped with the remark
// (the sentinel itself when remark is empty). A code outside the catalog
// gets an error of its own that CodeOf still maps back to it.
func ErrorForCode(code int32, remark string) error {
	if code == ResSuccess {
		return nil
	}
	var err error
	if r, ok := responseByCode[code]; ok {
		err = r.err
	} else {
		err = &codeError{code}
	}
	if remark == "" {
		return err
	}
	return fmt.Errorf("%w: %s", err, remark)
}

// CodeOf returns the response code err stands for: the code of the sentinel
// (or the ErrorForCode error) it wraps. It returns ResSuccess and true for a
// nil err, and false when err carries no response code.
func CodeOf(err error) (int32, bool) {
	if err == nil {
		return ResSuccess, true
	}
	var ce *codeError
	if errors.As(err, &ce) {
		return ce.code, true
	}
	return 0, false
}
