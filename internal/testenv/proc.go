package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Proc is a control-plane process (etcd, kube-apiserver) started by envtest in this test
// process, which a test kills and starts again with the same command line: the same ports,
// certificates and data, as when a machine's process is killed and its supervisor restarts it.
type Proc struct {
	Name string
	path string
	args []string
	pid  int
	cmd  *exec.Cmd // set once Start has run
}

// FindProc returns the child process of this test process whose executable is named name.
func FindProc(name string) (*Proc, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || parentOf(pid) != self {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		argv := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		if filepath.Base(argv[0]) == name {
			return &Proc{Name: name, path: argv[0], args: argv[1:], pid: pid}, nil
		}
	}
	return nil, fmt.Errorf("no %s process under this one", name)
}

// parentOf is pid's parent, from /proc/<pid>/stat (whose second field, the name in
// parentheses, may hold spaces).
func parentOf(pid int) int {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}

// Kill sends SIGKILL and returns once the process is gone.
func (p *Proc) Kill() error {
	if err := syscall.Kill(p.pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	if p.cmd != nil {
		_ = p.cmd.Wait()
		return nil
	}
	// Started by envtest, which reaps it.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if parentOf(p.pid) != os.Getpid() {
			return nil
		}
	}
	return fmt.Errorf("%s (pid %d) still there after SIGKILL", p.Name, p.pid)
}

// Start starts the process again with its command line. It dies with the test process.
func (p *Proc) Start() error {
	cmd := exec.Command(p.path, p.args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	p.cmd, p.pid = cmd, cmd.Process.Pid
	return nil
}

// Stop ends a process this Proc started (envtest stops its own).
func (p *Proc) Stop() {
	if p.cmd != nil {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-done
		}
	}
}

// WaitReady waits until the API server of cfg answers /readyz with ok.
func WaitReady(ctx context.Context, cfg *rest.Config) error {
	cs, err := kubernetes.NewForConfig(rest.CopyConfig(cfg))
	if err != nil {
		return err
	}
	for {
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err == nil && string(body) == "ok" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("API server not ready: %w (last: %v)", ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
