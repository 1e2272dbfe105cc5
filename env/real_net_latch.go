package env

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// maxPipeLatches bounds the latches that hold a pipe at once, in use or
// idle: two descriptors each, so at most 512 of a process's descriptors,
// half of the common soft limit of 1024, which sockets need more. Latches
// asked for beyond it wait on a channel instead.
const maxPipeLatches = 256

// maxIdleLatches bounds the latches kept for reuse: about the sync senders
// of a busy application. A latch returned beyond it is closed.
const maxIdleLatches = 64

// The states of a Latch.
const (
	latchIdle    int32 = iota // acquired, neither opened nor waited on
	latchWaiting              // Wait blocks on the pipe
	latchOpen                 // Open has run
)

// latchSignal is the byte Open writes to a waiting latch's pipe; it is
// only read from.
var latchSignal = []byte{1}

// Latch lets one goroutine block until a callback, running on another
// goroutine, lets it go on: the blocking forms of callback-driven calls
// (a client's sync send) are built on it. Get one with NewLatch; then Open
// is called exactly once, from any goroutine, and Wait exactly once, by
// the goroutine that blocks, after which the latch must not be used again.
//
// The waiting goroutine parks on a pipe, through the runtime's network
// poller, rather than on a channel. The difference is in how it wakes: a
// goroutine made ready through a channel makes the runtime start another
// thread for it when a processor is idle, which on a machine of few cores
// costs a thread wake-up and a context switch per answer; a goroutine
// parked on a pipe is found by the next poll of the thread that wrote to
// the pipe, once that thread has nothing else to run (the reader of a
// connection, once it has delivered the answer). One Open and one Wait
// cost two system calls (the write, and the read after the park) where
// the channel costs none, but no thread wake-up.
//
// Latches are kept for reuse (at most maxIdleLatches idle). When no pipe
// can be had (past maxPipeLatches, or the process is out of descriptors)
// the latch waits on a channel instead, which behaves the same but for the
// wake-up cost.
type Latch struct {
	state atomic.Int32
	// The pipe, or nil for a channel latch. Wait reads through rawR,
	// calling readFn (l.readOnce, bound once so that Wait allocates no
	// closure).
	r, w    *os.File
	rawR    syscall.RawConn
	readFn  func(fd uintptr) bool
	polled  bool  // readOnce has let Wait park once without reading
	readErr error // the error of readOnce's read, EAGAIN excluded
	buf     [1]byte
	// ch is a channel latch's signal, capacity 1.
	ch chan struct{}
}

// latches is the free list of pipe latches and the count of those alive.
var latches struct {
	mu    sync.Mutex
	idle  []*Latch
	alive int
}

// NewLatch returns a latch ready for one Open and one Wait.
func NewLatch() *Latch {
	latches.mu.Lock()
	if n := len(latches.idle); n > 0 {
		l := latches.idle[n-1]
		latches.idle[n-1] = nil
		latches.idle = latches.idle[:n-1]
		latches.mu.Unlock()
		return l
	}
	if latches.alive >= maxPipeLatches {
		latches.mu.Unlock()
		return &Latch{ch: make(chan struct{}, 1)}
	}
	latches.alive++
	latches.mu.Unlock()
	l, err := newPipeLatch()
	if err != nil {
		// Out of descriptors: the channel works as well, only slower.
		latches.mu.Lock()
		latches.alive--
		latches.mu.Unlock()
		return &Latch{ch: make(chan struct{}, 1)}
	}
	return l
}

// newPipeLatch makes a latch over a new pipe, whose ends the runtime's
// poller watches (os.Pipe makes them non-blocking).
func newPipeLatch() (*Latch, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("env: latch pipe: %w", err)
	}
	rawR, err := r.SyscallConn()
	if err != nil {
		_ = r.Close() // unused, and closing a fresh pipe end cannot fail
		_ = w.Close()
		return nil, fmt.Errorf("env: latch pipe: %w", err)
	}
	l := &Latch{r: r, w: w, rawR: rawR}
	l.readFn = l.readOnce
	return l, nil
}

// Open lets the waiter go on, at once if it is blocked in Wait, else as
// soon as it calls Wait. It never blocks. Opening a latch twice is a bug
// and panics.
func (l *Latch) Open() {
	prev := l.state.Swap(latchOpen)
	switch {
	case prev == latchOpen:
		panic("env: Latch opened twice")
	case l.ch != nil:
		l.ch <- struct{}{}
	case prev == latchWaiting:
		// The pipe is empty: the waiter drained the last byte before the
		// latch was reused, so a one-byte write cannot block or fail but
		// for a broken descriptor, which the latch owns and never closes
		// while in use.
		if _, err := l.w.Write(latchSignal); err != nil {
			panic(fmt.Sprintf("env: a latch's own pipe refused its write: %v", err))
		}
	}
}

// Wait blocks until Open has been called, then recycles the latch.
func (l *Latch) Wait() {
	switch {
	case l.ch != nil:
		<-l.ch
	case l.state.CompareAndSwap(latchIdle, latchWaiting):
		l.polled, l.readErr = false, nil
		err := l.rawR.Read(l.readFn)
		if err == nil {
			err = l.readErr
		}
		if err != nil {
			panic(fmt.Sprintf("env: a latch's own pipe refused its read: %v", err))
		}
	}
	if l.state.Load() != latchOpen {
		panic("env: Latch.Wait returned before Open")
	}
	l.recycle()
}

// readOnce is Wait's RawConn callback: it reads the byte Open writes, and
// reports false (park until the pipe is readable) while there is none.
// The poller forgets earlier readiness before the first call, so a byte
// written since then wakes the park. On that first call, as long as Open
// has not run, there can be no byte yet: it parks without trying the read
// system call, which would only fail with EAGAIN.
func (l *Latch) readOnce(fd uintptr) bool {
	if !l.polled && l.state.Load() == latchWaiting {
		l.polled = true
		return false
	}
	for {
		_, err := unix.Read(int(fd), l.buf[:])
		switch {
		case err == nil:
			return true
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN):
			return false
		}
		l.readErr = err
		return true
	}
}

// recycle resets a latch that has been opened and waited on and keeps it
// for reuse, or closes it when enough are idle.
func (l *Latch) recycle() {
	if l.ch != nil {
		return // a channel latch is left to the garbage collector
	}
	l.state.Store(latchIdle)
	latches.mu.Lock()
	if len(latches.idle) < maxIdleLatches {
		latches.idle = append(latches.idle, l)
		latches.mu.Unlock()
		return
	}
	latches.alive--
	latches.mu.Unlock()
	// Closing a pipe end only fails when it is already closed, which a
	// latch never is before this point.
	_ = l.r.Close()
	_ = l.w.Close()
}
