package ha

import (
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/apogeemq/apogee/env"
)

// ErrOffsetMismatch: a frame did not start where the slave's log ends.
var ErrOffsetMismatch = errors.New("ha: frame offset differs from the slave's end")

// reportSlots bounds the reports a session has handed to the network and
// not yet seen written. A report carries only the newest end, so when all
// slots are busy the next one is skipped: the following read or tick sends a
// newer one.
const reportSlots = 4

// session is one connection of a Client to its master. Everything in it
// is guarded by the Client's mu, except reportsBusy.
type session struct {
	c      *Client
	gen    uint64
	nc     env.Conn
	frames *FrameReader
	// gotFrame is set by the first frame: only the first may make the slave
	// cut its log back, and a session that had one counts as a success.
	gotFrame   bool
	lastRead   time.Time
	lastReport time.Time
	reported   int64 // the last offset reported, -1 before any
	timer      env.Timer
	stopped    bool

	reports     [reportSlots][ReportSizeBytes]byte
	reportBufs  [reportSlots][][]byte
	reportNext  int
	reportsBusy atomic.Int32
	reportDone  func(error)
}

func newSession(c *Client, gen uint64, nc env.Conn) *session {
	s := &session{c: c, gen: gen, nc: nc, frames: NewFrameReader(c.cfg.MaxFrameBodyBytes), reported: -1}
	for i := range s.reports {
		s.reportBufs[i] = [][]byte{s.reports[i][:]}
	}
	s.reportDone = func(error) { s.reportsBusy.Add(-1) }
	return s
}

// start reports the slave's end, arms the timer and begins reading. c.mu
// is held.
func (s *session) start() {
	now := s.c.e.Clock.Now()
	s.lastRead = now
	s.reportLocked(now) // held by the connection until Start
	s.armLocked(now)
	s.nc.Start(s.onData, s.onClose)
}

// stop closes the connection and its timer. c.mu is held.
func (s *session) stop() {
	s.stopped = true
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	_ = s.nc.Close()
}

// onData applies the frames in p and reports the new end.
func (s *session) onData(p []byte) {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess != s {
		return
	}
	now := c.e.Clock.Now()
	s.lastRead = now
	if err := s.frames.Feed(p, s); err != nil {
		c.endSessionLocked(s, fmt.Errorf("ha: master %s: %w", c.addr, err))
		return
	}
	if c.r.ReplicaEnd() != s.reported {
		s.reportLocked(now)
	}
}

// OnFrameHeader checks that the frame continues the slave's log. The first
// frame of a session may start below the log's end when the master holds
// less: with TruncateDivergent the log is cut back there.
func (s *session) OnFrameHeader(h FrameHeader) error {
	c := s.c
	end := c.r.ReplicaEnd()
	switch {
	case h.PhysOffset == end || end == 0:
	case !s.gotFrame && h.PhysOffset < end && c.cfg.TruncateDivergent:
		cut, err := c.r.TruncateTo(h.PhysOffset)
		if err != nil {
			return fmt.Errorf("ha: cutting the log back to the master's end %d: %w", h.PhysOffset, err)
		}
		c.st.Truncations++
		c.log.Warn("ha: the log held bytes the master does not; cut back", slog.Int64("from", end),
			slog.Int64("to", cut), slog.Int64("master", h.PhysOffset))
		if cut != h.PhysOffset {
			return fmt.Errorf("%w: the master streams from %d, inside the slave's record at %d", ErrOffsetMismatch, h.PhysOffset, cut)
		}
	default:
		return fmt.Errorf("%w: frame at %d, the slave ends at %d", ErrOffsetMismatch, h.PhysOffset, end)
	}
	if !s.gotFrame {
		s.gotFrame = true
		c.backoff = 0
	}
	return nil
}

// OnFrameBody appends a piece of a frame.
func (s *session) OnFrameBody(physOffset int64, b []byte) error {
	return s.c.r.AppendReplica(physOffset, b)
}

// onClose is the network's end of the connection.
func (s *session) onClose(err error) {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		err = env.ErrConnClosed
	}
	c.endSessionLocked(s, err)
}

// reportLocked sends the slave's end, unless every report slot is busy.
// c.mu is held.
func (s *session) reportLocked(now time.Time) {
	if s.reportsBusy.Load() >= reportSlots {
		return
	}
	end := s.c.r.ReplicaEnd()
	i := s.reportNext
	s.reportNext = (i + 1) % reportSlots
	EncodeReport(s.reports[i][:], end)
	s.reportsBusy.Add(1)
	s.nc.Write(s.reportBufs[i], s.reportDone)
	s.reported, s.lastReport = end, now
	s.c.st.ReportedOffset = end
}

// tick is the session's timer: housekeeping, then the periodic report.
func (s *session) tick() {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess != s || s.stopped {
		return
	}
	now := c.e.Clock.Now()
	if now.Sub(s.lastRead) >= c.cfg.HousekeepingInterval {
		c.endSessionLocked(s, fmt.Errorf("%w: master %s", ErrHousekeeping, c.addr))
		return
	}
	if now.Sub(s.lastReport) >= c.cfg.ReportInterval {
		s.reportLocked(now)
	}
	s.armLocked(now)
}

// armLocked schedules tick for the next deadline. c.mu is held.
func (s *session) armLocked(now time.Time) {
	due := earliest(s.lastRead.Add(s.c.cfg.HousekeepingInterval), s.lastReport.Add(s.c.cfg.ReportInterval))
	s.timer = s.c.e.Clock.AfterFunc(max(due.Sub(now), minTick), s.tick)
}
