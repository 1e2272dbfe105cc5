package namesrv

import (
	"slices"
	"time"
)

// RemovedBroker describes an address the registry dropped on its own: it
// expired or its connection closed.
type RemovedBroker struct {
	Cluster    string
	BrokerName string
	BrokerAddr string
	// ConnID is the connection it last registered through (0: none).
	ConnID uint64
	// LastUpdate is when it last registered or sent a heartbeat.
	LastUpdate time.Time
}

// ScanNotActiveBrokers removes every address whose last registration is
// older than its heartbeat timeout at now (RocketMQ's scanNotActiveBroker:
// removed when lastUpdate + timeout < now), with the consequences of
// UnregisterBroker, and returns them sorted by address so that their
// owner can log them and close their connections.
func (r *Registry) ScanNotActiveBrokers(now time.Time) []RemovedBroker {
	r.mu.Lock()
	defer r.mu.Unlock()
	var expired []RemovedBroker
	for addr, lb := range r.live {
		if lb.lastUpdate.Add(lb.timeout).Before(now) {
			expired = append(expired, removedOf(addr, lb))
		}
	}
	return r.removeAllLocked(expired)
}

// ConnectionClosed removes every address registered through connection
// connID (RocketMQ's onChannelDestroy) and returns them sorted by address.
// Most connections are clients that never registered; for those it only
// takes the read lock.
func (r *Registry) ConnectionClosed(connID uint64) []RemovedBroker {
	if connID == 0 {
		return nil
	}
	r.mu.RLock()
	_, registered := r.byConn[connID]
	r.mu.RUnlock()
	if !registered {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var closed []RemovedBroker
	for addr := range r.byConn[connID] {
		closed = append(closed, removedOf(addr, r.live[addr]))
	}
	return r.removeAllLocked(closed)
}

func removedOf(addr string, lb *liveBroker) RemovedBroker {
	return RemovedBroker{
		Cluster:    lb.cluster,
		BrokerName: lb.brokerName,
		BrokerAddr: addr,
		ConnID:     lb.connID,
		LastUpdate: lb.lastUpdate,
	}
}

func (r *Registry) removeAllLocked(list []RemovedBroker) []RemovedBroker {
	slices.SortFunc(list, func(a, b RemovedBroker) int {
		switch {
		case a.BrokerAddr < b.BrokerAddr:
			return -1
		case a.BrokerAddr > b.BrokerAddr:
			return 1
		}
		return 0
	})
	for _, rb := range list {
		r.removeAddrLocked(rb.BrokerAddr)
	}
	return list
}

// Heartbeat renews the liveness of a registered address without changing
// its routes (BROKER_HEARTBEAT of 5.x brokers) and reports whether the
// address is registered under clusterName.
func (r *Registry) Heartbeat(clusterName, brokerAddr string) bool {
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	lb := r.live[brokerAddr]
	if lb == nil || lb.cluster != clusterName {
		return false
	}
	lb.lastUpdate = now
	return true
}

// QueryDataVersion answers QUERY_DATA_VERSION, with which a broker asks
// whether it must register again: changed reports whether v differs from
// the data version recorded for the address (true when none is), and
// recorded is that version when known. Like Heartbeat it renews the
// address's liveness.
func (r *Registry) QueryDataVersion(clusterName, brokerAddr string, v DataVersion) (changed bool, recorded DataVersion, known bool) {
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	lb := r.live[brokerAddr]
	if lb == nil || lb.cluster != clusterName {
		return true, DataVersion{}, false
	}
	lb.lastUpdate = now
	return lb.dataVersion != v, lb.dataVersion, true
}
