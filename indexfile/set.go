package indexfile

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/apogeemq/apogee/env"
)

// Query result limits.
const (
	// DefaultMaxQueryResults is RocketMQ's maxMsgsNumBatch, the cap on the
	// offsets one query returns.
	DefaultMaxQueryResults = 64
	// MaxQueryResultsLimit bounds Config.MaxQueryResults: a query holds its
	// results in memory and answers them in one response.
	MaxQueryResultsLimit = 1 << 16
)

// keysSeparator separates the words of a message's KEYS property.
const keysSeparator = " "

// Config configures a Set. The zero value of each field selects its default.
type Config struct {
	// Geometry of every file; zero fields take DefaultGeometry's values.
	Geometry Geometry
	// MaxQueryResults caps maxNum of Query (maxMsgsNumBatch, default 64).
	MaxQueryResults int
	// OnFullFileFlushed, when set, receives the end timestamp of the newest
	// full file once it and all older full files are durable: the store's
	// indexMsgTimestamp. Calls are serialized and carry increasing values.
	// The callback must not call back into the Set.
	OnFullFileFlushed func(endTimestampMs int64)
}

func (c Config) withDefaults() (Config, error) {
	if c.Geometry.HashSlots == 0 {
		c.Geometry.HashSlots = DefaultHashSlots
	}
	if c.Geometry.MaxEntries == 0 {
		c.Geometry.MaxEntries = DefaultMaxEntries
	}
	if err := c.Geometry.Validate(); err != nil {
		return c, err
	}
	if c.MaxQueryResults == 0 {
		c.MaxQueryResults = DefaultMaxQueryResults
	}
	if c.MaxQueryResults < 1 || c.MaxQueryResults > MaxQueryResultsLimit {
		return c, fmt.Errorf("indexfile: MaxQueryResults %d outside [1, %d]", c.MaxQueryResults, MaxQueryResultsLimit)
	}
	return c, nil
}

// Set is the directory of index files (<storeRoot>/index/): one writer (the
// dispatcher) adds keys to the newest file, rolling to a new one when it is
// full, while any number of queries read all files. It is safe for
// concurrent use.
type Set struct {
	env env.Env
	dir string
	cfg Config

	mu     sync.RWMutex // guards files and closed
	files  []*File      // ordered by name, which is creation order
	closed bool

	reportMu   sync.Mutex // serializes OnFullFileFlushed calls
	reportedMs int64      // last value passed to OnFullFileFlushed
}

// Open opens the index directory dir (created when missing) and every file in
// it whose name is 17 digits, in name order. Leftovers of an interrupted
// creation (names ending in ".tmp") are removed; other names are ignored. A
// file of the wrong length or with a bad header fails Open with an error
// matching ErrCorrupt.
func Open(e env.Env, dir string, cfg Config) (*Set, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := e.FS.MkdirAll(dir); err != nil {
		return nil, fmt.Errorf("indexfile: create dir %s: %w", dir, err)
	}
	names, err := e.FS.List(dir)
	if err != nil {
		return nil, fmt.Errorf("indexfile: list %s: %w", dir, err)
	}
	s := &Set{env: e, dir: dir, cfg: cfg}
	for _, name := range names {
		path := filepath.Join(dir, name)
		if strings.HasSuffix(name, tmpSuffix) {
			if err := e.FS.Remove(path); err != nil {
				s.closeFiles()
				return nil, fmt.Errorf("indexfile: remove leftover %s: %w", path, err)
			}
			continue
		}
		if !isFileName(name) {
			continue
		}
		f, err := OpenFile(e.FS, path, cfg.Geometry)
		if err != nil {
			s.closeFiles()
			return nil, err
		}
		s.files = append(s.files, f)
	}
	return s, nil
}

// closeFiles closes every file during a failed Open.
func (s *Set) closeFiles() {
	for _, f := range s.files {
		_ = f.Close()
	}
	s.files = nil
}

// Put adds the key "topic#key" for the message at phyOffset stored at
// storeTimestampMs, rolling to a new file when the newest one is full.
func (s *Set) Put(topic, key string, phyOffset, storeTimestampMs int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return s.putLocked(KeyHash(topic, key), phyOffset, storeTimestampMs)
}

// PutRecord indexes one dispatched message the way RocketMQ's
// IndexService.buildIndex does: a message below the newest file's end phy
// offset is skipped (it was indexed before, so re-dispatch is idempotent);
// otherwise uniqKey (when not empty) and then each non-empty space-separated
// word of keys is added. The caller leaves out rolled-back transactional
// messages.
func (s *Set) PutRecord(topic, keys, uniqKey string, phyOffset, storeTimestampMs int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if n := len(s.files); n > 0 && phyOffset < s.files[n-1].Header().EndPhyOffset {
		return nil
	}
	if uniqKey != "" {
		if err := s.putLocked(KeyHash(topic, uniqKey), phyOffset, storeTimestampMs); err != nil {
			return err
		}
	}
	for rest := keys; rest != ""; {
		word, tail, _ := strings.Cut(rest, keysSeparator)
		rest = tail
		if word == "" {
			continue
		}
		if err := s.putLocked(KeyHash(topic, word), phyOffset, storeTimestampMs); err != nil {
			return err
		}
	}
	return nil
}

// putLocked writes one entry into the newest file with room. The caller
// holds s.mu for writing.
func (s *Set) putLocked(keyHash int32, phyOffset, storeTimestampMs int64) error {
	f, err := s.writableLocked()
	if err != nil {
		return err
	}
	return f.putHash(keyHash, phyOffset, storeTimestampMs)
}

// writableLocked returns the newest file, first creating a new one when there
// is none or the newest is full. A full file handed over this way is flushed
// off the writer's path.
func (s *Set) writableLocked() (*File, error) {
	var last *File
	var lastName string
	var presetPhy, presetMs int64
	if n := len(s.files); n > 0 {
		last = s.files[n-1]
		hdr := last.Header()
		if int(hdr.IndexCount) < last.geo.MaxEntries {
			return last, nil
		}
		lastName = filepath.Base(last.Name())
		presetPhy, presetMs = hdr.EndPhyOffset, hdr.EndTimestampMs
	}
	name, err := s.nextFileName(lastName)
	if err != nil {
		return nil, err
	}
	f, err := CreateFile(s.env.FS, filepath.Join(s.dir, name), s.cfg.Geometry, presetPhy, presetMs)
	if err != nil {
		return nil, err
	}
	s.files = append(s.files, f)
	if last != nil {
		s.env.Clock.AfterFunc(0, func() { _ = s.flushFull(last) })
	}
	return f, nil
}

// Query returns the phy offsets of entries for the key "topic#key" stored in
// [beginMs, endMs], newest first, at most min(maxNum, MaxQueryResults) of
// them. It walks the files from newest to oldest, searching those whose time
// range overlaps the query's, and stops after a file that begins before
// beginMs. Different keys can share a hash, so the caller re-reads each
// record and compares its topic and keys.
func (s *Set) Query(topic, key string, maxNum int, beginMs, endMs int64) ([]int64, error) {
	maxNum = min(maxNum, s.cfg.MaxQueryResults)
	if maxNum <= 0 {
		return nil, nil
	}
	keyHash := KeyHash(topic, key)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	out := make([]int64, 0, maxNum)
	for i := len(s.files) - 1; i >= 0; i-- {
		var fileBeginMs int64
		out, fileBeginMs = s.files[i].search(out, keyHash, maxNum, beginMs, endMs)
		if fileBeginMs < beginMs || len(out) >= maxNum {
			break
		}
	}
	return out, nil
}

// LastUpdate returns the end timestamp and end phy offset of the newest file
// (zeros when there is none): RocketMQ's indexLastUpdateTimestamp and
// indexLastUpdatePhyoffset of a query answer.
func (s *Set) LastUpdate() (endTimestampMs, endPhyOffset int64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.files) == 0 {
		return 0, 0
	}
	hdr := s.files[len(s.files)-1].Header()
	return hdr.EndTimestampMs, hdr.EndPhyOffset
}

// MaxPhyOffset returns the end phy offset of the newest file, 0 when there is
// none.
func (s *Set) MaxPhyOffset() int64 {
	_, phy := s.LastUpdate()
	return phy
}

// FileNames returns the names (not paths) of the files, oldest first.
func (s *Set) FileNames() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, len(s.files))
	for i, f := range s.files {
		names[i] = filepath.Base(f.Name())
	}
	return names
}

// errClosedIgnored drops ErrClosed, which a deferred flush meets when its
// file was deleted or the set closed in the meantime.
func errClosedIgnored(err error) error {
	if errors.Is(err, ErrClosed) {
		return nil
	}
	return err
}
