package client

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/remoting"
	"github.com/apogeemq/apogee/store/configfile"
)

// AdminConfig configures an Admin. Zero values take the defaults.
type AdminConfig struct {
	// NamesrvAddrs are the name servers ("host:port"). The calls that
	// address a broker directly work without any.
	NamesrvAddrs []string
	// Timeout bounds each request (default DefaultAdminTimeout).
	Timeout time.Duration
	// Logger receives the client's log lines (default slog.Default()).
	Logger *slog.Logger
}

// TopicConfig describes a topic to create. Zero values take the defaults
// of the official admin.
type TopicConfig struct {
	// Name is the topic: 1 to 127 characters of [%|a-zA-Z0-9_-].
	Name string
	// ReadQueueNums and WriteQueueNums are the queue counts (default 8
	// each).
	ReadQueueNums  int32
	WriteQueueNums int32
	// Perm holds the permission bits: 2 write, 4 read (default 6).
	Perm int32
	// Order marks an ordered topic.
	Order bool
}

// Defaults of TopicConfig, the official admin's.
const (
	defaultAdminQueueNums = 8
	defaultAdminPerm      = permRead | permWrite
)

// Admin runs operator calls against name servers and brokers. It is
// usable at once (no Start) and holds no cache: every call asks. Its
// methods are safe for concurrent use.
type Admin struct {
	core    *core
	timeout time.Duration
	// cfgErr is the configuration's fault, reported by every call.
	cfgErr error
}

// NewAdmin returns an Admin. A bad configuration is reported by every
// call.
func NewAdmin(e env.Env, cfg AdminConfig) *Admin {
	common, err := commonConfig{namesrvAddrs: slices.Clone(cfg.NamesrvAddrs), logger: cfg.Logger}.withDefaults()
	a := &Admin{timeout: orDuration(cfg.Timeout, DefaultAdminTimeout), cfgErr: err}
	if a.cfgErr == nil {
		a.cfgErr = checkDurations("Timeout", a.timeout)
	}
	a.core = newCore(e, common, heartbeatNone, uint16(e.Rand.Intn(maxPidStandIn)))
	if err := a.core.start(false); err != nil {
		panic(fmt.Sprintf("client: starting a new admin: %v", err))
	}
	return a
}

// Close closes the connections; calls in flight fail with an error
// wrapping ErrClosed. It is idempotent.
func (a *Admin) Close() { a.core.close() }

// brokerCall sends a request to the broker at addr and calls cb with the
// body decoded by decode (nil: no body expected), or the refusal.
func brokerCall[T any](a *Admin, addr, what string, code int32, ext map[string]string, body []byte,
	decode func([]byte) (T, error), cb func(T, error)) {
	var zero T
	if a.cfgErr != nil {
		a.core.later(func() { cb(zero, a.cfgErr) })
		return
	}
	a.core.call(addr, what, remoting.NewRequest(code, ext, body), a.timeout, func(resp *remoting.Command, err error) {
		if err != nil || decode == nil {
			cb(zero, err)
			return
		}
		v, err := decode(resp.Body)
		if err != nil {
			err = fmt.Errorf("%w: %s at %s: %w", ErrBadResponse, what, addr, err)
		}
		cb(v, err)
	})
}

// namesrvCall is brokerCall for a request to the name servers.
func namesrvCall[T any](a *Admin, what string, code int32, ext map[string]string,
	decode func([]byte) (T, error), cb func(T, error)) {
	var zero T
	if a.cfgErr != nil {
		a.core.later(func() { cb(zero, a.cfgErr) })
		return
	}
	a.core.invokeNamesrv(code, ext, a.timeout, func(resp *remoting.Command, err error) {
		switch {
		case err != nil:
			cb(zero, fmt.Errorf("client: %s: %w", what, err))
		case resp.Code != remoting.ResSuccess:
			cb(zero, fmt.Errorf("client: %s: %w", what, brokerError(resp)))
		case decode == nil:
			cb(zero, nil)
		default:
			v, err := decode(resp.Body)
			if err != nil {
				err = fmt.Errorf("%w: %s: %w", ErrBadResponse, what, err)
			}
			cb(v, err)
		}
	})
}

// noValue adapts a callback that carries only an error.
func noValue(cb func(error)) func(struct{}, error) {
	return func(_ struct{}, err error) { cb(err) }
}

// CreateTopicAsync creates or updates a topic on the broker at brokerAddr
// (UPDATE_AND_CREATE_TOPIC) and calls cb, never inside the call. Unlike the
// official admin it reports the broker's refusal as a *BrokerError. The
// broker registers the topic with its name servers itself.
func (a *Admin) CreateTopicAsync(brokerAddr string, tc TopicConfig, cb func(error)) {
	if err := checkTopic(tc.Name, ErrInvalidArgument); err != nil {
		a.core.later(func() { cb(fmt.Errorf("client: create topic: %w", err)) })
		return
	}
	h := remoting.CreateTopicRequestHeader{
		Topic:           tc.Name,
		DefaultTopic:    DefaultTopic,
		ReadQueueNums:   cmp.Or(tc.ReadQueueNums, defaultAdminQueueNums),
		WriteQueueNums:  cmp.Or(tc.WriteQueueNums, defaultAdminQueueNums),
		Perm:            cmp.Or(tc.Perm, defaultAdminPerm),
		TopicFilterType: "SINGLE_TAG",
		Order:           tc.Order,
	}
	brokerCall[struct{}](a, brokerAddr, "create topic "+tc.Name, remoting.ReqUpdateAndCreateTopic, h.ToExtFields(), nil, nil, noValue(cb))
}

// CreateTopic is CreateTopicAsync that waits. It must not be used in the
// simulator or inside a callback.
func (a *Admin) CreateTopic(brokerAddr string, tc TopicConfig) error {
	return waitErr(func(cb func(error)) { a.CreateTopicAsync(brokerAddr, tc, cb) })
}

// DeleteTopicAsync deletes topic from the masters of the brokers its route
// names (DELETE_TOPIC_IN_BROKER), then, when they all succeeded, from every
// name server (DELETE_TOPIC_IN_NAMESRV), and calls cb with the failures
// joined, never inside the call.
func (a *Admin) DeleteTopicAsync(topic string, cb func(error)) {
	a.TopicRouteAsync(topic, func(route *remoting.TopicRouteData, err error) {
		if err != nil {
			cb(fmt.Errorf("client: delete topic %s: %w", topic, err))
			return
		}
		var masters []string
		for _, bd := range route.BrokerDatas {
			if addr, ok := pickAddr(bd.BrokerAddrs, false); ok {
				masters = append(masters, addr)
			}
		}
		slices.Sort(masters)
		masters = slices.Compact(masters)
		ext := remoting.DeleteTopicRequestHeader{Topic: topic}.ToExtFields()
		all(len(masters), func(i int, done func(error)) {
			brokerCall[struct{}](a, masters[i], "delete topic "+topic, remoting.ReqDeleteTopicInBroker, ext, nil, nil, noValue(done))
		}, func(err error) {
			if err != nil {
				cb(err)
				return
			}
			a.deleteTopicInNamesrvs(topic, cb)
		})
	})
}

// deleteTopicInNamesrvs deletes topic's routes on every name server.
func (a *Admin) deleteTopicInNamesrvs(topic string, cb func(error)) {
	addrs := a.core.cfg.namesrvAddrs
	ext := remoting.DeleteTopicFromNamesrvRequestHeader{Topic: topic}.ToExtFields()
	all(len(addrs), func(i int, done func(error)) {
		brokerCall[struct{}](a, addrs[i], "delete topic "+topic+" in name server", remoting.ReqDeleteTopicInNamesrv, ext, nil, nil, noValue(done))
	}, cb)
}

// DeleteTopic is DeleteTopicAsync that waits. It must not be used in the
// simulator or inside a callback.
func (a *Admin) DeleteTopic(topic string) error {
	return waitErr(func(cb func(error)) { a.DeleteTopicAsync(topic, cb) })
}

// all starts n operations at once and calls cb once all have finished,
// with their errors joined in operation order; with n = 0 it calls cb at
// once.
func all(n int, op func(i int, done func(error)), cb func(error)) {
	if n == 0 {
		cb(nil)
		return
	}
	var mu sync.Mutex
	errs := make([]error, n)
	left := n
	for i := range n {
		op(i, func(err error) {
			mu.Lock()
			errs[i] = err
			left--
			last := left == 0
			mu.Unlock()
			if last {
				cb(errors.Join(errs...))
			}
		})
	}
}

// TopicRouteAsync asks the name servers for topic's route and calls cb
// with it, never inside the call.
func (a *Admin) TopicRouteAsync(topic string, cb func(*remoting.TopicRouteData, error)) {
	if a.cfgErr != nil {
		a.core.later(func() { cb(nil, a.cfgErr) })
		return
	}
	a.core.fetchRoute(topic, cb)
}

// TopicRoute is TopicRouteAsync that waits. It must not be used in the
// simulator or inside a callback.
func (a *Admin) TopicRoute(topic string) (*remoting.TopicRouteData, error) {
	return wait(func(cb func(*remoting.TopicRouteData, error)) { a.TopicRouteAsync(topic, cb) })
}

// ClusterInfoAsync asks the name servers for the clusters and their
// brokers (GET_BROKER_CLUSTER_INFO) and calls cb, never inside the call.
func (a *Admin) ClusterInfoAsync(cb func(*remoting.ClusterInfo, error)) {
	namesrvCall(a, "cluster info", remoting.ReqGetBrokerClusterInfo, nil, remoting.DecodeClusterInfo, cb)
}

// ClusterInfo is ClusterInfoAsync that waits. It must not be used in the
// simulator or inside a callback.
func (a *Admin) ClusterInfo() (*remoting.ClusterInfo, error) {
	return wait(a.ClusterInfoAsync)
}

// AllTopicsAsync asks the name servers for every topic they know
// (GET_ALL_TOPIC_LIST_FROM_NAMESERVER) and calls cb with the names,
// sorted, never inside the call.
func (a *Admin) AllTopicsAsync(cb func([]string, error)) {
	namesrvCall(a, "topic list", remoting.ReqGetAllTopicListFromNameserver, nil, func(body []byte) ([]string, error) {
		l, err := remoting.DecodeTopicList(body)
		if err != nil {
			return nil, err
		}
		return slices.Sorted(slices.Values(l.TopicList)), nil
	}, cb)
}

// AllTopics is AllTopicsAsync that waits. It must not be used in the
// simulator or inside a callback.
func (a *Admin) AllTopics() ([]string, error) {
	return wait(a.AllTopicsAsync)
}

// DeleteSubscriptionGroupAsync deletes group on the broker at brokerAddr
// (DELETE_SUBSCRIPTIONGROUP), keeping its committed offsets as the Java
// admin does by default, and calls cb, never inside the call.
func (a *Admin) DeleteSubscriptionGroupAsync(brokerAddr, group string, cb func(error)) {
	ext := remoting.DeleteSubscriptionGroupRequestHeader{GroupName: group}.ToExtFields()
	brokerCall[struct{}](a, brokerAddr, "delete group "+group, remoting.ReqDeleteSubscriptionGroup, ext, nil, nil, noValue(cb))
}

// DeleteSubscriptionGroup is DeleteSubscriptionGroupAsync that waits. It
// must not be used in the simulator or inside a callback.
func (a *Admin) DeleteSubscriptionGroup(brokerAddr, group string) error {
	return waitErr(func(cb func(error)) { a.DeleteSubscriptionGroupAsync(brokerAddr, group, cb) })
}

// ConsumerIDsAsync asks the broker at brokerAddr for the client ids of
// group's members (GET_CONSUMER_LIST_BY_GROUP) and calls cb with them,
// sorted, never inside the call.
func (a *Admin) ConsumerIDsAsync(brokerAddr, group string, cb func([]string, error)) {
	ext := remoting.GetConsumerListByGroupRequestHeader{ConsumerGroup: group}.ToExtFields()
	brokerCall(a, brokerAddr, "consumers of "+group, remoting.ReqGetConsumerListByGroup, ext, nil, func(body []byte) ([]string, error) {
		l, err := remoting.DecodeConsumerListBody(body)
		if err != nil {
			return nil, err
		}
		return slices.Sorted(slices.Values(l.ConsumerIDList)), nil
	}, cb)
}

// ConsumerIDs is ConsumerIDsAsync that waits. It must not be used in the
// simulator or inside a callback.
func (a *Admin) ConsumerIDs(brokerAddr, group string) ([]string, error) {
	return wait(func(cb func([]string, error)) { a.ConsumerIDsAsync(brokerAddr, group, cb) })
}

// TopicStatsAsync asks the broker at brokerAddr for the offsets of each
// of topic's queues (GET_TOPIC_STATS_INFO) and calls cb, never inside the
// call.
func (a *Admin) TopicStatsAsync(brokerAddr, topic string, cb func(*remoting.TopicStatsTable, error)) {
	ext := remoting.GetTopicStatsInfoRequestHeader{Topic: topic}.ToExtFields()
	brokerCall(a, brokerAddr, "stats of topic "+topic, remoting.ReqGetTopicStatsInfo, ext, nil, remoting.DecodeTopicStatsTable, cb)
}

// TopicStats is TopicStatsAsync that waits. It must not be used in the
// simulator or inside a callback.
func (a *Admin) TopicStats(brokerAddr, topic string) (*remoting.TopicStatsTable, error) {
	return wait(func(cb func(*remoting.TopicStatsTable, error)) { a.TopicStatsAsync(brokerAddr, topic, cb) })
}

// ConsumeStatsAsync asks the broker at brokerAddr for group's progress on
// topic (every topic of the group when topic is empty; GET_CONSUME_STATS)
// and calls cb, never inside the call.
func (a *Admin) ConsumeStatsAsync(brokerAddr, group, topic string, cb func(*remoting.ConsumeStats, error)) {
	ext := remoting.GetConsumeStatsRequestHeader{ConsumerGroup: group, Topic: topic}.ToExtFields()
	brokerCall(a, brokerAddr, "consume stats of "+group, remoting.ReqGetConsumeStats, ext, nil, remoting.DecodeConsumeStats, cb)
}

// ConsumeStats is ConsumeStatsAsync that waits. It must not be used in the
// simulator or inside a callback.
func (a *Admin) ConsumeStats(brokerAddr, group, topic string) (*remoting.ConsumeStats, error) {
	return wait(func(cb func(*remoting.ConsumeStats, error)) { a.ConsumeStatsAsync(brokerAddr, group, topic, cb) })
}

// CreateSubscriptionGroupAsync creates or updates a consumer group on the
// broker at brokerAddr (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP) and calls cb,
// never inside the call. A refusal comes back as a *BrokerError.
func (a *Admin) CreateSubscriptionGroupAsync(brokerAddr string, g configfile.SubscriptionGroupConfig, cb func(error)) {
	body := remoting.AppendSubscriptionGroupConfigJSON(nil, &g)
	brokerCall[struct{}](a, brokerAddr, "create group "+g.GroupName, remoting.ReqUpdateAndCreateSubscriptionGroup, nil, body, nil, noValue(cb))
}

// CreateSubscriptionGroup is CreateSubscriptionGroupAsync that waits. It
// must not be used in the simulator or inside a callback.
func (a *Admin) CreateSubscriptionGroup(brokerAddr string, g configfile.SubscriptionGroupConfig) error {
	return waitErr(func(cb func(error)) { a.CreateSubscriptionGroupAsync(brokerAddr, g, cb) })
}

// BrokerRuntimeInfoAsync asks the broker at brokerAddr for its runtime
// statistics (GET_BROKER_RUNTIME_INFO) and calls cb with them, never inside
// the call.
func (a *Admin) BrokerRuntimeInfoAsync(brokerAddr string, cb func(map[string]string, error)) {
	brokerCall(a, brokerAddr, "runtime info", remoting.ReqGetBrokerRuntimeInfo, nil, nil, func(body []byte) (map[string]string, error) {
		t, err := remoting.DecodeKVTable(body)
		if err != nil {
			return nil, err
		}
		return t.Table, nil
	}, cb)
}

// BrokerRuntimeInfo is BrokerRuntimeInfoAsync that waits. It must not be
// used in the simulator or inside a callback.
func (a *Admin) BrokerRuntimeInfo(brokerAddr string) (map[string]string, error) {
	return wait(func(cb func(map[string]string, error)) { a.BrokerRuntimeInfoAsync(brokerAddr, cb) })
}
