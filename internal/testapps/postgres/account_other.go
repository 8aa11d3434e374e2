//go:build !unix

package postgres

import "syscall"

// account: the server runs as the test's own user.
type account struct{}

func serverAccount() (*account, error) { return nil, nil }

func (*account) sysProcAttr() *syscall.SysProcAttr { return nil }

func (*account) chown(string) error { return nil }
