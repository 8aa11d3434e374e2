package scim_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// The tests provision into testdata/server.js, a SCIM service provider built on the npm
// packages scimmy and scimmy-routers: a SCIM implementation this project did not write.
const (
	testdata = "testdata"
	// installTimeout bounds npm ci; startTimeout bounds the server's start.
	installTimeout = 5 * time.Minute
	startTimeout   = 30 * time.Second
)

// testServer is a running server.js.
type testServer struct {
	url, token string
	cmd        *exec.Cmd
	stdin      io.Closer
	stderr     *bytes.Buffer
	lock       *os.File
	done       chan struct{}
}

// startServer installs the pinned packages when needed and starts server.js on a free port.
func startServer() (*testServer, error) {
	node, err := tool("node")
	if err != nil {
		return nil, err
	}
	npm, err := tool("npm")
	if err != nil {
		return nil, err
	}
	lock, err := install(node, npm)
	if err != nil {
		return nil, err
	}
	s, err := launch(node)
	if err != nil {
		_ = lock.Close()
		return nil, err
	}
	s.lock = lock
	return s, nil
}

// tool finds a command or says how to get it: a missing one fails the tests, it does not skip.
func tool(name string) (string, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s is not installed, and the scim connector's tests run a SCIM server on "+
			"Node.js: install nodejs and npm (apt-get install nodejs npm): %w", name, err)
	}
	return path, nil
}

// install makes testdata/node_modules hold the versions package.json pins, running npm ci when
// it does not. It returns package.json locked shared, so that a concurrent test binary does not
// reinstall under the running server; closing the file releases it.
func install(node, npm string) (*os.File, error) {
	lock, err := os.Open(filepath.Join(testdata, "package.json"))
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*os.File, error) { _ = lock.Close(); return nil, err }
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := json.NewDecoder(lock).Decode(&pkg); err != nil {
		return fail(fmt.Errorf("testdata/package.json: %w", err))
	}
	if err := lockFile(lock, true); err != nil {
		return fail(fmt.Errorf("locking testdata/package.json: %w", err))
	}
	if problem := installed(pkg.Dependencies); problem != "" {
		ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = testdata
		cmd.Env = append(os.Environ(), "NPM_CONFIG_UPDATE_NOTIFIER=false")
		ownProcessGroup(cmd)
		cmd.Cancel = func() error { killGroup(cmd, syscall.SIGKILL); return nil }
		cmd.WaitDelay = 5 * time.Second
		if out, err := cmd.CombinedOutput(); err != nil {
			return fail(fmt.Errorf("npm ci in connectors/scim/testdata (%s) failed: %w\n%s", problem, err, out))
		}
		if problem := installed(pkg.Dependencies); problem != "" {
			return fail(fmt.Errorf("npm ci did not install testdata's packages: %s", problem))
		}
	}
	if err := lockFile(lock, false); err != nil {
		return fail(fmt.Errorf("locking testdata/package.json: %w", err))
	}
	return lock, nil
}

// installed says what differs between node_modules and the pinned versions, "" when nothing.
func installed(pins map[string]string) string {
	for name, want := range pins {
		var pkg struct{ Version string }
		b, err := os.ReadFile(filepath.Join(testdata, "node_modules", name, "package.json"))
		if err == nil {
			err = json.Unmarshal(b, &pkg)
		}
		if err != nil || pkg.Version != want {
			return fmt.Sprintf("%s: want %s, have %q (%v)", name, want, pkg.Version, err)
		}
	}
	return ""
}

// launch starts server.js and waits for the port it listens on. Its stdin stays open while the
// tests run: should the test binary die, the closed pipe ends the server.
func launch(node string) (*testServer, error) {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	s := &testServer{token: hex.EncodeToString(b), stderr: &bytes.Buffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(node, "server.js", "0", s.token)
	s.cmd.Dir = testdata
	s.cmd.Stderr = s.stderr
	ownProcessGroup(s.cmd)
	stdin, err := s.cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s.stdin = stdin
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting node server.js: %w", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()

	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				select {
				case port <- p:
				default:
				}
			}
		}
	}()
	select {
	case p := <-port:
		s.url = "http://127.0.0.1:" + p + "/scim/v2"
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("node server.js exited before listening: %s", s.stderr)
	case <-time.After(startTimeout):
		s.stop()
		return nil, fmt.Errorf("node server.js did not listen within %s: %s", startTimeout, s.stderr)
	}
}

// stop ends the server's process group, asking first.
func (s *testServer) stop() error {
	_ = s.stdin.Close()
	killGroup(s.cmd, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		killGroup(s.cmd, syscall.SIGKILL)
		<-s.done
	}
	if s.lock != nil {
		_ = s.lock.Close()
	}
	// Killed by the SIGTERM is how it should end; anything it wrote to stderr is news.
	if s.stderr.Len() > 0 {
		return errors.New("server.js wrote to stderr:\n" + s.stderr.String())
	}
	return nil
}
