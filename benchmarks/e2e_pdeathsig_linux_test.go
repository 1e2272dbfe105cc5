//go:build linux

package benchmarks

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal has the kernel send cmd's process SIGTERM if the
// benchmark process dies first (a panic, a kill), so that no server is left
// running behind an aborted run.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
