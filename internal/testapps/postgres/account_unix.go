//go:build unix

package postgres

import (
	"errors"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// account is who runs the server; nil is the test's own user.
type account syscall.Credential

// serverAccount: postgres refuses to run as root, so as root the Debian package's postgres
// user, else nobody.
func serverAccount() (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		return &account{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root, but neither a postgres nor a nobody user exists to run the server as")
}

func (a *account) sysProcAttr() *syscall.SysProcAttr {
	if a == nil {
		return nil
	}
	return &syscall.SysProcAttr{Credential: (*syscall.Credential)(a)}
}

// chown gives path to the account, so the server may write there.
func (a *account) chown(path string) error {
	if a == nil {
		return nil
	}
	return os.Chown(path, int(a.Uid), int(a.Gid))
}
