package configfile

import (
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"path/filepath"

	"github.com/apogeemq/apogee/env"
)

// Suffixes of a document's siblings (see the package doc).
const (
	// BackupSuffix names the previous version, kept by Store.
	BackupSuffix = ".bak"
	// TempSuffix names the version being written by Store.
	TempSuffix = ".tmp"
	// CorruptSuffix names a primary copy that Load found corrupt and moved
	// aside.
	CorruptSuffix = ".corrupt"
)

// Source tells which copy Load used.
type Source int

const (
	// SourceNone: neither the file nor its backup exists (or both are
	// empty); the caller starts from an empty document.
	SourceNone Source = iota
	// SourcePrimary: the file itself.
	SourcePrimary
	// SourceBackup: the .bak sibling, because the file was missing, empty
	// or corrupt.
	SourceBackup
)

// String returns "none", "primary" or "backup".
func (s Source) String() string {
	switch s {
	case SourceNone:
		return "none"
	case SourcePrimary:
		return "primary"
	case SourceBackup:
		return "backup"
	default:
		return fmt.Sprintf("Source(%d)", int(s))
	}
}

// Store replaces the document at path with data atomically and durably:
// path.tmp is written and synced, the current path (unless missing or
// empty) is renamed to path.bak, path.tmp is renamed to path, and the
// directory is synced. Missing parent directories are created. On an error
// before the final renames, path and path.bak are unchanged.
func Store(fs env.FS, path string, data []byte) error {
	if len(data) > MaxDocumentBytes {
		return fmt.Errorf("configfile: store %s: %w: %d bytes, limit %d", path, ErrTooLarge, len(data), MaxDocumentBytes)
	}
	dir := filepath.Dir(path)
	if err := fs.MkdirAll(dir); err != nil {
		return fmt.Errorf("configfile: store %s: %w", path, err)
	}
	tmp, bak := path+TempSuffix, path+BackupSuffix
	if err := writeSynced(fs, tmp, data); err != nil {
		// Best effort: a partial tmp is never read, and Create truncates it
		// next time; removing it only frees the space now.
		_ = fs.Remove(tmp)
		return fmt.Errorf("configfile: store %s: %w", path, err)
	}
	rotated := false
	switch info, err := fs.Stat(path); {
	case err == nil && info.Size > 0:
		if err := fs.Rename(path, bak); err != nil {
			return fmt.Errorf("configfile: store %s: keep previous version: %w", path, err)
		}
		rotated = true
	case err == nil, errors.Is(err, iofs.ErrNotExist):
		// Nothing worth keeping: the rename below replaces an empty file.
	default:
		return fmt.Errorf("configfile: store %s: %w", path, err)
	}
	if err := fs.Rename(tmp, path); err != nil {
		if rotated {
			if undoErr := fs.Rename(bak, path); undoErr != nil {
				return fmt.Errorf("configfile: store %s: %w (restoring %s also failed: %w)", path, err, bak, undoErr)
			}
		}
		return fmt.Errorf("configfile: store %s: %w", path, err)
	}
	if err := fs.SyncDir(dir); err != nil {
		return fmt.Errorf("configfile: store %s: sync directory: %w", path, err)
	}
	return nil
}

// writeSynced creates name with data and syncs it.
func writeSynced(fs env.FS, name string, data []byte) error {
	f, err := fs.Create(name)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		_ = f.Close() // the write error is the one to report
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close() // the sync error is the one to report
		return err
	}
	return f.Close()
}

// copyState classifies one copy of a document.
type copyState int

const (
	copyGood    copyState = iota // present, non-empty, parses
	copyAbsent                   // missing or empty
	copyCorrupt                  // present but too large or unparsable
	copyFailed                   // could not be read (I/O error)
)

// Load returns the content of the document at path, falling back to
// path.bak when path is missing, empty or does not parse (parse returns an
// error), and reports which copy it used. Both copies missing or empty is
// (nil, SourceNone, nil). A corrupt copy with no usable alternative is an
// error matching ErrNoValidCopy that names both files. An I/O error other
// than "not found" is returned as it is, without falling back. A corrupt
// path is renamed to path.corrupt when path.bak is used instead.
func Load(fs env.FS, path string, parse func([]byte) error) ([]byte, Source, error) {
	data, state, perr := loadCopy(fs, path, parse)
	switch state {
	case copyGood:
		return data, SourcePrimary, nil
	case copyFailed:
		return nil, SourceNone, fmt.Errorf("configfile: load %s: %w", path, perr)
	}
	bak := path + BackupSuffix
	bdata, bstate, berr := loadCopy(fs, bak, parse)
	switch bstate {
	case copyGood:
		if state == copyCorrupt {
			if err := fs.Rename(path, path+CorruptSuffix); err != nil {
				return nil, SourceNone, fmt.Errorf("configfile: load %s: move corrupt copy aside: %w", path, err)
			}
		}
		return bdata, SourceBackup, nil
	case copyFailed:
		return nil, SourceNone, fmt.Errorf("configfile: load %s: %w", bak, berr)
	case copyAbsent:
		if state == copyAbsent {
			return nil, SourceNone, nil
		}
		return nil, SourceNone, fmt.Errorf("%w: %s: %w; %s: missing or empty", ErrNoValidCopy, path, perr, bak)
	default:
		if state == copyAbsent {
			return nil, SourceNone, fmt.Errorf("%w: %s: missing or empty; %s: %w", ErrNoValidCopy, path, bak, berr)
		}
		return nil, SourceNone, fmt.Errorf("%w: %s: %w; %s: %w", ErrNoValidCopy, path, perr, bak, berr)
	}
}

// loadCopy reads and parses one copy. The error explains a corrupt or
// failed copy.
func loadCopy(fs env.FS, name string, parse func([]byte) error) ([]byte, copyState, error) {
	data, err := readFile(fs, name)
	switch {
	case errors.Is(err, iofs.ErrNotExist):
		return nil, copyAbsent, nil
	case errors.Is(err, ErrTooLarge):
		return nil, copyCorrupt, err
	case err != nil:
		return nil, copyFailed, err
	case len(data) == 0:
		return nil, copyAbsent, nil
	}
	if err := parse(data); err != nil {
		return nil, copyCorrupt, err
	}
	return data, copyGood, nil
}

// readFile reads a whole file of at most MaxDocumentBytes.
func readFile(fs env.FS, name string) (data []byte, err error) {
	f, err := fs.Open(name)
	if err != nil {
		return nil, err
	}
	defer func() {
		if closeErr := f.Close(); err == nil && closeErr != nil {
			data, err = nil, closeErr
		}
	}()
	size, err := f.Size()
	if err != nil {
		return nil, err
	}
	if size > MaxDocumentBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, size, MaxDocumentBytes)
	}
	data = make([]byte, size)
	n, err := f.ReadAt(data, 0)
	if n == len(data) {
		return data, nil // io.ReaderAt may report io.EOF with a full read
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF // the file shrank while being read
	}
	return nil, err
}
