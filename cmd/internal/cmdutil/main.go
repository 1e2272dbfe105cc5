package cmdutil

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// UsageError is a command line the flag package refused (and already
// explained on stderr): the program exits 2.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Main runs a server program: run gets the arguments, stdout, stderr and
// a channel closed on the first SIGINT or SIGTERM. It exits 0 when run
// returns nil (or help was asked for), 2 on a UsageError, and 1 with the
// error on stderr otherwise.
func Main(name string, run func(args []string, stdout, stderr io.Writer, stop <-chan struct{}) error) {
	stop, release := StopOnSignal()
	err := run(os.Args[1:], os.Stdout, os.Stderr, stop)
	release()
	var usage UsageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.As(err, &usage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}
