package cmdutil

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestWaitStopOrFailure(t *testing.T) {
	stop := make(chan struct{})
	close(stop)
	require.NoError(t, WaitStopOrFailure(stop, func() error { return errors.New("never asked") }, time.Hour))

	boom := errors.New("store failed")
	var calls atomic.Int32
	failed := func() error {
		if calls.Add(1) < 3 {
			return nil
		}
		return boom
	}
	require.ErrorIs(t, WaitStopOrFailure(make(chan struct{}), failed, time.Millisecond), boom)
	require.Equal(t, int32(3), calls.Load())
}
