package env

import (
	"fmt"
	"net/netip"
	"sync/atomic"
	"time"
)

// memHost is what a MemNetwork knows about one host: the ephemeral ports
// its dialing ends hold and its incarnation.
type memHost struct {
	name        string
	clientPorts map[int]bool // ephemeral ports held by live client ends of this host
	clientNext  int          // cursor of the ephemeral range

	// incarnation counts the crashes of the host's process. Every end and
	// every dial records it when created; once CrashHost has moved it on,
	// their callbacks never run. It is written under the network's mutex
	// and read without it by done batches.
	incarnation atomic.Uint64
}

// hostLocked returns the bookkeeping of host, creating it on first use.
func (n *MemNetwork) hostLocked(host string) *memHost {
	h := n.hosts[host]
	if h == nil {
		h = &memHost{name: host, clientPorts: map[int]bool{}, clientNext: memEphemeralPortFirst}
		n.hosts[host] = h
	}
	return h
}

// Host returns a view of the network from one host, for a simulator that
// gives each node its own address. host is a specific IP address in
// canonical form ("10.0.0.3"); anything else (a name, a wildcard, a
// non-canonical spelling) is a bug and panics.
//
// The view's Listen binds on host only: "0.0.0.0:p", "[::]:p", ":p" and
// "host:p" all bind host:p, and another explicit host is refused with an
// error. Its Dial originates from host: the client end's LocalAddr is
// host:<ephemeral port> from host's own cursor, and the server end's
// RemoteAddr says the same. Two hosts may listen on the same port and
// hand out the same ephemeral ports. 127.0.0.1 is an ordinary host here:
// Host("127.0.0.1") dials as the network's own Dial does, and a view of
// another host dialing 127.0.0.1 reaches the listeners bound there, not
// its own.
func (n *MemNetwork) Host(host string) Network {
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.IsUnspecified() || ip.Zone() != "" || ip.String() != host {
		panic(fmt.Sprintf("env: MemNetwork.Host(%q): want a specific IP address in canonical form, such as \"10.0.0.3\"", host))
	}
	return &memHostNetwork{net: n, host: host}
}

// memHostNetwork is the Network of one host of a MemNetwork.
type memHostNetwork struct {
	net  *MemNetwork
	host string
}

var _ Network = (*memHostNetwork)(nil)

// Listen binds addr's port on the view's host; addr's host must be a
// wildcard or the view's host.
func (h *memHostNetwork) Listen(addr string, accept func(Conn)) (Listener, error) {
	host, port, err := splitAddr(addr)
	if err != nil {
		return nil, err
	}
	if !wildcardHost(host) && host != h.host {
		return nil, fmt.Errorf("env: listen on %s from host %s: can bind only %s or a wildcard host", addr, h.host, h.host)
	}
	return h.net.listen(addr, h.host, port, accept)
}

// Dial connects to addr from the view's host.
func (h *memHostNetwork) Dial(addr string, timeout time.Duration, done func(Conn, error)) {
	h.net.dial(h.host, addr, timeout, done)
}
