package client

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/remoting"
)

// Message queries, as RocketMQ's MQAdminImpl runs them: by key
// (QUERY_MESSAGE to every broker of the topic's route), by the producer's
// message id (UNIQ_KEY, the same request with the _UNIQUE_KEY_QUERY flag)
// and by the broker's offset message id (VIEW_MESSAGE_BY_ID to the broker
// the id names). An answer's body is CommitLog records, read like a pull
// body (see the package doc); messages whose key does not match are
// dropped, since index entries of other keys may share a hash.

const (
	// MaxQueryNums bounds maxNum of a query by key: RocketMQ's brokers
	// answer at most maxMsgsNumBatch (64) messages per query.
	MaxQueryNums = 64
	// uniqKeyQueryNums is maxNum of a lookup by UNIQ_KEY (Java's admin
	// asks 32; the broker applies its own default anyway).
	uniqKeyQueryNums = 32
	// uniqKeyLookBack is how far back a lookup by UNIQ_KEY searches, as
	// Java's queryMessageByUniqKey: three days.
	uniqKeyLookBack = 3 * 24 * time.Hour
)

// ErrNoMessage: a query found no message.
var ErrNoMessage = errors.New("client: no message found")

// QueryResult is the answer to a query by key.
type QueryResult struct {
	// Messages are the matches: brokers in name order, each broker's
	// newest first.
	Messages []*MessageExt
	// IndexLastUpdateTimestampMs is the newest index update among the
	// brokers that answered (ms since the epoch): a message stored after
	// it may not be found yet.
	IndexLastUpdateTimestampMs int64
}

// QueryMessagesAsync asks every broker of topic's route (its master, or its
// lowest-numbered slave without one) for topic's messages with key among
// their KEYS, stored within [beginMs, endMs], at most maxNum per broker
// (1 to MaxQueryNums), and calls cb with them, never inside the call.
// Finding none is ErrNoMessage, with the brokers' failures joined to it.
func (a *Admin) QueryMessagesAsync(topic, key string, maxNum int, beginMs, endMs int64, cb func(*QueryResult, error)) {
	if maxNum < 1 || maxNum > MaxQueryNums {
		a.core.later(func() {
			cb(nil, fmt.Errorf("%w: maxNum %d is not within [1, %d]", ErrInvalidArgument, maxNum, MaxQueryNums))
		})
		return
	}
	a.query(topic, key, int32(maxNum), beginMs, endMs, false, cb)
}

// QueryMessages is QueryMessagesAsync that waits. It must not be used in
// the simulator or inside a callback.
func (a *Admin) QueryMessages(topic, key string, maxNum int, beginMs, endMs int64) (*QueryResult, error) {
	return wait(func(cb func(*QueryResult, error)) { a.QueryMessagesAsync(topic, key, maxNum, beginMs, endMs, cb) })
}

// MessageByUniqKeyAsync finds topic's message whose producer message id
// (UNIQ_KEY) is uniqKey, stored in the last three days, and calls cb with
// it, never inside the call. A message sent again (a retry) shares its id;
// the first found is answered. None is ErrNoMessage.
func (a *Admin) MessageByUniqKeyAsync(topic, uniqKey string, cb func(*MessageExt, error)) {
	begin := a.core.env.Clock.Now().Add(-uniqKeyLookBack).UnixMilli()
	a.query(topic, uniqKey, uniqKeyQueryNums, begin, math.MaxInt64, true, func(r *QueryResult, err error) {
		if err != nil {
			cb(nil, err)
			return
		}
		cb(r.Messages[0], nil)
	})
}

// MessageByUniqKey is MessageByUniqKeyAsync that waits. It must not be
// used in the simulator or inside a callback.
func (a *Admin) MessageByUniqKey(topic, uniqKey string) (*MessageExt, error) {
	return wait(func(cb func(*MessageExt, error)) { a.MessageByUniqKeyAsync(topic, uniqKey, cb) })
}

// ViewMessageAsync reads the message an offset message id names
// (MessageExt.OffsetMsgID, the send result's OffsetMsgID) from the broker
// whose address the id holds (VIEW_MESSAGE_BY_ID) and calls cb with it,
// never inside the call. No name server is needed.
func (a *Admin) ViewMessageAsync(offsetMsgID string, cb func(*MessageExt, error)) {
	host, physOffset, err := commitlog.ParseOffsetMsgID(offsetMsgID)
	if err == nil && (!host.IsValid() || host.Port() == 0) {
		err = fmt.Errorf("it names no broker address (%s)", host)
	}
	if err != nil {
		a.core.later(func() { cb(nil, fmt.Errorf("%w: offset message id %q: %w", ErrInvalidArgument, offsetMsgID, err)) })
		return
	}
	addr := host.String()
	ext := remoting.ViewMessageByIDRequestHeader{Offset: physOffset}.ToExtFields()
	brokerCall(a, addr, "view message "+offsetMsgID, remoting.ReqViewMessageByID, ext, nil, func(body []byte) (*MessageExt, error) {
		msgs, err := decodeQueryBody(body, "", false, viewInflateBytes)
		if err != nil {
			return nil, err
		}
		if len(msgs) != 1 || msgs[0].CommitLogOffset != physOffset {
			return nil, fmt.Errorf("want the one record at offset %d, got %d records", physOffset, len(msgs))
		}
		return msgs[0], nil
	}, cb)
}

// ViewMessage is ViewMessageAsync that waits. It must not be used in the
// simulator or inside a callback.
func (a *Admin) ViewMessage(offsetMsgID string) (*MessageExt, error) {
	return wait(func(cb func(*MessageExt, error)) { a.ViewMessageAsync(offsetMsgID, cb) })
}

// viewInflateBytes bounds the inflated body of a queried message: the
// Admin knows no producer's MaxMessageBytes, so the default's.
const viewInflateBytes = MaxInflateFactor * DefaultMaxMessageBytes

// query runs QUERY_MESSAGE against every broker of topic's route.
func (a *Admin) query(topic, key string, maxNum int32, beginMs, endMs int64, uniq bool, cb func(*QueryResult, error)) {
	if err := checkTopic(topic, ErrInvalidArgument); err != nil {
		a.core.later(func() { cb(nil, fmt.Errorf("client: query %s: %w", topic, err)) })
		return
	}
	if key == "" {
		a.core.later(func() { cb(nil, fmt.Errorf("client: query %s: %w: empty key", topic, ErrInvalidArgument)) })
		return
	}
	a.TopicRouteAsync(topic, func(route *remoting.TopicRouteData, err error) {
		if err != nil {
			cb(nil, fmt.Errorf("client: query %s by key %q: %w", topic, key, err))
			return
		}
		var addrs []string
		bds := slices.Clone(route.BrokerDatas)
		slices.SortFunc(bds, func(x, y remoting.BrokerData) int { return strings.Compare(x.BrokerName, y.BrokerName) })
		for _, bd := range bds {
			if addr, ok := pickAddr(bd.BrokerAddrs, true); ok {
				addrs = append(addrs, addr)
			}
		}
		ext := remoting.QueryMessageRequestHeader{Topic: topic, Key: key, MaxNum: maxNum,
			BeginTimestamp: beginMs, EndTimestamp: endMs}.ToExtFields()
		if uniq {
			ext[remoting.UniqueKeyQueryFlag] = "true"
		}
		var (
			mu    sync.Mutex
			found = make([][]*MessageExt, len(addrs))
			last  int64
		)
		all(len(addrs), func(i int, done func(error)) {
			a.queryBroker(addrs[i], topic, key, uniq, ext, func(msgs []*MessageExt, indexMs int64, err error) {
				mu.Lock()
				found[i] = msgs
				last = max(last, indexMs)
				mu.Unlock()
				done(err)
			})
		}, func(err error) {
			r := &QueryResult{Messages: slices.Concat(found...), IndexLastUpdateTimestampMs: last}
			if len(r.Messages) == 0 {
				cb(nil, errors.Join(fmt.Errorf("%w: topic %s, key %q", ErrNoMessage, topic, key), err))
				return
			}
			cb(r, nil)
		})
	})
}

// queryBroker sends one QUERY_MESSAGE and decodes its matches; a
// QUERY_NOT_FOUND answer is no match, not an error.
func (a *Admin) queryBroker(addr, topic, key string, uniq bool, ext map[string]string, cb func([]*MessageExt, int64, error)) {
	what := fmt.Sprintf("query %s by key %q", topic, key)
	a.core.invoke(addr, remoting.NewRequest(remoting.ReqQueryMessage, ext, nil), a.timeout, func(resp *remoting.Command, err error) {
		switch {
		case err != nil:
			cb(nil, 0, fmt.Errorf("client: %s at %s: %w", what, addr, err))
			return
		case resp.Code == remoting.ResQueryNotFound:
			cb(nil, 0, nil)
			return
		case resp.Code != remoting.ResSuccess:
			cb(nil, 0, fmt.Errorf("client: %s at %s: %w", what, addr, brokerError(resp)))
			return
		}
		h, err := remoting.DecodeQueryMessageResponseHeader(resp.ExtFields)
		if err != nil {
			cb(nil, 0, fmt.Errorf("%w: %s at %s: %w", ErrBadResponse, what, addr, err))
			return
		}
		msgs, err := decodeQueryBody(resp.Body, key, uniq, viewInflateBytes)
		if err != nil {
			cb(nil, 0, fmt.Errorf("%w: %s at %s: %w", ErrBadResponse, what, addr, err))
			return
		}
		kept := msgs[:0]
		for _, m := range msgs {
			if m.Topic == topic {
				kept = append(kept, m)
			}
		}
		cb(kept, h.IndexLastUpdateTimestamp, nil)
	})
}

// decodeQueryBody decodes a query answer's records, as a pull body (the
// transport's frame limit bounds it), and keeps those matching key: by
// UNIQ_KEY (MsgID) with uniq, else among KEYS. An empty key keeps every
// record.
func decodeQueryBody(body []byte, key string, uniq bool, maxInflateBytes int) ([]*MessageExt, error) {
	msgs, err := decodePullBody(body, maxInflateBytes, nil)
	if err != nil {
		return nil, err
	}
	if key == "" {
		return msgs, nil
	}
	kept := msgs[:0]
	for _, m := range msgs {
		if (uniq && m.MsgID == key) || (!uniq && slices.Contains(m.Keys, key)) {
			kept = append(kept, m)
		}
	}
	return kept, nil
}
