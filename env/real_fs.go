package env

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// Permissions of the files and directories the real FS creates: owner
// read-write, everyone else read, as RocketMQ's store files are.
const (
	filePerm = 0o644
	dirPerm  = 0o755
)

// lockContent is what Lock writes into a lock file, as RocketMQ does.
const lockContent = "lock"

// osFS is the FS over package os.
type osFS struct{}

// Create creates or truncates name and opens it read-write.
func (osFS) Create(name string) (File, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, filePerm)
	if err != nil {
		return nil, wrapNoSpace(err)
	}
	return &osFile{f: f}, nil
}

// OpenRW opens an existing file read-write.
func (osFS) OpenRW(name string) (File, error) {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	return &osFile{f: f}, nil
}

// Open opens an existing file read-only.
func (osFS) Open(name string) (File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	return &osFile{f: f}, nil
}

// Remove removes a file or an empty directory.
func (osFS) Remove(name string) error { return os.Remove(name) }

// RemoveAll removes path and everything below it.
func (osFS) RemoveAll(path string) error { return os.RemoveAll(path) }

// Rename renames oldpath to newpath, replacing newpath.
func (osFS) Rename(oldpath, newpath string) error {
	return wrapNoSpace(os.Rename(oldpath, newpath))
}

// MkdirAll creates dir and its missing parents.
func (osFS) MkdirAll(dir string) error { return wrapNoSpace(os.MkdirAll(dir, dirPerm)) }

// List returns the sorted entry names of dir (os.ReadDir sorts them).
func (osFS) List(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names, nil
}

// Stat describes name.
func (osFS) Stat(name string) (FileInfo, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return FileInfo{}, err
	}
	return FileInfo{Name: fi.Name(), Size: fi.Size(), ModTime: fi.ModTime(), IsDir: fi.IsDir()}, nil
}

// SyncDir fsyncs the directory dir, making its entry changes durable.
func (osFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	serr := d.Sync()
	cerr := d.Close()
	if serr != nil {
		return wrapNoSpace(serr)
	}
	return cerr
}

// Usage reports the size and the free space of the device holding path.
func (osFS) Usage(path string) (DiskUsage, error) {
	var st unix.Statfs_t
	if err := retryEINTR(func() error { return unix.Statfs(path, &st) }); err != nil {
		return DiskUsage{}, &os.PathError{Op: "statfs", Path: path, Err: err}
	}
	blockBytes := uint64(st.Bsize)
	return DiskUsage{TotalBytes: st.Blocks * blockBytes, FreeBytes: st.Bavail * blockBytes}, nil
}

// Lock opens (creating) name, takes a non-blocking exclusive flock on it and
// writes "lock" into it. Closing the returned file releases the lock.
func (osFS) Lock(name string) (io.Closer, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, filePerm)
	if err != nil {
		return nil, wrapNoSpace(err)
	}
	var lockErr error
	if err := withFd(f, func(fd int) {
		lockErr = retryEINTR(func() error { return unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) })
	}); err != nil {
		lockErr = err
	}
	if lockErr != nil {
		_ = f.Close() // the lock failed; the close error adds nothing
		if errors.Is(lockErr, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("env: lock %s: %w", name, ErrLocked)
		}
		return nil, &os.PathError{Op: "flock", Path: name, Err: lockErr}
	}
	if _, err := f.WriteAt([]byte(lockContent), 0); err != nil {
		_ = f.Close() // releases the lock; the write error is the one to report
		return nil, wrapNoSpace(err)
	}
	return f, nil
}

// withFd runs fn with the file's descriptor, keeping the file alive and
// without switching it to blocking mode as os.File.Fd does.
func withFd(f *os.File, fn func(fd int)) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	return rc.Control(func(fd uintptr) { fn(int(fd)) })
}

// retryEINTR calls fn until it returns something other than EINTR.
func retryEINTR(fn func() error) error {
	for {
		err := fn()
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// noSpaceError marks an operating-system error that carries ENOSPC so that it
// also matches ErrNoSpace, keeping the original message and chain.
type noSpaceError struct{ err error }

func (e *noSpaceError) Error() string        { return e.err.Error() }
func (e *noSpaceError) Unwrap() error        { return e.err }
func (e *noSpaceError) Is(target error) bool { return target == ErrNoSpace }

// wrapNoSpace returns err, marked to match ErrNoSpace when it carries ENOSPC.
func wrapNoSpace(err error) error {
	if err == nil || !errors.Is(err, unix.ENOSPC) || errors.Is(err, ErrNoSpace) {
		return err
	}
	return &noSpaceError{err: err}
}
