package env

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// DefaultMaxQueuedWriteBytes bounds the bytes a TCP connection holds queued
// and not yet handed to the operating system. It is four frames of the
// largest size the remoting layer accepts (16 MiB): a peer that has fallen
// that far behind is not reading, and a connection to it must not pin more
// memory than that.
const DefaultMaxQueuedWriteBytes = 64 << 20

// Accept retry backoff. Accept fails transiently when the process is out of
// file descriptors or the kernel out of buffers; retrying at once would spin
// a core, so the loop waits, doubling from acceptBackoffMin up to
// acceptBackoffMax (the schedule net/http uses), and starts again from the
// minimum after a success.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
)

// TCPNetwork is the real Network: TCP through package net. Each listener
// runs one accept goroutine; each started connection runs one reader and
// one writer goroutine (see tcpConn). The zero value is ready to use with
// the default bounds; it is safe for concurrent use.
type TCPNetwork struct {
	// MaxQueuedWriteBytes bounds the unsent bytes each connection may
	// queue; a Write beyond it fails with ErrWriteQueueFull and closes the
	// connection. 0 means DefaultMaxQueuedWriteBytes.
	MaxQueuedWriteBytes int
}

var _ Network = (*TCPNetwork)(nil)

// queueBound returns the effective per-connection write queue bound.
func (n *TCPNetwork) queueBound() int {
	if n.MaxQueuedWriteBytes > 0 {
		return n.MaxQueuedWriteBytes
	}
	return DefaultMaxQueuedWriteBytes
}

// Listen binds addr and starts the accept goroutine, which calls accept for
// each connection until the listener is closed or accept fails for good.
func (n *TCPNetwork) Listen(addr string, accept func(Conn)) (Listener, error) {
	if accept == nil {
		panic("env: TCPNetwork.Listen with a nil accept func")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("env: listen on %s: %w: %w", addr, ErrAddrInUse, err)
		}
		return nil, fmt.Errorf("env: listen on %s: %w", addr, err)
	}
	l := &tcpListener{ln: ln, addr: ln.Addr().String(), quit: make(chan struct{}), queueBound: n.queueBound()}
	go l.acceptLoop(accept)
	return l, nil
}

// Dial connects on a new goroutine and calls done from it, once.
func (n *TCPNetwork) Dial(addr string, timeout time.Duration, done func(Conn, error)) {
	if done == nil {
		panic("env: TCPNetwork.Dial with a nil done func")
	}
	bound := n.queueBound()
	go func() {
		c, err := net.DialTimeout("tcp", addr, max(timeout, 0))
		if err != nil {
			done(nil, dialError(addr, err))
			return
		}
		done(newTCPConn(c, bound), nil)
	}()
}

// dialError wraps a dial failure with the matching sentinel.
func dialError(addr string, err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("env: dial %s: %w: %w", addr, ErrConnRefused, err)
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("env: dial %s: %w: %w", addr, ErrDialTimeout, err)
	}
	return fmt.Errorf("env: dial %s: %w", addr, err)
}

// tcpListener is a Listener with its accept goroutine.
type tcpListener struct {
	ln         net.Listener
	addr       string
	queueBound int
	closed     atomic.Bool
	quit       chan struct{} // closed by Close; ends a backoff wait
	closeOnce  sync.Once
}

// Addr returns the bound address.
func (l *tcpListener) Addr() string { return l.addr }

// Close stops the accept goroutine; accepted connections stay open.
func (l *tcpListener) Close() error {
	var err error
	l.closeOnce.Do(func() {
		l.closed.Store(true)
		close(l.quit)
		if cerr := l.ln.Close(); cerr != nil {
			err = fmt.Errorf("env: close listener %s: %w", l.addr, cerr)
		}
	})
	return err
}

// acceptLoop accepts until the listener is closed. Transient failures are
// retried with backoff; any other failure closes the listener and ends the
// loop (Accept on a socket that broke for good would fail forever).
func (l *tcpListener) acceptLoop(accept func(Conn)) {
	backoff := time.Duration(0)
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if l.closed.Load() {
				return
			}
			if !transientAcceptError(err) {
				_ = l.Close() // the loop ends either way; a second failure adds nothing
				return
			}
			backoff = min(max(2*backoff, acceptBackoffMin), acceptBackoffMax)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-l.quit:
				t.Stop()
				return
			}
			continue
		}
		backoff = 0
		if l.closed.Load() {
			_ = c.Close() // accepted in the instant Close ran: nobody will serve it
			return
		}
		accept(newTCPConn(c, l.queueBound))
	}
}

// transientAcceptErrnos are the accept failures worth retrying: resource
// exhaustion, or a connection aborted before it could be accepted.
var transientAcceptErrnos = []syscall.Errno{
	syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM,
	syscall.ECONNABORTED, syscall.ECONNRESET, syscall.EINTR, syscall.EAGAIN, syscall.EPROTO,
}

// transientAcceptError reports whether Accept may succeed when retried:
// resource exhaustion, or a connection that was aborted before it could be
// accepted.
func transientAcceptError(err error) bool {
	for _, errno := range transientAcceptErrnos {
		if errors.Is(err, errno) {
			return true
		}
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
