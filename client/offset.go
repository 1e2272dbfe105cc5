package client

import (
	"fmt"
	"time"

	"github.com/apogeemq/apogee/remoting"
)

// CommitOffsetAsync stores offset, the next offset to consume, as the
// group's progress on mq (UPDATE_CONSUMER_OFFSET) and calls cb with the
// broker's answer, never inside the call. The official clients send it
// without waiting; brokers answer it all the same.
func (c *PullConsumer) CommitOffsetAsync(mq MessageQueue, offset int64, cb func(error)) {
	if offset < 0 {
		c.core.later(func() { cb(fmt.Errorf("%w: commit offset %d is negative", ErrInvalidArgument, offset)) })
		return
	}
	h := remoting.UpdateConsumerOffsetRequestHeader{
		ConsumerGroup: c.group, Topic: mq.Topic, QueueID: mq.QueueID, CommitOffset: offset, BrokerName: mq.BrokerName,
	}
	c.queueRequest(mq, "commit offset", remoting.ReqUpdateConsumerOffset, h.ToExtFields(), c.core.cfg.requestTimeout,
		func(resp *remoting.Command, err error) {
			if err == nil && resp.Code != remoting.ResSuccess {
				err = fmt.Errorf("client: commit offset of %s queue %d: %w", mq.Topic, mq.QueueID, brokerError(resp))
			}
			cb(err)
		})
}

// CommitOffset is CommitOffsetAsync that waits for the broker's answer. It
// must not be used in the simulator or inside a callback.
func (c *PullConsumer) CommitOffset(mq MessageQueue, offset int64) error {
	return waitErr(func(cb func(error)) { c.CommitOffsetAsync(mq, offset, cb) })
}

// QueryOffsetAsync reads the group's committed offset of mq
// (QUERY_CONSUMER_OFFSET) and calls cb with it, never inside the call;
// found is false, with offset 0, when the broker has none
// (QUERY_NOT_FOUND).
func (c *PullConsumer) QueryOffsetAsync(mq MessageQueue, cb func(offset int64, found bool, err error)) {
	h := remoting.QueryConsumerOffsetRequestHeader{ConsumerGroup: c.group, Topic: mq.Topic, QueueID: mq.QueueID, BrokerName: mq.BrokerName}
	c.queueRequest(mq, "query offset", remoting.ReqQueryConsumerOffset, h.ToExtFields(), c.core.cfg.requestTimeout,
		func(resp *remoting.Command, err error) {
			switch {
			case err != nil:
				cb(0, false, err)
			case resp.Code == remoting.ResQueryNotFound:
				cb(0, false, nil)
			case resp.Code != remoting.ResSuccess:
				cb(0, false, fmt.Errorf("client: query offset of %s queue %d: %w", mq.Topic, mq.QueueID, brokerError(resp)))
			default:
				r, err := remoting.DecodeQueryConsumerOffsetResponseHeader(resp.ExtFields)
				if err != nil {
					cb(0, false, fmt.Errorf("%w: query offset of %s queue %d: %w", ErrBadResponse, mq.Topic, mq.QueueID, err))
					return
				}
				cb(r.Offset, true, nil)
			}
		})
}

// QueryOffset is QueryOffsetAsync that waits. It must not be used in the
// simulator or inside a callback.
func (c *PullConsumer) QueryOffset(mq MessageQueue) (offset int64, found bool, err error) {
	type result struct {
		offset int64
		found  bool
	}
	r, err := wait(func(cb func(result, error)) {
		c.QueryOffsetAsync(mq, func(offset int64, found bool, err error) { cb(result{offset, found}, err) })
	})
	return r.offset, r.found, err
}

// offsetCall sends a request whose answer carries one "offset" field,
// decoded by decode, and calls cb with it.
func (c *PullConsumer) offsetCall(mq MessageQueue, what string, code int32, ext map[string]string,
	decode func(map[string]string) (int64, error), cb func(int64, error)) {
	c.queueRequest(mq, what, code, ext, c.core.cfg.requestTimeout, func(resp *remoting.Command, err error) {
		switch {
		case err != nil:
			cb(0, err)
		case resp.Code != remoting.ResSuccess:
			cb(0, fmt.Errorf("client: %s of %s queue %d: %w", what, mq.Topic, mq.QueueID, brokerError(resp)))
		default:
			offset, err := decode(resp.ExtFields)
			if err != nil {
				err = fmt.Errorf("%w: %s of %s queue %d: %w", ErrBadResponse, what, mq.Topic, mq.QueueID, err)
			}
			cb(offset, err)
		}
	})
}

// MaxOffsetAsync reads the offset the next message of mq will get
// (GET_MAX_OFFSET) and calls cb with it, never inside the call.
func (c *PullConsumer) MaxOffsetAsync(mq MessageQueue, cb func(int64, error)) {
	h := remoting.GetMaxOffsetRequestHeader{Topic: mq.Topic, QueueID: mq.QueueID, BrokerName: mq.BrokerName}
	c.offsetCall(mq, "max offset", remoting.ReqGetMaxOffset, h.ToExtFields(), func(ext map[string]string) (int64, error) {
		r, err := remoting.DecodeGetMaxOffsetResponseHeader(ext)
		return r.Offset, err
	}, cb)
}

// MaxOffset is MaxOffsetAsync that waits. It must not be used in the
// simulator or inside a callback.
func (c *PullConsumer) MaxOffset(mq MessageQueue) (int64, error) {
	return wait(func(cb func(int64, error)) { c.MaxOffsetAsync(mq, cb) })
}

// MinOffsetAsync reads the smallest offset still in mq (GET_MIN_OFFSET)
// and calls cb with it, never inside the call.
func (c *PullConsumer) MinOffsetAsync(mq MessageQueue, cb func(int64, error)) {
	h := remoting.GetMinOffsetRequestHeader{Topic: mq.Topic, QueueID: mq.QueueID, BrokerName: mq.BrokerName}
	c.offsetCall(mq, "min offset", remoting.ReqGetMinOffset, h.ToExtFields(), func(ext map[string]string) (int64, error) {
		r, err := remoting.DecodeGetMinOffsetResponseHeader(ext)
		return r.Offset, err
	}, cb)
}

// MinOffset is MinOffsetAsync that waits. It must not be used in the
// simulator or inside a callback.
func (c *PullConsumer) MinOffset(mq MessageQueue) (int64, error) {
	return wait(func(cb func(int64, error)) { c.MinOffsetAsync(mq, cb) })
}

// SearchOffsetAsync finds the offset of the first message of mq stored at
// or after t (SEARCH_OFFSET_BY_TIMESTAMP, millisecond precision) and calls
// cb with it, never inside the call.
func (c *PullConsumer) SearchOffsetAsync(mq MessageQueue, t time.Time, cb func(int64, error)) {
	h := remoting.SearchOffsetRequestHeader{Topic: mq.Topic, QueueID: mq.QueueID, Timestamp: t.UnixMilli(), BrokerName: mq.BrokerName}
	c.offsetCall(mq, "search offset", remoting.ReqSearchOffsetByTimestamp, h.ToExtFields(), func(ext map[string]string) (int64, error) {
		r, err := remoting.DecodeSearchOffsetResponseHeader(ext)
		return r.Offset, err
	}, cb)
}

// SearchOffset is SearchOffsetAsync that waits. It must not be used in the
// simulator or inside a callback.
func (c *PullConsumer) SearchOffset(mq MessageQueue, t time.Time) (int64, error) {
	return wait(func(cb func(int64, error)) { c.SearchOffsetAsync(mq, t, cb) })
}
