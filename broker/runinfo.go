package broker

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sort"
	"strconv"
	"time"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/remoting"
)

// Requests the broker forwards to one client of a consumer group
// (RocketMQ's AdminBrokerProcessor.callConsumer): an operator asks the
// broker, the broker asks the client over the client's own connection and
// relays the client's answer — code, remark, extFields and body — as its
// own. A client that is not connected is SYSTEM_ERROR; one that does not
// answer within callClientTimeout is CONSUME_MSG_TIMEOUT; a connection
// that fails is SYSTEM_ERROR, each with Java's remark.

// callClientTimeout bounds the wait for a client's answer (RocketMQ's
// Broker2Client.callClient, 10 s). The operator's own request must allow
// more.
const callClientTimeout = 10 * time.Second

// consumerChannels returns a consumer group's connections, sorted by client
// id and then connection id; with clientID set, only that client's.
func (m *clientManager) consumerChannels(group, clientID string) []clientChannel {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.consumers[group]
	if g == nil {
		return nil
	}
	var out []clientChannel
	for _, ch := range g.channels {
		if clientID == "" || ch.clientID == clientID {
			out = append(out, *ch)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].clientID != out[j].clientID {
			return out[i].clientID < out[j].clientID
		}
		return out[i].peer.ID() < out[j].peer.ID()
	})
	return out
}

// findConsumer returns the connection of a group's client: of several
// connections carrying one client id, the one heartbeating last (the
// lowest connection id among equals).
func (m *clientManager) findConsumer(group, clientID string) (clientChannel, bool) {
	chs := m.consumerChannels(group, clientID)
	if len(chs) == 0 {
		return clientChannel{}, false
	}
	best := chs[0]
	for _, ch := range chs[1:] {
		if ch.lastUpdate.After(best.lastUpdate) {
			best = ch
		}
	}
	return best, true
}

// callConsumer forwards a request with code, extFields and body to
// clientID of group and relays the answer to req.
func (b *Broker) callConsumer(code int32, req *remoting.Command, ext map[string]string, body []byte, group, clientID string,
	reply func(*remoting.Command)) {
	ch, ok := b.clients.findConsumer(group, clientID)
	if !ok {
		reply(remoting.NewResponse(req, remoting.ResSystemError, fmt.Sprintf("The Consumer <%s> <%s> not online", group, clientID)))
		return
	}
	fwd := remoting.NewRequest(code, ext, body)
	ch.peer.Invoke(fwd, callClientTimeout, func(resp *remoting.Command, err error) {
		switch {
		case errors.Is(err, remoting.ErrTimeout):
			reply(remoting.NewResponse(req, remoting.ResConsumeMsgTimeout, fmt.Sprintf("consumer <%s> <%s> Timeout: %v", group, clientID, err)))
		case err != nil:
			reply(remoting.NewResponse(req, remoting.ResSystemError, fmt.Sprintf("invoke consumer <%s> <%s> Exception: %v", group, clientID, err)))
		default:
			out := remoting.NewResponse(req, resp.Code, resp.Remark)
			out.ExtFields = resp.ExtFields
			out.Body = resp.Body
			reply(out)
		}
	})
}

// getConsumerRunningInfo serves GET_CONSUMER_RUNNING_INFO by forwarding it
// to the named client, which answers its ConsumerRunningInfo (properties,
// subscriptions, queues and their progress).
func (b *Broker) getConsumerRunningInfo(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, ok := header(req, reply, remoting.DecodeGetConsumerRunningInfoRequestHeader)
	if !ok {
		return
	}
	b.callConsumer(remoting.ReqGetConsumerRunningInfo, req, maps.Clone(req.ExtFields), req.Body, h.ConsumerGroup, h.ClientID, reply)
}

// consumeMessageDirectly serves CONSUME_MESSAGE_DIRECTLY: it reads the
// message the offset message id names, adds brokerName (and the topic's and
// group's sysFlags when it knows them) to the header, and forwards both to
// the named client, which runs its consume callback on the message and
// answers how that went. A msgId that does not parse, or names no record,
// is SYSTEM_ERROR (Java forwards an empty body, which the Go client cannot
// read).
func (b *Broker) consumeMessageDirectly(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, ok := header(req, reply, remoting.DecodeConsumeMessageDirectlyResultRequestHeader)
	if !ok {
		return
	}
	_, physOffset, err := commitlog.ParseOffsetMsgID(h.MsgID)
	if err != nil {
		reply(remoting.NewResponse(req, remoting.ResSystemError, fmt.Sprintf("bad msgId %q: %v", h.MsgID, err)))
		return
	}
	rec, ref, err := b.store.ReadRecord(physOffset)
	if err != nil {
		reply(remoting.NewResponse(req, remoting.ResSystemError, fmt.Sprintf("can not find message by the offset, %d: %v", physOffset, err)))
		return
	}
	// The request goes out asynchronously: the record is copied out of
	// the mapping before the segment is released.
	body := append([]byte(nil), rec.Raw...)
	ref.Release()

	ext := maps.Clone(req.ExtFields)
	if ext == nil {
		ext = map[string]string{}
	}
	ext["brokerName"] = b.cfg.BrokerName
	if h.Topic != "" {
		if tc, ok := b.topics.get(h.Topic); ok {
			ext["topicSysFlag"] = strconv.Itoa(int(tc.TopicSysFlag))
		}
	}
	if g, ok := b.groups.get(h.ConsumerGroup); ok {
		ext["groupSysFlag"] = strconv.Itoa(int(g.GroupSysFlag))
	}
	b.log.Info("broker: consuming a message directly", slog.String("group", h.ConsumerGroup),
		slog.String("client", h.ClientID), slog.String("msgId", h.MsgID))
	b.callConsumer(remoting.ReqConsumeMessageDirectly, req, ext, body, h.ConsumerGroup, h.ClientID, reply)
}
