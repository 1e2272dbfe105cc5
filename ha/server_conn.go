package ha

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apogeemq/apogee/commitlog"
	"github.com/apogeemq/apogee/env"
)

// Errors that end a connection, on either side.
var (
	// ErrHousekeeping: nothing was read for HousekeepingInterval.
	ErrHousekeeping = errors.New("ha: connection idle past the housekeeping interval")
	// ErrSlaveTooOld: the slave asked for bytes the master no longer holds.
	ErrSlaveTooOld = errors.New("ha: the slave's offset is below the master's CommitLog")
)

// maxFramesPerKick bounds the frames one call of kick sends before it hands
// the rest to a timer: a put that wakes an idle stream, or a network
// callback that completes a write inline, must not be kept streaming a
// slave that is far behind (16 frames is 512 KiB at the default batch).
const maxFramesPerKick = 16

// serverConn is one slave connection on the master.
//
// reports is touched only by onData, whose calls never overlap. The stream
// state below mu is touched by onData, kick (on the putting goroutine, the
// timer's or a write's completion) and the timer; mu is never held across
// a Write or a call into the Server.
type serverConn struct {
	s      *Server
	id     uint64
	nc     env.Conn
	remote string

	reports ReportReader

	// ack is the trusted acknowledgement, -1 before the first.
	ack atomic.Int64
	// idle says the stream caught up and waits for Appended.
	idle atomic.Bool
	// writtenFn is c.written, bound once.
	writtenFn func(error)

	mu sync.Mutex
	// started is set by the first report, which fixes startOff.
	started  bool
	startOff int64
	next     int64 // the end of the bytes handed to nc
	reported int64 // the last report, -1 before the first
	// inflight is set while a frame is handed to nc and not written yet;
	// ref holds its CommitLog segment and hdr its header until then.
	inflight  bool
	ref       commitlog.Ref
	hdr       [FrameHeaderSizeBytes]byte
	bufs      [2][]byte
	pumping   bool // a kick loop runs
	want      bool // another round of the kick loop is asked for
	heartbeat bool // an empty frame is due
	closed    bool
	lastRead  time.Time
	lastWrite time.Time
	timer     env.Timer
	timerGen  uint64 // tells a stale timer from the armed one
}

func newServerConn(s *Server, id uint64, nc env.Conn) *serverConn {
	c := &serverConn{s: s, id: id, nc: nc, remote: nc.RemoteAddr(), reported: -1}
	c.ack.Store(-1)
	c.writtenFn = c.written
	return c
}

// start arms the housekeeping timer and begins reading.
func (c *serverConn) start() {
	c.mu.Lock()
	now := c.s.now()
	c.lastRead, c.lastWrite = now, now
	c.armLocked(now)
	c.mu.Unlock()
	c.nc.Start(c.onData, c.onClose)
}

// onData reads reports: the first fixes where the stream starts, each
// moves the acknowledgement.
func (c *serverConn) onData(p []byte) {
	off, ok, err := c.reports.Feed(p)
	if err != nil {
		c.close(fmt.Errorf("ha: slave %s: %w", c.remote, err))
		return
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	now := c.s.now()
	c.lastRead = now
	if !ok {
		c.mu.Unlock()
		return
	}
	c.reported = off
	first := !c.started
	if first {
		c.started = true
		c.startOff = startOffset(off, c.s.src.ReplicableEnd(), c.s.src.CommitLogSegmentSizeBytes())
		c.next = c.startOff
		// The stream opens with a frame at once, empty when there is
		// nothing to send: the slave learns where it starts (and whether
		// it must cut its log) without waiting for the heartbeat, which
		// the timer now schedules.
		c.heartbeat = true
		c.lastWrite = now
		c.armLocked(now)
	}
	// A report beyond what this connection sent is a claim, not an
	// acknowledgement (apache/rocketmq#3015).
	trusted := off <= c.next || c.s.cfg.PlantedBug == BugTrustSlaveOffset
	start := c.startOff
	c.mu.Unlock()

	if first {
		c.s.log.Info("ha: slave reported its offset", slog.String("remote", c.remote),
			slog.Int64("reported", off), slog.Int64("start", start))
	}
	if trusted && c.ack.Swap(off) != off {
		c.s.ackChanged()
	}
	if first {
		c.kick()
	}
}

// startOffset is where the stream to a slave that reported reported
// begins (see the package doc).
func startOffset(reported, masterMax, segmentSize int64) int64 {
	switch {
	case reported == 0:
		return masterMax - masterMax%segmentSize
	case reported > masterMax:
		return masterMax
	}
	return reported
}

// onClose is the network's end of the connection.
func (c *serverConn) onClose(err error) {
	if err == nil {
		err = env.ErrConnClosed
	}
	c.close(err)
}

// close ends the connection once and forgets it.
func (c *serverConn) close(cause error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	c.mu.Unlock()
	c.idle.Store(false)
	c.ack.Store(-1)
	_ = c.nc.Close()
	c.s.log.Info("ha: slave connection closed", slog.String("remote", c.remote), slog.Any("cause", cause))
	c.s.removeConn(c)
}

// kick sends what there is to send, one frame in flight at a time. A kick
// made while a loop runs (a write completed inline, a put woke the
// stream) only asks that loop for another round.
func (c *serverConn) kick() {
	c.mu.Lock()
	c.want = true
	if c.pumping {
		c.mu.Unlock()
		return
	}
	c.pumping = true
	var fail error
	for frames := 0; c.want && !c.inflight && !c.closed && c.started; {
		if frames == maxFramesPerKick {
			c.s.e.Clock.AfterFunc(0, c.kick)
			break
		}
		c.want = false
		var ok bool
		if ok, fail = c.prepareLocked(); fail != nil {
			break
		}
		if !ok {
			continue
		}
		frames++
		bufs := c.frameBufs()
		c.mu.Unlock()
		c.nc.Write(bufs, c.writtenFn)
		c.mu.Lock()
	}
	c.pumping = false
	c.mu.Unlock()
	if fail != nil {
		c.close(fail)
	}
}

// prepareLocked sets up the next frame: the bytes at next, or an empty
// frame when a heartbeat is due and there are none. It reports false when
// there is nothing to send (the stream is idle: Appended wakes it), and an
// error when the stream cannot go on. c.mu is held.
func (c *serverConn) prepareLocked() (bool, error) {
	data, ref, err := c.s.src.ReadCommitLog(c.next, c.s.cfg.TransferBatchBytes)
	switch {
	case err == nil:
	case errors.Is(err, commitlog.ErrOffsetNotWritten):
		if !c.heartbeat {
			c.idle.Store(true)
			// A put between the read and the flag would find the stream
			// busy and not wake it: look once more.
			if c.s.src.ReplicableEnd() > c.next {
				c.idle.Store(false)
				c.want = true
			}
			return false, nil
		}
	case errors.Is(err, commitlog.ErrOffsetExpired):
		return false, fmt.Errorf("%w: %s at %d: %w", ErrSlaveTooOld, c.remote, c.next, err)
	default:
		return false, fmt.Errorf("ha: reading the CommitLog at %d for %s: %w", c.next, c.remote, err)
	}
	c.idle.Store(false)
	c.heartbeat = false
	EncodeFrameHeader(c.hdr[:], FrameHeader{PhysOffset: c.next, BodySizeBytes: int32(len(data))})
	c.bufs[0], c.bufs[1] = c.hdr[:], data
	c.ref = ref
	c.next += int64(len(data))
	c.inflight = true
	c.lastWrite = c.s.now()
	return true, nil
}

// frameBufs returns the buffers of the frame in flight: the header, and the
// body unless the frame is empty.
func (c *serverConn) frameBufs() [][]byte {
	if len(c.bufs[1]) == 0 {
		return c.bufs[:1]
	}
	return c.bufs[:]
}

// written completes the frame in flight and sends the next.
func (c *serverConn) written(err error) {
	c.mu.Lock()
	ref := c.ref
	c.ref = commitlog.Ref{}
	c.bufs[1] = nil
	c.inflight = false
	c.mu.Unlock()
	ref.Release()
	if err != nil {
		c.close(fmt.Errorf("ha: writing to slave %s: %w", c.remote, err))
		return
	}
	c.kick()
}

// tick is the connection's timer: housekeeping, then the heartbeat.
func (c *serverConn) tick(gen uint64) {
	c.mu.Lock()
	if c.closed || gen != c.timerGen {
		c.mu.Unlock()
		return
	}
	now := c.s.now()
	if now.Sub(c.lastRead) >= c.s.cfg.HousekeepingInterval {
		c.mu.Unlock()
		c.close(fmt.Errorf("%w: slave %s", ErrHousekeeping, c.remote))
		return
	}
	beat := c.started && !c.inflight && now.Sub(c.lastWrite) >= c.s.cfg.HeartbeatInterval
	if beat {
		c.heartbeat = true
	}
	c.armLocked(now)
	c.mu.Unlock()
	if beat {
		c.kick()
	}
}

// armLocked schedules tick for the next deadline, replacing the timer
// armed before: housekeeping, and once streaming the heartbeat. c.mu is
// held.
func (c *serverConn) armLocked(now time.Time) {
	if c.timer != nil {
		c.timer.Stop()
	}
	due := c.lastRead.Add(c.s.cfg.HousekeepingInterval)
	if c.started {
		due = earliest(due, c.lastWrite.Add(c.s.cfg.HeartbeatInterval))
	}
	c.timerGen++
	gen := c.timerGen
	c.timer = c.s.e.Clock.AfterFunc(max(due.Sub(now), minTick), func() { c.tick(gen) })
}

// state describes the connection.
func (c *serverConn) state() SlaveState {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := SlaveState{RemoteAddr: c.remote, StartOffset: -1, SentOffset: c.next, ReportedOffset: c.reported, AckOffset: c.ack.Load()}
	if c.started {
		st.StartOffset = c.startOff
	}
	return st
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
