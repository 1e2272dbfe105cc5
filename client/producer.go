package client

import (
	"cmp"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/remoting"
)

// ProducerConfig configures a Producer. Zero values take the defaults.
type ProducerConfig struct {
	// NamesrvAddrs are the name servers ("host:port"); at least one.
	NamesrvAddrs []string
	// Group is the producer group (default DefaultProducerGroup).
	Group string
	// SendTimeout bounds the attempts of one send together (default
	// DefaultSendTimeout). The time a first route lookup took counts
	// against it; the lookup itself is bounded by RouteTimeout.
	SendTimeout time.Duration
	// MaxAttempts is the attempts of one send, the first included
	// (default DefaultMaxAttempts; 1 disables retries; at most
	// MaxAttemptsLimit).
	MaxAttempts int
	// CompressOverBytes is the body size from which bodies are sent
	// compressed (default DefaultCompressOverBytes; negative never
	// compresses).
	CompressOverBytes int
	// MaxMessageBytes bounds a body before compression, and a batch
	// (default DefaultMaxMessageBytes).
	MaxMessageBytes int
	// Selector, when set, picks the queue of each attempt of a send from
	// the topic's writable queues, without the queues of brokers that
	// failed the send when any other remains. It must return one of the
	// queues it is given, and must not block.
	Selector func(mqs []MessageQueue, msg *Message) MessageQueue
	// ClientIP is the address put into message and client ids (default
	// 127.0.0.1: the client cannot ask the operating system).
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
	// HeartbeatInterval is how often the brokers sent to are heartbeaten
	// (default DefaultHeartbeatInterval).
	HeartbeatInterval time.Duration
	// Logger receives the client's log lines (default slog.Default()).
	Logger *slog.Logger
}

// Producer sends messages. Create it with NewProducer, call Start, send,
// then Close. Its methods are safe for concurrent use.
type Producer struct {
	core              *core
	group             string
	sendTimeout       time.Duration
	maxAttempts       int
	compressOverBytes int
	maxMessageBytes   int
	selector          func([]MessageQueue, *Message) MessageQueue
	ids               *uniqKeys
	// cfgErr is the configuration's fault, reported by Start.
	cfgErr error
	// transactional is set by SetTransactionChecker (txn.go).
	transactional atomic.Bool
}

// NewProducer returns a Producer that sends nothing before Start. A bad
// configuration is reported by Start.
func NewProducer(e env.Env, cfg ProducerConfig) *Producer {
	common, err := commonConfig{
		namesrvAddrs:         slices.Clone(cfg.NamesrvAddrs),
		clientIP:             cfg.ClientIP,
		instanceName:         cfg.InstanceName,
		routeTimeout:         cfg.RouteTimeout,
		routeRefreshInterval: cfg.RouteRefreshInterval,
		heartbeatInterval:    cfg.HeartbeatInterval,
		logger:               cfg.Logger,
	}.withDefaults()
	p := &Producer{
		group:             cfg.Group,
		sendTimeout:       orDuration(cfg.SendTimeout, DefaultSendTimeout),
		maxAttempts:       orInt(cfg.MaxAttempts, DefaultMaxAttempts),
		compressOverBytes: orInt(cfg.CompressOverBytes, DefaultCompressOverBytes),
		maxMessageBytes:   orInt(cfg.MaxMessageBytes, DefaultMaxMessageBytes),
		selector:          cfg.Selector,
		cfgErr:            err,
	}
	if p.group == "" {
		p.group = DefaultProducerGroup
	}
	switch {
	case p.cfgErr != nil:
	case len(common.namesrvAddrs) == 0:
		p.cfgErr = fmt.Errorf("%w: %w", ErrInvalidConfig, ErrNoNameServer)
	case !validName(p.group, MaxGroupLength):
		p.cfgErr = fmt.Errorf("%w: producer group %q is not 1 to %d characters of [%%|a-zA-Z0-9_-]", ErrInvalidConfig, p.group, MaxGroupLength)
	case p.maxAttempts < 1 || p.maxAttempts > MaxAttemptsLimit:
		p.cfgErr = fmt.Errorf("%w: MaxAttempts %d outside [1, %d]", ErrInvalidConfig, p.maxAttempts, MaxAttemptsLimit)
	case p.maxMessageBytes < 0:
		p.cfgErr = fmt.Errorf("%w: negative MaxMessageBytes %d", ErrInvalidConfig, p.maxMessageBytes)
	default:
		p.cfgErr = checkDurations("SendTimeout", p.sendTimeout)
	}
	pid := uint16(e.Rand.Intn(maxPidStandIn))
	p.ids = newUniqKeys(e.Clock, common.clientIP, pid, uint32(e.Rand.Int63()))
	p.core = newCore(e, common, heartbeatMasters, pid)
	p.core.heartbeatData = func() *remoting.HeartbeatData {
		return &remoting.HeartbeatData{
			ClientID:        p.core.clientID,
			ProducerDataSet: []remoting.ProducerData{{GroupName: p.group}},
		}
	}
	return p
}

// Start makes the producer usable and schedules its route refresh and
// heartbeats. Routes are looked up on first use. It fails on a bad
// configuration, a second call, or after Close.
func (p *Producer) Start() error {
	if p.cfgErr != nil {
		return p.cfgErr
	}
	if err := p.core.start(true); err != nil {
		return err
	}
	if p.transactional.Load() {
		p.trackDefaultRoute()
	}
	return nil
}

// Close stops the periodic work and closes the connections; sends in flight
// fail with an error wrapping ErrClosed. It is idempotent.
func (p *Producer) Close() { p.core.close() }

// ClientID returns the id the producer announces in heartbeats
// ("ip@instance").
func (p *Producer) ClientID() string { return p.core.clientID }

// encodeProperties returns msg's properties in the stored encoding (user
// properties in name order, then TAGS, KEYS and UNIQ_KEY) and the message
// id, generated unless msg brings a UNIQ_KEY.
func (p *Producer) encodeProperties(msg *Message) ([]byte, string, error) {
	tags, keys, uniq := msg.Tags, strings.Join(msg.Keys, " "), ""
	props := make([]byte, 0, 96)
	if len(msg.Properties) > 0 {
		for _, name := range slices.Sorted(maps.Keys(msg.Properties)) {
			v := msg.Properties[name]
			switch name {
			case commitlog.PropertyTags:
				tags = cmp.Or(tags, v)
				continue
			case commitlog.PropertyKeys:
				keys = cmp.Or(keys, v)
				continue
			case commitlog.PropertyUniqKey:
				uniq = v
				continue
			}
			if !commitlog.ValidProperty(name, v) {
				return nil, "", fmt.Errorf("%w: property %q=%q is empty or holds a separator byte", ErrInvalidMessage, name, v)
			}
			props = commitlog.AppendProperty(props, name, v)
		}
	}
	if uniq == "" {
		uniq = p.ids.next()
	}
	for _, kv := range [...][2]string{{commitlog.PropertyTags, tags}, {commitlog.PropertyKeys, keys}, {commitlog.PropertyUniqKey, uniq}} {
		if kv[1] == "" {
			continue
		}
		if !commitlog.ValidProperty(kv[0], kv[1]) {
			return nil, "", fmt.Errorf("%w: %s %q holds a separator byte", ErrInvalidMessage, kv[0], kv[1])
		}
		props = commitlog.AppendProperty(props, kv[0], kv[1])
	}
	if len(props) > commitlog.MaxPropertiesBytes {
		return nil, "", fmt.Errorf("%w: properties take %d bytes, more than %d", ErrMessageTooLarge, len(props), commitlog.MaxPropertiesBytes)
	}
	return props, uniq, nil
}

// checkMessage applies the checks made before any send.
func (p *Producer) checkMessage(msg *Message) error {
	if msg == nil {
		return fmt.Errorf("%w: nil message", ErrInvalidMessage)
	}
	if err := checkTopic(msg.Topic, ErrInvalidMessage); err != nil {
		return err
	}
	if len(msg.Body) == 0 {
		return fmt.Errorf("%w: the body of a message to %s is empty", ErrInvalidMessage, msg.Topic)
	}
	if len(msg.Body) > p.maxMessageBytes {
		return fmt.Errorf("%w: body of %d bytes, more than %d", ErrMessageTooLarge, len(msg.Body), p.maxMessageBytes)
	}
	return nil
}
