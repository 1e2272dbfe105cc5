package remoting

import (
	"fmt"
	"log/slog"
	"sync"
)

// writeReq is one frame on its way out: the encoded head, the buffers handed
// to env.Conn.Write (head, then the body slices, which are not copied), and
// what to do when the write completes. writeReqs are pooled, so sending a
// frame allocates nothing once the pool is warm.
type writeReq struct {
	conn *conn
	head []byte   // encoded frame head, a pooled buffer
	bufs [][]byte // head followed by the body slices
	// opaque of the pending request waiting on this write, when awaits.
	opaque int32
	awaits bool
	// release, when not nil, is told once that bufs are no longer needed.
	release func(error)
	doneFn  func(error) // w.done, bound once so that Write gets no new closure
}

var writePool = sync.Pool{New: func() any { return new(writeReq) }}

// encode builds the writeReq for cmd, with cmd.Body followed by parts as the
// body. It fails without side effects when the command cannot be encoded or
// the frame would exceed the max frame size.
func (c *conn) encode(cmd *Command, parts [][]byte) (*writeReq, error) {
	bodyLen := len(cmd.Body)
	for _, p := range parts {
		bodyLen += len(p)
	}
	if bodyLen > c.side.maxFrameBytes {
		return nil, fmt.Errorf("remoting: body of %d bytes: %w (max %d)", bodyLen, ErrFrameTooLarge, c.side.maxFrameBytes)
	}
	w := writePool.Get().(*writeReq)
	if w.doneFn == nil {
		w.doneFn = w.done
	}
	head, err := AppendFrameHead(w.head[:0], cmd, bodyLen)
	if err != nil {
		w.head = head
		w.recycle()
		return nil, fmt.Errorf("remoting: encode command code %d: %w", cmd.Code, err)
	}
	w.head = head
	if frameBytes := len(head) + bodyLen; frameBytes > c.side.maxFrameBytes {
		w.recycle()
		return nil, fmt.Errorf("remoting: command code %d encodes to %d bytes: %w (max %d)",
			cmd.Code, frameBytes, ErrFrameTooLarge, c.side.maxFrameBytes)
	}
	w.conn = c
	w.bufs = append(w.bufs[:0], head)
	if len(cmd.Body) > 0 {
		w.bufs = append(w.bufs, cmd.Body)
	}
	for _, p := range parts {
		if len(p) > 0 {
			w.bufs = append(w.bufs, p)
		}
	}
	return w, nil
}

// submit hands w to the connection: written at once when connected, queued
// while the dial is in progress, failed when the connection is closed.
func (c *conn) submit(w *writeReq) {
	if err := c.submitBounded(w, false); err != nil {
		panic(fmt.Sprintf("remoting: an unbounded submit failed: %v", err))
	}
}

// submitBounded is submit that, when bounded, refuses (with
// ErrTooManyPending, leaving w to the caller) to queue more than maxPending
// writes behind a dial. Requests that await a response are bounded by the
// pending count already; oneway requests are bounded here.
func (c *conn) submitBounded(w *writeReq, bounded bool) error {
	c.mu.Lock()
	if c.closed {
		err := c.closeErr
		c.mu.Unlock()
		w.done(err)
		return nil
	}
	if !c.ready {
		if bounded && int64(len(c.queued)) >= c.side.maxPending {
			c.mu.Unlock()
			return fmt.Errorf("remoting: %d writes wait for the dial to %s: %w", len(c.queued), c.remote, ErrTooManyPending)
		}
		c.queued = append(c.queued, w)
		c.mu.Unlock()
		return nil
	}
	nc := c.nc
	c.mu.Unlock()
	nc.Write(w.bufs, w.doneFn)
	return nil
}

// done completes a write: the pending request it carried fails if the write
// did, release runs, and w goes back to the pool.
func (w *writeReq) done(err error) {
	c, opaque, awaits, release := w.conn, w.opaque, w.awaits, w.release
	w.recycle()
	if err != nil && awaits {
		c.failPending(opaque, fmt.Errorf("remoting: write to %s: %w: %w", c.remote, ErrConnClosed, err))
	}
	if release != nil {
		release(err)
	}
}

// recycle clears w's references and returns it to the pool.
func (w *writeReq) recycle() {
	clear(w.bufs)
	w.bufs = w.bufs[:0]
	if cap(w.head) > maxPooledHeadBytes {
		w.head = nil
	}
	w.conn, w.opaque, w.awaits, w.release = nil, 0, false, nil
	writePool.Put(w)
}

// replyTo is what a reply needs to know of its request; holding these
// rather than the request lets the request be collected early.
type replyTo struct {
	code      int32
	opaque    int32
	serialize SerializeType
	oneway    bool
}

func replyToOf(req *Command) replyTo {
	return replyTo{code: req.Code, opaque: req.Opaque, serialize: req.Serialize, oneway: req.IsOneway()}
}

// writeReply writes resp (with parts appended to its body) as the answer to
// the request to: its opaque, its serialization, the response bit. A reply
// to a oneway request is dropped. A reply that cannot be encoded is logged
// and replaced by SYSTEM_ERROR, so the requester is not left waiting.
func (c *conn) writeReply(to replyTo, resp *Command, parts [][]byte, release func(error)) {
	resp.Opaque = to.opaque
	resp.Flag |= FlagResponse
	resp.Flag &^= FlagOneway
	resp.Serialize = to.serialize
	if to.oneway {
		if release != nil {
			release(nil)
		}
		return
	}
	w, err := c.encode(resp, parts)
	if err != nil {
		c.side.logger.Error("remoting: reply cannot be encoded, answering SYSTEM_ERROR",
			slog.String("remote", c.remote), slog.Int("requestCode", int(to.code)), slog.Any("err", err))
		if release != nil {
			release(err)
		}
		fallback := &Command{
			Code: ResSystemError, Language: Language, Version: Version,
			Opaque: to.opaque, Flag: FlagResponse, Serialize: to.serialize,
			Remark: fmt.Sprintf("response to request code %d could not be encoded", to.code),
		}
		w, err = c.encode(fallback, nil)
		if err != nil {
			panic(fmt.Sprintf("remoting: a bare SYSTEM_ERROR response does not encode: %v", err))
		}
	} else {
		w.release = release
	}
	c.submit(w)
}

// sendOneway writes req as a oneway request: a fresh opaque, the oneway bit,
// no response awaited.
func (c *conn) sendOneway(req *Command) error {
	if err := c.closedErr(); err != nil {
		return fmt.Errorf("remoting: oneway request code %d: %w", req.Code, err)
	}
	req.Opaque = c.side.nextOpaque()
	req.Flag = (req.Flag | FlagOneway) &^ FlagResponse
	w, err := c.encode(req, nil)
	if err != nil {
		return err
	}
	if err := c.submitBounded(w, true); err != nil {
		w.recycle()
		return err
	}
	return nil
}
