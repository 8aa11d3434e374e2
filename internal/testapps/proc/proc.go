// Package proc runs the programs of the test apps (internal/testapps/...) so that none outlives
// the test binary that started it, and gives each a scratch directory that a later run cleans
// up should this one die before it could.
package proc

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// FreePort returns a TCP port on 127.0.0.1 that nothing listens on now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Process is a started program.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts cmd. On Linux the kernel sends it deathSignal when the test binary dies, even
// from a panic or a go test timeout, which skip every cleanup; elsewhere the caller needs a way
// of its own (the scimmy server ends when its stdin closes).
func Start(cmd *exec.Cmd, deathSignal syscall.Signal) (*Process, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	setDeathSignal(cmd.SysProcAttr, deathSignal)
	var err error
	// The death signal is tied to the thread that forks, not to the process: fork on a thread
	// that lives as long as the binary.
	onSpawner(func() { err = cmd.Start() })
	if err != nil {
		return nil, err
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p, nil
}

// Run runs cmd to its end, as Start does, and returns its combined output.
func Run(cmd *exec.Cmd, deathSignal syscall.Signal) ([]byte, error) {
	var out Output
	cmd.Stdout, cmd.Stderr = &out, &out
	p, err := Start(cmd, deathSignal)
	if err != nil {
		return nil, err
	}
	<-p.done
	if !cmd.ProcessState.Success() {
		return out.Bytes(), errors.New(cmd.ProcessState.String())
	}
	return out.Bytes(), nil
}

// Done is closed once the program has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited describes how the program ended; "" while it runs.
func (p *Process) Exited() string {
	select {
	case <-p.done:
		return p.cmd.ProcessState.String()
	default:
		return ""
	}
}

// Stop sends each signal in turn, waiting up to grace after each for the program to exit, then
// kills it. A program started in a process group of its own (Setpgid) is signalled with its
// group, so that whatever it started stops too.
func (p *Process) Stop(grace time.Duration, signals ...syscall.Signal) {
	for _, s := range append(signals, syscall.SIGKILL) {
		select {
		case <-p.done:
			return
		default:
		}
		p.signal(s)
		select {
		case <-p.done:
			return
		case <-time.After(grace):
		}
	}
	<-p.done
}

var (
	spawnOnce sync.Once
	spawn     = make(chan func())
)

// onSpawner runs f on one goroutine locked to its OS thread that never returns, so that the
// thread, and with it the death signal of every child forked from it, lasts until the binary
// exits. A goroutine that locks its thread and returns takes the thread down with it: had a
// child been forked there, it would be killed at that moment.
func onSpawner(f func()) {
	spawnOnce.Do(func() {
		go func() {
			runtime.LockOSThread()
			for f := range spawn {
				f()
			}
		}()
	})
	done := make(chan struct{})
	spawn <- func() { defer close(done); f() }
	<-done
}

const ownerFile = "owner.pid"

// TempDir makes a scratch directory named prefix* in the system's temporary directory, first
// removing the stale ones of that prefix (see RemoveStale).
func TempDir(prefix string) (string, error) {
	RemoveStale(prefix)
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		_ = os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// RemoveStale deletes the directories TempDir made with prefix whose test binary is gone: one
// that panicked or timed out had no chance to.
func RemoveStale(prefix string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), prefix+"*"))
	for _, dir := range dirs {
		data, err := os.ReadFile(filepath.Join(dir, ownerFile))
		pid, convErr := strconv.Atoi(strings.TrimSpace(string(data)))
		if err == nil && convErr == nil && !alive(pid) {
			_ = os.RemoveAll(dir)
		}
	}
}

// Missing is the error for a program that is not installed, naming the Debian packages that
// have it: a missing app fails the tests, it does not skip them.
func Missing(program string, err error, debianPackages ...string) error {
	pkgs := strings.Join(debianPackages, " ")
	return fmt.Errorf("%s is not installed, and the tests run the real program: install the Debian packages %s "+
		"(apt-get install -y %s): %w", program, pkgs, pkgs, err)
}

// Output collects what a program writes, safe to read while the program runs.
type Output struct {
	mu  sync.Mutex
	buf []byte
}

func (b *Output) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *Output) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf...)
}

func (b *Output) String() string { return string(b.Bytes()) }
