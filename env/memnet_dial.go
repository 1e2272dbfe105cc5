package env

import (
	"fmt"
	"net"
	"strconv"
	"time"
)

// memDial is one Dial of a MemNetwork in progress.
type memDial struct {
	net         *MemNetwork
	from        *memHost
	incarnation uint64 // from's incarnation when Dial was called
	addr        string // as the caller gave it
	host        string // the dialed host
	port        int
	timeout     time.Duration // the limit in force (memUnlimitedDialTimeout for none)
	synDelay    time.Duration // dialing host to dialed host
	ackDelay    time.Duration // and back
	done        func(Conn, error)
}

// dial connects from host from to addr and calls done from a clock
// callback:
//
//   - addr unparsable: done gets the error at once (from a callback).
//   - a link between the two hosts cut in either direction, when Dial is
//     called or when the SYN arrives: done gets ErrDialTimeout once the
//     timeout has passed since Dial (memUnlimitedDialTimeout, 127 s, when
//     timeout <= 0). Unblocking the link meanwhile does not save the dial.
//   - otherwise two delays are drawn, there and back. When together they
//     exceed the timeout, the dial fails as across a cut link and the
//     listener never hears of it. Else after the first delay the SYN
//     arrives: the listener bound then gets accept with the server end, and
//     after the second delay done gets the client end; with nothing bound
//     done gets ErrConnRefused after the second delay.
//
// A dial whose host crashes (CrashHost) before done runs never calls it.
func (n *MemNetwork) dial(from, addr string, timeout time.Duration, done func(Conn, error)) {
	if done == nil {
		panic("env: MemNetwork.Dial with a nil done func")
	}
	host, port, err := splitAddr(addr)
	if err != nil {
		n.clock.AfterFunc(0, func() { done(nil, fmt.Errorf("env: dial: %w", err)) })
		return
	}
	if timeout <= 0 {
		timeout = memUnlimitedDialTimeout
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	h := n.hostLocked(from)
	d := &memDial{
		net: n, from: h, incarnation: h.incarnation.Load(),
		addr: addr, host: host, port: port, timeout: timeout, done: done,
	}
	if n.cutLocked(from, host) {
		n.clock.AfterFunc(timeout, d.timeOut)
		return
	}
	d.synDelay = n.delayLocked(from, host)
	d.ackDelay = n.delayLocked(host, from)
	if d.synDelay+d.ackDelay > timeout {
		n.clock.AfterFunc(timeout, d.timeOut)
		return
	}
	n.clock.AfterFunc(d.synDelay, d.connect)
}

// gone reports whether the dialing process has crashed since Dial.
func (d *memDial) gone() bool {
	return d.from.incarnation.Load() != d.incarnation
}

// connect runs when the SYN arrives: it creates the connection, calls the
// listener's accept with the server end and sends the answer back.
func (d *memDial) connect() {
	n := d.net
	n.mu.Lock()
	if d.gone() {
		n.mu.Unlock()
		return
	}
	if n.cutLocked(d.from.name, d.host) {
		n.clock.AfterFunc(d.timeout-d.synDelay, d.timeOut)
		n.mu.Unlock()
		return
	}
	l := n.lookupLocked(d.host, d.port)
	if l == nil {
		n.mu.Unlock()
		d.answer(nil, fmt.Errorf("env: dial %s: nothing listens there: %w", d.addr, ErrConnRefused))
		return
	}
	clientPort, err := n.nextPortLocked(&d.from.clientNext, memEphemeralPortFirst, memEphemeralPortLast,
		func(p int) bool { return !d.from.clientPorts[p] })
	if err != nil {
		n.mu.Unlock()
		d.answer(nil, fmt.Errorf("env: dial %s from %s: %w", d.addr, d.from.name, err))
		return
	}
	d.from.clientPorts[clientPort] = true
	client, server := n.newPairLocked(d.from, clientPort, n.hostLocked(d.host), d.port)
	n.mu.Unlock()

	l.acceptMu.Lock()
	l.accept(server)
	l.acceptMu.Unlock()
	d.answer(client, nil)
}

// answer calls done once the answer has come back: at once when it takes
// no time, else from a callback after ackDelay.
func (d *memDial) answer(c *memConn, err error) {
	if d.ackDelay == 0 {
		d.finish(c, err)
		return
	}
	d.net.clock.AfterFunc(d.ackDelay, func() { d.finish(c, err) })
}

// finish calls done with the client end or the error, unless the dialing
// process has crashed meanwhile.
func (d *memDial) finish(c *memConn, err error) {
	if d.gone() {
		return
	}
	if c == nil {
		d.done(nil, err)
		return
	}
	d.done(c, nil)
}

// timeOut fails the dial with ErrDialTimeout.
func (d *memDial) timeOut() {
	if d.gone() {
		return
	}
	d.done(nil, fmt.Errorf("env: dial %s from %s: no answer within %v: %w", d.addr, d.from.name, d.timeout, ErrDialTimeout))
}

// newPairLocked returns the two ends of a new connection from
// client:clientPort to server:serverPort and registers it.
func (n *MemNetwork) newPairLocked(client *memHost, clientPort int, server *memHost, serverPort int) (clientEnd, serverEnd *memConn) {
	n.lastConnID++
	id := n.lastConnID
	clientAddr := net.JoinHostPort(client.name, strconv.Itoa(clientPort))
	serverAddr := net.JoinHostPort(server.name, strconv.Itoa(serverPort))
	clientEnd = &memConn{net: n, id: id, home: client, incarnation: client.incarnation.Load(),
		local: clientAddr, remote: serverAddr, clientPort: clientPort}
	serverEnd = &memConn{net: n, id: id, home: server, incarnation: server.incarnation.Load(),
		local: serverAddr, remote: clientAddr}
	clientEnd.peer, serverEnd.peer = serverEnd, clientEnd
	n.conns[id] = clientEnd
	return clientEnd, serverEnd
}
