package namesrv

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/remoting"
)

// DefaultListenAddr is where a name server listens unless told otherwise,
// RocketMQ's port 9876 on every interface.
const DefaultListenAddr = "0.0.0.0:9876"

// DefaultScanInterval is how often the name server looks for expired
// brokers, RocketMQ's scanNotActiveBroker period (5 s).
const DefaultScanInterval = 5 * time.Second

// Config configures a NameServer. Zero values take the defaults.
type Config struct {
	// ListenAddr is the address to listen on (default DefaultListenAddr;
	// "127.0.0.1:0" picks a free port, see Addr).
	ListenAddr string
	// ScanInterval is the period of the expiry scan (default
	// DefaultScanInterval).
	ScanInterval time.Duration
	// BrokerExpiry is how long a broker that sent no heartbeat timeout of
	// its own stays registered without registering again (default
	// DefaultBrokerExpiry).
	BrokerExpiry time.Duration
	// Logger receives the log lines (default slog.Default()).
	Logger *slog.Logger
	// MaxFrameBytes bounds a frame both ways (default the transport's,
	// remoting.DefaultMaxFrameBytes).
	MaxFrameBytes int
}

// NameServer serves the route registry over the remoting transport. Its
// methods are safe for concurrent use. Several name servers run
// independently: brokers register with each, and clients may ask any.
type NameServer struct {
	env      env.Env
	cfg      Config
	log      *slog.Logger
	registry *Registry
	kv       *KVConfig
	server   *remoting.Server

	mu      sync.Mutex
	started bool
	closed  bool
	timer   env.Timer                // the next expiry scan
	peers   map[uint64]remoting.Peer // connections that registered a broker
}

// New returns a name server over e's Network and Clock, not yet listening.
func New(e env.Env, cfg Config) *NameServer {
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = DefaultListenAddr
	}
	if cfg.ScanInterval <= 0 {
		cfg.ScanInterval = DefaultScanInterval
	}
	if cfg.BrokerExpiry <= 0 {
		cfg.BrokerExpiry = DefaultBrokerExpiry
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	ns := &NameServer{
		env:      e,
		cfg:      cfg,
		log:      cfg.Logger,
		registry: NewRegistry(e.Clock, cfg.BrokerExpiry),
		kv:       NewKVConfig(),
		server: remoting.NewServer(e, remoting.ServerConfig{
			ListenAddr:    cfg.ListenAddr,
			MaxFrameBytes: cfg.MaxFrameBytes,
			Logger:        cfg.Logger,
		}),
		peers: map[uint64]remoting.Peer{},
	}
	for code, h := range ns.handlers() {
		ns.server.Handle(code, h)
	}
	ns.server.OnDisconnect(ns.disconnected)
	return ns
}

// Registry returns the route registry the server serves.
func (ns *NameServer) Registry() *Registry { return ns.registry }

// KVConfig returns the KV config the server serves.
func (ns *NameServer) KVConfig() *KVConfig { return ns.kv }

// Start listens and schedules the expiry scan. It may be called once.
func (ns *NameServer) Start() error {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	switch {
	case ns.closed:
		return errors.New("namesrv: start after close")
	case ns.started:
		return errors.New("namesrv: already started")
	}
	if err := ns.server.Start(); err != nil {
		return fmt.Errorf("namesrv: %w", err)
	}
	ns.started = true
	ns.timer = ns.env.Clock.AfterFunc(ns.cfg.ScanInterval, ns.scan)
	ns.log.Info("namesrv: listening", slog.String("addr", ns.server.Addr()),
		slog.Duration("scanInterval", ns.cfg.ScanInterval), slog.Duration("brokerExpiry", ns.cfg.BrokerExpiry))
	return nil
}

// Addr returns the address the server listens on, or "" before Start.
func (ns *NameServer) Addr() string { return ns.server.Addr() }

// Close stops the expiry scan, stops listening and closes every
// connection. It is idempotent.
func (ns *NameServer) Close() error {
	ns.mu.Lock()
	if ns.closed {
		ns.mu.Unlock()
		return nil
	}
	ns.closed = true
	if ns.timer != nil {
		ns.timer.Stop()
	}
	ns.mu.Unlock()
	return ns.server.Close()
}

// scan removes the expired brokers, closes their connections as RocketMQ
// does (a broker that stopped registering over a live connection is stuck),
// and schedules the next scan.
func (ns *NameServer) scan() {
	ns.mu.Lock()
	if ns.closed {
		ns.mu.Unlock()
		return
	}
	ns.mu.Unlock()

	for _, rb := range ns.registry.ScanNotActiveBrokers(ns.env.Clock.Now()) {
		ns.log.Warn("namesrv: broker expired", slog.String("cluster", rb.Cluster), slog.String("broker", rb.BrokerName),
			slog.String("addr", rb.BrokerAddr), slog.Time("lastUpdate", rb.LastUpdate))
		ns.mu.Lock()
		p := ns.peers[rb.ConnID]
		ns.mu.Unlock()
		if p != nil {
			_ = p.Close()
		}
	}

	ns.mu.Lock()
	defer ns.mu.Unlock()
	if !ns.closed {
		ns.timer = ns.env.Clock.AfterFunc(ns.cfg.ScanInterval, ns.scan)
	}
}

// rememberPeer notes a connection that carries broker registrations.
func (ns *NameServer) rememberPeer(p remoting.Peer) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	ns.peers[p.ID()] = p
}

// disconnected drops the brokers registered through a connection that
// ended.
func (ns *NameServer) disconnected(p remoting.Peer) {
	ns.mu.Lock()
	delete(ns.peers, p.ID())
	ns.mu.Unlock()
	for _, rb := range ns.registry.ConnectionClosed(p.ID()) {
		ns.log.Info("namesrv: broker connection closed", slog.String("cluster", rb.Cluster), slog.String("broker", rb.BrokerName),
			slog.String("addr", rb.BrokerAddr), slog.String("remote", p.RemoteAddr()))
	}
}
