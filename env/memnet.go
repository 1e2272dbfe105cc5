package env

import (
	"fmt"
	"net"
	"slices"
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

// memDefaultHost is the host of the network's own Dial: every end it
// creates is "127.0.0.1:p". Host views dial from their own host.
const memDefaultHost = "127.0.0.1"

// memUnlimitedDialTimeout is how long a Dial without a timeout of its own
// (timeout <= 0) waits across a cut link before it fails: Linux's default
// of six SYN retransmissions backing off from one second (1+2+...+64 s)
// gives up after 127 s.
const memUnlimitedDialTimeout = 127 * time.Second

// MemNetwork is an in-memory Network for deterministic tests and the
// simulator: connections are pairs of memConn in one process and every
// callback (accept, Dial's done, onData, onClose, Write's done) runs from a
// clock.AfterFunc callback, never from inside a call of the caller. With a
// ManualClock nothing happens until the test calls RunDue, Advance or
// FireNext, and the order of events depends only on the order of the calls
// made (and the delays drawn), never on goroutine scheduling or map order:
// wherever the network walks its connections or listeners it does so in
// creation or port order. It starts no goroutine. It is safe for concurrent
// use; its one mutex guards all its state and is never held while a
// callback of the caller runs (except the latency function, see
// SetLatency).
//
// Hosts. Every end of a connection lives on a host. The network's own
// Listen binds any host given (a wildcard host, "", "0.0.0.0" or "::",
// answers for every host) and its own Dial originates from 127.0.0.1.
// Host(h) returns a view whose Listen binds only on h and whose Dial
// originates from h, which is how a simulator gives each node its own
// address. Listen on port 0 takes the next port of [10000, 49151] that is
// free on the host being bound (one cursor serves all hosts, so a port
// picked this way names one listener network-wide); each host hands its
// dialing ends ports from its own cursor over [49152, 65535]. Both cursors
// wrap and skip ports in use.
//
// Transmission. Write hands its bytes (one chunk per Write) to the peer and
// queues done(nil) at once: done reports that the bytes left the sender,
// never that they arrived. With no latency and no cut link the chunk lands
// in the peer's inbound buffer at once (the stand-in for the kernel's
// buffers); otherwise it is in flight until it lands. A chunk lands at
// max(its write time + the delay drawn for it, the landing time of the
// chunk before it), and only while its link is open, so one direction of
// one connection never reorders. Each end has at most one delivery
// callback scheduled; it passes everything inbound to one onData call, so
// bytes that landed together are coalesced. Done callbacks run in Write
// order from one callback per batch.
//
// Close (or a write past the bound) finishes one end: its undelivered and
// in-flight inbound bytes are dropped, its onClose reports the reason, and
// its end of stream travels to the peer like a chunk (drawing a delay,
// behind the bytes sent before it), where onClose(nil) follows the last
// byte. Bytes written to an end that has finished vanish, as on a closed
// socket. The unsent bytes of one direction (held before Start, in flight,
// landed and not yet delivered) are bounded by DefaultMaxQueuedWriteBytes
// like TCP's write queue.
//
// Dial schedules the handshake: the SYN takes one delay from the dialing
// host to the dialed one, where the listener bound at that moment (the
// exact host first, else a wildcard one) gets accept with the server end;
// the answer takes one delay back, and done gets the client end (or
// ErrConnRefused when nothing listened). See Dial for timeouts and cut
// links.
//
// Faults: SetLatency, SetBlocked, ResetBetween and CrashHost. Without them
// every delay is zero and every chunk lands at once.
type MemNetwork struct {
	clock Clock

	mu         sync.Mutex             // guards everything below and the state of every memConn
	listeners  map[int][]*memListener // by port, in bind order
	hosts      map[string]*memHost    // per-host bookkeeping, created on first use
	listenNext int                    // cursor of the listen range
	queueBound int                    // per-direction unsent-byte bound of each connection

	conns      map[uint64]*memConn // client end of every connection with an unfinished end, by id
	lastConnID uint64              // ids count up from 1 in creation order

	latency func(from, to string) time.Duration // nil: no delay
	blocked map[memLink]bool                    // cut links; absent means open
}

var _ Network = (*MemNetwork)(nil)

// NewMemNetwork returns an empty network whose callbacks the clock runs.
func NewMemNetwork(clock Clock) *MemNetwork {
	if clock == nil {
		panic("env: NewMemNetwork with a nil clock")
	}
	return &MemNetwork{
		clock:      clock,
		listeners:  map[int][]*memListener{},
		hosts:      map[string]*memHost{},
		listenNext: memListenPortFirst,
		queueBound: DefaultMaxQueuedWriteBytes,
		conns:      map[uint64]*memConn{},
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

// Listen binds addr. Port 0 takes the next port of the listen range free
// on that host. An address whose port is bound on the same host, or on a
// wildcard host, is refused with ErrAddrInUse.
func (n *MemNetwork) Listen(addr string, accept func(Conn)) (Listener, error) {
	host, port, err := splitAddr(addr)
	if err != nil {
		return nil, err
	}
	if host == "" {
		host = "0.0.0.0"
	}
	return n.listen(addr, host, port, accept)
}

// listen binds host:port (port 0: the next free one) for the address the
// caller asked for.
func (n *MemNetwork) listen(addr, host string, port int, accept func(Conn)) (Listener, error) {
	if accept == nil {
		panic("env: MemNetwork.Listen with a nil accept func")
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if port == 0 {
		var err error
		port, err = n.nextPortLocked(&n.listenNext, memListenPortFirst, memListenPortLast,
			func(p int) bool { return n.boundLocked(host, p) == nil })
		if err != nil {
			return nil, fmt.Errorf("env: listen on %s: %w", addr, err)
		}
	}
	if other := n.boundLocked(host, port); other != nil {
		return nil, fmt.Errorf("env: listen on %s: %s is bound: %w", addr, other.addr, ErrAddrInUse)
	}
	l := &memListener{net: n, host: host, port: port, addr: net.JoinHostPort(host, strconv.Itoa(port)), accept: accept}
	n.listeners[port] = append(n.listeners[port], l)
	return l, nil
}

// boundLocked returns a listener that keeps host:port from being bound:
// one on the same host, or one on a wildcard host, or for a wildcard host
// any.
func (n *MemNetwork) boundLocked(host string, port int) *memListener {
	for _, other := range n.listeners[port] {
		if other.host == host || wildcardHost(other.host) || wildcardHost(host) {
			return other
		}
	}
	return nil
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

// Dial connects to addr from 127.0.0.1 (see dial and the type doc for the
// handshake). The timeout matters only when the handshake is slow or a
// link is cut.
func (n *MemNetwork) Dial(addr string, timeout time.Duration, done func(Conn, error)) {
	n.dial(memDefaultHost, addr, timeout, done)
}

// listenerPortsLocked returns the ports with listeners, ascending.
func (n *MemNetwork) listenerPortsLocked() []int {
	ports := make([]int, 0, len(n.listeners))
	for p := range n.listeners {
		ports = append(ports, p)
	}
	slices.Sort(ports)
	return ports
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
	l.net.mu.Lock()
	defer l.net.mu.Unlock()
	l.closeLocked()
	return nil
}

// closeLocked unbinds the address once.
func (l *memListener) closeLocked() {
	n := l.net
	if l.closed {
		return
	}
	l.closed = true
	ls := slices.DeleteFunc(n.listeners[l.port], func(other *memListener) bool { return other == l })
	if len(ls) == 0 {
		delete(n.listeners, l.port)
	} else {
		n.listeners[l.port] = ls
	}
}
