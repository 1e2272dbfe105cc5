package cmdutil

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "broker.conf")
	require.NoError(t, os.WriteFile(path, []byte("0123456789"), 0o644))

	data, err := ReadFile(path, 10)
	require.NoError(t, err)
	require.Equal(t, "0123456789", string(data))

	_, err = ReadFile(path, 9)
	require.ErrorIs(t, err, ErrTooLarge)
	require.Contains(t, err.Error(), path)

	_, err = ReadFile(filepath.Join(dir, "missing"), 10)
	require.ErrorIs(t, err, fs.ErrNotExist)
}

func TestOpenLoggerWritesBothPlaces(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs", "nested")
	var stderr bytes.Buffer
	logger, closeLog, err := OpenLogger(dir, "broker.log", &stderr)
	require.NoError(t, err)
	logger.Info("hello", "k", 1)
	require.NoError(t, closeLog())
	logger.Info("after close")

	file, err := os.ReadFile(filepath.Join(dir, "broker.log"))
	require.NoError(t, err)
	require.Contains(t, string(file), "msg=hello k=1")
	require.NotContains(t, string(file), "after close")
	require.Contains(t, stderr.String(), "msg=hello k=1")
	require.Contains(t, stderr.String(), `msg="after close"`, "stderr keeps working after the file is closed")

	_, _, err = OpenLogger("", "x.log", &stderr)
	require.Error(t, err)
}

func TestOpenLoggerAppends(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 2; i++ {
		logger, closeLog, err := OpenLogger(dir, "a.log", &bytes.Buffer{})
		require.NoError(t, err)
		logger.Info("line")
		require.NoError(t, closeLog())
	}
	file, err := os.ReadFile(filepath.Join(dir, "a.log"))
	require.NoError(t, err)
	require.Equal(t, 2, strings.Count(string(file), "msg=line"))
}
