package namesrv

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apogeemq/apogee/env"
)

// DefaultBrokerExpiry is how long a broker stays registered without
// registering again: RocketMQ's DEFAULT_BROKER_CHANNEL_EXPIRED_TIME (2 min).
// Brokers register every 30 s, so four registrations may be lost in a row.
const DefaultBrokerExpiry = 120 * time.Second

// MasterID is the broker id of a master; slaves have ids above it.
const MasterID int64 = 0

// Permission bits of a topic on a broker (QueueData.Perm), as RocketMQ's
// PermName.
const (
	PermPriority int32 = 8
	PermRead     int32 = 4
	PermWrite    int32 = 2
	PermInherit  int32 = 1
)

// MaxQueueNums bounds the read and write queue counts a registration may
// announce. Each queue is a ConsumeQueue on the broker and an entry in every
// client's route; real topics have 4 to a few hundred, RocketMQ's admin
// tools warn above 1,024, and 65,536 keeps one route reply bounded.
const MaxQueueNums = 1 << 16

// maxAddrBytes bounds a broker or HA address ("host:port", at most a
// bracketed IPv6 address or a 253-byte DNS name and a port).
const maxAddrBytes = 300

// maxNameBytes bounds a broker or cluster name; RocketMQ bounds topic and
// group names at 127 characters (TopicValidator), broker names are shorter
// in practice, and 255 leaves room.
const maxNameBytes = 255

// ErrInvalidRegistration reports a registration whose header values cannot
// be used: an empty or oversized name or address, a negative broker id, or
// an address holding a character the Go client cannot parse.
var ErrInvalidRegistration = errors.New("namesrv: invalid broker registration")

// ErrNotRegistered reports a registration carrying a single topic from a
// broker address that has not registered in full yet, which RocketMQ refuses
// (a broker sends a single-topic registration after creating a topic; its
// next full registration brings it in).
var ErrNotRegistered = errors.New("namesrv: single-topic registration before the broker's first full registration")

// QueueData is one broker's queues of a topic.
type QueueData struct {
	BrokerName     string
	ReadQueueNums  int32
	WriteQueueNums int32
	// Perm holds the Perm* bits.
	Perm int32
	// TopicSysFlag holds the topic's system flags (1 unit, 2 unit-sub).
	TopicSysFlag int32
}

// BrokerData is one broker name (a master and its slaves).
type BrokerData struct {
	Cluster    string
	BrokerName string
	// Addrs maps a broker id to its address.
	Addrs map[int64]string
}

// DataVersion versions a broker's topic configuration; brokers bump it on
// every change.
type DataVersion struct {
	Counter      int64
	StateVersion int64
	TimestampMs  int64
}

// BrokerRegistration is one REGISTER_BROKER request.
type BrokerRegistration struct {
	ClusterName  string
	BrokerAddr   string
	BrokerName   string
	BrokerID     int64
	HAServerAddr string
	// HeartbeatTimeout is how long the registration lasts; 0 means the
	// registry's default.
	HeartbeatTimeout time.Duration
	// EnableActingMaster is the 5.x header field; nil when the broker did
	// not send it (4.x), which disables the acting-master rules.
	EnableActingMaster *bool
	// Body is the decoded RegisterBrokerBody; nil reads as a zero data
	// version with no topics.
	Body *RegisterBody
	// ConnID identifies the connection the request came on (0: none), so
	// that closing it removes the broker.
	ConnID uint64
}

// RegisterResult is what a registering broker learns: for a slave, its
// master's address and HA address, when the master is registered.
type RegisterResult struct {
	HAServerAddr string
	MasterAddr   string
}

// idAddr is one address of a broker entry.
type idAddr struct {
	id   int64
	addr string
}

// brokerEntry is a broker name's record.
type brokerEntry struct {
	cluster string   // the cluster of its first registration, as in Java
	listed  []string // clusters whose set holds this name, sorted
	addrs   []idAddr // sorted by id, ids unique
	// enableActingMaster is the flag of the latest registration.
	enableActingMaster bool
}

func (b *brokerEntry) addrOf(id int64) (string, bool) {
	i, ok := slices.BinarySearchFunc(b.addrs, id, func(a idAddr, id int64) int { return cmpInt64(a.id, id) })
	if !ok {
		return "", false
	}
	return b.addrs[i].addr, true
}

func (b *brokerEntry) minID() (int64, bool) {
	if len(b.addrs) == 0 {
		return 0, false
	}
	return b.addrs[0].id, true
}

// put sets id's address, keeping addrs sorted, and returns the old one.
func (b *brokerEntry) put(id int64, addr string) string {
	i, ok := slices.BinarySearchFunc(b.addrs, id, func(a idAddr, id int64) int { return cmpInt64(a.id, id) })
	if ok {
		old := b.addrs[i].addr
		b.addrs[i].addr = addr
		return old
	}
	b.addrs = slices.Insert(b.addrs, i, idAddr{id: id, addr: addr})
	return ""
}

// removeAddr drops every id holding addr and reports whether one did.
func (b *brokerEntry) removeAddr(addr string) bool {
	n := len(b.addrs)
	b.addrs = slices.DeleteFunc(b.addrs, func(a idAddr) bool { return a.addr == addr })
	return len(b.addrs) != n
}

// topicRoute is a topic's queue data, sorted by broker name, names unique.
type topicRoute struct {
	queues []QueueData
}

func (t *topicRoute) find(brokerName string) (int, bool) {
	return slices.BinarySearchFunc(t.queues, brokerName, func(q QueueData, name string) int {
		return strings.Compare(q.BrokerName, name)
	})
}

// liveBroker is the liveness record of a registered address.
type liveBroker struct {
	cluster      string
	brokerName   string
	lastUpdate   time.Time
	timeout      time.Duration
	dataVersion  DataVersion
	connID       uint64
	haServerAddr string
}

// Registry is the route table. All methods are safe for concurrent use.
// It never performs I/O and never schedules work: the owner calls
// ScanNotActiveBrokers and ConnectionClosed.
type Registry struct {
	clock         env.Clock
	defaultExpiry time.Duration

	mu       sync.RWMutex
	topics   map[string]*topicRoute
	brokers  map[string]*brokerEntry
	clusters map[string]map[string]struct{}
	live     map[string]*liveBroker         // by broker address
	byConn   map[uint64]map[string]struct{} // connection id -> addresses
}

// NewRegistry returns an empty registry that reads registration times from
// clock and expires brokers that sent no timeout of their own after
// brokerExpiry (DefaultBrokerExpiry when <= 0).
func NewRegistry(clock env.Clock, brokerExpiry time.Duration) *Registry {
	if clock == nil {
		panic("namesrv: NewRegistry with a nil clock")
	}
	if brokerExpiry <= 0 {
		brokerExpiry = DefaultBrokerExpiry
	}
	return &Registry{
		clock:         clock,
		defaultExpiry: brokerExpiry,
		topics:        map[string]*topicRoute{},
		brokers:       map[string]*brokerEntry{},
		clusters:      map[string]map[string]struct{}{},
		live:          map[string]*liveBroker{},
		byConn:        map[uint64]map[string]struct{}{},
	}
}

// validateRegistration checks the header values of a registration.
func validateRegistration(reg *BrokerRegistration) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidRegistration, fmt.Sprintf(format, args...))
	}
	if err := checkName("clusterName", reg.ClusterName); err != nil {
		return bad("%v", err)
	}
	if err := checkName("brokerName", reg.BrokerName); err != nil {
		return bad("%v", err)
	}
	if err := checkAddr("brokerAddr", reg.BrokerAddr, false); err != nil {
		return bad("%v", err)
	}
	if err := checkAddr("haServerAddr", reg.HAServerAddr, true); err != nil {
		return bad("%v", err)
	}
	if reg.BrokerID < 0 {
		return bad("brokerId %d is negative", reg.BrokerID)
	}
	if reg.HeartbeatTimeout < 0 {
		return bad("heartbeat timeout %v is negative", reg.HeartbeatTimeout)
	}
	return nil
}

func checkName(field, v string) error {
	switch {
	case v == "":
		return fmt.Errorf("%s is empty", field)
	case len(v) > maxNameBytes:
		return fmt.Errorf("%s is %d bytes, limit %d", field, len(v), maxNameBytes)
	}
	return nil
}

// checkAddr refuses what the Go client's hand-made brokerAddrs parser
// cannot take back: ',' and '"' split or vanish, and whitespace or control
// bytes would become part of the address.
func checkAddr(field, v string, mayBeEmpty bool) error {
	switch {
	case v == "" && !mayBeEmpty:
		return fmt.Errorf("%s is empty", field)
	case len(v) > maxAddrBytes:
		return fmt.Errorf("%s is %d bytes, limit %d", field, len(v), maxAddrBytes)
	case strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == ',' || r == '"' || r == 0x7f }):
		return fmt.Errorf("%s %q holds a space, a control character, ',' or '\"'", field, v)
	}
	return nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
