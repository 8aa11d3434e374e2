package main

import "syscall"

// childAttr makes the operator die with the bench: a bench killed without a chance to stop
// it must not leave an operator behind holding the SCIM port.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
