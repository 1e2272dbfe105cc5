package client

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/remoting"
)

// PullConsumerConfig configures a PullConsumer. Zero values take the
// defaults.
type PullConsumerConfig struct {
	// NamesrvAddrs are the name servers ("host:port"); at least one.
	NamesrvAddrs []string
	// Group is the consumer group; required.
	Group string
	// SuspendTimeout, when positive, lets the broker hold a pull that
	// finds nothing new for up to this long, answering as soon as a
	// message arrives (long polling). Zero answers at once.
	SuspendTimeout time.Duration
	// PullTimeout bounds a pull request, its hold included (default
	// DefaultPullTimeout); it must exceed SuspendTimeout.
	PullTimeout time.Duration
	// RequestTimeout bounds the offset requests and heartbeats (default
	// DefaultRequestTimeout).
	RequestTimeout time.Duration
	// MaxMessageBytes is the largest body the producers send (default
	// DefaultMaxMessageBytes); a compressed body may inflate to
	// MaxInflateFactor times it.
	MaxMessageBytes int
	// ClientIP is the address put into the client id (default 127.0.0.1).
	ClientIP netip.Addr
	// InstanceName distinguishes clients of one address in the client id
	// "ip@instance" (default a process id stand-in and a random number).
	InstanceName string
	// RouteTimeout bounds one name server request (default
	// DefaultRouteTimeout).
	RouteTimeout time.Duration
	// RouteRefreshInterval is how often cached routes are fetched again
	// (default DefaultRouteRefreshInterval).
	RouteRefreshInterval time.Duration
	// HeartbeatInterval is how often the brokers are heartbeaten (default
	// DefaultHeartbeatInterval).
	HeartbeatInterval time.Duration
	// Logger receives the client's log lines (default slog.Default()).
	Logger *slog.Logger
}

// subscribed is one Subscribe call.
type subscribed struct {
	topic     string
	sub       subscription
	versionNs int64 // the clock at Subscribe, in ns, as the Go client stamps it
}

// PullConsumer reads queues at offsets it is told: no rebalancing, no
// offset bookkeeping of its own. It heartbeats its group to the brokers of
// the routes it knows as a CONSUME_ACTIVELY member with the subscriptions
// given to Subscribe, so that group listings and operator calls see it.
// Its methods are safe for concurrent use.
type PullConsumer struct {
	core            *core
	group           string
	suspend         time.Duration
	pullTimeout     time.Duration
	maxInflateBytes int
	cfgErr          error

	mu   sync.Mutex
	subs []subscribed
}

// NewPullConsumer returns a PullConsumer that sends nothing before Start. A
// bad configuration is reported by Start.
func NewPullConsumer(e env.Env, cfg PullConsumerConfig) *PullConsumer {
	common, err := commonConfig{
		namesrvAddrs:         slices.Clone(cfg.NamesrvAddrs),
		clientIP:             cfg.ClientIP,
		instanceName:         cfg.InstanceName,
		routeTimeout:         cfg.RouteTimeout,
		routeRefreshInterval: cfg.RouteRefreshInterval,
		heartbeatInterval:    cfg.HeartbeatInterval,
		requestTimeout:       cfg.RequestTimeout,
		logger:               cfg.Logger,
	}.withDefaults()
	c := &PullConsumer{
		group:       cfg.Group,
		suspend:     cfg.SuspendTimeout,
		pullTimeout: orDuration(cfg.PullTimeout, DefaultPullTimeout),
		cfgErr:      err,
	}
	maxMessageBytes := orInt(cfg.MaxMessageBytes, DefaultMaxMessageBytes)
	c.maxInflateBytes = MaxInflateFactor * maxMessageBytes
	switch {
	case c.cfgErr != nil:
	case len(common.namesrvAddrs) == 0:
		c.cfgErr = fmt.Errorf("%w: %w", ErrInvalidConfig, ErrNoNameServer)
	case !validName(c.group, MaxGroupLength):
		c.cfgErr = fmt.Errorf("%w: consumer group %q is not 1 to %d characters of [%%|a-zA-Z0-9_-]", ErrInvalidConfig, c.group, MaxGroupLength)
	case c.suspend < 0 || c.pullTimeout <= c.suspend:
		c.cfgErr = fmt.Errorf("%w: SuspendTimeout %v must be within [0, PullTimeout %v)", ErrInvalidConfig, c.suspend, c.pullTimeout)
	case maxMessageBytes <= 0 || maxMessageBytes > (1<<30)/MaxInflateFactor:
		c.cfgErr = fmt.Errorf("%w: MaxMessageBytes %d outside [1, %d]", ErrInvalidConfig, maxMessageBytes, (1<<30)/MaxInflateFactor)
	}
	c.core = newCore(e, common, heartbeatAll, uint16(e.Rand.Intn(maxPidStandIn)))
	c.core.heartbeatData = c.heartbeatData
	return c
}

// Subscribe registers the group's subscription of topic with a TAG
// expression ("*" or "TagA || TagB"), announced in heartbeats. It must be
// called before Start; a second call for a topic replaces the first.
func (c *PullConsumer) Subscribe(topic, expression string) error {
	if err := checkTopic(topic, ErrInvalidArgument); err != nil {
		return fmt.Errorf("client: subscribe: %w", err)
	}
	sub, err := parseExpression(expression)
	if err != nil {
		return fmt.Errorf("client: subscribe to %s: %w", topic, err)
	}
	if err := c.core.usable(); !errors.Is(err, ErrNotStarted) {
		return fmt.Errorf("client: subscribe to %s after Start: %w", topic, ErrAlreadyStarted)
	}
	s := subscribed{topic: topic, sub: sub, versionNs: c.core.env.Clock.Now().UnixNano()}
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := slices.IndexFunc(c.subs, func(x subscribed) bool { return x.topic == topic }); i >= 0 {
		c.subs[i] = s
		return nil
	}
	if len(c.subs) == remoting.MaxHeartbeatSubscriptions {
		return fmt.Errorf("%w: more than %d subscriptions", ErrInvalidArgument, remoting.MaxHeartbeatSubscriptions)
	}
	c.subs = append(c.subs, s)
	return nil
}

// Start makes the consumer usable, looks up the routes of the subscribed
// topics (heartbeating their brokers as they become known) and schedules
// the route refresh and heartbeats. It does not wait for the lookups.
func (c *PullConsumer) Start() error {
	if c.cfgErr != nil {
		return c.cfgErr
	}
	if err := c.core.start(true); err != nil {
		return err
	}
	c.mu.Lock()
	topics := make([]string, len(c.subs))
	for i, s := range c.subs {
		topics[i] = s.topic
	}
	c.mu.Unlock()
	for _, topic := range topics {
		c.core.route(topic, false, func(_ *routeEntry, err error) {
			if err != nil {
				c.core.log.Warn("client: route of a subscribed topic not found", slog.String("topic", topic), slog.Any("err", err))
			}
		})
	}
	return nil
}

// Close stops the periodic work and closes the connections; requests in
// flight fail with an error wrapping ErrClosed. It is idempotent.
func (c *PullConsumer) Close() { c.core.close() }

// ClientID returns the id the consumer announces in heartbeats
// ("ip@instance"), the one GET_CONSUMER_LIST_BY_GROUP lists.
func (c *PullConsumer) ClientID() string { return c.core.clientID }

// heartbeatData is the consumer's heartbeat body.
func (c *PullConsumer) heartbeatData() *remoting.HeartbeatData {
	c.mu.Lock()
	defer c.mu.Unlock()
	subs := make([]remoting.SubscriptionData, len(c.subs))
	for i, s := range c.subs {
		subs[i] = s.sub.data(s.topic, s.versionNs)
	}
	return &remoting.HeartbeatData{
		ClientID: c.core.clientID,
		ConsumerDataSet: []remoting.ConsumerData{{
			GroupName:           c.group,
			ConsumeType:         remoting.ConsumeTypeActively,
			MessageModel:        remoting.MessageModelClustering,
			ConsumeFromWhere:    remoting.ConsumeFromLastOffset,
			SubscriptionDataSet: subs,
		}},
	}
}

// subVersion returns the subscription version of topic: Subscribe's stamp,
// or the clock for a topic not subscribed.
func (c *PullConsumer) subVersion(topic string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := slices.IndexFunc(c.subs, func(x subscribed) bool { return x.topic == topic }); i >= 0 {
		return c.subs[i].versionNs
	}
	return c.core.env.Clock.Now().UnixNano()
}

// FetchQueuesAsync asks the name servers for topic's route and calls cb,
// never inside the call, with its readable queues, sorted by broker and
// queue id. The route replaces the cached one.
func (c *PullConsumer) FetchQueuesAsync(topic string, cb func([]MessageQueue, error)) {
	if err := checkTopic(topic, ErrInvalidArgument); err != nil {
		c.core.later(func() { cb(nil, err) })
		return
	}
	c.core.fetchRoute(topic, func(data *remoting.TopicRouteData, err error) {
		var e *routeEntry
		if err == nil {
			e, err = c.core.replaceRoute(topic, data)
		}
		switch {
		case err != nil:
			cb(nil, err)
		case len(e.subscribe) == 0:
			cb(nil, fmt.Errorf("%w: topic %s has no readable queue", ErrNoRoute, topic))
		default:
			cb(slices.Clone(e.subscribe), nil)
		}
	})
}

// FetchQueues is FetchQueuesAsync that waits. It must not be used in the
// simulator or inside a callback.
func (c *PullConsumer) FetchQueues(topic string) ([]MessageQueue, error) {
	return wait(func(cb func([]MessageQueue, error)) { c.FetchQueuesAsync(topic, cb) })
}

// queueRequest sends a request about mq to its broker (the master, else
// the replica with the smallest id), looking the topic's route up when the
// broker is not known yet, and hands cb the answer whatever its code.
func (c *PullConsumer) queueRequest(mq MessageQueue, what string, code int32, ext map[string]string, timeout time.Duration, cb func(*remoting.Command, error)) {
	send := func(addr string) {
		c.core.invoke(addr, remoting.NewRequest(code, ext, nil), timeout, func(resp *remoting.Command, err error) {
			if err != nil {
				err = fmt.Errorf("client: %s of %s queue %d at %s: %w", what, mq.Topic, mq.QueueID, addr, err)
			}
			cb(resp, err)
		})
	}
	if addr, ok := c.core.brokerAddr(mq.BrokerName, true); ok {
		send(addr)
		return
	}
	c.core.route(mq.Topic, false, func(_ *routeEntry, err error) {
		if err != nil {
			cb(nil, fmt.Errorf("client: %s of %s queue %d: %w", what, mq.Topic, mq.QueueID, err))
			return
		}
		addr, ok := c.core.brokerAddr(mq.BrokerName, true)
		if !ok {
			cb(nil, fmt.Errorf("client: %s of %s queue %d: %w: %s", what, mq.Topic, mq.QueueID, ErrBrokerNotFound, mq.BrokerName))
			return
		}
		send(addr)
	})
}
