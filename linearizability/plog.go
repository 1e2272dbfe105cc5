package linearizability

// logEntry is one node of an immutable, persistent log: the entry at offset
// depth-1 together with (through parent) every entry before it. States that
// porcupine explores share their common prefix.
//
// Indexing uses jump pointers: each node also points to an ancestor chosen so
// that reaching any depth takes O(log n) steps, while a push stays O(1) with
// one allocation (the skew-binary scheme of Myers' applicative random-access
// stacks).
type logEntry struct {
	parent *logEntry // nil only for the empty log
	jump   *logEntry // an ancestor; the empty log jumps to itself
	depth  int64     // entries up to and including this one; 0 for the empty log
	// lastAcked is the depth of the newest acknowledged entry at or below
	// this one, 0 if none: a crash under durable settings cannot lose it.
	lastAcked int64
	hash      uint64 // of the whole sequence ending here
	msgID     string // "" for a gap filled by a never-observed send
	acked     bool
}

// emptyLog is the log with no entries. It is shared and never modified.
var emptyLog = func() *logEntry {
	e := &logEntry{hash: 0x9e3779b97f4a7c15}
	e.jump = e
	return e
}()

// push returns the log e followed by one entry.
func (e *logEntry) push(msgID string, idHash uint64, acked bool) *logEntry {
	n := &logEntry{parent: e, depth: e.depth + 1, lastAcked: e.lastAcked, msgID: msgID, acked: acked}
	if acked {
		n.lastAcked = n.depth
	}
	if e.depth-e.jump.depth == e.jump.depth-e.jump.jump.depth {
		n.jump = e.jump.jump
	} else {
		n.jump = e
	}
	ackBit := uint64(0)
	if acked {
		ackBit = 1
	}
	n.hash = mix64(e.hash*0x100000001b3 ^ idHash ^ ackBit)
	return n
}

// prefix returns the log truncated to its first depth entries. It panics
// if depth is negative or beyond e.
func (e *logEntry) prefix(depth int64) *logEntry {
	if depth < 0 || depth > e.depth {
		panic("linearizability: log prefix out of range")
	}
	for e.depth > depth {
		if e.jump.depth >= depth {
			e = e.jump
		} else {
			e = e.parent
		}
	}
	return e
}

// at returns the entry at queue offset off, which must be below e.depth.
func (e *logEntry) at(off int64) *logEntry { return e.prefix(off + 1) }

// sameLog reports whether a and b hold the same entries.
func sameLog(a, b *logEntry) bool {
	if a.depth != b.depth || a.hash != b.hash {
		return false
	}
	for a != b { // shared tails end the walk early
		if a.msgID != b.msgID || a.acked != b.acked {
			return false
		}
		a, b = a.parent, b.parent
	}
	return true
}

// hashID is FNV-1a over the bytes of a message id.
func hashID(msgID string) uint64 {
	h := uint64(0xcbf29ce484222325)
	for i := 0; i < len(msgID); i++ {
		h ^= uint64(msgID[i])
		h *= 0x100000001b3
	}
	return h
}

// mix64 is the splitmix64 finalizer: it spreads every input bit over the
// whole word so that XOR-combined hashes stay well distributed.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
