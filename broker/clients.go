package broker

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apogeemq/apogee/remoting"
	"github.com/apogeemq/apogee/store"
)

// Consumer models and kinds, as clients spell them in heartbeats.
const (
	ModelClustering    = "CLUSTERING"
	ModelBroadcasting  = "BROADCASTING"
	ConsumeActively    = "CONSUME_ACTIVELY"
	ConsumePassively   = "CONSUME_PASSIVELY"
	subAll             = "*"
	maxTagsPerSub      = 1024 // a subscription expression longer than this is refused
	maxClientsPerGroup = 10_000
)

// clientChannel is one client connection seen in a group.
type clientChannel struct {
	peer       remoting.Peer
	clientID   string
	language   string
	version    int32
	lastUpdate time.Time
}

// subscription is a consumer group's filter for one topic.
type subscription struct {
	topic          string
	subString      string
	expressionType string
	subVersion     int64
	all            bool
	codes          map[int64]bool
	tags           map[string]bool
}

// matches reports whether a ConsumeQueue tag code passes the filter.
func (s *subscription) matches(tagCode int64) bool {
	return s.all || s.codes[tagCode]
}

// parseSubscription builds a filter from an expression: "*" or empty for
// everything, else tags separated by "||" (TAG expressions only).
func parseSubscription(topic, expr, exprType string, version int64) (*subscription, error) {
	s := &subscription{topic: topic, subString: expr, expressionType: exprType, subVersion: version}
	if exprType != "" && !strings.EqualFold(exprType, "TAG") {
		return nil, errUnsupportedExpression(exprType)
	}
	expr = strings.TrimSpace(expr)
	if expr == "" || expr == subAll {
		s.all = true
		s.subString = subAll
		return s, nil
	}
	s.codes = map[int64]bool{}
	s.tags = map[string]bool{}
	for _, t := range strings.Split(expr, "||") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if len(s.tags) >= maxTagsPerSub {
			return nil, errTooManyTags
		}
		s.tags[t] = true
		s.codes[store.TagCode(t)] = true
	}
	if len(s.tags) == 0 {
		s.all = true
	}
	return s, nil
}

// subscriptionFromHeartbeat builds a filter from a heartbeat's subscription
// data: the code set as sent (the client computed it), else the tags.
func subscriptionFromHeartbeat(sd *remoting.SubscriptionData) (*subscription, error) {
	if len(sd.CodeSet) == 0 && len(sd.TagsSet) == 0 {
		return parseSubscription(sd.Topic, sd.SubString, sd.ExpressionType, sd.SubVersion)
	}
	s := &subscription{topic: sd.Topic, subString: sd.SubString, expressionType: sd.ExpressionType, subVersion: sd.SubVersion,
		codes: map[int64]bool{}, tags: map[string]bool{}}
	if strings.TrimSpace(sd.SubString) == subAll {
		s.all = true
		return s, nil
	}
	for _, c := range sd.CodeSet {
		s.codes[int64(c)] = true
	}
	for _, t := range sd.TagsSet {
		s.tags[t] = true
		if len(sd.CodeSet) == 0 {
			s.codes[store.TagCode(t)] = true
		}
	}
	return s, nil
}

// consumerGroupInfo is one consumer group's live members and subscriptions.
type consumerGroupInfo struct {
	group            string
	consumeType      string
	messageModel     string
	consumeFromWhere string
	subs             map[string]*subscription
	channels         map[uint64]*clientChannel
	lastUpdate       time.Time
}

// clientManager tracks producers and consumers by group and connection.
type clientManager struct {
	mu        sync.Mutex
	producers map[string]map[uint64]*clientChannel // group -> peer id -> channel
	consumers map[string]*consumerGroupInfo
}

func newClientManager() *clientManager {
	return &clientManager{producers: map[string]map[uint64]*clientChannel{}, consumers: map[string]*consumerGroupInfo{}}
}

// registerProducer records a producer connection of a group.
func (m *clientManager) registerProducer(group string, ch clientChannel) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.producers[group]
	if g == nil {
		g = map[uint64]*clientChannel{}
		m.producers[group] = g
	}
	if old, ok := g[ch.peer.ID()]; ok {
		old.lastUpdate = ch.lastUpdate
		return
	}
	if len(g) < maxClientsPerGroup {
		g[ch.peer.ID()] = &ch
	}
}

// registerConsumer records a consumer connection and its subscriptions; it
// reports whether the group's membership changed (a new connection) and
// returns the group's members to notify if so.
func (m *clientManager) registerConsumer(cd *remoting.ConsumerData, subs map[string]*subscription, ch clientChannel) (joined bool, members []remoting.Peer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.consumers[cd.GroupName]
	if g == nil {
		g = &consumerGroupInfo{group: cd.GroupName, subs: map[string]*subscription{}, channels: map[uint64]*clientChannel{}}
		m.consumers[cd.GroupName] = g
	}
	g.consumeType, g.messageModel, g.consumeFromWhere = cd.ConsumeType, cd.MessageModel, cd.ConsumeFromWhere
	g.lastUpdate = ch.lastUpdate
	if old, ok := g.channels[ch.peer.ID()]; ok {
		old.lastUpdate = ch.lastUpdate
		old.clientID = ch.clientID
	} else if len(g.channels) < maxClientsPerGroup {
		g.channels[ch.peer.ID()] = &ch
		joined = true
	}
	// The newest heartbeat's subscriptions replace the group's, keeping a
	// topic's entry when the version did not move (RocketMQ's updateSubscription).
	for topic, s := range subs {
		if old, ok := g.subs[topic]; ok && old.subVersion >= s.subVersion && old.subString == s.subString {
			continue
		}
		g.subs[topic] = s
	}
	for topic := range g.subs {
		if _, ok := subs[topic]; !ok {
			delete(g.subs, topic)
		}
	}
	if joined {
		members = g.peersLocked()
	}
	return joined, members
}

func (g *consumerGroupInfo) peersLocked() []remoting.Peer {
	ids := make([]uint64, 0, len(g.channels))
	for id := range g.channels {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	out := make([]remoting.Peer, len(ids))
	for i, id := range ids {
		out[i] = g.channels[id].peer
	}
	return out
}

// consumerIDs returns the client ids of a group's members, sorted.
func (m *clientManager) consumerIDs(group string) ([]string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.consumers[group]
	if g == nil || len(g.channels) == 0 {
		return nil, false
	}
	seen := map[string]bool{}
	var out []string
	for _, ch := range g.channels {
		if !seen[ch.clientID] {
			seen[ch.clientID] = true
			out = append(out, ch.clientID)
		}
	}
	sort.Strings(out)
	return out, true
}

// findSubscription returns a group's subscription of a topic, and whether
// the group is known at all.
func (m *clientManager) findSubscription(group, topic string) (sub *subscription, model string, groupKnown bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.consumers[group]
	if g == nil {
		return nil, "", false
	}
	return g.subs[topic], g.messageModel, true
}

// groupSnapshot is a copy of a consumer group's state for operator answers.
type groupSnapshot struct {
	consumeType, messageModel, consumeFromWhere string
	subs                                        []subscription
	channels                                    []clientChannel
}

func (m *clientManager) snapshot(group string) (groupSnapshot, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.consumers[group]
	if g == nil || len(g.channels) == 0 {
		return groupSnapshot{}, false
	}
	s := groupSnapshot{consumeType: g.consumeType, messageModel: g.messageModel, consumeFromWhere: g.consumeFromWhere}
	for _, sub := range g.subs {
		s.subs = append(s.subs, *sub)
	}
	sort.Slice(s.subs, func(i, j int) bool { return s.subs[i].topic < s.subs[j].topic })
	for _, ch := range g.channels {
		s.channels = append(s.channels, *ch)
	}
	sort.Slice(s.channels, func(i, j int) bool { return s.channels[i].clientID < s.channels[j].clientID })
	return s, true
}

// consumerGroups returns the groups with live members, sorted.
func (m *clientManager) consumerGroups() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for name, g := range m.consumers {
		if len(g.channels) > 0 {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// producerPeers returns the live connections of a producer group, sorted by
// connection id.
func (m *clientManager) producerPeers(group string) []remoting.Peer {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.producers[group]
	ids := make([]uint64, 0, len(g))
	for id := range g {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	out := make([]remoting.Peer, len(ids))
	for i, id := range ids {
		out[i] = g[id].peer
	}
	return out
}

// changedGroup is a consumer group whose membership shrank, with the peers
// left to notify.
type changedGroup struct {
	group   string
	members []remoting.Peer
}

// removePeer drops a connection from every group (it closed, expired or
// unregistered); it returns the consumer groups that still have members.
func (m *clientManager) removePeer(id uint64) []changedGroup {
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, g := range m.producers {
		delete(g, id)
		if len(g) == 0 {
			delete(m.producers, name)
		}
	}
	var changed []changedGroup
	names := make([]string, 0, len(m.consumers))
	for name := range m.consumers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		g := m.consumers[name]
		if _, ok := g.channels[id]; !ok {
			continue
		}
		delete(g.channels, id)
		if len(g.channels) == 0 {
			delete(m.consumers, name)
			continue
		}
		changed = append(changed, changedGroup{group: name, members: g.peersLocked()})
	}
	return changed
}

// unregister drops a client from the named groups (UNREGISTER_CLIENT).
func (m *clientManager) unregister(id uint64, producerGroup, consumerGroup string) []changedGroup {
	m.mu.Lock()
	defer m.mu.Unlock()
	if g := m.producers[producerGroup]; g != nil {
		delete(g, id)
		if len(g) == 0 {
			delete(m.producers, producerGroup)
		}
	}
	g := m.consumers[consumerGroup]
	if g == nil {
		return nil
	}
	if _, ok := g.channels[id]; !ok {
		return nil
	}
	delete(g.channels, id)
	if len(g.channels) == 0 {
		delete(m.consumers, consumerGroup)
		return nil
	}
	return []changedGroup{{group: consumerGroup, members: g.peersLocked()}}
}

// expired returns the connections whose last heartbeat is older than
// cutoff, sorted by id.
func (m *clientManager) expired(cutoff time.Time) []remoting.Peer {
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := map[uint64]remoting.Peer{}
	for _, g := range m.producers {
		for id, ch := range g {
			if ch.lastUpdate.Before(cutoff) {
				seen[id] = ch.peer
			}
		}
	}
	for _, g := range m.consumers {
		for id, ch := range g.channels {
			if ch.lastUpdate.Before(cutoff) {
				seen[id] = ch.peer
			}
		}
	}
	ids := make([]uint64, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	out := make([]remoting.Peer, len(ids))
	for i, id := range ids {
		out[i] = seen[id]
	}
	return out
}

var errTooManyTags = fmt.Errorf("the subscription expression has more than %d tags", maxTagsPerSub)

func errUnsupportedExpression(t string) error {
	return fmt.Errorf("expression type %q is not supported (only TAG)", t)
}
