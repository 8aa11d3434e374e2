//go:build unix

package conformance_test

import (
	"os"
	"os/exec"
	"syscall"
)

// ownProcessGroup runs cmd in a process group of its own and makes cancelling it kill the whole
// group, so that children of the runner (npm's scripts, for one) do not outlive a timeout.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// lockFile takes an advisory lock on f, exclusive or shared, waiting for it. Test binaries of
// concurrent `go test` runs share node_modules: the one that installs newman holds the lock
// exclusively, the ones that run it hold it shared.
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
