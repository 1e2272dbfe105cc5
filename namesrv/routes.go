package namesrv

import (
	"maps"
	"slices"
)

// TopicRoute is a topic's route: its queue data and the brokers holding
// them, both sorted by broker name.
type TopicRoute struct {
	QueueDatas  []QueueData
	BrokerDatas []BrokerData
}

// ClusterInfo is the broker table and the cluster table
// (GET_BROKER_CLUSTER_INFO).
type ClusterInfo struct {
	// Brokers maps a broker name to its data.
	Brokers map[string]BrokerData
	// Clusters maps a cluster to its broker names, sorted.
	Clusters map[string][]string
}

// Route returns a copy of topic's route, or false when no broker serves the
// topic (TOPIC_NOT_EXIST).
func (r *Registry) Route(topic string) (TopicRoute, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	route := r.topics[topic]
	if route == nil {
		return TopicRoute{}, false
	}
	out := TopicRoute{
		QueueDatas:  slices.Clone(route.queues),
		BrokerDatas: make([]BrokerData, 0, len(route.queues)),
	}
	for _, qd := range route.queues {
		out.BrokerDatas = append(out.BrokerDatas, r.brokerDataLocked(qd.BrokerName))
	}
	return out, true
}

// AppendRouteJSON appends topic's TopicRouteData body (GET_ROUTEINFO_BY_TOPIC)
// to dst in the exact form of spec §3.1, with orderTopicConf first when it
// is not empty. It reports false, leaving dst as it was, when no broker
// serves the topic.
func (r *Registry) AppendRouteJSON(dst []byte, topic, orderTopicConf string) ([]byte, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	route := r.topics[topic]
	if route == nil {
		return dst, false
	}
	dst = append(dst, '{')
	if orderTopicConf != "" {
		dst = appendString(appendKey(dst, "orderTopicConf"), orderTopicConf)
		dst = append(dst, ',')
	}
	dst = append(appendKey(dst, "queueDatas"), '[')
	for i := range route.queues {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendQueueData(dst, &route.queues[i])
	}
	dst = append(dst, ']', ',')
	dst = append(appendKey(dst, "brokerDatas"), '[')
	for i := range route.queues {
		if i > 0 {
			dst = append(dst, ',')
		}
		name := route.queues[i].BrokerName
		dst = appendBrokerData(dst, name, r.mustBrokerLocked(name))
	}
	dst = append(dst, ']', ',')
	dst = append(appendKey(dst, "filterServerTable"), '{', '}')
	return append(dst, '}'), true
}

// mustBrokerLocked returns a broker named by queue data; the invariant that
// queue data never outlives its broker makes a miss a bug.
func (r *Registry) mustBrokerLocked(name string) *brokerEntry {
	b := r.brokers[name]
	if b == nil {
		panic("namesrv: queue data names broker " + name + ", which is not registered")
	}
	return b
}

func (r *Registry) brokerDataLocked(name string) BrokerData {
	b := r.mustBrokerLocked(name)
	bd := BrokerData{Cluster: b.cluster, BrokerName: name, Addrs: make(map[int64]string, len(b.addrs))}
	for _, a := range b.addrs {
		bd.Addrs[a.id] = a.addr
	}
	return bd
}

// ClusterInfo returns a copy of the broker and cluster tables.
func (r *Registry) ClusterInfo() ClusterInfo {
	r.mu.RLock()
	defer r.mu.RUnlock()
	info := ClusterInfo{
		Brokers:  make(map[string]BrokerData, len(r.brokers)),
		Clusters: make(map[string][]string, len(r.clusters)),
	}
	for name := range r.brokers {
		info.Brokers[name] = r.brokerDataLocked(name)
	}
	for cluster, set := range r.clusters {
		info.Clusters[cluster] = slices.Sorted(maps.Keys(set))
	}
	return info
}

// AppendClusterInfoJSON appends the GET_BROKER_CLUSTER_INFO body,
// {"brokerAddrTable":{...},"clusterAddrTable":{...}}, keys sorted.
func (r *Registry) AppendClusterInfoJSON(dst []byte) []byte {
	r.mu.RLock()
	defer r.mu.RUnlock()
	dst = append(dst, '{')
	dst = append(appendKey(dst, "brokerAddrTable"), '{')
	for i, name := range slices.Sorted(maps.Keys(r.brokers)) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(appendString(dst, name), ':')
		dst = appendBrokerData(dst, name, r.brokers[name])
	}
	dst = append(dst, '}', ',')
	dst = append(appendKey(dst, "clusterAddrTable"), '{')
	for i, cluster := range slices.Sorted(maps.Keys(r.clusters)) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(appendString(dst, cluster), ':')
		dst = appendStringArray(dst, slices.Sorted(maps.Keys(r.clusters[cluster])))
	}
	return append(dst, '}', '}')
}

// Topics returns every topic with a route, sorted
// (GET_ALL_TOPIC_LIST_FROM_NAMESERVER).
func (r *Registry) Topics() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Sorted(maps.Keys(r.topics))
}

// TopicsByCluster returns the topics with queue data on a broker of the
// cluster, sorted (GET_TOPICS_BY_CLUSTER); an unknown cluster has none.
func (r *Registry) TopicsByCluster(cluster string) []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := r.clusters[cluster]
	if len(names) == 0 {
		return []string{}
	}
	out := []string{}
	for topic, route := range r.topics {
		for _, qd := range route.queues {
			if _, ok := names[qd.BrokerName]; ok {
				out = append(out, topic)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

// DeleteTopic removes a topic's queue data (DELETE_TOPIC_IN_NAMESRV): all of
// it when clusterName is empty, else that of the cluster's brokers, dropping
// the topic when none is left. It reports whether anything was removed.
// A broker that still has the topic brings it back on its next registration
// with a changed data version.
func (r *Registry) DeleteTopic(topic, clusterName string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	route := r.topics[topic]
	if route == nil {
		return false
	}
	if clusterName == "" {
		delete(r.topics, topic)
		return true
	}
	removed := false
	for name := range r.clusters[clusterName] {
		if r.removeQueueDataLocked(topic, route, name) {
			removed = true
		}
	}
	return removed
}

// WipeWritePerm clears the write permission of every topic's queue data on
// brokerName (WIPE_WRITE_PERM_OF_BROKER, used to drain a broker before
// maintenance) and returns how many topics it touched.
func (r *Registry) WipeWritePerm(brokerName string) int {
	return r.setPerm(brokerName, func(perm int32) int32 { return perm &^ PermWrite })
}

// AddWritePerm restores write permission on every topic's queue data on
// brokerName (ADD_WRITE_PERM_OF_BROKER) and returns how many topics it
// touched. As in RocketMQ, the permission becomes read and write (6),
// whatever other bits it had.
func (r *Registry) AddWritePerm(brokerName string) int {
	return r.setPerm(brokerName, func(int32) int32 { return PermRead | PermWrite })
}

func (r *Registry) setPerm(brokerName string, change func(int32) int32) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	count := 0
	for _, route := range r.topics {
		if i, ok := route.find(brokerName); ok {
			route.queues[i].Perm = change(route.queues[i].Perm)
			count++
		}
	}
	return count
}
