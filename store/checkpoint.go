package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"sync"

	"github.com/apogeemq/apogee/env"
)

// Checkpoint file layout (spec/store.md §4.6): a 4096-byte file of big-endian
// int64 fields.
const (
	checkpointSizeBytes        = 4096
	cpPhysicMsgTimestampOff    = 0
	cpLogicsMsgTimestampOff    = 8
	cpIndexMsgTimestampOff     = 16
	cpMasterFlushedOffsetOff   = 24
	cpConfirmPhyOffsetOff      = 32
	cpIndexSafePhyOffsetOff    = 40 // Apogee's own; RocketMQ reads 40 bytes
	cpFieldsEnd                = 48
	checkpointRecoveryMarginMs = 3000 // RocketMQ's minTimestamp margin
)

// ErrBadCheckpoint reports a checkpoint file whose content cannot be trusted.
// Open does not fail on it: it logs it and recovers by scanning the whole
// CommitLog, which needs no checkpoint at all.
var ErrBadCheckpoint = errors.New("store: bad checkpoint file")

// Checkpoint holds the progress timestamps that bound crash recovery.
type Checkpoint struct {
	// PhysicMsgTimestampMs is the store time of the last flushed CommitLog
	// record.
	PhysicMsgTimestampMs int64
	// LogicsMsgTimestampMs is the store time of the last record whose
	// ConsumeQueue unit is durable.
	LogicsMsgTimestampMs int64
	// IndexMsgTimestampMs is the end time of the last full, flushed IndexFile.
	IndexMsgTimestampMs int64
	// MasterFlushedOffset and ConfirmPhyOffset are RocketMQ 5 fields, kept
	// so that files round-trip.
	MasterFlushedOffset int64
	ConfirmPhyOffset    int64
	// IndexSafePhyOffset is Apogee's own field, after RocketMQ's five
	// (RocketMQ never reads past byte 40): every record below this
	// CommitLog offset has its index entries durable. Crash recovery with
	// MessageIndexSafe rebuilds the index files above it. RocketMQ's
	// checkpoints read 0 here, which rebuilds every index file.
	IndexSafePhyOffset int64
}

// MinTimestampMs is the store time below which every record is known to be
// flushed and dispatched: recovery after a crash starts at a segment whose
// first record is not newer.
func (c Checkpoint) MinTimestampMs() int64 {
	return max(0, min(c.PhysicMsgTimestampMs, c.LogicsMsgTimestampMs)-checkpointRecoveryMarginMs)
}

// EncodeCheckpoint writes c into a 4096-byte image.
func EncodeCheckpoint(c Checkpoint) []byte {
	b := make([]byte, checkpointSizeBytes)
	binary.BigEndian.PutUint64(b[cpPhysicMsgTimestampOff:], uint64(c.PhysicMsgTimestampMs))
	binary.BigEndian.PutUint64(b[cpLogicsMsgTimestampOff:], uint64(c.LogicsMsgTimestampMs))
	binary.BigEndian.PutUint64(b[cpIndexMsgTimestampOff:], uint64(c.IndexMsgTimestampMs))
	binary.BigEndian.PutUint64(b[cpMasterFlushedOffsetOff:], uint64(c.MasterFlushedOffset))
	binary.BigEndian.PutUint64(b[cpConfirmPhyOffsetOff:], uint64(c.ConfirmPhyOffset))
	binary.BigEndian.PutUint64(b[cpIndexSafePhyOffsetOff:], uint64(c.IndexSafePhyOffset))
	return b
}

// DecodeCheckpoint parses a checkpoint image. RocketMQ 4.x files carry only
// the first three fields and read back zeros for the rest. Negative values
// mean the file is not a checkpoint.
func DecodeCheckpoint(b []byte) (Checkpoint, error) {
	if len(b) != checkpointSizeBytes {
		return Checkpoint{}, fmt.Errorf("%w: %d bytes, want %d", ErrBadCheckpoint, len(b), checkpointSizeBytes)
	}
	c := Checkpoint{
		PhysicMsgTimestampMs: int64(binary.BigEndian.Uint64(b[cpPhysicMsgTimestampOff:])),
		LogicsMsgTimestampMs: int64(binary.BigEndian.Uint64(b[cpLogicsMsgTimestampOff:])),
		IndexMsgTimestampMs:  int64(binary.BigEndian.Uint64(b[cpIndexMsgTimestampOff:])),
		MasterFlushedOffset:  int64(binary.BigEndian.Uint64(b[cpMasterFlushedOffsetOff:])),
		ConfirmPhyOffset:     int64(binary.BigEndian.Uint64(b[cpConfirmPhyOffsetOff:])),
		IndexSafePhyOffset:   int64(binary.BigEndian.Uint64(b[cpIndexSafePhyOffsetOff:])),
	}
	if c.PhysicMsgTimestampMs < 0 || c.LogicsMsgTimestampMs < 0 || c.IndexMsgTimestampMs < 0 ||
		c.MasterFlushedOffset < 0 || c.ConfirmPhyOffset < 0 || c.IndexSafePhyOffset < 0 {
		return Checkpoint{}, fmt.Errorf("%w: negative field in %x", ErrBadCheckpoint, b[:cpFieldsEnd])
	}
	return c, nil
}

// checkpointFile persists a Checkpoint. Writes go through WriteAt and Sync;
// the 40 meaningful bytes sit in one sector, so a torn write cannot mix two
// versions of a field in practice, and a torn file is caught by Decode's
// checks and answered with a full recovery scan.
type checkpointFile struct {
	fs   env.FS
	path string

	mu   sync.Mutex
	file env.File
	cur  Checkpoint
}

// openCheckpoint opens or creates the checkpoint. A missing file reads as
// zeros; an untrusted one is reported through the returned error together
// with a zero Checkpoint, and the file is rewritten on the next flush.
func openCheckpoint(fsys env.FS, path string) (*checkpointFile, Checkpoint, error) {
	f, err := fsys.OpenRW(path)
	if errors.Is(err, fs.ErrNotExist) {
		f, err = fsys.Create(path)
		if err == nil {
			err = f.Truncate(checkpointSizeBytes)
		}
		if err != nil {
			return nil, Checkpoint{}, fmt.Errorf("store: creating checkpoint %s: %w", path, err)
		}
		return &checkpointFile{fs: fsys, path: path, file: f}, Checkpoint{}, nil
	}
	if err != nil {
		return nil, Checkpoint{}, fmt.Errorf("store: opening checkpoint %s: %w", path, err)
	}
	cf := &checkpointFile{fs: fsys, path: path, file: f}
	size, err := f.Size()
	if err != nil {
		f.Close()
		return nil, Checkpoint{}, fmt.Errorf("store: checkpoint %s: %w", path, err)
	}
	if size != checkpointSizeBytes {
		if err := f.Truncate(checkpointSizeBytes); err != nil {
			f.Close()
			return nil, Checkpoint{}, fmt.Errorf("store: resizing checkpoint %s: %w", path, err)
		}
		return cf, Checkpoint{}, fmt.Errorf("%w: %s has %d bytes, want %d", ErrBadCheckpoint, path, size, checkpointSizeBytes)
	}
	buf := make([]byte, checkpointSizeBytes)
	if _, err := f.ReadAt(buf, 0); err != nil {
		f.Close()
		return nil, Checkpoint{}, fmt.Errorf("store: reading checkpoint %s: %w", path, err)
	}
	c, err := DecodeCheckpoint(buf)
	if err != nil {
		return cf, Checkpoint{}, fmt.Errorf("%s: %w", path, err)
	}
	cf.cur = c
	return cf, c, nil
}

// update applies fn to the in-memory checkpoint.
func (cf *checkpointFile) update(fn func(*Checkpoint)) {
	cf.mu.Lock()
	fn(&cf.cur)
	cf.mu.Unlock()
}

func (cf *checkpointFile) get() Checkpoint {
	cf.mu.Lock()
	defer cf.mu.Unlock()
	return cf.cur
}

// flush writes the in-memory checkpoint and makes it durable.
func (cf *checkpointFile) flush() error {
	cf.mu.Lock()
	defer cf.mu.Unlock()
	img := EncodeCheckpoint(cf.cur)
	if _, err := cf.file.WriteAt(img[:cpFieldsEnd], 0); err != nil {
		return fmt.Errorf("store: writing checkpoint %s: %w", cf.path, err)
	}
	if err := cf.file.Sync(); err != nil {
		return fmt.Errorf("store: syncing checkpoint %s: %w", cf.path, err)
	}
	return nil
}

func (cf *checkpointFile) close() error {
	cf.mu.Lock()
	defer cf.mu.Unlock()
	return cf.file.Close()
}
