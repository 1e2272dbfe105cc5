//go:build !linux

package benchmarks

import "os/exec"

// setParentDeathSignal does nothing where the kernel offers no parent-death
// signal: an aborted run may leave its children running, and TestMain stops
// them on every normal exit.
func setParentDeathSignal(*exec.Cmd) {}
