package cmdutil

import "time"

// FailurePollInterval is how often WaitStopOrFailure asks whether the
// server failed: a failed store refuses every put, so a second is short
// enough for its supervisor to restart it promptly and long enough to cost
// nothing.
const FailurePollInterval = time.Second

// WaitStopOrFailure blocks until stop is closed (nil) or failed reports an
// error (that error), asking failed every poll.
func WaitStopOrFailure(stop <-chan struct{}, failed func() error, poll time.Duration) error {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return nil
		case <-t.C:
			if err := failed(); err != nil {
				return err
			}
		}
	}
}
