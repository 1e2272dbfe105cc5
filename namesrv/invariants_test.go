package namesrv

import (
	"fmt"
	"slices"
	"strings"
)

// checkInvariants verifies the invariants of the package doc.
func (r *Registry) checkInvariants() error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for topic, route := range r.topics {
		if len(route.queues) == 0 {
			return fmt.Errorf("topic %q has no queue data", topic)
		}
		if !slices.IsSortedFunc(route.queues, func(a, b QueueData) int { return strings.Compare(a.BrokerName, b.BrokerName) }) {
			return fmt.Errorf("topic %q: queue data not sorted", topic)
		}
		for i, qd := range route.queues {
			if i > 0 && route.queues[i-1].BrokerName == qd.BrokerName {
				return fmt.Errorf("topic %q: broker %q twice", topic, qd.BrokerName)
			}
			if r.brokers[qd.BrokerName] == nil {
				return fmt.Errorf("topic %q: queue data of unregistered broker %q", topic, qd.BrokerName)
			}
		}
	}
	seen := map[string]string{} // address -> broker name
	for name, b := range r.brokers {
		if len(b.addrs) == 0 {
			return fmt.Errorf("broker %q has no address", name)
		}
		for i, a := range b.addrs {
			if i > 0 && b.addrs[i-1].id >= a.id {
				return fmt.Errorf("broker %q: ids not strictly increasing", name)
			}
			if other, dup := seen[a.addr]; dup {
				return fmt.Errorf("address %s in brokers %q and %q", a.addr, other, name)
			}
			seen[a.addr] = name
			lb := r.live[a.addr]
			if lb == nil {
				return fmt.Errorf("broker %q: address %s has no live record", name, a.addr)
			}
			if lb.brokerName != name {
				return fmt.Errorf("address %s: live record names %q, entry is %q", a.addr, lb.brokerName, name)
			}
		}
		if len(b.listed) == 0 || !slices.IsSorted(b.listed) {
			return fmt.Errorf("broker %q: cluster list %v", name, b.listed)
		}
		for _, c := range b.listed {
			if _, ok := r.clusters[c][name]; !ok {
				return fmt.Errorf("broker %q lists cluster %q, whose set lacks it", name, c)
			}
		}
	}
	if len(seen) != len(r.live) {
		return fmt.Errorf("%d addresses in broker entries, %d live records", len(seen), len(r.live))
	}
	for cluster, set := range r.clusters {
		if len(set) == 0 {
			return fmt.Errorf("cluster %q is empty", cluster)
		}
		for name := range set {
			b := r.brokers[name]
			if b == nil {
				return fmt.Errorf("cluster %q holds unregistered broker %q", cluster, name)
			}
			if !slices.Contains(b.listed, cluster) {
				return fmt.Errorf("cluster %q holds broker %q, which does not list it", cluster, name)
			}
		}
	}
	indexed := 0
	for connID, addrs := range r.byConn {
		if len(addrs) == 0 {
			return fmt.Errorf("connection %d has an empty index", connID)
		}
		for addr := range addrs {
			lb := r.live[addr]
			if lb == nil || lb.connID != connID {
				return fmt.Errorf("connection %d indexes %s, which is not live on it", connID, addr)
			}
			indexed++
		}
	}
	for addr, lb := range r.live {
		if lb.connID == 0 {
			continue
		}
		if _, ok := r.byConn[lb.connID][addr]; !ok {
			return fmt.Errorf("address %s on connection %d is not indexed", addr, lb.connID)
		}
	}
	return nil
}
