//go:build !unix

package proc

import "syscall"

// alive cannot tell here, so stale directories are kept.
func alive(int) bool { return true }

// signal can only kill where there are no signals.
func (p *Process) signal(syscall.Signal) { _ = p.cmd.Process.Kill() }
