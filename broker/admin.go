package broker

import (
	"fmt"

	"github.com/apogeemq/apogee/remoting"
	"github.com/apogeemq/apogee/store/configfile"
)

// isSystemTopic reports whether a topic is one the broker owns.
func (b *Broker) isSystemTopic(topic string) bool {
	switch topic {
	case DefaultTopic, SelfTestTopic, OffsetMovedEvent, TraceTopic, TransHalfTopic, TransOpHalfTopic,
		TransCheckMaxTopic, b.cfg.ClusterName, b.cfg.BrokerName:
		return true
	}
	return notAllowedSendTopics[topic] || len(topic) >= len(systemTopicPrefix) && topic[:len(systemTopicPrefix)] == systemTopicPrefix
}

// createTopic serves UPDATE_AND_CREATE_TOPIC.
func (b *Broker) createTopic(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, ok := header(req, reply, remoting.DecodeCreateTopicRequestHeader)
	if !ok {
		return
	}
	if err := ValidateTopic(h.Topic); err != nil {
		reply(remoting.NewResponse(req, remoting.ResSystemError, err.Error()))
		return
	}
	if b.isSystemTopic(h.Topic) {
		reply(remoting.NewResponse(req, remoting.ResSystemError, fmt.Sprintf("the topic[%s] is conflict with system topic", h.Topic)))
		return
	}
	if h.ReadQueueNums <= 0 || h.WriteQueueNums <= 0 || h.ReadQueueNums > maxTopicQueueNums || h.WriteQueueNums > maxTopicQueueNums {
		reply(remoting.NewResponse(req, remoting.ResInvalidParameter,
			fmt.Sprintf("readQueueNums %d and writeQueueNums %d must be within [1, %d]", h.ReadQueueNums, h.WriteQueueNums, maxTopicQueueNums)))
		return
	}
	if h.Perm&^(configfile.PermRead|configfile.PermWrite|configfile.PermInherit|configfile.PermPriority) != 0 {
		reply(remoting.NewResponse(req, remoting.ResInvalidParameter, fmt.Sprintf("perm %d has unknown bits", h.Perm)))
		return
	}
	tc := configfile.NewTopicConfig(h.Topic)
	tc.ReadQueueNums, tc.WriteQueueNums, tc.Perm = h.ReadQueueNums, h.WriteQueueNums, h.Perm
	tc.TopicSysFlag, tc.Order = h.TopicSysFlag, h.Order
	switch configfile.TopicFilterType(h.TopicFilterType) {
	case "", configfile.TopicFilterSingleTag:
	case configfile.TopicFilterMultiTag:
		tc.TopicFilterType = configfile.TopicFilterMultiTag
	default:
		reply(remoting.NewResponse(req, remoting.ResInvalidParameter, fmt.Sprintf("unknown topicFilterType %q", h.TopicFilterType)))
		return
	}
	if old, ok := b.topics.get(h.Topic); ok {
		tc.Attributes, tc.Extra = old.Attributes, old.Extra
	}
	changed, err := b.topics.put(tc)
	if err != nil {
		reply(remoting.NewResponse(req, remoting.ResSystemError, err.Error()))
		return
	}
	if changed {
		b.log.Info("broker: topic created or updated", "topic", tc.TopicName, "read", tc.ReadQueueNums, "write", tc.WriteQueueNums, "perm", tc.Perm)
		b.registerSoon()
	}
	reply(remoting.NewResponse(req, remoting.ResSuccess, ""))
}

// deleteTopic serves DELETE_TOPIC_IN_BROKER: the topic's config, queues and
// committed offsets go; its records stay until retention removes them.
func (b *Broker) deleteTopic(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, ok := header(req, reply, remoting.DecodeDeleteTopicRequestHeader)
	if !ok {
		return
	}
	if err := ValidateTopic(h.Topic); err != nil {
		reply(remoting.NewResponse(req, remoting.ResSystemError, err.Error()))
		return
	}
	if b.isSystemTopic(h.Topic) {
		reply(remoting.NewResponse(req, remoting.ResSystemError, fmt.Sprintf("the topic[%s] is a system topic and cannot be deleted", h.Topic)))
		return
	}
	existed, err := b.topics.remove(h.Topic)
	if err == nil {
		err = b.store.DeleteTopic(h.Topic)
	}
	if err != nil {
		reply(remoting.NewResponse(req, remoting.ResSystemError, err.Error()))
		return
	}
	b.offsets.removeTopic(h.Topic)
	if existed {
		b.log.Info("broker: topic deleted", "topic", h.Topic)
		b.registerSoon()
	}
	reply(remoting.NewResponse(req, remoting.ResSuccess, ""))
}

// getAllTopicConfig serves GET_ALL_TOPIC_CONFIG with topics.json's content.
func (b *Broker) getAllTopicConfig(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	topics, dv := b.topics.all()
	t := configfile.NewTopicConfigTable()
	t.DataVersion = dv
	for _, tc := range topics {
		t.Topics[tc.TopicName] = tc
	}
	data, err := configfile.MarshalTopics(t)
	if err != nil {
		reply(remoting.NewResponse(req, remoting.ResSystemError, err.Error()))
		return
	}
	resp := remoting.NewResponse(req, remoting.ResSuccess, "")
	resp.Body = data
	reply(resp)
}

// createGroup serves UPDATE_AND_CREATE_SUBSCRIPTIONGROUP.
func (b *Broker) createGroup(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	g, err := remoting.DecodeSubscriptionGroupConfig(req.Body)
	if err != nil {
		reply(remoting.NewResponse(req, remoting.ResSystemError, err.Error()))
		return
	}
	if err := ValidateGroup(g.GroupName); err != nil {
		reply(remoting.NewResponse(req, remoting.ResInvalidParameter, err.Error()))
		return
	}
	if g.RetryQueueNums < 0 || g.RetryQueueNums > maxTopicQueueNums || g.RetryMaxTimes < 0 {
		reply(remoting.NewResponse(req, remoting.ResInvalidParameter,
			fmt.Sprintf("retryQueueNums %d must be within [0, %d] and retryMaxTimes %d not negative", g.RetryQueueNums, maxTopicQueueNums, g.RetryMaxTimes)))
		return
	}
	if err := b.groups.put(g); err != nil {
		reply(remoting.NewResponse(req, remoting.ResSystemError, err.Error()))
		return
	}
	b.log.Info("broker: subscription group created or updated", "group", g.GroupName)
	reply(remoting.NewResponse(req, remoting.ResSuccess, ""))
}

// deleteGroup serves DELETE_SUBSCRIPTIONGROUP.
func (b *Broker) deleteGroup(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	h, ok := header(req, reply, remoting.DecodeDeleteSubscriptionGroupRequestHeader)
	if !ok {
		return
	}
	if _, err := b.groups.remove(h.GroupName); err != nil {
		reply(remoting.NewResponse(req, remoting.ResSystemError, err.Error()))
		return
	}
	if h.CleanOffset {
		b.offsets.removeGroup(h.GroupName)
	}
	reply(remoting.NewResponse(req, remoting.ResSuccess, ""))
}

// getAllGroups serves GET_ALL_SUBSCRIPTIONGROUP_CONFIG with
// subscriptionGroup.json's content.
func (b *Broker) getAllGroups(_ remoting.Peer, req *remoting.Command, reply func(*remoting.Command)) {
	groups, dv := b.groups.all()
	t := configfile.NewSubscriptionGroupTable()
	t.DataVersion = dv
	for _, g := range groups {
		t.Groups[g.GroupName] = g
	}
	resp := remoting.NewResponse(req, remoting.ResSuccess, "")
	resp.Body = remoting.AppendSubscriptionGroupWrapperJSON(nil, t)
	reply(resp)
}
