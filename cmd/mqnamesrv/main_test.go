package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPrintConfigAppliesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "namesrv.properties")
	require.NoError(t, os.WriteFile(path, []byte("listenPort=19876\nrocketmqHome=/opt\n"), 0o644))
	var out, errOut bytes.Buffer
	require.NoError(t, run([]string{"-c", path, "-p"}, &out, &errOut))
	require.Contains(t, out.String(), "listenPort=19876\n")
	require.Contains(t, out.String(), "brokerChannelExpiredTime=120000\n")
	require.Contains(t, errOut.String(), `ignoring unknown key "rocketmqHome"`)
}

func TestRunRejectsABadConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.properties")
	require.NoError(t, os.WriteFile(path, []byte("listenPort=many\n"), 0o644))
	var out, errOut bytes.Buffer
	err := run([]string{"-c", path, "-p"}, &out, &errOut)
	require.ErrorIs(t, err, errConfig)
	require.True(t, strings.Contains(err.Error(), path), "the error names the file")

	err = run([]string{"-c", filepath.Join(t.TempDir(), "missing")}, &out, &errOut)
	require.ErrorIs(t, err, os.ErrNotExist)
}
