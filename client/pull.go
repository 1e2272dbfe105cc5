package client

import (
	"fmt"

	"github.com/apogeemq/apogee/remoting"
)

// PullAsync reads up to maxNums messages of mq from offset on, filtered
// by the TAG expression ("*" or "" for everything), and calls cb with the
// answer, never inside the call. The request carries the expression
// (PullFlagSubscription) and, when SuspendTimeout is set, lets the broker
// hold it (PullFlagSuspend); it commits no offset.
func (c *PullConsumer) PullAsync(mq MessageQueue, offset int64, maxNums int32, expression string, cb func(PullResult, error)) {
	fail := func(err error) { c.core.later(func() { cb(PullResult{}, err) }) }
	if err := checkTopic(mq.Topic, ErrInvalidArgument); err != nil {
		fail(err)
		return
	}
	if offset < 0 {
		fail(fmt.Errorf("%w: pull offset %d is negative", ErrInvalidArgument, offset))
		return
	}
	if maxNums < 1 || maxNums > MaxPullNums {
		fail(fmt.Errorf("%w: pull maxNums %d outside [1, %d]", ErrInvalidArgument, maxNums, MaxPullNums))
		return
	}
	sub, err := parseExpression(expression)
	if err != nil {
		fail(err)
		return
	}
	sysFlag := remoting.PullFlagSubscription
	if c.suspend > 0 {
		sysFlag |= remoting.PullFlagSuspend
	}
	h := remoting.PullMessageRequestHeader{
		ConsumerGroup:        c.group,
		Topic:                mq.Topic,
		QueueID:              mq.QueueID,
		QueueOffset:          offset,
		MaxMsgNums:           maxNums,
		SysFlag:              sysFlag,
		SuspendTimeoutMillis: c.suspend.Milliseconds(),
		Subscription:         sub.expr,
		SubVersion:           c.subVersion(mq.Topic),
		ExpressionType:       remoting.ExpressionTypeTag,
		BrokerName:           mq.BrokerName,
	}
	c.queueRequest(mq, "pull", remoting.ReqPullMessage, h.ToExtFields(), c.pullTimeout, func(resp *remoting.Command, err error) {
		if err != nil {
			cb(PullResult{}, err)
			return
		}
		r, err := c.pullResult(resp, &sub)
		if err != nil {
			err = fmt.Errorf("client: pull of %s queue %d of %s at offset %d: %w", mq.Topic, mq.QueueID, mq.BrokerName, offset, err)
		}
		cb(r, err)
	})
}

// Pull is PullAsync that waits for the answer. It must not be used in the
// simulator or inside a callback.
func (c *PullConsumer) Pull(mq MessageQueue, offset int64, maxNums int32, expression string) (PullResult, error) {
	return wait(func(cb func(PullResult, error)) { c.PullAsync(mq, offset, maxNums, expression, cb) })
}

// pullResult maps a pull answer to its result (spec §5.3).
func (c *PullConsumer) pullResult(resp *remoting.Command, sub *subscription) (PullResult, error) {
	var status PullStatus
	switch resp.Code {
	case remoting.ResSuccess:
		status = PullFound
	case remoting.ResPullNotFound:
		status = PullNoNewMsg
	case remoting.ResPullRetryImmediately:
		status = PullNoMatchedMsg
	case remoting.ResPullOffsetMoved:
		status = PullOffsetIllegal
	default:
		return PullResult{}, brokerError(resp)
	}
	h, err := remoting.DecodePullMessageResponseHeader(resp.ExtFields)
	if err != nil {
		return PullResult{}, fmt.Errorf("%w: %w", ErrBadResponse, err)
	}
	r := PullResult{Status: status, NextBeginOffset: h.NextBeginOffset, MinOffset: h.MinOffset, MaxOffset: h.MaxOffset}
	if status == PullFound {
		if r.Messages, err = decodePullBody(resp.Body, c.maxInflateBytes, sub); err != nil {
			return PullResult{}, err
		}
	}
	return r, nil
}
