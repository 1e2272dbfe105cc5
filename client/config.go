package client

import (
	"fmt"
	"log/slog"
	"net/netip"
	"time"
)

// Defaults and bounds. Where RocketMQ has the setting, the value is the
// official clients' default.
const (
	// DefaultTopic is TBW102, the topic whose route a producer uses for a
	// topic the name servers do not know yet (createTopicKey).
	DefaultTopic = "TBW102"
	// DefaultTopicQueueNums caps the queues per broker of a route taken
	// from DefaultTopic, and is sent as defaultTopicQueueNums: the broker
	// creates the topic with at most that many queues.
	DefaultTopicQueueNums = 4
	// DefaultProducerGroup is the group of a producer that names none.
	DefaultProducerGroup = "DEFAULT_PRODUCER"

	// DefaultSendTimeout bounds one send, all attempts together.
	DefaultSendTimeout = 3 * time.Second
	// DefaultMaxAttempts is the attempts of one send: the first and
	// RocketMQ's retryTimesWhenSendFailed, 2.
	DefaultMaxAttempts = 3
	// MaxAttemptsLimit bounds MaxAttempts: a send retried more often than
	// this is hammering a cluster that refuses it.
	MaxAttemptsLimit = 16
	// DefaultCompressOverBytes is compressMsgBodyOverHowmuch: bodies of at
	// least this size are sent zlib-compressed.
	DefaultCompressOverBytes = 4096
	// CompressLevel is the zlib level of compressed bodies, the official
	// clients' (compressLevel 5).
	CompressLevel = 5
	// DefaultMaxMessageBytes is maxMessageSize, 4 MiB: the largest body a
	// producer sends and a broker stores by default.
	DefaultMaxMessageBytes = 4 << 20
	// MaxInflateFactor bounds how far a compressed body may inflate: to at
	// most MaxInflateFactor × MaxMessageBytes. A producer compresses only
	// bodies within MaxMessageBytes, so a body beyond that was never sent
	// by a producer of the same configuration; a factor of 4 leaves room
	// for producers configured with a larger limit while keeping a zlib
	// bomb from exhausting memory.
	MaxInflateFactor = 4

	// DefaultRouteTimeout bounds one name server request (Java's
	// mqClientApiTimeout, 3 s).
	DefaultRouteTimeout = 3 * time.Second
	// DefaultRouteRefreshInterval is pollNameServerInterval: how often the
	// cached routes are fetched again.
	DefaultRouteRefreshInterval = 30 * time.Second
	// DefaultHeartbeatInterval is heartbeatBrokerInterval.
	DefaultHeartbeatInterval = 30 * time.Second
	// DefaultRequestTimeout bounds heartbeats and the offset calls, as in
	// the Go client (3 s).
	DefaultRequestTimeout = 3 * time.Second
	// DefaultPullTimeout bounds a pull request, long-polling hold included
	// (the Go client's 30 s).
	DefaultPullTimeout = 30 * time.Second
	// DefaultAdminTimeout bounds an admin request (the Go admin's 5 s for
	// creating and deleting topics).
	DefaultAdminTimeout = 5 * time.Second

	// MaxPullNums bounds maxNums of a pull. Brokers cap a pull far lower
	// (Java 32 by default, Apogee 1024); asking for more only hides a bug.
	MaxPullNums = 1024
	// MaxRouteQueues bounds the queues one route may yield. A topic with
	// more than 65,536 queues in a cluster is no real topic; the bound keeps
	// a corrupt route from making the client build a huge list.
	MaxRouteQueues = 1 << 16
	// MaxRouteWaiters bounds the calls waiting for one topic's route
	// lookup, as remoting.DefaultMaxPending bounds requests in flight.
	MaxRouteWaiters = 1 << 16
	// MaxTopicLength is the longest topic name (Java's
	// TOPIC_MAX_LENGTH).
	MaxTopicLength = 127
	// MaxGroupLength is the longest group name.
	MaxGroupLength = 255
)

// commonConfig is what every kind of client needs.
type commonConfig struct {
	namesrvAddrs         []string
	clientIP             netip.Addr
	instanceName         string
	routeTimeout         time.Duration
	routeRefreshInterval time.Duration
	heartbeatInterval    time.Duration
	requestTimeout       time.Duration
	logger               *slog.Logger
}

// withDefaults fills the zero values and checks the rest.
func (c commonConfig) withDefaults() (commonConfig, error) {
	if !c.clientIP.IsValid() {
		c.clientIP = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	c.routeTimeout = orDuration(c.routeTimeout, DefaultRouteTimeout)
	c.routeRefreshInterval = orDuration(c.routeRefreshInterval, DefaultRouteRefreshInterval)
	c.heartbeatInterval = orDuration(c.heartbeatInterval, DefaultHeartbeatInterval)
	c.requestTimeout = orDuration(c.requestTimeout, DefaultRequestTimeout)
	if c.logger == nil {
		c.logger = slog.Default()
	}
	for _, a := range c.namesrvAddrs {
		if a == "" {
			return c, fmt.Errorf("%w: an empty name server address", ErrInvalidConfig)
		}
	}
	if err := checkDurations(
		"RouteTimeout", c.routeTimeout, "RouteRefreshInterval", c.routeRefreshInterval,
		"HeartbeatInterval", c.heartbeatInterval, "RequestTimeout", c.requestTimeout,
	); err != nil {
		return c, err
	}
	return c, nil
}

// checkDurations takes (name, time.Duration) pairs and refuses the first
// duration that is not positive.
func checkDurations(pairs ...any) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if d := pairs[i+1].(time.Duration); d <= 0 {
			return fmt.Errorf("%w: %s must be positive, got %v", ErrInvalidConfig, pairs[i], d)
		}
	}
	return nil
}

// orDuration returns d, or def when d is zero.
func orDuration(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// orInt returns v, or def when v is zero.
func orInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// validName reports whether s is a valid topic or group name of at most
// maxLen bytes: RocketMQ's [%|a-zA-Z0-9_-]+.
func validName(s string, maxLen int) bool {
	if s == "" || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '%', c == '|', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// checkTopic returns an error wrapping kind (ErrInvalidMessage or
// ErrInvalidArgument) unless topic is a valid topic name.
func checkTopic(topic string, kind error) error {
	if !validName(topic, MaxTopicLength) {
		return fmt.Errorf("%w: topic %q is not 1 to %d characters of [%%|a-zA-Z0-9_-]", kind, topic, MaxTopicLength)
	}
	return nil
}
