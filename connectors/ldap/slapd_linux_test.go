package ldap_test

import "syscall"

// dieWithParent makes the kernel kill slapd when the test binary dies, even from a panic or a
// go test timeout, which skip TestMain's cleanup.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// alive reports whether process pid exists.
func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }
