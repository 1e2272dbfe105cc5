package client

// wait runs start and blocks until start's callback delivers. It serves the
// blocking forms only: in the simulator, or inside a callback, nothing
// would deliver while it waits (see the package doc). Every callback of
// this package comes, at the latest when its request times out, so wait
// returns.
func wait[T any](start func(cb func(T, error))) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	start(func(v T, err error) { done <- result{v, err} })
	r := <-done
	return r.v, r.err
}

// waitErr is wait for a callback that carries only an error.
func waitErr(start func(cb func(error))) error {
	_, err := wait(func(cb func(struct{}, error)) {
		start(func(err error) { cb(struct{}{}, err) })
	})
	return err
}
