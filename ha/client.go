package ha

import (
	"log/slog"
	"sync"
	"time"

	"github.com/apogeemq/apogee/env"
)

// Replica is the slave's store as the Client writes it; *store.Store
// implements it.
type Replica interface {
	// ReplicaEnd returns where the next replicated bytes must start.
	ReplicaEnd() int64
	// AppendReplica appends the master's bytes at physOffset.
	AppendReplica(physOffset int64, data []byte) error
	// TruncateTo cuts the log back to the record holding physOffset and
	// returns the offset it cut at.
	TruncateTo(physOffset int64) (int64, error)
}

// Client is a slave's side of replication: it keeps a connection to its
// master's HA address, reports its end, and appends what the master streams
// to its store. It reconnects after ReconnectDelay when the connection ends,
// with the pause doubling (up to MaxReconnectDelay) while connections fail
// before their first frame. See the package doc for the protocol.
type Client struct {
	e   env.Env
	r   Replica
	cfg ClientConfig
	log *slog.Logger

	// mu guards everything below and the current session, and is held
	// while the session appends to the store.
	mu      sync.Mutex
	addr    string
	started bool
	closed  bool
	// gen numbers the connection attempts: a dial or a retry timer of an
	// older attempt finds gen moved on and does nothing.
	gen     uint64
	sess    *session
	retry   env.Timer
	backoff time.Duration
	st      ClientState
}

// ClientState describes a Client, for status pages and tests.
type ClientState struct {
	// MasterAddr is the address the client connects to.
	MasterAddr string
	// Connected is true while a connection is up.
	Connected bool
	// ReportedOffset is the last offset reported to the master, -1 before
	// any.
	ReportedOffset int64
	// Connects counts the connections made; Truncations the times the log
	// was cut back to the master's.
	Connects, Truncations int
	// LastErr is why the last connection ended or could not be made.
	LastErr error
}

// NewClient returns a Client that replicates into r. Start connects it.
func NewClient(e env.Env, r Replica, cfg ClientConfig) *Client {
	cfg = cfg.withDefaults()
	return &Client{e: e, r: r, cfg: cfg, log: cfg.Logger, addr: cfg.MasterAddr, st: ClientState{ReportedOffset: -1}}
}

// Start connects to the master, when its address is known.
func (c *Client) Start() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started || c.closed {
		return
	}
	c.started = true
	c.connectLocked()
}

// SetMasterAddr changes the master's address (the name server's answer
// changed); a connection to another address is dropped and a new one made
// at once. An empty address disconnects.
func (c *Client) SetMasterAddr(addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if addr == c.addr || c.closed {
		return
	}
	c.addr = addr
	c.log.Info("ha: master address changed", slog.String("master", addr))
	if c.sess != nil {
		c.endSessionLocked(c.sess, nil)
	}
	c.backoff = 0
	if c.started {
		c.connectLocked()
	}
}

// Close drops the connection and stops reconnecting. It is idempotent.
func (c *Client) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	c.gen++
	if c.retry != nil {
		c.retry.Stop()
		c.retry = nil
	}
	if c.sess != nil {
		c.endSessionLocked(c.sess, ErrClosed)
	}
}

// State describes the client now.
func (c *Client) State() ClientState {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.st
	st.MasterAddr = c.addr
	st.Connected = c.sess != nil
	return st
}

// connectLocked starts a new attempt: it cancels a pending retry and dials.
// c.mu is held.
func (c *Client) connectLocked() {
	c.gen++
	if c.retry != nil {
		c.retry.Stop()
		c.retry = nil
	}
	if c.addr == "" {
		return
	}
	gen, addr := c.gen, c.addr
	c.e.Net.Dial(addr, c.cfg.DialTimeout, func(nc env.Conn, err error) { c.dialed(gen, nc, err) })
}

// dialed adopts a new connection, or schedules a retry.
func (c *Client) dialed(gen uint64, nc env.Conn, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || c.closed {
		if nc != nil {
			_ = nc.Close()
		}
		return
	}
	if err != nil {
		c.st.LastErr = err
		c.log.Warn("ha: connecting to the master failed", slog.String("master", c.addr), slog.Any("err", err))
		c.lostLocked(true)
		return
	}
	c.st.Connects++
	c.sess = newSession(c, gen, nc)
	c.log.Info("ha: connected to the master", slog.String("master", c.addr), slog.String("local", nc.LocalAddr()))
	c.sess.start()
}

// endSessionLocked drops a session: its connection closes and, unless the
// client closed or the attempt was superseded, a retry is scheduled. c.mu
// is held.
func (c *Client) endSessionLocked(s *session, cause error) {
	if c.sess != s {
		return
	}
	c.sess = nil
	s.stop()
	if cause != nil {
		c.st.LastErr = cause
		c.log.Warn("ha: connection to the master ended", slog.String("master", c.addr), slog.Any("cause", cause))
	}
	if !c.closed && s.gen == c.gen {
		c.lostLocked(!s.gotFrame)
	}
}

// lostLocked follows a connection that ended or failed: a retry after
// ReconnectDelay, or, with OnLost, no address until SetMasterAddr gives
// one again. c.mu is held.
func (c *Client) lostLocked(failed bool) {
	if c.cfg.OnLost == nil {
		c.scheduleRetryLocked(failed)
		return
	}
	c.addr = ""
	c.gen++
	c.e.Clock.AfterFunc(0, c.cfg.OnLost)
}

// scheduleRetryLocked connects again after ReconnectDelay, or after the
// doubled pause when the last attempt failed before any frame. c.mu is
// held.
func (c *Client) scheduleRetryLocked(failed bool) {
	delay := c.cfg.ReconnectDelay
	if failed {
		c.backoff = min(max(2*c.backoff, c.cfg.ReconnectDelay), c.cfg.MaxReconnectDelay)
		delay = c.backoff
	} else {
		c.backoff = 0
	}
	gen := c.gen
	c.retry = c.e.Clock.AfterFunc(delay, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if gen == c.gen && !c.closed {
			c.retry = nil
			c.connectLocked()
		}
	})
}
