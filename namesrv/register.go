package namesrv

import (
	"fmt"
	"slices"
)

// RegisterBroker records a broker registration (REGISTER_BROKER) with
// RocketMQ's RouteInfoManager semantics:
//
//   - the broker name joins the cluster and gets an entry on its first
//     registration; the address is set at the broker id, leaving any other
//     id or broker name it held before (a slave promoted to master
//     re-registers its address as id 0);
//   - when another address holds the id and its live record has a higher
//     stateVersion than the registration's, the registration loses: its
//     address is dropped and the result is empty, with no error;
//   - a master (id 0) writes the queue data of every topic in the body when
//     this is the address's first registration, its data version changed,
//     or the topic lacks queue data for the broker; a slave never does,
//     except the smallest-id slave of a 5.x broker (EnableActingMaster not
//     nil) while no master is registered, whose write permission is wiped
//     when EnableActingMaster is true;
//   - the registration renews the address's liveness with its timeout;
//   - a slave learns its master's address and HA address.
//
// It returns ErrInvalidRegistration for unusable header values and
// ErrNotRegistered for a single-topic body from an id not yet registered,
// leaving the registry unchanged in both cases.
func (r *Registry) RegisterBroker(reg BrokerRegistration) (RegisterResult, error) {
	if err := validateRegistration(&reg); err != nil {
		return RegisterResult{}, err
	}
	body := reg.Body
	if body == nil {
		body = &RegisterBody{}
	}
	timeout := reg.HeartbeatTimeout
	if timeout == 0 {
		timeout = r.defaultExpiry
	}
	now := r.clock.Now()

	r.mu.Lock()
	defer r.mu.Unlock()

	name, addr, id := reg.BrokerName, reg.BrokerAddr, reg.BrokerID
	entry := r.brokers[name]
	holder := ""
	if entry != nil {
		holder, _ = entry.addrOf(id)
	}
	if holder != "" && holder != addr {
		if old := r.live[holder]; old != nil && old.dataVersion.StateVersion > body.DataVersion.StateVersion {
			r.removeAddrLocked(addr)
			return RegisterResult{}, nil
		}
	}
	if holder == "" && len(body.Topics) == 1 {
		return RegisterResult{}, fmt.Errorf("%w: broker %s id %d at %s", ErrNotRegistered, name, id, addr)
	}

	prevLive := r.live[addr]
	if prevLive != nil && prevLive.brokerName != name {
		r.removeAddrLocked(addr)
		prevLive = nil
		entry = r.brokers[name] // removing the address never touches this entry
	}
	registerFirst := false
	if entry == nil {
		entry = &brokerEntry{cluster: reg.ClusterName}
		r.brokers[name] = entry
		registerFirst = true
	}
	r.listLocked(entry, name, reg.ClusterName)
	entry.enableActingMaster = reg.EnableActingMaster != nil && *reg.EnableActingMaster
	entry.addrs = slices.DeleteFunc(entry.addrs, func(a idAddr) bool { return a.addr == addr && a.id != id })
	displaced := entry.put(id, addr)
	registerFirst = registerFirst || displaced == ""
	if displaced != "" && displaced != addr {
		// The id moved to a new address: the old one is no longer in any
		// entry, so its live record goes too.
		r.dropLiveLocked(displaced)
	}

	isMaster := id == MasterID
	minID, _ := entry.minID()
	isPrimeSlave := reg.EnableActingMaster != nil && !isMaster && id == minID
	if isMaster || isPrimeSlave {
		changed := registerFirst || prevLive == nil || prevLive.cluster != reg.ClusterName ||
			prevLive.dataVersion != body.DataVersion
		for _, tc := range body.Topics {
			if !changed && r.hasQueueDataLocked(tc.TopicName, name) {
				continue
			}
			qd := QueueData{
				BrokerName:     name,
				ReadQueueNums:  tc.ReadQueueNums,
				WriteQueueNums: tc.WriteQueueNums,
				Perm:           tc.Perm,
				TopicSysFlag:   tc.TopicSysFlag,
			}
			if isPrimeSlave && entry.enableActingMaster {
				qd.Perm &^= PermWrite
			}
			r.putQueueDataLocked(tc.TopicName, qd)
		}
	}

	if prevLive != nil && prevLive.connID != reg.ConnID {
		r.unindexConnLocked(prevLive.connID, addr)
	}
	r.live[addr] = &liveBroker{
		cluster:      reg.ClusterName,
		brokerName:   name,
		lastUpdate:   now,
		timeout:      timeout,
		dataVersion:  body.DataVersion,
		connID:       reg.ConnID,
		haServerAddr: reg.HAServerAddr,
	}
	r.indexConnLocked(reg.ConnID, addr)

	var result RegisterResult
	if !isMaster {
		if masterAddr, ok := entry.addrOf(MasterID); ok {
			if master := r.live[masterAddr]; master != nil {
				result = RegisterResult{HAServerAddr: master.haServerAddr, MasterAddr: masterAddr}
			}
		}
	}
	return result, nil
}

// UnregisterBroker removes brokerAddr from broker name brokerName
// (UNREGISTER_BROKER, sent by a broker shutting down) and reports whether it
// was registered there. The broker's last address takes its queue data and
// its cluster membership with it. clusterName and brokerID are accepted for
// the wire's sake: the address alone identifies the registration.
func (r *Registry) UnregisterBroker(clusterName, brokerAddr, brokerName string, brokerID int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	lb := r.live[brokerAddr]
	if lb == nil || lb.brokerName != brokerName {
		return false
	}
	r.removeAddrLocked(brokerAddr)
	return true
}

// listLocked puts name in cluster's set and notes it on the entry.
func (r *Registry) listLocked(entry *brokerEntry, name, cluster string) {
	set := r.clusters[cluster]
	if set == nil {
		set = map[string]struct{}{}
		r.clusters[cluster] = set
	}
	set[name] = struct{}{}
	if i, found := slices.BinarySearch(entry.listed, cluster); !found {
		entry.listed = slices.Insert(entry.listed, i, cluster)
	}
}

// removeAddrLocked removes a registered address: its live record, its place
// in its broker entry and, with the entry's last address, the entry, its
// cluster memberships and its queue data. An unknown address is a no-op.
func (r *Registry) removeAddrLocked(addr string) {
	lb := r.live[addr]
	if lb == nil {
		return
	}
	r.dropLiveLocked(addr)
	entry := r.brokers[lb.brokerName]
	if entry == nil || !entry.removeAddr(addr) {
		panic(fmt.Sprintf("namesrv: live address %s is not in broker %q", addr, lb.brokerName))
	}
	if len(entry.addrs) == 0 {
		r.dropBrokerLocked(lb.brokerName, entry)
		return
	}
	if minID, _ := entry.minID(); entry.enableActingMaster && minID != MasterID {
		// No master left: the acting master serves reads only.
		for _, route := range r.topics {
			if i, ok := route.find(lb.brokerName); ok {
				route.queues[i].Perm &^= PermWrite
			}
		}
	}
}

// dropLiveLocked deletes an address's live record and connection index.
func (r *Registry) dropLiveLocked(addr string) {
	lb := r.live[addr]
	if lb == nil {
		return
	}
	delete(r.live, addr)
	r.unindexConnLocked(lb.connID, addr)
}

// dropBrokerLocked removes a broker entry with its cluster memberships and
// its queue data, and the topics left without queue data.
func (r *Registry) dropBrokerLocked(name string, entry *brokerEntry) {
	delete(r.brokers, name)
	for _, cluster := range entry.listed {
		set := r.clusters[cluster]
		delete(set, name)
		if len(set) == 0 {
			delete(r.clusters, cluster)
		}
	}
	for topic, route := range r.topics {
		r.removeQueueDataLocked(topic, route, name)
	}
}

func (r *Registry) hasQueueDataLocked(topic, brokerName string) bool {
	route := r.topics[topic]
	if route == nil {
		return false
	}
	_, ok := route.find(brokerName)
	return ok
}

func (r *Registry) putQueueDataLocked(topic string, qd QueueData) {
	route := r.topics[topic]
	if route == nil {
		r.topics[topic] = &topicRoute{queues: []QueueData{qd}}
		return
	}
	i, ok := route.find(qd.BrokerName)
	if ok {
		route.queues[i] = qd
		return
	}
	route.queues = slices.Insert(route.queues, i, qd)
}

// removeQueueDataLocked removes brokerName's queue data from a topic and
// the topic when that was its last, and reports whether it removed any.
func (r *Registry) removeQueueDataLocked(topic string, route *topicRoute, brokerName string) bool {
	i, ok := route.find(brokerName)
	if !ok {
		return false
	}
	route.queues = slices.Delete(route.queues, i, i+1)
	if len(route.queues) == 0 {
		delete(r.topics, topic)
	}
	return true
}

func (r *Registry) indexConnLocked(connID uint64, addr string) {
	if connID == 0 {
		return
	}
	set := r.byConn[connID]
	if set == nil {
		set = map[string]struct{}{}
		r.byConn[connID] = set
	}
	set[addr] = struct{}{}
}

func (r *Registry) unindexConnLocked(connID uint64, addr string) {
	set := r.byConn[connID]
	if set == nil {
		return
	}
	delete(set, addr)
	if len(set) == 0 {
		delete(r.byConn, connID)
	}
}
