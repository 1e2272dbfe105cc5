package client

import (
	"cmp"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/apogeemq/apogee/remoting"
)

// Permission bits of a route's queue data (PermName).
const (
	permWrite int32 = 2
	permRead  int32 = 4
)

// routeKey names one kind of route lookup of a topic.
type routeKey struct {
	topic   string
	publish bool
}

// routeEntry is the cached route of one topic: the queues derived from it.
// It is immutable once built, but for the round-robin cursor.
type routeEntry struct {
	topic string
	// own says the topic's own route was found; subscribe comes from it.
	own bool
	// fromDefault says publish comes from DefaultTopic's route.
	fromDefault bool
	// publish are the queues to send to, subscribe those to pull from,
	// each sorted by broker name and queue id.
	publish   []MessageQueue
	subscribe []MessageQueue
	// next is the round-robin cursor over publish.
	next atomic.Uint32
}

// usableFor reports whether the entry serves a lookup of that kind.
func (e *routeEntry) usableFor(publish bool) bool {
	if publish {
		return len(e.publish) > 0
	}
	return e.own
}

// cachedRoute returns the cached route of topic when it serves the kind of
// lookup, else nil.
func (c *core) cachedRoute(topic string, publish bool) *routeEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.routes[topic]; e != nil && e.usableFor(publish) {
		return e
	}
	return nil
}

// route calls cb, never inside the call, with the route of topic: from the
// cache, or looked up once for all the calls waiting for it. A publish
// lookup falls back to DefaultTopic's route (spec §4.1).
func (c *core) route(topic string, publish bool, cb func(*routeEntry, error)) {
	if err := c.usable(); err != nil {
		c.later(func() { cb(nil, err) })
		return
	}
	key := routeKey{topic, publish}
	c.mu.Lock()
	if e := c.routes[topic]; e != nil && e.usableFor(publish) {
		c.mu.Unlock()
		c.later(func() { cb(e, nil) })
		return
	}
	ws := c.waiters[key]
	if len(ws) >= MaxRouteWaiters {
		c.mu.Unlock()
		c.later(func() { cb(nil, fmt.Errorf("%w: topic %s", ErrTooManyWaiters, topic)) })
		return
	}
	c.waiters[key] = append(ws, cb)
	c.mu.Unlock()
	if len(ws) > 0 {
		return // a lookup is under way
	}
	c.lookup(topic, publish, func(e *routeEntry, err error) {
		c.mu.Lock()
		ws := c.waiters[key]
		delete(c.waiters, key)
		if err == nil {
			c.routes[topic] = e
		}
		c.mu.Unlock()
		for _, w := range ws {
			w(e, err)
		}
	})
}

// lookup asks the name servers for the route of topic and, for a publish
// lookup that finds no writable queue, for DefaultTopic's.
func (c *core) lookup(topic string, publish bool, cb func(*routeEntry, error)) {
	c.fetchRoute(topic, func(own *remoting.TopicRouteData, err error) {
		var e *routeEntry
		if err == nil {
			if e, err = c.buildEntry(topic, own, nil); err != nil {
				cb(nil, err)
				return
			}
			if !publish || len(e.publish) > 0 {
				cb(e, nil)
				return
			}
		}
		if !publish {
			cb(nil, err)
			return
		}
		ownErr := err
		c.fetchRoute(DefaultTopic, func(def *remoting.TopicRouteData, err error) {
			if err != nil {
				cb(nil, fmt.Errorf("%w: topic %s (%v), and %s: %w", ErrNoRoute, topic, ownErr, DefaultTopic, err))
				return
			}
			e, err := c.buildEntry(topic, own, def)
			if err != nil {
				cb(nil, err)
				return
			}
			if len(e.publish) == 0 {
				cb(nil, fmt.Errorf("%w: topic %s has no writable queue, nor has %s", ErrNoRoute, topic, DefaultTopic))
				return
			}
			cb(e, nil)
		})
	})
}

// fetchRoute asks the name servers for the route of topic and records its
// brokers.
func (c *core) fetchRoute(topic string, cb func(*remoting.TopicRouteData, error)) {
	ext := remoting.GetRouteInfoRequestHeader{Topic: topic}.ToExtFields()
	c.invokeNamesrv(remoting.ReqGetRouteInfoByTopic, ext, c.cfg.routeTimeout, func(resp *remoting.Command, err error) {
		switch {
		case err != nil:
			cb(nil, fmt.Errorf("client: route of topic %s: %w", topic, err))
			return
		case resp.Code != remoting.ResSuccess:
			cb(nil, fmt.Errorf("client: route of topic %s: %w", topic, brokerError(resp)))
			return
		case len(resp.Body) == 0:
			cb(nil, fmt.Errorf("%w: route of topic %s: SUCCESS without a body", ErrBadResponse, topic))
			return
		}
		data, err := remoting.DecodeTopicRouteData(resp.Body)
		if err != nil {
			cb(nil, fmt.Errorf("%w: route of topic %s: %w", ErrBadResponse, topic, err))
			return
		}
		c.learnBrokers(data)
		cb(data, nil)
	})
}

// buildEntry derives the queues of topic: subscribe from its own route
// (nil when it has none), publish from def when given (DefaultTopic's
// route, queue counts capped at DefaultTopicQueueNums), else from own.
func (c *core) buildEntry(topic string, own, def *remoting.TopicRouteData) (*routeEntry, error) {
	e := &routeEntry{topic: topic, own: own != nil, fromDefault: def != nil}
	var err error
	if own != nil {
		if e.subscribe, err = routeQueues(topic, own, permRead, 0); err != nil {
			return nil, err
		}
	}
	switch {
	case def != nil:
		e.publish, err = routeQueues(topic, def, permWrite, DefaultTopicQueueNums)
	case own != nil:
		e.publish, err = routeQueues(topic, own, permWrite, 0)
	}
	if err != nil {
		return nil, err
	}
	if len(e.publish) > 0 {
		e.next.Store(uint32(c.env.Rand.Intn(len(e.publish))))
	}
	return e, nil
}

// routeQueues lists the queues of data with the permission bit perm:
// writeQueueNums (for permWrite) or readQueueNums (for permRead) per
// broker, each capped at capNums when positive. Publishing takes only
// brokers with a master, or the pairs of orderTopicConf when set; reading
// takes brokers with any address.
func routeQueues(topic string, data *remoting.TopicRouteData, perm int32, capNums int32) ([]MessageQueue, error) {
	addrs := make(map[string]map[int64]string, len(data.BrokerDatas))
	for _, bd := range data.BrokerDatas {
		addrs[bd.BrokerName] = bd.BrokerAddrs
	}
	var out []MessageQueue
	add := func(broker string, n int32) error {
		if capNums > 0 {
			n = min(n, capNums)
		}
		if n <= 0 {
			return nil
		}
		if len(out)+int(n) > MaxRouteQueues {
			return fmt.Errorf("%w: route of topic %s has more than %d queues", ErrBadResponse, topic, MaxRouteQueues)
		}
		for id := range n {
			out = append(out, MessageQueue{Topic: topic, BrokerName: broker, QueueID: id})
		}
		return nil
	}
	if perm == permWrite && data.OrderTopicConf != "" {
		for _, item := range strings.Split(data.OrderTopicConf, ";") {
			name, count, ok := strings.Cut(item, ":")
			n, err := strconv.ParseInt(count, 10, 32)
			if !ok || name == "" || err != nil {
				return nil, fmt.Errorf("%w: route of topic %s: orderTopicConf item %q is not name:count", ErrBadResponse, topic, item)
			}
			if err := add(name, int32(n)); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	qds := slices.Clone(data.QueueDatas)
	slices.SortStableFunc(qds, func(a, b remoting.QueueData) int {
		return cmp.Compare(a.BrokerName, b.BrokerName)
	})
	for _, qd := range qds {
		if qd.Perm&perm == 0 {
			continue
		}
		if _, ok := pickAddr(addrs[qd.BrokerName], perm == permRead); !ok {
			continue
		}
		n := qd.WriteQueueNums
		if perm == permRead {
			n = qd.ReadQueueNums
		}
		if err := add(qd.BrokerName, n); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// refreshRoutes fetches every cached route again. A route that cannot be
// fetched is kept; a topic published on DefaultTopic's route keeps that
// until its own route has a writable queue.
func (c *core) refreshRoutes() {
	c.mu.Lock()
	topics := slices.Sorted(maps.Keys(c.routes))
	c.mu.Unlock()
	for _, topic := range topics {
		c.fetchRoute(topic, func(data *remoting.TopicRouteData, err error) {
			if err == nil {
				_, err = c.replaceRoute(topic, data)
			}
			if err != nil {
				c.log.Debug("client: route refresh failed, keeping the cached route", slog.String("topic", topic), slog.Any("err", err))
			}
		})
	}
}

// replaceRoute installs a freshly fetched route of topic and returns it.
func (c *core) replaceRoute(topic string, data *remoting.TopicRouteData) (*routeEntry, error) {
	e, err := c.buildEntry(topic, data, nil)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.routes[topic]
	if old != nil && old.fromDefault && len(e.publish) == 0 {
		e.publish, e.fromDefault = old.publish, true
		e.next.Store(old.next.Load())
	}
	c.routes[topic] = e
	return e, nil
}
