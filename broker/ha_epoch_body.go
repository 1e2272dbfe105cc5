package broker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/apogeemq/apogee/remoting"
)

// epochCache is GET_BROKER_EPOCH_CACHE's answer, RocketMQ 5's
// EpochEntryCache (see the package doc, Roles and replication).
type epochCache struct {
	clusterName string
	brokerName  string
	brokerID    int64
	entries     []epochEntry
	// maxOffset is the answering broker's CommitLog end.
	maxOffset int64
}

// appendEpochCacheJSON appends the body in fastjson's field order:
//
//	{"brokerId":0,"brokerName":"broker-a","clusterName":"DefaultCluster",
//	 "epochList":[{"endOffset":2048,"epoch":1,"startOffset":0},
//	              {"endOffset":4096,"epoch":2,"startOffset":2048}],
//	 "maxOffset":4096}
//
// An entry's endOffset is the next one's startOffset, the last one's the
// CommitLog end.
func appendEpochCacheJSON(dst []byte, c *epochCache) []byte {
	dst = append(dst, `{"brokerId":`...)
	dst = strconv.AppendInt(dst, c.brokerID, 10)
	dst = append(dst, `,"brokerName":`...)
	dst = remoting.AppendJSONString(dst, c.brokerName)
	dst = append(dst, `,"clusterName":`...)
	dst = remoting.AppendJSONString(dst, c.clusterName)
	dst = append(dst, `,"epochList":[`...)
	for i, e := range c.entries {
		if i > 0 {
			dst = append(dst, ',')
		}
		end := c.maxOffset
		if i+1 < len(c.entries) {
			end = c.entries[i+1].startOffset
		}
		dst = append(dst, `{"endOffset":`...)
		dst = strconv.AppendInt(dst, end, 10)
		dst = append(dst, `,"epoch":`...)
		dst = strconv.AppendInt(dst, int64(e.epoch), 10)
		dst = append(dst, `,"startOffset":`...)
		dst = strconv.AppendInt(dst, e.startOffset, 10)
		dst = append(dst, '}')
	}
	dst = append(dst, `],"maxOffset":`...)
	dst = strconv.AppendInt(dst, c.maxOffset, 10)
	return append(dst, '}')
}

// epochCacheWire is the body as encoding/json reads it; integers are
// read as json.Number so that none is rounded through a float.
type epochCacheWire struct {
	BrokerID    json.Number `json:"brokerId"`
	BrokerName  string      `json:"brokerName"`
	ClusterName string      `json:"clusterName"`
	EpochList   []struct {
		Epoch       json.Number `json:"epoch"`
		StartOffset json.Number `json:"startOffset"`
	} `json:"epochList"`
	MaxOffset json.Number `json:"maxOffset"`
}

// decodeEpochCache reads a GET_BROKER_EPOCH_CACHE body. Every entry is
// checked as the epoch file's are; endOffset is ignored (the start of the
// next entry says the same).
func decodeEpochCache(body []byte) (*epochCache, error) {
	var w epochCacheWire
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadEpochs, err)
	}
	if len(w.EpochList) > MaxEpochEntries {
		return nil, fmt.Errorf("%w: %d entries, limit %d", ErrBadEpochs, len(w.EpochList), MaxEpochEntries)
	}
	c := &epochCache{clusterName: w.ClusterName, brokerName: w.BrokerName}
	var err error
	if c.brokerID, err = wireInt(w.BrokerID, "brokerId", 0, math.MaxInt64); err != nil {
		return nil, err
	}
	if c.maxOffset, err = wireInt(w.MaxOffset, "maxOffset", 0, math.MaxInt64); err != nil {
		return nil, err
	}
	c.entries = make([]epochEntry, 0, len(w.EpochList))
	for _, e := range w.EpochList {
		epoch, err := wireInt(e.Epoch, "epoch", 1, math.MaxInt32)
		if err != nil {
			return nil, err
		}
		start, err := wireInt(e.StartOffset, "startOffset", 0, math.MaxInt64)
		if err != nil {
			return nil, err
		}
		c.entries = append(c.entries, epochEntry{epoch: int32(epoch), startOffset: start})
	}
	if err := checkEpochOrder(c.entries); err != nil {
		return nil, err
	}
	return c, nil
}

// wireInt reads an integer field within [lo, hi]; a missing one is 0.
func wireInt(n json.Number, field string, lo, hi int64) (int64, error) {
	if n == "" {
		n = "0"
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || v < lo || v > hi {
		return 0, fmt.Errorf("%w: %s %q outside [%d, %d]", ErrBadEpochs, field, n, lo, hi)
	}
	return v, nil
}
