package commitlog

import (
	"fmt"
	"time"
)

// DeleteExpiredSegments deletes up to maxSegments of the oldest segments
// whose file was last modified before olderThan (any age when force is set:
// the disk is nearly full), oldest first, stopping at the first segment that
// is still young (spec §11). It never deletes the newest segment, nor one
// that is not entirely flushed. A segment still held by a reader disappears
// when the reader releases it. It returns how many segments it deleted. One
// caller at a time.
func (l *Log) DeleteExpiredSegments(olderThan time.Time, force bool, maxSegments int) (int, error) {
	if err := l.checkWritable(); err != nil {
		return 0, err
	}
	deleted := 0
	for deleted < maxSegments && l.q.Len() > 1 {
		first := l.q.First()
		if first.End() > l.q.FlushedWhere() {
			break
		}
		if !force {
			info, err := l.q.ModTime(first)
			if err != nil {
				return deleted, fmt.Errorf("commitlog: stat of segment %s: %w", first.Path(), err)
			}
			if !info.ModTime.Before(olderThan) {
				break
			}
		}
		if _, ok := l.q.DeleteFirst(); !ok {
			break
		}
		deleted++
	}
	return deleted, nil
}
