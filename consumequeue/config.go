package consumequeue

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
)

// Sizes and bounds.
const (
	// DefaultFileSizeBytes is RocketMQ's mappedFileSizeConsumeQueue:
	// 300,000 units.
	DefaultFileSizeBytes = 300_000 * UnitSize

	// MaxFileSizeBytes bounds a configured file size. A file is mapped whole
	// and indexed with int; 1 GiB (the CommitLog's own segment size) is far
	// past any sensible ConsumeQueue file.
	MaxFileSizeBytes = (1 << 30) / UnitSize * UnitSize

	// maxGapFiles bounds the gap Append fills with filler units. A gap of a
	// few units means a lost dispatch; one spanning more than this many
	// files means a corrupt QUEUEOFFSET, and filling it would create files
	// without bound.
	maxGapFiles = 2

	// maxTopicBytes is RocketMQ's hard limit on a topic's length (255; only
	// %RETRY% topics may exceed 127) and the usual file-name limit.
	maxTopicBytes = 255

	// dirName is the directory under the store root holding all queues.
	dirName = "consumequeue"
)

// ErrBadName means a topic is not a valid RocketMQ topic name or a queue id
// is negative; such names are never turned into directories.
var ErrBadName = errors.New("consumequeue: invalid topic or queue id")

// Config configures every queue of a Set (and a Queue opened alone).
type Config struct {
	// FileSizeBytes is the length of each file (mappedFileSizeConsumeQueue).
	// 0 means DefaultFileSizeBytes; other values are rounded up to a
	// multiple of UnitSize and must not exceed MaxFileSizeBytes.
	FileSizeBytes int64
	// Logger receives repeated-dispatch, "[BUG]" gap and skipped-directory
	// lines; nil discards them.
	Logger *slog.Logger
}

// normalized returns cfg with defaults applied and the size rounded.
func (cfg Config) normalized() (Config, error) {
	switch {
	case cfg.FileSizeBytes == 0:
		cfg.FileSizeBytes = DefaultFileSizeBytes
	case cfg.FileSizeBytes < 0 || cfg.FileSizeBytes > MaxFileSizeBytes:
		return cfg, fmt.Errorf("consumequeue: file size %d bytes outside [1, %d]", cfg.FileSizeBytes, MaxFileSizeBytes)
	default:
		cfg.FileSizeBytes = (cfg.FileSizeBytes + UnitSize - 1) / UnitSize * UnitSize
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg, nil
}

// ValidTopic reports whether topic may name a queue directory: 1 to 255
// characters, each a letter, a digit or one of "%|_-" (RocketMQ's
// ^[%|a-zA-Z0-9_-]+$). "." and ".." and anything with a separator fail.
func ValidTopic(topic string) bool {
	if len(topic) == 0 || len(topic) > maxTopicBytes {
		return false
	}
	for i := 0; i < len(topic); i++ {
		c := topic[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '%', c == '|', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// parseQueueID parses a queue directory name: the canonical decimal form of
// a non-negative int32 ("7", not "07" or "+7").
func parseQueueID(name string) (int32, bool) {
	id, err := strconv.ParseInt(name, 10, 32)
	if err != nil || id < 0 || strconv.FormatInt(id, 10) != name {
		return 0, false
	}
	return int32(id), true
}

// QueueDir returns <rootDir>/consumequeue/<topic>/<queueID>.
func QueueDir(rootDir, topic string, queueID int32) string {
	return filepath.Join(rootDir, dirName, topic, strconv.FormatInt(int64(queueID), 10))
}

// checkName validates a (topic, queueID) pair before it becomes a path.
func checkName(topic string, queueID int32) error {
	if !ValidTopic(topic) {
		return fmt.Errorf("%w: topic %q", ErrBadName, topic)
	}
	if queueID < 0 {
		return fmt.Errorf("%w: queue id %d of topic %s", ErrBadName, queueID, topic)
	}
	return nil
}
