package env

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"
)

// Port ranges of a MemNetwork. Listen on port 0 draws from the listen range
// and Dial gives each client end a port from the ephemeral range (the IANA
// dynamic range), so the two never collide. Each range is walked by a
// cursor that moves forward and wraps, skipping ports in use: a port is not
// handed out again until the range has gone round, as a kernel does, and a
// stale client dialing an old port finds nothing rather than a stranger.
const (
	memListenPortFirst    = 10000
	memListenPortLast     = 49151
	memEphemeralPortFirst = 49152
	memEphemeralPortLast  = 65535
	memMaxPort            = 65535
)

// memClientHost is the host of every dialing end. A simulator that gives
// nodes their own hosts will pass one to its dial.
const memClientHost = "127.0.0.1"

// MemNetwork is an in-memory Network for deterministic tests: connections
// are pairs of memConn in one process and every callback (accept, Dial's
// done, onData, onClose, Write's done) runs from a clock.AfterFunc(0)
// callback. With a ManualClock nothing happens until the test calls
// RunDue, Advance or FireNext, and the order of events depends only on the
// order of the calls made, never on goroutine scheduling. See the package
// doc for the model. It is safe for concurrent use.
type MemNetwork struct {
	clock Clock

	mu          sync.Mutex // guards everything below and the state of every memConn
	listeners   map[int][]*memListener
	clientPorts map[int]bool // ephemeral ports held by live client ends
	listenNext  int          // cursor of the listen range
	clientNext  int          // cursor of the ephemeral range
	queueBound  int          // per-direction unsent-byte bound of each connection
}

var _ Network = (*MemNetwork)(nil)

// NewMemNetwork returns an empty network whose callbacks the clock runs.
func NewMemNetwork(clock Clock) *MemNetwork {
	if clock == nil {
		panic("env: NewMemNetwork with a nil clock")
	}
	return &MemNetwork{
		clock:       clock,
		listeners:   map[int][]*memListener{},
		clientPorts: map[int]bool{},
		listenNext:  memListenPortFirst,
		clientNext:  memEphemeralPortFirst,
		queueBound:  DefaultMaxQueuedWriteBytes,
	}
}

// splitAddr parses "host:port" with a port in [0, 65535].
func splitAddr(addr string) (host string, port int, err error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("env: address %q: %w", addr, err)
	}
	port, err = strconv.Atoi(portText)
	if err != nil || port < 0 || port > memMaxPort {
		return "", 0, fmt.Errorf("env: address %q: port must be a number in [0, %d]", addr, memMaxPort)
	}
	return host, port, nil
}

// wildcardHost reports whether host means every local address.
func wildcardHost(host string) bool {
	return host == "" || host == "0.0.0.0" || host == "::"
}

// Listen binds addr. Port 0 takes the next free port of the listen range.
// An address whose port is bound on the same host, or on a wildcard host,
// is refused with ErrAddrInUse.
func (n *MemNetwork) Listen(addr string, accept func(Conn)) (Listener, error) {
	if accept == nil {
		panic("env: MemNetwork.Listen with a nil accept func")
	}
	host, port, err := splitAddr(addr)
	if err != nil {
		return nil, err
	}
	if host == "" {
		host = "0.0.0.0"
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if port == 0 {
		port, err = n.nextPortLocked(&n.listenNext, memListenPortFirst, memListenPortLast,
			func(p int) bool { return len(n.listeners[p]) == 0 })
		if err != nil {
			return nil, fmt.Errorf("env: listen on %s: %w", addr, err)
		}
	}
	for _, other := range n.listeners[port] {
		if other.host == host || wildcardHost(other.host) || wildcardHost(host) {
			return nil, fmt.Errorf("env: listen on %s: %s is bound: %w", addr, other.addr, ErrAddrInUse)
		}
	}
	l := &memListener{net: n, host: host, port: port, addr: net.JoinHostPort(host, strconv.Itoa(port)), accept: accept}
	n.listeners[port] = append(n.listeners[port], l)
	return l, nil
}

// nextPortLocked returns the first port at or after *cursor in [first,
// last] that free accepts, wrapping once round the range, and moves the
// cursor past it.
func (n *MemNetwork) nextPortLocked(cursor *int, first, last int, free func(int) bool) (int, error) {
	size := last - first + 1
	for i := range size {
		p := first + (*cursor-first+i)%size
		if free(p) {
			*cursor = first + (p-first+1)%size
			return p, nil
		}
	}
	return 0, fmt.Errorf("all %d ports of [%d, %d] are in use", size, first, last)
}

// lookupLocked returns the listener that a dial to host:port reaches: one
// bound to that host, else one bound to a wildcard host.
func (n *MemNetwork) lookupLocked(host string, port int) *memListener {
	var wild *memListener
	for _, l := range n.listeners[port] {
		if l.host == host {
			return l
		}
		if wildcardHost(l.host) {
			wild = l
		}
	}
	return wild
}

// Dial connects to addr from a clock callback: the listener's accept gets
// the server end, then done gets the client end. Nothing listening there
// fails with ErrConnRefused. The timeout is not used: an in-memory connect
// never waits.
func (n *MemNetwork) Dial(addr string, timeout time.Duration, done func(Conn, error)) {
	if done == nil {
		panic("env: MemNetwork.Dial with a nil done func")
	}
	n.clock.AfterFunc(0, func() { n.connect(addr, done) })
}

// connect establishes a dialed connection and runs the callbacks.
func (n *MemNetwork) connect(addr string, done func(Conn, error)) {
	host, port, err := splitAddr(addr)
	if err != nil {
		done(nil, fmt.Errorf("env: dial: %w", err))
		return
	}
	n.mu.Lock()
	l := n.lookupLocked(host, port)
	if l == nil {
		n.mu.Unlock()
		done(nil, fmt.Errorf("env: dial %s: nothing listens there: %w", addr, ErrConnRefused))
		return
	}
	clientPort, err := n.nextPortLocked(&n.clientNext, memEphemeralPortFirst, memEphemeralPortLast,
		func(p int) bool { return !n.clientPorts[p] })
	if err != nil {
		n.mu.Unlock()
		done(nil, fmt.Errorf("env: dial %s: %w", addr, err))
		return
	}
	n.clientPorts[clientPort] = true
	client, server := newMemPair(n, net.JoinHostPort(memClientHost, strconv.Itoa(clientPort)),
		net.JoinHostPort(host, strconv.Itoa(port)))
	client.clientPort = clientPort
	n.mu.Unlock()

	l.acceptMu.Lock()
	l.accept(server)
	l.acceptMu.Unlock()
	done(client, nil)
}

// memListener is a Listener of a MemNetwork.
type memListener struct {
	net      *MemNetwork
	host     string
	port     int
	addr     string
	accept   func(Conn)
	acceptMu sync.Mutex // keeps calls of accept from overlapping
	closed   bool       // guarded by net.mu
}

// Addr returns the bound address.
func (l *memListener) Addr() string { return l.addr }

// Close unbinds the address; accepted connections stay open.
func (l *memListener) Close() error {
	n := l.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	ls := n.listeners[l.port]
	for i, other := range ls {
		if other == l {
			ls = append(ls[:i], ls[i+1:]...)
			break
		}
	}
	if len(ls) == 0 {
		delete(n.listeners, l.port)
	} else {
		n.listeners[l.port] = ls
	}
	return nil
}
