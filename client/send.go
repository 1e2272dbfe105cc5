package client

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/remoting"
)

// sendOp is one send in flight: a message or a batch, its attempts so far
// and the brokers that failed it. Only one callback at a time advances it.
type sendOp struct {
	p        *Producer
	msg      *Message // handed to the Selector; the first message of a batch
	code     int32    // remoting.ReqSendMessage or remoting.ReqSendBatchMessage
	header   remoting.SendMessageRequestHeader
	body     []byte
	msgID    string
	fixed    *MessageQueue // SendToQueue's queue: one attempt, no choice
	deadline time.Time
	entry    *routeEntry
	attempts int
	failed   []string // broker names that failed this send
	lastErr  error
	// inCaller is set while the call that started the send runs, so that
	// an outcome known at once still reaches cb off the caller's stack.
	inCaller atomic.Bool
	cb       func(SendResult, error)
}

// SendAsync sends msg and calls cb with the outcome (see the package doc
// for the retry rule). cb runs exactly once, never inside SendAsync.
func (p *Producer) SendAsync(msg *Message, cb func(SendResult, error)) {
	p.startSend(p.newSendOp(msg, nil, cb))
}

// Send is SendAsync that waits for the outcome. It must not be used in the
// simulator or inside a callback (see the package doc).
func (p *Producer) Send(msg *Message) (SendResult, error) {
	return wait(func(cb func(SendResult, error)) { p.SendAsync(msg, cb) })
}

// SendToQueueAsync sends msg to the queue mq, as ordered sending needs,
// in one attempt, and calls cb with the outcome, never inside the call.
// mq.Topic must be msg.Topic.
func (p *Producer) SendToQueueAsync(msg *Message, mq MessageQueue, cb func(SendResult, error)) {
	p.startSend(p.newSendOp(msg, &mq, cb))
}

// SendToQueue is SendToQueueAsync that waits for the outcome. It must not
// be used in the simulator or inside a callback.
func (p *Producer) SendToQueue(msg *Message, mq MessageQueue) (SendResult, error) {
	return wait(func(cb func(SendResult, error)) { p.SendToQueueAsync(msg, mq, cb) })
}

// SendOneway sends msg without waiting for the broker's answer, on one
// queue, with no retry. It returns the errors known at once: a message
// that fails the checks, a client not started or closed, and, when the
// topic's route is cached, a connection known to be closed. Otherwise the
// route is looked up first and a failure after that is only logged.
func (p *Producer) SendOneway(msg *Message) error {
	if err := p.core.usable(); err != nil {
		return err
	}
	op := p.newSendOp(msg, nil, nil)
	if op.body == nil {
		return op.lastErr
	}
	send := func(e *routeEntry) error {
		op.entry = e
		mq, err := op.pick()
		if err != nil {
			return err
		}
		addr, ok := p.core.brokerAddr(mq.BrokerName, false)
		if !ok {
			return fmt.Errorf("%w: %s has no master", ErrBrokerNotFound, mq.BrokerName)
		}
		return p.core.rc.InvokeOneway(addr, op.request(mq))
	}
	if e := p.core.cachedRoute(op.header.Topic, true); e != nil {
		return send(e)
	}
	p.core.route(op.header.Topic, true, func(e *routeEntry, err error) {
		if err == nil {
			err = send(e)
		}
		if err != nil {
			p.core.log.Warn("client: oneway send lost", slog.String("topic", op.header.Topic), slog.Any("err", err))
		}
	})
	return nil
}

// newSendOp checks and encodes msg into a send. A message that fails the
// checks yields an op whose body is nil and whose lastErr says why.
func (p *Producer) newSendOp(msg *Message, fixed *MessageQueue, cb func(SendResult, error)) *sendOp {
	op := &sendOp{p: p, msg: msg, code: remoting.ReqSendMessage, fixed: fixed, cb: cb}
	if err := p.checkMessage(msg); err != nil {
		op.err(err)
		return op
	}
	if fixed != nil && fixed.Topic != msg.Topic {
		op.err(fmt.Errorf("%w: queue of topic %s for a message to %s", ErrInvalidArgument, fixed.Topic, msg.Topic))
		return op
	}
	props, id, err := p.encodeProperties(msg)
	if err != nil {
		op.err(err)
		return op
	}
	var sysFlag int32
	body := msg.Body
	if p.compressOverBytes > 0 && len(body) >= p.compressOverBytes {
		body = compress(body)
		sysFlag |= commitlog.SysFlagCompressed
	}
	op.body, op.msgID = body, id
	op.header = p.sendHeader(msg.Topic, sysFlag, msg.Flag, string(props), false)
	return op
}

// sendHeader is the header of a send to topic, queue and broker to be
// filled per attempt.
func (p *Producer) sendHeader(topic string, sysFlag, flag int32, props string, batch bool) remoting.SendMessageRequestHeader {
	return remoting.SendMessageRequestHeader{
		ProducerGroup:         p.group,
		Topic:                 topic,
		DefaultTopic:          DefaultTopic,
		DefaultTopicQueueNums: DefaultTopicQueueNums,
		SysFlag:               sysFlag,
		BornTimestamp:         p.core.env.Clock.Now().UnixMilli(),
		Flag:                  flag,
		Properties:            props,
		MaxReconsumeTimes:     remoting.MaxReconsumeTimesUnset,
		Batch:                 batch,
	}
}

// err records a failure found while building the op: startSend reports it.
func (op *sendOp) err(err error) {
	op.lastErr = err
	op.body = nil
}

// startSend runs the first step of op: its route, then its first attempt.
func (p *Producer) startSend(op *sendOp) {
	op.inCaller.Store(true)
	defer op.inCaller.Store(false)
	if op.body == nil {
		op.finish(SendResult{}, op.lastErr)
		return
	}
	if err := p.core.usable(); err != nil {
		op.finish(SendResult{}, err)
		return
	}
	op.deadline = p.core.env.Clock.Now().Add(p.sendTimeout)
	if e := p.core.cachedRoute(op.header.Topic, true); e != nil {
		op.entry = e
		op.attempt()
		return
	}
	p.core.route(op.header.Topic, true, func(e *routeEntry, err error) {
		if err != nil {
			op.finish(SendResult{}, fmt.Errorf("client: send to topic %s: %w", op.header.Topic, err))
			return
		}
		op.entry = e
		op.attempt()
	})
}

// finish reports the outcome, off the caller's stack when the call that
// started the send is still running.
func (op *sendOp) finish(r SendResult, err error) {
	if op.inCaller.Load() {
		op.p.core.later(func() { op.cb(r, err) })
		return
	}
	op.cb(r, err)
}

// attempt sends op to the next queue. It touches op only before invoking:
// the answer may be handled at once on another goroutine.
func (op *sendOp) attempt() {
	op.attempts++
	mq, err := op.pick()
	if err != nil {
		op.finish(SendResult{}, err)
		return
	}
	addr, ok := op.p.core.brokerAddr(mq.BrokerName, false)
	if !ok {
		op.retry(mq.BrokerName, fmt.Errorf("client: send to %v: %w: %s has no master", mq, ErrBrokerNotFound, mq.BrokerName))
		return
	}
	remaining := op.deadline.Sub(op.p.core.env.Clock.Now())
	if remaining <= 0 {
		op.finish(SendResult{}, op.timedOut())
		return
	}
	op.p.core.invoke(addr, op.request(mq), remaining, func(resp *remoting.Command, err error) {
		op.onResponse(mq, addr, resp, err)
	})
}

// request builds the command of one attempt to mq.
func (op *sendOp) request(mq MessageQueue) *remoting.Command {
	h := op.header
	h.QueueID, h.BrokerName = mq.QueueID, mq.BrokerName
	if op.code == remoting.ReqSendBatchMessage {
		return remoting.NewRequest(op.code, h.ToExtFieldsV2(), op.body)
	}
	return remoting.NewRequest(op.code, h.ToExtFields(), op.body)
}

// timedOut is the error of a send whose time ran out before an attempt:
// the last attempt's error when there was one.
func (op *sendOp) timedOut() error {
	if op.lastErr != nil {
		return fmt.Errorf("client: send to topic %s: no time left after %d attempts: %w", op.header.Topic, op.attempts-1, op.lastErr)
	}
	return fmt.Errorf("client: send to topic %s: %w: no time left for a first attempt within %v", op.header.Topic, remoting.ErrTimeout, op.p.sendTimeout)
}

// pick chooses the queue of the next attempt.
func (op *sendOp) pick() (MessageQueue, error) {
	if op.fixed != nil {
		return *op.fixed, nil
	}
	qs := op.entry.publish
	if len(op.failed) > 0 {
		var left []MessageQueue
		for _, q := range qs {
			if !slices.Contains(op.failed, q.BrokerName) {
				left = append(left, q)
			}
		}
		if len(left) > 0 {
			qs = left
		}
	}
	if op.p.selector != nil {
		mq := op.p.selector(qs, op.msg)
		if !slices.Contains(qs, mq) {
			return MessageQueue{}, fmt.Errorf("%w: the selector chose %v, not one of the %d queues offered", ErrInvalidArgument, mq, len(qs))
		}
		return mq, nil
	}
	return qs[int(op.entry.next.Add(1)%uint32(len(qs)))], nil
}

// attemptName names the attempt to mq at addr in an error.
func attemptName(mq MessageQueue, addr string) string {
	return fmt.Sprintf("client: send to %s queue %d of %s at %s", mq.Topic, mq.QueueID, mq.BrokerName, addr)
}

// onResponse handles the answer of the attempt to mq at addr. The answer of
// a successful send is the hot path: it formats nothing.
func (op *sendOp) onResponse(mq MessageQueue, addr string, resp *remoting.Command, err error) {
	if err != nil {
		err = fmt.Errorf("%s: %w", attemptName(mq, addr), err)
		if errors.Is(err, ErrClosed) {
			op.finish(SendResult{}, err)
			return
		}
		op.retry(mq.BrokerName, err)
		return
	}
	var status SendStatus
	switch resp.Code {
	case remoting.ResSuccess:
		status = SendOK
	case remoting.ResFlushDiskTimeout:
		status = SendFlushDiskTimeout
	case remoting.ResFlushSlaveTimeout:
		status = SendFlushSlaveTimeout
	case remoting.ResSlaveNotAvailable:
		status = SendSlaveNotAvailable
	case remoting.ResSystemError, remoting.ResServiceNotAvailable, remoting.ResNoPermission, remoting.ResTopicNotExist:
		op.retry(mq.BrokerName, fmt.Errorf("%s: %w", attemptName(mq, addr), brokerError(resp)))
		return
	default:
		op.finish(SendResult{}, fmt.Errorf("%s: %w", attemptName(mq, addr), brokerError(resp)))
		return
	}
	h, err := remoting.DecodeSendMessageResponseHeader(resp.ExtFields)
	if err != nil {
		op.finish(SendResult{}, fmt.Errorf("%w: %s: %w", ErrBadResponse, attemptName(mq, addr), err))
		return
	}
	op.finish(SendResult{
		Status:        status,
		MsgID:         op.msgID,
		OffsetMsgID:   h.MsgID,
		Queue:         MessageQueue{Topic: mq.Topic, BrokerName: mq.BrokerName, QueueID: h.QueueID},
		QueueOffset:   h.QueueOffset,
		TransactionID: h.TransactionID,
	}, nil)
}

// retry records that broker failed the send with err and makes the next
// attempt, or reports err when no attempt is left.
func (op *sendOp) retry(broker string, err error) {
	op.lastErr = err
	if !slices.Contains(op.failed, broker) {
		op.failed = append(op.failed, broker)
	}
	if op.fixed != nil || op.attempts >= op.p.maxAttempts {
		op.finish(SendResult{}, err)
		return
	}
	op.p.core.log.Debug("client: send attempt failed, retrying", slog.Int("attempt", op.attempts), slog.Any("err", err))
	op.attempt()
}
