package store

import (
	"errors"
	"slices"
	"strings"

	"github.com/apogeemq/apogee/commitlog"
)

// ErrIndexDisabled is returned by key queries when MessageIndexEnable is off.
var ErrIndexDisabled = errors.New("store: message index is disabled")

// QueryResult is the answer to QueryByKey: the records whose KEYS or
// UNIQ_KEY hold the key, newest first, valid until Release.
type QueryResult struct {
	Messages    [][]byte
	PhysOffsets []int64
	// IndexLastUpdateTimestampMs and IndexLastUpdatePhyOffset describe the
	// newest index entry, as RocketMQ's query answer carries them.
	IndexLastUpdateTimestampMs int64
	IndexLastUpdatePhyOffset   int64

	refs []commitlog.Ref
}

// Release lets the CommitLog segments behind Messages go.
func (r *QueryResult) Release() {
	for _, ref := range r.refs {
		ref.Release()
	}
	r.refs = nil
	r.Messages = nil
}

// QueryByKey finds messages of topic whose KEYS (any space-separated word)
// or UNIQ_KEY equals key, stored within [beginMs, endMs], at most maxNum
// (capped by MaxQueryResults). Index hash collisions are filtered out by
// reading each record back.
func (s *Store) QueryByKey(topic, key string, maxNum int, beginMs, endMs int64) (*QueryResult, error) {
	if s.idx == nil {
		return nil, ErrIndexDisabled
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	offsets, err := s.idx.Query(topic, key, maxNum, beginMs, endMs)
	if err != nil {
		return nil, err
	}
	r := &QueryResult{}
	r.IndexLastUpdateTimestampMs, r.IndexLastUpdatePhyOffset = s.idx.LastUpdate()
	seen := make(map[int64]bool, len(offsets))
	for _, off := range offsets {
		if seen[off] {
			continue // re-dispatch may index a record twice
		}
		seen[off] = true
		rec, ref, err := s.cl.ReadRecord(off)
		if err != nil {
			continue // expired or cut by recovery
		}
		if string(rec.Topic) != topic || !recordHasKey(&rec, key) {
			ref.Release()
			continue
		}
		r.Messages = append(r.Messages, rec.Raw)
		r.PhysOffsets = append(r.PhysOffsets, off)
		r.refs = append(r.refs, ref)
	}
	return r, nil
}

func recordHasKey(rec *commitlog.Record, key string) bool {
	if v, ok := commitlog.PropertyValue(rec.Properties, commitlog.PropertyUniqKey); ok && string(v) == key {
		return true
	}
	v, ok := commitlog.PropertyValue(rec.Properties, commitlog.PropertyKeys)
	return ok && slices.Contains(strings.Fields(string(v)), key)
}
