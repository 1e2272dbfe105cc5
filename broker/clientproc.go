package broker

import (
	"fmt"

	"github.com/apogeemq/apogee/remoting"
	"github.com/apogeemq/apogee/store/configfile"
)

// heartbeat serves HEART_BEAT: it records the client's producer and consumer
// groups, creates the groups' retry topics, and tells a consumer group's
// members to rebalance when a member joined.
func (b *Broker) heartbeat(p remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	hb, err := remoting.DecodeHeartbeatData(req.Body)
	if err != nil {
		reply(remoting.NewResponse(req, remoting.ResSystemError, err.Error()))
		return
	}
	now := b.env.Clock.Now()
	ch := clientChannel{peer: p, clientID: hb.ClientID, language: req.Language, version: req.Version, lastUpdate: now}
	for i := range hb.ConsumerDataSet {
		cd := &hb.ConsumerDataSet[i]
		if err := ValidateGroup(cd.GroupName); err != nil {
			reply(remoting.NewResponse(req, remoting.ResSystemError, err.Error()))
			return
		}
		g, ok, err := b.groups.findOrCreate(cd.GroupName, b.cfg.AutoCreateSubscriptionGroup)
		if err != nil {
			reply(remoting.NewResponse(req, remoting.ResSystemError, err.Error()))
			return
		}
		if ok {
			b.ensureRetryTopic(cd.GroupName, g)
		}
		subs := make(map[string]*subscription, len(cd.SubscriptionDataSet))
		for j := range cd.SubscriptionDataSet {
			sd := &cd.SubscriptionDataSet[j]
			s, err := subscriptionFromHeartbeat(sd)
			if err != nil {
				reply(remoting.NewResponse(req, remoting.ResSubscriptionParseFailed, err.Error()))
				return
			}
			subs[sd.Topic] = s
		}
		joined, members := b.clients.registerConsumer(cd, subs, ch)
		if joined {
			b.log.Info("broker: consumer joined", "group", cd.GroupName, "client", hb.ClientID, "addr", p.RemoteAddr())
			if !ok || g.NotifyConsumerIDsChangedEnable {
				b.notifyConsumerIDsChanged(cd.GroupName, members)
			}
		}
	}
	for _, pd := range hb.ProducerDataSet {
		b.clients.registerProducer(pd.GroupName, ch)
	}
	reply(remoting.NewResponse(req, remoting.ResSuccess, ""))
}

// ensureRetryTopic creates %RETRY%<group> with the group's retry queue count.
func (b *Broker) ensureRetryTopic(group string, g configfile.SubscriptionGroupConfig) {
	topic := RetryGroupPrefix + group
	if _, ok := b.topics.get(topic); ok || ValidateTopic(topic) != nil {
		return
	}
	tc := configfile.NewTopicConfig(topic)
	q := g.RetryQueueNums
	if q <= 0 {
		q = 1
	}
	tc.ReadQueueNums, tc.WriteQueueNums = q, q
	tc.Perm = configfile.PermRead | configfile.PermWrite
	if _, created, err := b.topics.createIfAbsent(tc); err != nil {
		b.log.Warn("broker: creating the retry topic failed", "topic", topic, "err", err)
	} else if created {
		b.registerSoon()
	}
}

// notifyConsumerIDsChanged pushes NOTIFY_CONSUMER_IDS_CHANGED to members.
func (b *Broker) notifyConsumerIDsChanged(group string, members []remoting.Peer) {
	for _, m := range members {
		req := remoting.NewRequest(remoting.ReqNotifyConsumerIdsChanged,
			remoting.NotifyConsumerIdsChangedRequestHeader{ConsumerGroup: group}.ToExtFields(), nil)
		if err := m.InvokeOneway(req); err != nil {
			b.log.Debug("broker: notify consumer ids changed failed", "group", group, "addr", m.RemoteAddr(), "err", err)
		}
	}
}

// clientGone drops a connection from its groups and tells the remaining
// members of its consumer groups to rebalance.
func (b *Broker) clientGone(p remoting.Peer) {
	for _, cg := range b.clients.removePeer(p.ID()) {
		b.notifyIfEnabled(cg)
	}
}

func (b *Broker) notifyIfEnabled(cg changedGroup) {
	if g, ok := b.groups.get(cg.group); ok && !g.NotifyConsumerIDsChangedEnable {
		return
	}
	b.notifyConsumerIDsChanged(cg.group, cg.members)
}

// unregisterClient serves UNREGISTER_CLIENT.
func (b *Broker) unregisterClient(p remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, ok := header(req, reply, remoting.DecodeUnregisterClientRequestHeader)
	if !ok {
		return
	}
	for _, cg := range b.clients.unregister(p.ID(), h.ProducerGroup, h.ConsumerGroup) {
		b.notifyIfEnabled(cg)
	}
	reply(remoting.NewResponse(req, remoting.ResSuccess, ""))
}

// getConsumerList serves GET_CONSUMER_LIST_BY_GROUP.
func (b *Broker) getConsumerList(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, ok := header(req, reply, remoting.DecodeGetConsumerListByGroupRequestHeader)
	if !ok {
		return
	}
	ids, ok := b.clients.consumerIDs(h.ConsumerGroup)
	if !ok {
		reply(remoting.NewResponse(req, remoting.ResSystemError, fmt.Sprintf("no consumer for this group, %s", h.ConsumerGroup)))
		return
	}
	resp := remoting.NewResponse(req, remoting.ResSuccess, "")
	resp.Body = remoting.AppendConsumerListBodyJSON(nil, &remoting.ConsumerListBody{ConsumerIDList: ids})
	reply(resp)
}

// scanClients drops clients whose heartbeats stopped, closing their
// connections as RocketMQ does.
func (b *Broker) scanClients() {
	cutoff := b.env.Clock.Now().Add(-b.cfg.ChannelExpiredTimeout)
	for _, p := range b.clients.expired(cutoff) {
		b.log.Warn("broker: client heartbeat expired, closing its connection", "addr", p.RemoteAddr())
		b.clientGone(p)
		p.Close()
	}
}
