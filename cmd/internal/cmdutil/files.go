package cmdutil

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrTooLarge reports a configuration file longer than the caller's bound.
var ErrTooLarge = errors.New("file too large")

// ReadFile reads the whole file at path, failing with an error matching
// ErrTooLarge when it holds more than maxBytes bytes. Open failures keep
// their cause (errors.Is(err, fs.ErrNotExist) works).
func ReadFile(path string, maxBytes int) ([]byte, error) {
	if maxBytes < 0 {
		panic(fmt.Sprintf("cmdutil: negative read bound %d", maxBytes))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(maxBytes)+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(data) > maxBytes {
		return nil, fmt.Errorf("%s: %w: more than %d bytes", path, ErrTooLarge, maxBytes)
	}
	return data, nil
}
