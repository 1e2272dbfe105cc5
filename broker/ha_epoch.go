package broker

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/apogeemq/apogee/env"
	"github.com/apogeemq/apogee/store/configfile"
)

// The epoch file, RocketMQ 5's epochFileCheckpoint (see the package doc,
// Roles and replication): which master wrote which stretch of the
// CommitLog. Each entry says that epoch e began at CommitLog offset start;
// it ends where the next one begins (the last one at the log's end).
const (
	// EpochFileName is the file under the store root, as RocketMQ 5 names it.
	EpochFileName = "epochFileCheckpoint"
	// MaxEpochEntries bounds the entries of the file and of a peer's
	// answer. A broker adds one each time it starts as a master or is
	// promoted; a restart a day for a century stays below it. Past it the
	// oldest entries are dropped, which only matters to a slave whose log
	// ends inside one of them: it no longer finds a common epoch and is
	// refused until an operator empties it.
	MaxEpochEntries = 1 << 16
	// maxEpochFileBytes bounds the file read: a count line, a CRC line and
	// MaxEpochEntries lines of at most 10+1+19+2 bytes.
	maxEpochFileBytes = 2*24 + MaxEpochEntries*32
)

// Errors of the epoch file and of GET_BROKER_EPOCH_CACHE bodies.
var (
	// ErrBadEpochs: the bytes are not an epoch list (syntax, counts, CRC,
	// or entries out of order).
	ErrBadEpochs = errors.New("broker: bad epoch list")
)

// epochEntry is one line of the epoch file: epoch began at startOffset.
type epochEntry struct {
	epoch       int32
	startOffset int64
}

// epochCRC is RocketMQ's UtilAll.crc32: the IEEE CRC-32 of the entry
// lines, masked to 31 bits so that it prints as a non-negative Java int.
func epochCRC(lines []byte) int64 { return int64(crc32.ChecksumIEEE(lines) & 0x7FFFFFFF) }

// appendEpochFile appends the file's text for entries to dst:
//
//	<count>\n<crc>\n<epoch>-<startOffset>\n ...
func appendEpochFile(dst []byte, entries []epochEntry) []byte {
	var lines []byte
	for _, e := range entries {
		lines = strconv.AppendInt(lines, int64(e.epoch), 10)
		lines = append(lines, '-')
		lines = strconv.AppendInt(lines, e.startOffset, 10)
		lines = append(lines, '\n')
	}
	dst = strconv.AppendInt(dst, int64(len(entries)), 10)
	dst = append(dst, '\n')
	dst = strconv.AppendInt(dst, epochCRC(lines), 10)
	dst = append(dst, '\n')
	return append(dst, lines...)
}

// decodeEpochFile parses the file's text. Lines may end with "\r\n" (a
// file written on Windows); a CRC of 0 is not checked, as in RocketMQ. An
// empty input is an empty list.
func decodeEpochFile(b []byte) ([]epochEntry, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if len(b) > maxEpochFileBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrBadEpochs, len(b), maxEpochFileBytes)
	}
	next := func() ([]byte, bool) {
		if len(b) == 0 {
			return nil, false
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			i = len(b)
		}
		line := b[:i]
		b = b[min(i+1, len(b)):]
		return bytes.TrimSuffix(line, []byte{'\r'}), true
	}
	countLine, _ := next()
	count, err := strconv.ParseInt(string(countLine), 10, 64)
	if err != nil || count < 0 || count > MaxEpochEntries {
		return nil, fmt.Errorf("%w: entry count %q", ErrBadEpochs, countLine)
	}
	crcLine, ok := next()
	if !ok {
		return nil, fmt.Errorf("%w: no CRC line", ErrBadEpochs)
	}
	wantCRC, err := strconv.ParseInt(string(crcLine), 10, 32)
	if err != nil {
		return nil, fmt.Errorf("%w: CRC %q", ErrBadEpochs, crcLine)
	}
	entries := make([]epochEntry, 0, min(count, 64))
	var text []byte
	for {
		line, ok := next()
		if !ok {
			break
		}
		if len(line) == 0 && len(b) == 0 {
			break // the final newline
		}
		if int64(len(entries)) == count {
			return nil, fmt.Errorf("%w: more than the %d entries announced", ErrBadEpochs, count)
		}
		e, err := parseEpochLine(line)
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
		text = append(append(text, line...), '\n')
	}
	if int64(len(entries)) != count {
		return nil, fmt.Errorf("%w: %d entries announced, %d found", ErrBadEpochs, count, len(entries))
	}
	if got := epochCRC(text); wantCRC != 0 && got != wantCRC {
		return nil, fmt.Errorf("%w: CRC %d, the entries give %d", ErrBadEpochs, wantCRC, got)
	}
	if err := checkEpochOrder(entries); err != nil {
		return nil, err
	}
	return entries, nil
}

// parseEpochLine reads "<epoch>-<startOffset>".
func parseEpochLine(line []byte) (epochEntry, error) {
	i := bytes.IndexByte(line, '-')
	if i <= 0 {
		return epochEntry{}, fmt.Errorf("%w: entry %q", ErrBadEpochs, line)
	}
	epoch, err1 := strconv.ParseInt(string(line[:i]), 10, 32)
	start, err2 := strconv.ParseInt(string(line[i+1:]), 10, 64)
	if err1 != nil || err2 != nil {
		return epochEntry{}, fmt.Errorf("%w: entry %q", ErrBadEpochs, line)
	}
	return epochEntry{epoch: int32(epoch), startOffset: start}, nil
}

// checkEpochOrder checks what the consistency search relies on: epochs
// are positive and strictly increasing, start offsets non-negative and
// non-decreasing.
func checkEpochOrder(entries []epochEntry) error {
	for i, e := range entries {
		if e.epoch <= 0 || e.startOffset < 0 {
			return fmt.Errorf("%w: entry %d-%d", ErrBadEpochs, e.epoch, e.startOffset)
		}
		if i > 0 && (e.epoch <= entries[i-1].epoch || e.startOffset < entries[i-1].startOffset) {
			return fmt.Errorf("%w: entry %d-%d follows %d-%d", ErrBadEpochs, e.epoch, e.startOffset,
				entries[i-1].epoch, entries[i-1].startOffset)
		}
	}
	return nil
}

// consistentPoint returns the CommitLog offset up to which the local log
// (its entries, ending at localEnd) and a remote master's log (its
// entries, its last epoch still growing) hold the same history, and false
// when they share no epoch. It is RocketMQ 5's findConsistentPoint: the
// newest local epoch that the remote lists with the same start offset is
// common; both logs agree up to the nearer of that epoch's two ends.
func consistentPoint(local []epochEntry, localEnd int64, remote []epochEntry) (int64, bool) {
	for i := len(local) - 1; i >= 0; i-- {
		e := local[i]
		j, found := slices.BinarySearchFunc(remote, e.epoch, func(r epochEntry, epoch int32) int {
			switch {
			case r.epoch < epoch:
				return -1
			case r.epoch > epoch:
				return 1
			}
			return 0
		})
		if !found || remote[j].startOffset != e.startOffset {
			continue
		}
		point := localEnd
		if i+1 < len(local) {
			point = min(point, local[i+1].startOffset)
		}
		if j+1 < len(remote) {
			point = min(point, remote[j+1].startOffset)
		}
		return point, true
	}
	return 0, false
}

// nextEpoch returns the entries with a new epoch beginning at
// startOffset: entries beginning past it are dropped (this broker never
// held their bytes), and the new epoch is above every epoch seen, dropped
// ones included, so that no two masters ever share an epoch number and a
// start. Past MaxEpochEntries the oldest entries go.
func nextEpoch(entries []epochEntry, startOffset int64) ([]epochEntry, error) {
	top := int32(0)
	if len(entries) > 0 {
		top = entries[len(entries)-1].epoch
	}
	if top == math.MaxInt32 {
		return nil, fmt.Errorf("broker: epoch %d cannot grow", top)
	}
	kept := slices.Clone(entries)
	for len(kept) > 0 && kept[len(kept)-1].startOffset > startOffset {
		kept = kept[:len(kept)-1]
	}
	kept = append(kept, epochEntry{epoch: top + 1, startOffset: startOffset})
	if over := len(kept) - MaxEpochEntries; over > 0 {
		kept = kept[over:]
	}
	return kept, nil
}

// truncateEpochs drops the entries that begin at or past cut, except the
// common epoch itself (the newest entry beginning below cut, or at cut
// when it is the first): after a cut the log ends at cut inside it.
func truncateEpochs(entries []epochEntry, cut int64) []epochEntry {
	n := len(entries)
	for n > 1 && entries[n-1].startOffset >= cut {
		n--
	}
	return slices.Clone(entries[:n])
}

// epochFile reads and writes the epoch file atomically (package
// configfile's Store and Load, with its .bak copy).
type epochFile struct {
	fs   env.FS
	path string
}

func newEpochFile(fs env.FS, storeRoot string) epochFile {
	return epochFile{fs: fs, path: filepath.Join(storeRoot, EpochFileName)}
}

// load returns the entries, none when the file is missing or empty.
func (f epochFile) load() ([]epochEntry, error) {
	var entries []epochEntry
	_, _, err := configfile.Load(f.fs, f.path, func(b []byte) error {
		var err error
		entries, err = decodeEpochFile(b)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("broker: %s: %w", f.path, err)
	}
	return entries, nil
}

// save replaces the file's entries.
func (f epochFile) save(entries []epochEntry) error {
	if err := configfile.Store(f.fs, f.path, appendEpochFile(nil, entries)); err != nil {
		return fmt.Errorf("broker: persist %s: %w", f.path, err)
	}
	return nil
}
