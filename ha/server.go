package ha

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
)

// Source is the master's store as the Server reads it; *store.Store
// implements it.
type Source interface {
	// ReplicableEnd returns the end of what may be streamed: the written
	// CommitLog, or only its durable part (store.Store.ReplicableEnd).
	ReplicableEnd() int64
	// CommitLogSegmentSizeBytes returns the CommitLog's segment size.
	CommitLogSegmentSizeBytes() int64
	// ReplicaConfirmed says that ConfirmedOffset moved on: consumers may
	// now see more of the log. It is called with no lock of the server
	// held, before the puts the acknowledgement completes are answered.
	ReplicaConfirmed()
	// ReadCommitLog returns up to maxBytes written bytes from physOffset,
	// not past the end of its segment, held by the Ref until released;
	// commitlog.ErrOffsetNotWritten at the end.
	ReadCommitLog(physOffset int64, maxBytes int) ([]byte, commitlog.Ref, error)
}

// ErrClosed is returned by a closed Server or Client.
var ErrClosed = errors.New("ha: closed")

// Server is a master's side of replication: it accepts slaves on the HA
// address, streams each one the CommitLog from where it asks, tracks their
// acknowledgements and answers the store's SYNC_MASTER waits (it implements
// store.Replicator). See the package doc for the protocol.
type Server struct {
	e   env.Env
	src Source
	cfg ServerConfig
	log *slog.Logger

	mu       sync.Mutex
	listener env.Listener
	closed   bool
	conns    []*serverConn // in accept order
	nextID   uint64
	// best is the highest acknowledged offset over the connections, -1
	// while none has acknowledged anything.
	best int64
	// confirmed is the highest offset any slave ever acknowledged to this
	// server, -1 before any (ConfirmedOffset).
	confirmed atomic.Int64
	w         waiters

	// live is a copy of conns for Appended, which runs on every put and so
	// reads it without taking mu; it is replaced whenever conns changes.
	live atomic.Pointer[[]*serverConn]
}

// SlaveState describes one slave connection.
type SlaveState struct {
	// RemoteAddr is the slave's address.
	RemoteAddr string
	// StartOffset is where the stream began, -1 before the first report.
	StartOffset int64
	// SentOffset is the end of the bytes handed to the connection.
	SentOffset int64
	// ReportedOffset is the slave's last report as received, -1 before the
	// first; AckOffset the part of it the master trusts (never beyond
	// SentOffset), -1 before the first trusted one.
	ReportedOffset int64
	AckOffset      int64
}

// NewServer returns a Server streaming src. Start makes it listen.
func NewServer(e env.Env, src Source, cfg ServerConfig) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{e: e, src: src, cfg: cfg, log: cfg.Logger, best: -1}
	s.confirmed.Store(-1)
	return s, nil
}

// Start listens on cfg.ListenAddr.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.listener != nil {
		return fmt.Errorf("ha: server on %s already started", s.listener.Addr())
	}
	l, err := s.e.Net.Listen(s.cfg.ListenAddr, s.accept)
	if err != nil {
		return fmt.Errorf("ha: listening on %q: %w", s.cfg.ListenAddr, err)
	}
	s.listener = l
	return nil
}

// Addr returns the address the server listens on, "" before Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener == nil {
		return ""
	}
	return s.listener.Addr()
}

// Close stops listening, closes every connection and completes the waiting
// puts with FLUSH_SLAVE_TIMEOUT. It is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	l := s.listener
	conns := append([]*serverConn(nil), s.conns...)
	s.mu.Unlock()
	var err error
	if l != nil {
		err = l.Close()
	}
	for _, c := range conns {
		c.close(ErrClosed)
	}
	s.failAllWaiters()
	return err
}

// accept adopts a slave's connection, or closes it when the server is
// closed or full.
func (s *Server) accept(nc env.Conn) {
	s.mu.Lock()
	if s.closed || len(s.conns) >= s.cfg.MaxSlaves {
		full := !s.closed
		s.mu.Unlock()
		if full {
			s.log.Warn("ha: refusing a slave: too many connections", slog.String("remote", nc.RemoteAddr()), slog.Int("max", s.cfg.MaxSlaves))
		}
		_ = nc.Close()
		return
	}
	s.nextID++
	c := newServerConn(s, s.nextID, nc)
	s.conns = append(s.conns, c)
	s.publishLocked()
	s.mu.Unlock()
	s.log.Info("ha: slave connected", slog.String("remote", c.remote))
	c.start()
}

// removeConn forgets a closed connection; its acknowledgement no longer
// counts.
func (s *Server) removeConn(c *serverConn) {
	s.mu.Lock()
	for i, x := range s.conns {
		if x == c {
			s.conns = append(s.conns[:i:i], s.conns[i+1:]...)
			break
		}
	}
	s.publishLocked()
	s.mu.Unlock()
	s.ackChanged()
}

// publishLocked refreshes the copy of conns that Appended reads. s.mu is
// held.
func (s *Server) publishLocked() {
	live := append([]*serverConn(nil), s.conns...)
	s.live.Store(&live)
}

// Appended tells the idle streams that the CommitLog grew (store.Replicator).
// It runs on the putting goroutine; a stream that was waiting sends the new
// bytes from there, at most a few frames before handing over to a timer.
func (s *Server) Appended(int64) {
	live := s.live.Load()
	if live == nil {
		return
	}
	for _, c := range *live {
		if c.idle.Load() {
			c.kick()
		}
	}
}

// ConfirmedOffset bounds what consumers of a SYNC_MASTER see
// (store.Replicator): the highest offset a slave ever acknowledged to this
// server, -1 before any. A record past it exists on the master alone, and
// a consumer that read it could move past its queue offset, which a slave
// promoted after the master's loss would give to another message. An
// ASYNC_MASTER promises nothing of the kind: no bound (math.MaxInt64).
func (s *Server) ConfirmedOffset() int64 {
	if !s.cfg.SyncMaster {
		return math.MaxInt64
	}
	return s.confirmed.Load()
}

// AckedOffset returns the highest offset a connected slave acknowledged, -1
// when none did.
func (s *Server) AckedOffset() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.best
}

// Slaves describes the connected slaves in the order they connected.
func (s *Server) Slaves() []SlaveState {
	s.mu.Lock()
	conns := append([]*serverConn(nil), s.conns...)
	s.mu.Unlock()
	out := make([]SlaveState, 0, len(conns))
	for _, c := range conns {
		out = append(out, c.state())
	}
	return out
}

// now reads the clock.
func (s *Server) now() time.Time { return s.e.Clock.Now() }
