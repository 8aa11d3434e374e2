// Package scimmy runs, for tests, server/server.js: an in-memory SCIM 2.0 service provider
// built on the npm packages scimmy and scimmy-routers, a SCIM implementation this project did
// not write. Start installs the pinned packages when needed (npm ci) and starts the server on
// a free port; Stop ends it. Should the test binary die first, the server goes too: the kernel
// kills it (Linux), and it exits when its stdin closes (everywhere).
package scimmy

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/scim-operator/scim-operator/internal/testapps/proc"
)

const (
	// installTimeout bounds npm ci; startTimeout bounds the server's start.
	installTimeout = 5 * time.Minute
	startTimeout   = 30 * time.Second
)

// Server is a running (or, between Down and Up, stopped) server.js.
type Server struct {
	node, token, state string
	port               int
	lock               *os.File
	stderr             *proc.Output

	mu    sync.Mutex
	proc  *proc.Process
	stdin io.Closer
}

// Start installs the pinned packages when needed and starts server.js on a free port.
func Start() (*Server, error) {
	node, err := tool("node")
	if err != nil {
		return nil, err
	}
	npm, err := tool("npm")
	if err != nil {
		return nil, err
	}
	lock, err := install(npm)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	dir, err := proc.TempDir("scim-scimmy-")
	if err != nil {
		_ = lock.Close()
		return nil, err
	}
	s := &Server{node: node, token: hex.EncodeToString(b), state: filepath.Join(dir, "state.json"), lock: lock, stderr: &proc.Output{}}
	if err := s.Up(); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// URL is the SCIM base URL, ending in /scim/v2; it stays the same across Down and Up.
func (s *Server) URL() string { return "http://127.0.0.1:" + strconv.Itoa(s.port) + "/scim/v2" }

// Token is the bearer token the server accepts (also the HTTP Basic password of user "scim").
func (s *Server) Token() string { return s.token }

// Down stops the server and keeps its users and groups, as an outage would: Up starts it again.
func (s *Server) Down() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		_ = s.stdin.Close()
		s.proc.Stop(5*time.Second, syscall.SIGTERM)
		s.proc = nil
	}
	return nil
}

// Up starts server.js, on the port it had when it had one, and waits until it listens.
func (s *Server) Up() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return nil
	}
	cmd := exec.Command(s.node, "server.js", strconv.Itoa(s.port), s.token, s.state)
	cmd.Dir = serverDir()
	cmd.Stderr = s.stderr
	found := make(chan int, 1)
	cmd.Stdout = &portWatcher{found: found}
	// Its stdin stays open while it runs: should the test binary die, the closed pipe ends it.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	ownProcessGroup(cmd)
	p, err := proc.Start(cmd, syscall.SIGKILL)
	if err != nil {
		_ = stdin.Close()
		return fmt.Errorf("starting node server.js: %w", err)
	}
	select {
	case s.port = <-found:
		s.proc, s.stdin = p, stdin
		return nil
	case <-p.Done():
		return fmt.Errorf("node server.js exited before listening (%s): %s", p.Exited(), s.stderr)
	case <-time.After(startTimeout):
		_ = stdin.Close()
		p.Stop(time.Second)
		return fmt.Errorf("node server.js did not listen within %s: %s", startTimeout, s.stderr)
	}
}

// Stop ends the server and removes its data. Anything server.js wrote to stderr is returned as
// an error: the tests should hear of it.
func (s *Server) Stop() error {
	_ = s.Down()
	_ = os.RemoveAll(filepath.Dir(s.state))
	if s.lock != nil {
		_ = s.lock.Close()
	}
	if out := s.stderr.String(); out != "" {
		return errors.New("server.js wrote to stderr:\n" + out)
	}
	return nil
}

// serverDir is server/ beside this file: tests run from the source tree.
func serverDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "server")
}

// tool finds a command or says how to get it: a missing one fails the tests, it does not skip.
func tool(name string) (string, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return "", proc.Missing(name, err, "nodejs", "npm")
	}
	return path, nil
}

// install makes server/node_modules hold the versions package.json pins, running npm ci when it
// does not. It returns package.json locked shared, so that a concurrent test binary does not
// reinstall under the running server; closing the file releases it.
func install(npm string) (*os.File, error) {
	dir := serverDir()
	lock, err := os.Open(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*os.File, error) { _ = lock.Close(); return nil, err }
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := json.NewDecoder(lock).Decode(&pkg); err != nil {
		return fail(fmt.Errorf("%s: %w", lock.Name(), err))
	}
	if err := lockFile(lock, true); err != nil {
		return fail(fmt.Errorf("locking %s: %w", lock.Name(), err))
	}
	if problem := installed(dir, pkg.Dependencies); problem != "" {
		cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "NPM_CONFIG_UPDATE_NOTIFIER=false")
		ownProcessGroup(cmd)
		if out, err := runFor(cmd, installTimeout); err != nil {
			return fail(fmt.Errorf("npm ci in %s (%s) failed: %w\n%s", dir, problem, err, out))
		}
		if problem := installed(dir, pkg.Dependencies); problem != "" {
			return fail(fmt.Errorf("npm ci did not install the packages of %s: %s", lock.Name(), problem))
		}
	}
	if err := lockFile(lock, false); err != nil {
		return fail(fmt.Errorf("locking %s: %w", lock.Name(), err))
	}
	return lock, nil
}

// runFor runs cmd, stopping it (and its process group) after timeout.
func runFor(cmd *exec.Cmd, timeout time.Duration) ([]byte, error) {
	var out proc.Output
	cmd.Stdout, cmd.Stderr = &out, &out
	p, err := proc.Start(cmd, syscall.SIGKILL)
	if err != nil {
		return nil, err
	}
	select {
	case <-p.Done():
	case <-time.After(timeout):
		p.Stop(5*time.Second, syscall.SIGTERM)
		return out.Bytes(), fmt.Errorf("timed out after %s", timeout)
	}
	if !cmd.ProcessState.Success() {
		return out.Bytes(), errors.New(cmd.ProcessState.String())
	}
	return out.Bytes(), nil
}

// installed says what differs between node_modules and the pinned versions, "" when nothing.
func installed(dir string, pins map[string]string) string {
	for name, want := range pins {
		var pkg struct{ Version string }
		b, err := os.ReadFile(filepath.Join(dir, "node_modules", name, "package.json"))
		if err == nil {
			err = json.Unmarshal(b, &pkg)
		}
		if err != nil || pkg.Version != want {
			return fmt.Sprintf("%s: want %s, have %q (%v)", name, want, pkg.Version, err)
		}
	}
	return ""
}

// portWatcher is server.js's stdout: it finds the port in "listening on <port>".
type portWatcher struct {
	mu    sync.Mutex
	buf   []byte
	found chan<- int // nil once the port was found
}

func (w *portWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.found == nil {
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	for {
		line, rest, ok := bytes.Cut(w.buf, []byte("\n"))
		if !ok {
			return len(p), nil
		}
		w.buf = rest
		if v, ok := strings.CutPrefix(string(line), "listening on "); ok {
			if port, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				w.found <- port
				w.found, w.buf = nil, nil
				return len(p), nil
			}
		}
	}
}
