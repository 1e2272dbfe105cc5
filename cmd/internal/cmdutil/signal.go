package cmdutil

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// StopOnSignal returns a channel closed by the first SIGINT or SIGTERM, and
// a release function that closes it too and stops catching the signals.
// After the first signal the default behaviour is restored at once, so a
// second signal ends a shutdown that hangs.
func StopOnSignal() (stop <-chan struct{}, release func()) {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		cancel()
	}()
	return ctx.Done(), cancel
}
