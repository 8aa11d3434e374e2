//go:build unix

package scimmy

import (
	"os"
	"os/exec"
	"syscall"
)

// ownProcessGroup runs cmd in a process group of its own, so that stopping it stops whatever
// it started too.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// lockFile takes an advisory lock on f, exclusive or shared, waiting for it: test binaries of
// concurrent `go test` runs share server/node_modules.
func lockFile(f *os.File, exclusive bool) error {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			return err
		}
	}
}
