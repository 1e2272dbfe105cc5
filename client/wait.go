package client

import "github.com/apogeemq/apogee/env"

// wait runs start and blocks until start's callback delivers. It serves the
// blocking forms only: in the simulator, or inside a callback, nothing
// would deliver while it waits (see the package doc). Every callback of
// this package comes, at the latest when its request times out, so wait
// returns. The caller parks on an env.Latch, which the callback opens
// without starting another thread (see Latch): the answer to a sync send
// thus reaches its sender on the thread that read it.
func wait[T any](start func(cb func(T, error))) (T, error) {
	var v T
	var err error
	l := env.NewLatch()
	start(func(got T, gotErr error) {
		v, err = got, gotErr
		l.Open()
	})
	l.Wait()
	return v, err
}

// waitErr is wait for a callback that carries only an error.
func waitErr(start func(cb func(error))) error {
	_, err := wait(func(cb func(struct{}, error)) {
		start(func(err error) { cb(struct{}{}, err) })
	})
	return err
}
