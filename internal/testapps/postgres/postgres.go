// Package postgres runs a throwaway PostgreSQL server for tests: initdb'ed in a scratch
// directory, scram-sha-256 authentication on 127.0.0.1, fsync off. Stop removes it; should
// the test binary die first, the kernel stops it (Linux) and the next run removes its files.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scim-operator/scim-operator/internal/testapps/proc"
)

// The superuser initdb creates.
const (
	SuperUser     = "postgres"
	SuperPassword = "super secret"
)

// Server is a running (or, between Down and Up, stopped) server.
type Server struct {
	dir, postgres string
	port          int
	account       *account

	mu   sync.Mutex
	proc *proc.Process
}

// Start initdb's a cluster and starts postgres on a free port, waiting until it accepts
// connections.
func Start() (*Server, error) {
	initdb, err := bin("initdb")
	if err != nil {
		return nil, err
	}
	postgres, err := bin("postgres")
	if err != nil {
		return nil, err
	}
	acct, err := serverAccount()
	if err != nil {
		return nil, err
	}
	dir, err := proc.TempDir("scim-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, postgres: postgres, account: acct}
	fail := func(err error) (*Server, error) {
		_ = s.Stop()
		return nil, err
	}
	pwfile := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(SuperPassword+"\n"), 0o600); err != nil {
		return fail(err)
	}
	for _, p := range []string{dir, pwfile} {
		if err := acct.chown(p); err != nil {
			return fail(err)
		}
	}
	init := exec.Command(initdb, "-D", s.data(), "-U", SuperUser, "--pwfile", pwfile,
		"--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync")
	init.SysProcAttr = acct.sysProcAttr()
	init.Dir = dir
	if out, err := proc.Run(init, syscall.SIGKILL); err != nil {
		return fail(fmt.Errorf("initdb: %w\n%s", err, out))
	}
	if s.port, err = proc.FreePort(); err != nil {
		return fail(err)
	}
	if err := s.Up(); err != nil {
		return fail(err)
	}
	return s, nil
}

// Host is the address the server listens on.
func (s *Server) Host() string { return "127.0.0.1" }

// Port is the server's port; it stays the same across Down and Up.
func (s *Server) Port() int { return s.port }

// URL is a connection URL for user on database postgres.
func (s *Server) URL(user, password string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(user, password),
		Host: net.JoinHostPort(s.Host(), strconv.Itoa(s.port)), Path: "/postgres", RawQuery: "sslmode=disable"}
	return u.String()
}

// Log is what the server has logged.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
	return string(b)
}

// Down stops the server and keeps its data, as an outage would: Up starts it again.
func (s *Server) Down() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		// SIGINT is a fast shutdown, SIGQUIT an immediate one should that hang.
		s.proc.Stop(15*time.Second, syscall.SIGINT, syscall.SIGQUIT)
		s.proc = nil
	}
	return nil
}

// Up starts the server on its port, waiting until it accepts connections.
func (s *Server) Up() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return nil
	}
	logf, err := os.OpenFile(filepath.Join(s.dir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(s.postgres, "-D", s.data(), "-p", strconv.Itoa(s.port), "-k", s.dir,
		"-c", "listen_addresses="+s.Host(), "-c", "fsync=off", "-c", "password_encryption=scram-sha-256")
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = s.account.sysProcAttr()
	// A fast shutdown when the test binary dies: the postmaster takes its backends with it.
	p, err := proc.Start(cmd, syscall.SIGINT)
	if err != nil {
		return fmt.Errorf("starting postgres: %w", err)
	}
	if err := waitReady(p, s.URL(SuperUser, SuperPassword), 30*time.Second); err != nil {
		p.Stop(5*time.Second, syscall.SIGQUIT)
		return fmt.Errorf("%w\n%s", err, s.Log())
	}
	s.proc = p
	return nil
}

// Stop stops the server and removes its files.
func (s *Server) Stop() error {
	err := s.Down()
	return errors.Join(err, os.RemoveAll(s.dir))
}

func (s *Server) data() string { return filepath.Join(s.dir, "data") }

func waitReady(p *proc.Process, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, url)
		cancel()
		if err == nil {
			return conn.Close(context.Background())
		}
		select {
		case <-p.Done():
			return fmt.Errorf("postgres exited while starting (%s)", p.Exited())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not accept connections within %v: %w", timeout, err)
		}
	}
}

// bin finds a PostgreSQL server program: on PATH, else in Debian's versioned directory (the
// postgresql package does not put initdb and postgres on PATH), newest version first.
func bin(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err == nil {
		return p, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, d := range dirs {
		if p := filepath.Join(d, name); isExecutable(p) {
			return p, nil
		}
	}
	return "", proc.Missing("the PostgreSQL server program "+name+" (looked for on PATH and in /usr/lib/postgresql/*/bin)", err, "postgresql")
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}
