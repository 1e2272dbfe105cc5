package cmdutil

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
)

// OpenLogger returns a logger writing text lines both to stderr and to
// dir/fileName (appended; dir is created when missing), and the function
// that closes the file. Lines logged after close still reach stderr.
func OpenLogger(dir, fileName string, stderr io.Writer) (*slog.Logger, func() error, error) {
	if dir == "" {
		return nil, nil, errors.New("no log directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("creating log directory: %w", err)
	}
	path := filepath.Join(dir, fileName)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("opening log file: %w", err)
	}
	w := &closableWriter{f: f}
	h := slog.NewTextHandler(io.MultiWriter(stderr, w), nil)
	return slog.New(h), w.close, nil
}

// closableWriter is the log file behind a logger that may outlive it:
// writes after close are dropped instead of failing the whole line, so
// the stderr half of the logger keeps working during shutdown.
type closableWriter struct {
	f *os.File
}

func (w *closableWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if errors.Is(err, os.ErrClosed) {
		return len(p), nil
	}
	return n, err
}

func (w *closableWriter) close() error {
	if err := w.f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("closing log file: %w", err)
	}
	return nil
}
