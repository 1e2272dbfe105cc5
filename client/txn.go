package client

import (
	"cmp"
	"errors"
	"fmt"
	"maps"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/remoting"
)

// TransactionState is the outcome of a local transaction, as a producer
// reports it to the broker in END_TRANSACTION (spec/store.md §8).
type TransactionState int32

// The states, with RocketMQ's wire values.
const (
	// TransactionUnknown leaves the half message to the broker's check.
	TransactionUnknown = TransactionState(remoting.TransactionNotType)
	// TransactionCommit makes the half message visible to consumers.
	TransactionCommit = TransactionState(remoting.TransactionCommitType)
	// TransactionRollback discards the half message.
	TransactionRollback = TransactionState(remoting.TransactionRollbackType)
)

// String names the state as RocketMQ does.
func (s TransactionState) String() string {
	switch s {
	case TransactionUnknown:
		return "UNKNOW"
	case TransactionCommit:
		return "COMMIT_MESSAGE"
	case TransactionRollback:
		return "ROLLBACK_MESSAGE"
	}
	return fmt.Sprintf("TransactionState(%d)", int32(s))
}

// TransactionChecker answers a broker's CHECK_TRANSACTION_STATE for a half
// message whose end the broker has not seen: the producer's application
// looks up its local transaction. It runs on a delivery callback of the
// transport and must not block.
type TransactionChecker func(half *MessageExt) TransactionState

// SendHalfAsync sends msg as the half message of a transaction: stored by
// the broker in RMQ_SYS_TRANS_HALF_TOPIC, invisible to consumers until
// EndTransactionAsync commits it (or a check does). It retries as SendAsync
// does. A DELAY property is dropped, as RocketMQ's clients drop it; the
// delay applies to nothing but the committed message. cb runs once, never
// inside the call.
func (p *Producer) SendHalfAsync(msg *Message, cb func(SendResult, error)) {
	p.startSend(p.newHalfOp(msg, nil, cb))
}

// SendHalfToQueueAsync is SendHalfAsync to the queue mq, in one attempt,
// as SendToQueueAsync sends: the committed message goes to mq.
func (p *Producer) SendHalfToQueueAsync(msg *Message, mq MessageQueue, cb func(SendResult, error)) {
	p.startSend(p.newHalfOp(msg, &mq, cb))
}

// newHalfOp builds the send of msg as a half message.
func (p *Producer) newHalfOp(msg *Message, fixed *MessageQueue, cb func(SendResult, error)) *sendOp {
	if msg == nil {
		return p.newSendOp(nil, fixed, cb) // fails the message checks
	}
	half := *msg
	half.Properties = maps.Clone(msg.Properties)
	if half.Properties == nil {
		half.Properties = map[string]string{}
	}
	delete(half.Properties, commitlog.PropertyDelayLevel)
	half.Properties[commitlog.PropertyTransactionPrepared] = "true"
	half.Properties[commitlog.PropertyProducerGroup] = p.group
	op := p.newSendOp(&half, fixed, cb)
	if op.body != nil {
		op.header.SysFlag |= commitlog.SysFlagTransactionPrepared
	}
	return op
}

// SendHalf is SendHalfAsync that waits. Not for the simulator or callbacks.
func (p *Producer) SendHalf(msg *Message) (SendResult, error) {
	return wait(func(cb func(SendResult, error)) { p.SendHalfAsync(msg, cb) })
}

// EndTransactionAsync reports the outcome of the local transaction of the
// half message half (SendHalfAsync's result) to the broker that stored it,
// and calls cb with the broker's answer. RocketMQ's clients send this
// request oneway and never learn whether it arrived; the broker checks
// back (SetTransactionChecker) when it did not. Apogee's client waits for
// the answer, so that a caller can tell. cb runs once, never inside the
// call.
func (p *Producer) EndTransactionAsync(half SendResult, state TransactionState, cb func(error)) {
	h, addr, err := p.endHeader(half, state)
	if err != nil {
		p.core.later(func() { cb(err) })
		return
	}
	req := remoting.NewRequest(remoting.ReqEndTransaction, h.ToExtFields(), nil)
	p.core.invoke(addr, req, p.sendTimeout, func(resp *remoting.Command, err error) {
		switch {
		case err != nil:
			cb(fmt.Errorf("client: end transaction %s at %s: %w", half.MsgID, addr, err))
		case resp.Code != remoting.ResSuccess:
			cb(brokerError(resp))
		default:
			cb(nil)
		}
	})
}

// EndTransaction is EndTransactionAsync that waits. Not for the simulator
// or callbacks.
func (p *Producer) EndTransaction(half SendResult, state TransactionState) error {
	_, err := wait(func(cb func(struct{}, error)) {
		p.EndTransactionAsync(half, state, func(err error) { cb(struct{}{}, err) })
	})
	return err
}

// endHeader builds the END_TRANSACTION header for half and finds the
// broker that stored it.
func (p *Producer) endHeader(half SendResult, state TransactionState) (remoting.EndTransactionRequestHeader, string, error) {
	var h remoting.EndTransactionRequestHeader
	if err := p.core.usable(); err != nil {
		return h, "", err
	}
	switch state {
	case TransactionUnknown, TransactionCommit, TransactionRollback:
	default:
		return h, "", fmt.Errorf("%w: transaction state %d", ErrInvalidArgument, int32(state))
	}
	_, physOffset, err := commitlog.ParseOffsetMsgID(half.OffsetMsgID)
	if err != nil {
		return h, "", fmt.Errorf("%w: the half message's offset id %q: %w", ErrInvalidArgument, half.OffsetMsgID, err)
	}
	addr, ok := p.core.brokerAddr(half.Queue.BrokerName, false)
	if !ok {
		return h, "", fmt.Errorf("client: end transaction %s: %w: %s has no master", half.MsgID, ErrBrokerNotFound, half.Queue.BrokerName)
	}
	h = remoting.EndTransactionRequestHeader{
		ProducerGroup:        p.group,
		TranStateTableOffset: half.QueueOffset,
		CommitLogOffset:      physOffset,
		CommitOrRollback:     int32(state),
		MsgID:                half.MsgID,
		TransactionID:        cmp.Or(half.TransactionID, half.MsgID),
		BrokerName:           half.Queue.BrokerName,
	}
	return h, addr, nil
}

// SetTransactionChecker makes the producer answer the brokers'
// CHECK_TRANSACTION_STATE requests with check's verdict, sent back as a
// oneway END_TRANSACTION marked fromTransactionCheck, as RocketMQ's
// clients do; TransactionUnknown sends nothing, so the broker asks again
// later. A check whose message cannot be decoded is logged and left to the
// next check. Call it before Start.
//
// A broker can only check with a producer of the group that heartbeat to
// it, so a producer with a checker looks up the default topic's route
// (TBW102) at Start, as RocketMQ's producers do, and so heartbeats every
// broker that may hold its half messages even before it sends again after
// a restart.
func (p *Producer) SetTransactionChecker(check TransactionChecker) {
	p.transactional.Store(true)
	p.core.rc.Handle(remoting.ReqCheckTransactionState, func(addr string, req *remoting.Command) *remoting.Command {
		h, msg, err := decodeCheck(req, MaxInflateFactor*p.maxMessageBytes)
		if err != nil {
			p.core.log.Warn("client: undecodable transaction check", "broker", addr, "err", err)
			return nil
		}
		state := check(msg)
		if state == TransactionUnknown {
			return nil
		}
		end := remoting.EndTransactionRequestHeader{
			ProducerGroup:        p.group,
			TranStateTableOffset: h.TranStateTableOffset,
			CommitLogOffset:      h.CommitLogOffset,
			CommitOrRollback:     int32(state),
			FromTransactionCheck: true,
			MsgID:                msg.MsgID,
			TransactionID:        cmp.Or(h.TransactionID, msg.Properties[commitlog.PropertyTransactionID], msg.MsgID),
		}
		if err := p.core.rc.InvokeOneway(addr, remoting.NewRequest(remoting.ReqEndTransaction, end.ToExtFields(), nil)); err != nil {
			p.core.log.Warn("client: answering a transaction check", "broker", addr, "msgId", msg.MsgID, "err", err)
		}
		return nil
	})
}

// decodeCheck reads a CHECK_TRANSACTION_STATE request: its header and the
// half message record in its body.
func decodeCheck(req *remoting.Command, maxInflateBytes int) (remoting.CheckTransactionStateRequestHeader, *MessageExt, error) {
	h, err := remoting.DecodeCheckTransactionStateRequestHeader(req.ExtFields)
	if err != nil {
		return h, nil, err
	}
	rec, err := commitlog.Decode(req.Body, true)
	if err != nil {
		return h, nil, fmt.Errorf("%w: the checked message: %w", ErrBadPullBody, err)
	}
	if int(rec.TotalSize) != len(req.Body) {
		return h, nil, fmt.Errorf("%w: %d bytes after the checked message", ErrBadPullBody, len(req.Body)-int(rec.TotalSize))
	}
	m, _, err := messageOf(&rec, string(rec.Topic), maxInflateBytes, nil)
	if err != nil {
		return h, nil, err
	}
	if m.Properties[commitlog.PropertyTransactionPrepared] != "true" {
		return h, nil, errors.New("client: the checked message is not a half message")
	}
	return h, &m, nil
}

// trackDefaultRoute caches the default topic's route, so that its brokers
// are heartbeaten and the route is refreshed with the others; a failed
// lookup is retried every heartbeat period until the producer closes.
func (p *Producer) trackDefaultRoute() {
	p.core.route(DefaultTopic, true, func(_ *routeEntry, err error) {
		if err == nil || p.core.usable() != nil {
			return
		}
		p.core.log.Debug("client: looking up the default topic's route for transaction checks", "err", err)
		p.core.env.Clock.AfterFunc(p.core.cfg.heartbeatInterval, p.trackDefaultRoute)
	})
}
