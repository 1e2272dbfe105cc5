package indexfile

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"
)

// fileNameLen is the length of an index file name, yyyyMMddHHmmssSSS.
const fileNameLen = 17

// fileNameLayout formats a time as a file name once the '.' is removed (Go
// layouts need it before the fractional seconds).
const fileNameLayout = "20060102150405.000"

// maxNameAttempts bounds the 1 ms bumps that look for a free file name. A
// directory holds few files, so a handful of bumps always suffice; the bound
// turns a file system that reports every name as taken into an error.
const maxNameAttempts = 1000

// FileName returns the index file name for creation time t in t's location:
// yyyyMMddHHmmssSSS.
func FileName(t time.Time) string {
	s := t.Format(fileNameLayout)
	if len(s) != fileNameLen+1 {
		return s // outside years 0-9999; rejected by isFileName
	}
	return s[:14] + s[15:]
}

// parseFileName is the inverse of FileName in location loc.
func parseFileName(name string, loc *time.Location) (time.Time, bool) {
	if !isFileName(name) {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(fileNameLayout, name[:14]+"."+name[14:], loc)
	return t, err == nil
}

// isFileName reports whether name has the shape of an index file name: 17
// decimal digits.
func isFileName(name string) bool {
	if len(name) != fileNameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		if name[i] < '0' || name[i] > '9' {
			return false
		}
	}
	return true
}

// nextFileName picks the name of a new file: the clock's current time, moved
// past lastName (so name order stays creation order even when the clock
// stepped back or two files are created in one millisecond), then bumped by
// 1 ms while a file of that name exists.
func (s *Set) nextFileName(lastName string) (string, error) {
	now := s.env.Clock.Now()
	t := now.Truncate(time.Millisecond)
	if last, ok := parseFileName(lastName, now.Location()); ok && !t.After(last) {
		t = last.Add(time.Millisecond)
	}
	for range maxNameAttempts {
		name := FileName(t)
		if !isFileName(name) {
			return "", fmt.Errorf("indexfile: time %v gives no %d-digit file name", t, fileNameLen)
		}
		_, err := s.env.FS.Stat(filepath.Join(s.dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			return name, nil
		}
		if err != nil {
			return "", fmt.Errorf("indexfile: stat %s: %w", name, err)
		}
		t = t.Add(time.Millisecond)
	}
	return "", fmt.Errorf("indexfile: no free file name in %s after %d attempts", s.dir, maxNameAttempts)
}
