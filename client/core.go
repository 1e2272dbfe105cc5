package client

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/remoting"
)

// clientState is the life cycle of a client.
type clientState int

const (
	stateNew clientState = iota
	stateStarted
	stateClosed
)

// heartbeatTargets says which broker addresses a client heartbeats.
type heartbeatTargets int

const (
	heartbeatNone    heartbeatTargets = iota // admin: no heartbeat
	heartbeatMasters                         // producers: masters only (spec §5.1)
	heartbeatAll                             // consumers: every address
)

// core is what producers, consumers and the admin share: the transport,
// the name servers, the route cache, the broker address table and the
// periodic work.
type core struct {
	env      env.Env
	cfg      commonConfig
	log      *slog.Logger
	rc       *remoting.Client
	clientID string
	targets  heartbeatTargets
	// heartbeatData builds a heartbeat body; nil for heartbeatNone.
	heartbeatData func() *remoting.HeartbeatData

	mu      sync.Mutex
	state   clientState
	nsNext  int                    // the name server to ask first
	routes  map[string]*routeEntry // topic -> cached route
	waiters map[routeKey][]func(*routeEntry, error)
	brokers map[string]map[int64]string // broker name -> id -> address
	beaten  map[string]bool             // addresses heartbeaten at least once
	timers  []env.Timer
}

// newCore builds a core; pid stands in for the process id in the client id.
func newCore(e env.Env, cfg commonConfig, targets heartbeatTargets, pid uint16) *core {
	instance := cfg.instanceName
	if instance == "" {
		instance = strconv.Itoa(int(pid)) + "#" + strconv.FormatInt(e.Rand.Int63(), 10)
	}
	return &core{
		env:      e,
		cfg:      cfg,
		log:      cfg.logger,
		rc:       remoting.NewClient(e, remoting.ClientConfig{Logger: cfg.logger}),
		clientID: cfg.clientIP.String() + "@" + instance,
		targets:  targets,
		routes:   map[string]*routeEntry{},
		waiters:  map[routeKey][]func(*routeEntry, error){},
		brokers:  map[string]map[int64]string{},
		beaten:   map[string]bool{},
	}
}

// start moves the core to started and schedules the periodic route refresh
// and heartbeat (when periodic).
func (c *core) start(periodic bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.state {
	case stateStarted:
		return ErrAlreadyStarted
	case stateClosed:
		return ErrClosed
	}
	c.state = stateStarted
	if periodic {
		c.every(c.cfg.routeRefreshInterval, c.refreshRoutes)
		if c.targets != heartbeatNone {
			c.every(c.cfg.heartbeatInterval, func() { c.heartbeat(c.heartbeatAddrs()) })
		}
	}
	return nil
}

// every runs f every d until close. c.mu is held.
func (c *core) every(d time.Duration, f func()) {
	slot := len(c.timers)
	var tick func()
	tick = func() {
		f()
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.state == stateStarted {
			c.timers[slot] = c.env.Clock.AfterFunc(d, tick)
		}
	}
	c.timers = append(c.timers, c.env.Clock.AfterFunc(d, tick))
}

// close stops the periodic work and closes the transport, which fails every
// request in flight.
func (c *core) close() {
	c.mu.Lock()
	if c.state == stateClosed {
		c.mu.Unlock()
		return
	}
	c.state = stateClosed
	timers := c.timers
	c.timers = nil
	c.mu.Unlock()
	for _, t := range timers {
		t.Stop()
	}
	c.rc.Close()
}

// usable returns nil when requests may be sent, else ErrNotStarted or
// ErrClosed.
func (c *core) usable() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.state {
	case stateNew:
		return ErrNotStarted
	case stateClosed:
		return ErrClosed
	}
	return nil
}

// later runs f from a clock callback, off the caller's stack.
func (c *core) later(f func()) { c.env.Clock.AfterFunc(0, f) }

// invoke sends req to addr and calls cb with the answer, never inside the
// call. A client not started or closed fails with ErrNotStarted or
// ErrClosed.
func (c *core) invoke(addr string, req *remoting.Command, timeout time.Duration, cb func(*remoting.Command, error)) {
	if err := c.usable(); err != nil {
		c.later(func() { cb(nil, err) })
		return
	}
	c.rc.Invoke(addr, req, timeout, func(resp *remoting.Command, err error) {
		if err != nil && c.usable() != nil {
			err = fmt.Errorf("%w: %w", ErrClosed, err)
		}
		cb(resp, err)
	})
}

// invokeNamesrv sends a request to the name servers, one at a time from a
// rotating start, until one answers (whatever its code) or each has failed
// at the transport; cb gets the answer or the last transport error.
func (c *core) invokeNamesrv(code int32, ext map[string]string, timeout time.Duration, cb func(*remoting.Command, error)) {
	addrs := c.cfg.namesrvAddrs
	err := c.usable()
	if err == nil && len(addrs) == 0 {
		err = ErrNoNameServer
	}
	if err != nil {
		c.later(func() { cb(nil, err) })
		return
	}
	c.mu.Lock()
	first := c.nsNext
	c.mu.Unlock()
	var try func(i int)
	try = func(i int) {
		addr := addrs[(first+i)%len(addrs)]
		c.invoke(addr, remoting.NewRequest(code, ext, nil), timeout, func(resp *remoting.Command, err error) {
			if err == nil || errors.Is(err, ErrClosed) || errors.Is(err, ErrNotStarted) || i+1 == len(addrs) {
				cb(resp, err)
				return
			}
			c.mu.Lock()
			if c.nsNext == (first+i)%len(addrs) {
				c.nsNext = (first + i + 1) % len(addrs)
			}
			c.mu.Unlock()
			c.log.Debug("client: name server failed, trying the next", slog.String("addr", addr), slog.Any("err", err))
			try(i + 1)
		})
	}
	try(0)
}

// call sends a request and hands cb the answer when its code is SUCCESS,
// else a *BrokerError; transport errors are wrapped with what and addr.
func (c *core) call(addr, what string, req *remoting.Command, timeout time.Duration, cb func(*remoting.Command, error)) {
	c.invoke(addr, req, timeout, func(resp *remoting.Command, err error) {
		switch {
		case err != nil:
			cb(nil, fmt.Errorf("client: %s at %s: %w", what, addr, err))
		case resp.Code != remoting.ResSuccess:
			cb(nil, fmt.Errorf("client: %s at %s: %w", what, addr, brokerError(resp)))
		default:
			cb(resp, nil)
		}
	})
}

// learnBrokers records the broker addresses of a route and heartbeats the
// new ones at once.
func (c *core) learnBrokers(data *remoting.TopicRouteData) {
	var fresh []string
	c.mu.Lock()
	for _, bd := range data.BrokerDatas {
		addrs := make(map[int64]string, len(bd.BrokerAddrs))
		for id, a := range bd.BrokerAddrs {
			addrs[id] = a
		}
		c.brokers[bd.BrokerName] = addrs
	}
	if c.state == stateStarted && c.targets != heartbeatNone {
		for _, a := range c.heartbeatAddrsLocked() {
			if !c.beaten[a] {
				c.beaten[a] = true
				fresh = append(fresh, a)
			}
		}
	}
	c.mu.Unlock()
	c.heartbeat(fresh)
}

// brokerAddr returns the address of broker name: its master, or with
// anyID the broker with the smallest id when there is no master.
func (c *core) brokerAddr(name string, anyID bool) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return pickAddr(c.brokers[name], anyID)
}

// pickAddr returns the master's address of addrs, or with anyID that of
// the smallest id when there is no master.
func pickAddr(addrs map[int64]string, anyID bool) (string, bool) {
	if a, ok := addrs[0]; ok && a != "" {
		return a, true
	}
	if !anyID {
		return "", false
	}
	best, found := int64(0), false
	for id, a := range addrs {
		if a != "" && (!found || id < best) {
			best, found = id, true
		}
	}
	return addrs[best], found
}

// heartbeatAddrs returns the addresses to heartbeat, sorted.
func (c *core) heartbeatAddrs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.heartbeatAddrsLocked()
}

// heartbeatAddrsLocked is heartbeatAddrs with c.mu held.
func (c *core) heartbeatAddrsLocked() []string {
	seen := map[string]bool{}
	var out []string
	for _, addrs := range c.brokers {
		for id, a := range addrs {
			if a == "" || seen[a] || (c.targets == heartbeatMasters && id != 0) {
				continue
			}
			seen[a] = true
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}

// heartbeat sends one HEART_BEAT to each address; failures are logged, the
// next round tries again.
func (c *core) heartbeat(addrs []string) {
	if len(addrs) == 0 || c.heartbeatData == nil || c.usable() != nil {
		return
	}
	body := remoting.EncodeHeartbeatData(c.heartbeatData())
	for _, addr := range addrs {
		c.invoke(addr, remoting.NewRequest(remoting.ReqHeartBeat, nil, body), c.cfg.requestTimeout, func(resp *remoting.Command, err error) {
			if err == nil && resp.Code != remoting.ResSuccess {
				err = brokerError(resp)
			}
			if err != nil {
				c.log.Debug("client: heartbeat failed", slog.String("addr", addr), slog.Any("err", err))
			}
		})
	}
}
