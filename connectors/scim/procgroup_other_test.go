//go:build !unix

package scim_test

import (
	"os"
	"os/exec"
	"syscall"
)

// ownProcessGroup leaves cmd as it is where there are no process groups.
func ownProcessGroup(*exec.Cmd) {}

// killGroup kills cmd alone where there are no process groups.
func killGroup(cmd *exec.Cmd, _ syscall.Signal) { _ = cmd.Process.Kill() }

// lockFile does nothing where there is no flock: concurrent runs must not share node_modules.
func lockFile(*os.File, bool) error { return nil }
