package broker

import (
	"math"
	"math/bits"
)

const (
	// endedChunkOffsets is how many half-queue offsets share one
	// least-op-offset slot of endedOffsets: 64 bitmap words.
	endedChunkOffsets = 1 << 12
	// maxEndedWindowOffsets bounds the half-queue offsets endedOffsets
	// covers (a 16 MiB bitmap): past it the oldest are forgotten, as if
	// the check progress had moved.
	maxEndedWindowOffsets = 1 << 27
	// noOpOffset marks a chunk with no end recorded.
	noOpOffset = math.MaxInt64
)

// endedOffsets remembers which offsets of the half queue were ended
// (committed or rolled back), as a bitmap over a window [base, base+64·len)
// that slides forward with the check progress, and, for each chunk of
// endedChunkOffsets half offsets, the least op-queue offset at which an end of
// that chunk was (or is being) recorded.
//
// Invariants: base is a multiple of endedChunkOffsets; len(minOp) is
// len(words) rounded up to whole chunks; an offset outside the window reads
// as unknown. Not safe for concurrent use: the transaction service's mutex
// guards it.
type endedOffsets struct {
	base  int64
	words []uint64
	minOp []int64
}

// known reports whether halfOffset is inside the window that can be marked.
func (e *endedOffsets) known(halfOffset int64) bool {
	return halfOffset >= e.base && halfOffset-e.base < maxEndedWindowOffsets
}

// mark records that the half message at halfOffset was ended by an op
// record at op-queue offset opOffset (or at least opOffset, while the op
// record is being written). It reports false, recording nothing, for an
// offset outside the window.
func (e *endedOffsets) mark(halfOffset, opOffset int64) bool {
	if !e.known(halfOffset) {
		return false
	}
	rel := halfOffset - e.base
	w := int(rel / 64)
	for len(e.words) <= w {
		e.words = append(e.words, 0)
	}
	for c := (len(e.words) + 63) / 64; len(e.minOp) < c; {
		e.minOp = append(e.minOp, noOpOffset)
	}
	e.words[w] |= 1 << uint(rel%64)
	c := int(rel / endedChunkOffsets)
	e.minOp[c] = min(e.minOp[c], opOffset)
	return true
}

// unmark forgets an end (whose op record could not be written). The chunk's
// least op offset stays, which only makes the op progress conservative.
func (e *endedOffsets) unmark(halfOffset int64) {
	if !e.known(halfOffset) {
		return
	}
	rel := halfOffset - e.base
	if w := int(rel / 64); w < len(e.words) {
		e.words[w] &^= 1 << uint(rel%64)
	}
}

// has reports whether the half message at halfOffset was ended; known is
// false when the offset is below the window, where nothing is remembered.
func (e *endedOffsets) has(halfOffset int64) (ended, known bool) {
	if halfOffset < e.base {
		return false, false
	}
	rel := halfOffset - e.base
	w := rel / 64
	if w >= int64(len(e.words)) {
		return false, true
	}
	return e.words[w]&(1<<uint(rel%64)) != 0, true
}

// nextUnended returns the first offset in [from, end) not marked ended, or
// end when every one is. Offsets below the window count as not ended.
func (e *endedOffsets) nextUnended(from, end int64) int64 {
	if from < e.base {
		return from
	}
	for from < end {
		rel := from - e.base
		w := rel / 64
		if w >= int64(len(e.words)) {
			return from
		}
		free := ^e.words[w] >> uint(rel%64)
		if free != 0 {
			return min(from+int64(bits.TrailingZeros64(free)), end)
		}
		from += 64 - rel%64
	}
	return end
}

// forgetBelow slides the window so that it starts at the chunk holding
// halfOffset, dropping everything below. It never moves the window back.
func (e *endedOffsets) forgetBelow(halfOffset int64) {
	newBase := halfOffset - halfOffset%endedChunkOffsets
	if newBase <= e.base {
		return
	}
	chunks := int((newBase - e.base) / endedChunkOffsets)
	e.base = newBase
	if chunks >= len(e.minOp) {
		e.words = e.words[:0]
		e.minOp = e.minOp[:0]
		return
	}
	e.words = e.words[:copy(e.words, e.words[min(chunks*64, len(e.words)):])]
	e.minOp = e.minOp[:copy(e.minOp, e.minOp[chunks:])]
}

// leastOpOffset returns the least op-queue offset recorded for an end in
// the window, and whether there is one: the op queue must be read again
// from there to rebuild the window after a restart.
func (e *endedOffsets) leastOpOffset() (int64, bool) {
	least := int64(noOpOffset)
	for _, op := range e.minOp {
		least = min(least, op)
	}
	return least, least != noOpOffset
}
