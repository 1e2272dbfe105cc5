package ha

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Sizes of the wire format (see the package doc).
const (
	// ReportSizeBytes is the size of a slave's report.
	ReportSizeBytes = 8
	// FrameHeaderSizeBytes is the size of a transfer frame's header.
	FrameHeaderSizeBytes = 12
	// DefaultMaxFrameBodyBytes bounds the body a slave accepts in one frame:
	// RocketMQ's slave reads into a 4 MiB buffer, so no master that works
	// with it sends more (its default is 32 KiB).
	DefaultMaxFrameBodyBytes = 4 << 20
)

// Errors of the decoders: the peer sent bytes that are not the protocol.
var (
	// ErrBadReport: a report holds a negative offset.
	ErrBadReport = errors.New("ha: bad offset report")
	// ErrBadFrame: a frame header holds a negative offset or a body size
	// outside [0, limit].
	ErrBadFrame = errors.New("ha: bad transfer frame")
)

// EncodeReport writes a report of maxPhysOffset into b[:ReportSizeBytes].
func EncodeReport(b []byte, maxPhysOffset int64) {
	binary.BigEndian.PutUint64(b[:ReportSizeBytes], uint64(maxPhysOffset))
}

// DecodeReport reads the report at the start of b, which must hold
// ReportSizeBytes.
func DecodeReport(b []byte) (int64, error) {
	if len(b) < ReportSizeBytes {
		return 0, fmt.Errorf("%w: %d bytes, want %d", ErrBadReport, len(b), ReportSizeBytes)
	}
	off := int64(binary.BigEndian.Uint64(b))
	if off < 0 {
		return 0, fmt.Errorf("%w: offset %d", ErrBadReport, off)
	}
	return off, nil
}

// FrameHeader is the head of a transfer frame.
type FrameHeader struct {
	// PhysOffset is the CommitLog offset of the body's first byte.
	PhysOffset int64
	// BodySizeBytes is the body's length; 0 makes the frame a heartbeat.
	BodySizeBytes int32
}

// EncodeFrameHeader writes h into b[:FrameHeaderSizeBytes].
func EncodeFrameHeader(b []byte, h FrameHeader) {
	binary.BigEndian.PutUint64(b[:8], uint64(h.PhysOffset))
	binary.BigEndian.PutUint32(b[8:FrameHeaderSizeBytes], uint32(h.BodySizeBytes))
}

// DecodeFrameHeader reads the header at the start of b and checks it
// against a body limit of maxBodyBytes.
func DecodeFrameHeader(b []byte, maxBodyBytes int) (FrameHeader, error) {
	if len(b) < FrameHeaderSizeBytes {
		return FrameHeader{}, fmt.Errorf("%w: %d header bytes, want %d", ErrBadFrame, len(b), FrameHeaderSizeBytes)
	}
	h := FrameHeader{
		PhysOffset:    int64(binary.BigEndian.Uint64(b)),
		BodySizeBytes: int32(binary.BigEndian.Uint32(b[8:])),
	}
	switch {
	case h.PhysOffset < 0:
		return FrameHeader{}, fmt.Errorf("%w: offset %d", ErrBadFrame, h.PhysOffset)
	case h.BodySizeBytes < 0 || int64(h.BodySizeBytes) > int64(maxBodyBytes):
		return FrameHeader{}, fmt.Errorf("%w: body of %d bytes at %d, limit %d", ErrBadFrame, h.BodySizeBytes, h.PhysOffset, maxBodyBytes)
	case h.PhysOffset > maxPhysOffset-int64(h.BodySizeBytes):
		return FrameHeader{}, fmt.Errorf("%w: body of %d bytes at %d overflows", ErrBadFrame, h.BodySizeBytes, h.PhysOffset)
	}
	return h, nil
}

// maxPhysOffset is the largest offset a Java long holds.
const maxPhysOffset = 1<<63 - 1

// ReportReader reads the stream of reports a master receives, keeping only
// the last complete one of what it has read, as RocketMQ's master does. It
// holds at most ReportSizeBytes-1 bytes between calls. The zero value is
// ready to use.
type ReportReader struct {
	partial [ReportSizeBytes]byte
	n       int
}

// Feed consumes p and returns the last report that p completes, if any.
// Only that report is decoded; a negative one is an error wrapping
// ErrBadReport, after which the connection is to be closed.
func (r *ReportReader) Feed(p []byte) (int64, bool, error) {
	total := r.n + len(p)
	if total < ReportSizeBytes {
		r.n += copy(r.partial[r.n:], p)
		return 0, false, nil
	}
	lastEnd := total - total%ReportSizeBytes // in the stream partial ++ p
	lastStart := lastEnd - ReportSizeBytes
	var last [ReportSizeBytes]byte
	if lastStart >= r.n {
		copy(last[:], p[lastStart-r.n:lastEnd-r.n])
	} else {
		k := copy(last[:], r.partial[lastStart:r.n])
		copy(last[k:], p[:lastEnd-r.n])
	}
	r.n = copy(r.partial[:], p[lastEnd-r.n:])
	off, err := DecodeReport(last[:])
	if err != nil {
		return 0, false, err
	}
	return off, true, nil
}

// FrameHandler receives what a FrameReader decodes.
type FrameHandler interface {
	// OnFrameHeader is called for every complete header, before its body.
	OnFrameHeader(h FrameHeader) error
	// OnFrameBody is called with each piece of a body as it arrives, with
	// the CommitLog offset of the piece's first byte; b is valid only
	// during the call.
	OnFrameBody(physOffset int64, b []byte) error
}

// FrameReader reads the stream of transfer frames a slave receives. It
// hands bodies on piece by piece as they arrive, without buffering them, so
// it holds at most one header between calls whatever the frame size.
type FrameReader struct {
	maxBodyBytes int
	hdr          [FrameHeaderSizeBytes]byte
	hdrLen       int
	// remaining counts the body bytes of the current frame still to come;
	// next is the CommitLog offset of the next of them.
	remaining int64
	next      int64
	err       error
}

// NewFrameReader returns a reader that refuses bodies over maxBodyBytes
// (DefaultMaxFrameBodyBytes when <= 0).
func NewFrameReader(maxBodyBytes int) *FrameReader {
	if maxBodyBytes <= 0 {
		maxBodyBytes = DefaultMaxFrameBodyBytes
	}
	return &FrameReader{maxBodyBytes: maxBodyBytes}
}

// Feed consumes p, calling h for every header and every piece of body. It
// stops at the first error, of the stream (wrapping ErrBadFrame) or of h,
// and returns it; the reader is then broken and every later Feed returns
// the same error.
func (r *FrameReader) Feed(p []byte, h FrameHandler) error {
	if r.err != nil {
		return r.err
	}
	for len(p) > 0 {
		if r.remaining > 0 {
			n := int(min(r.remaining, int64(len(p))))
			if err := h.OnFrameBody(r.next, p[:n]); err != nil {
				r.err = err
				return err
			}
			r.next += int64(n)
			r.remaining -= int64(n)
			p = p[n:]
			continue
		}
		var hdr []byte
		if r.hdrLen == 0 && len(p) >= FrameHeaderSizeBytes {
			hdr, p = p[:FrameHeaderSizeBytes], p[FrameHeaderSizeBytes:]
		} else {
			k := copy(r.hdr[r.hdrLen:], p)
			r.hdrLen += k
			p = p[k:]
			if r.hdrLen < FrameHeaderSizeBytes {
				return nil
			}
			r.hdrLen = 0
			hdr = r.hdr[:]
		}
		fh, err := DecodeFrameHeader(hdr, r.maxBodyBytes)
		if err == nil {
			err = h.OnFrameHeader(fh)
		}
		if err != nil {
			r.err = err
			return err
		}
		r.next, r.remaining = fh.PhysOffset, int64(fh.BodySizeBytes)
	}
	return nil
}
