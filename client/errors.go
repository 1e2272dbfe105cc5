package client

import (
	"errors"
	"fmt"

	"github.com/apogeemq/apogee/remoting"
)

// Errors of the client. Returned errors wrap them with context; match them
// with errors.Is.
var (
	// ErrNotStarted: the client was used before Start.
	ErrNotStarted = errors.New("client: not started")
	// ErrClosed: the client was closed.
	ErrClosed = errors.New("client: closed")
	// ErrAlreadyStarted: Start was called twice.
	ErrAlreadyStarted = errors.New("client: already started")
	// ErrInvalidConfig: a configuration value is out of range.
	ErrInvalidConfig = errors.New("client: invalid config")
	// ErrNoNameServer: the operation needs a name server and none is
	// configured.
	ErrNoNameServer = errors.New("client: no name server configured")
	// ErrNoRoute: neither the topic nor TBW102 has a route with a queue the
	// operation can use.
	ErrNoRoute = errors.New("client: no route for the topic")
	// ErrBrokerNotFound: no route known to the client names an address for
	// the broker.
	ErrBrokerNotFound = errors.New("client: broker address not found")
	// ErrInvalidMessage: a message breaks a rule checked before sending
	// (topic name, empty body, property syntax, mixed batch).
	ErrInvalidMessage = errors.New("client: invalid message")
	// ErrMessageTooLarge: a body, a batch or the properties exceed their
	// bound.
	ErrMessageTooLarge = errors.New("client: message too large")
	// ErrInvalidArgument: an argument other than a message is out of range.
	ErrInvalidArgument = errors.New("client: invalid argument")
	// ErrBadResponse: a server's answer lacks a field or holds one that
	// does not parse.
	ErrBadResponse = errors.New("client: malformed response")
	// ErrBadPullBody: a pull answer's body is not a sequence of valid
	// records, or a compressed body does not inflate within its bound.
	ErrBadPullBody = errors.New("client: malformed pull body")
	// ErrTooManyWaiters: MaxRouteWaiters calls already wait for the route
	// of the topic.
	ErrTooManyWaiters = errors.New("client: too many calls waiting for a route")
)

// BrokerError is a server's refusal: the response code and remark of an
// answer that is neither a success nor one of the codes the operation
// treats as an outcome (FLUSH_DISK_TIMEOUT for a send, PULL_NOT_FOUND for a
// pull, ...). Name server refusals are reported the same way. Match it
// with errors.As; errors.Is also matches the response code's sentinel in
// package remoting (remoting.ErrMessageIllegal, ...).
type BrokerError struct {
	// Code is the response code (remoting.Res*).
	Code int32
	// Remark is the server's explanation, possibly empty.
	Remark string
}

// Error names the code and carries the remark.
func (e *BrokerError) Error() string {
	if e.Remark == "" {
		return fmt.Sprintf("client: server answered %s (%d)", remoting.ResponseCodeName(e.Code), e.Code)
	}
	return fmt.Sprintf("client: server answered %s (%d): %s", remoting.ResponseCodeName(e.Code), e.Code, e.Remark)
}

// Unwrap returns the sentinel of the code in package remoting.
func (e *BrokerError) Unwrap() error { return remoting.ErrorForCode(e.Code, "") }

// brokerError returns the *BrokerError of a response. resp.Code must not be
// SUCCESS: a success is no error.
func brokerError(resp *remoting.Command) *BrokerError {
	if resp.Code == remoting.ResSuccess {
		panic("client: brokerError of a successful response")
	}
	return &BrokerError{Code: resp.Code, Remark: resp.Remark}
}
