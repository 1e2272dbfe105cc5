package broker

import (
	"fmt"
	"time"
)

// Transaction defaults, RocketMQ 4.x BrokerConfig values.
const (
	// DefaultTransactionCheckInterval is transactionCheckInterval (4.x;
	// 5.x uses 30 s).
	DefaultTransactionCheckInterval = 60 * time.Second
	// DefaultTransactionTimeout is transactionTimeOut: a half message is
	// not checked before it is this old.
	DefaultTransactionTimeout = 6 * time.Second
	// DefaultTransactionCheckMax is transactionCheckMax: the checks a half
	// message gets before it is discarded.
	DefaultTransactionCheckMax = 15
	// maxTransactionCheckMax bounds transactionCheckMax: the count is kept
	// in a property as decimal text, and a broker that asks a producer
	// more often than this for one transaction is misconfigured.
	maxTransactionCheckMax = 1_000
)

// TransactionConfig configures transactional messages (spec/store.md §8).
// Field comments name the broker.conf key.
type TransactionConfig struct {
	// CheckInterval is transactionCheckInterval: how often the half
	// messages with no end are scanned and their producers asked.
	CheckInterval time.Duration
	// Timeout is transactionTimeOut: a half message is checked once it
	// is this old (by its born time), or older than its
	// CHECK_IMMUNITY_TIME_IN_SECONDS when that is longer.
	Timeout time.Duration
	// CheckMax is transactionCheckMax: a half message asked about this
	// many times without an end is discarded with a log line.
	CheckMax int
}

// DefaultTransactionConfig returns RocketMQ 4.x's transaction settings.
func DefaultTransactionConfig() TransactionConfig {
	return TransactionConfig{
		CheckInterval: DefaultTransactionCheckInterval,
		Timeout:       DefaultTransactionTimeout,
		CheckMax:      DefaultTransactionCheckMax,
	}
}

// withDefaults fills zero fields and checks the rest.
func (c TransactionConfig) withDefaults() (TransactionConfig, error) {
	d := DefaultTransactionConfig()
	if c.CheckInterval <= 0 {
		c.CheckInterval = d.CheckInterval
	}
	if c.Timeout <= 0 {
		c.Timeout = d.Timeout
	}
	if c.CheckMax <= 0 {
		c.CheckMax = d.CheckMax
	}
	if c.CheckMax > maxTransactionCheckMax {
		return c, fmt.Errorf("broker: config: transactionCheckMax %d is over %d", c.CheckMax, maxTransactionCheckMax)
	}
	return c, nil
}
