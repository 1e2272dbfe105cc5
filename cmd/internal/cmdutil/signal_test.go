package cmdutil

import (
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestStopOnSignal(t *testing.T) {
	stop, release := StopOnSignal()
	defer release()
	select {
	case <-stop:
		t.Fatal("stopped before any signal")
	default:
	}
	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGTERM))
	select {
	case <-stop:
	case <-time.After(5 * time.Second):
		t.Fatal("SIGTERM did not close the stop channel")
	}
}

func TestStopOnSignalRelease(t *testing.T) {
	stop, release := StopOnSignal()
	release()
	release()
	select {
	case <-stop:
	case <-time.After(5 * time.Second):
		t.Fatal("release did not close the stop channel")
	}
}
