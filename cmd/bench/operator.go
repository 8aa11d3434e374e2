package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

// operatorProc is cmd/manager running as a child process, so that its memory and CPU are
// measured apart from the load generator's.
type operatorProc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// buildManager builds cmd/manager as it ships (no race detector, no test hooks).
func buildManager(ctx context.Context, repo, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/manager")
	cmd.Dir = repo
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/manager: %w\n%s", err, msg)
	}
	return nil
}

// freeAddr picks a loopback port that is free now; the operator binds it a moment later.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().String(), nil
}

// startOperator starts the operator and returns its cold start: the time from starting the
// process until GET /Users answers 200, which needs the manager's caches synced (the SCIM
// server starts only then) and the tenant's credential cached.
func (b *bench) startOperator(ctx context.Context) (time.Duration, error) {
	logFile, err := os.OpenFile(b.operatorLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return 0, err
	}
	defer func() { _ = logFile.Close() }() // the child holds its own descriptor
	args := []string{
		"--leader-elect=false",
		"--scim-bind-address=" + b.scimAddr,
		"--metrics-bind-address=0",
		"--health-probe-bind-address=0",
		"--namespace=default",
		// The bench drives one tenant far above the per-tenant defaults, to measure the server.
		"--tenant-requests-per-second=0",
		"--tenant-max-in-flight=0",
	}
	if b.cfg.OperatorPprof != "" {
		args = append(args, "--pprof-bind-address="+b.cfg.OperatorPprof)
	}
	cmd := exec.Command(b.managerBin, args...)
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(v string) bool { return strings.HasPrefix(v, "GOMEMLIMIT=") }),
		"KUBECONFIG="+b.kubeconfig)
	if b.cfg.OperatorMemoryLimit != "" {
		cmd.Env = append(cmd.Env, "GOMEMLIMIT="+b.cfg.OperatorMemoryLimit)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = childAttr()
	started := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting the operator: %w", err)
	}
	p := &operatorProc{cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	b.op = p
	b.procs.set(procOperator, cmd.Process.Pid)

	ready := func() (bool, error) {
		select {
		case <-p.done:
			return false, fmt.Errorf("the operator exited: %v", p.err)
		default:
		}
		status, err := b.scim.status(ctx, http.MethodGet, "/Users?count=1")
		return status == http.StatusOK, err
	}
	// 50 ms polls resolve the cold start finely enough against a target of 60 s.
	if err := waitFor(ctx, 3*time.Minute, 50*time.Millisecond, ready); err != nil {
		return 0, fmt.Errorf("the operator did not serve: %w\n%s", err, b.operatorLogTail(30))
	}
	return time.Since(started), nil
}

// stopOperator stops the operator as Kubernetes would: SIGTERM, then SIGKILL after a grace
// period.
func (b *bench) stopOperator() error {
	p := b.op
	if p == nil {
		return nil
	}
	b.op = nil
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		return errors.New("the operator did not stop within 15s of SIGTERM; killed")
	}
	return nil
}

// pprofURL is where the operator's profiles are for a browser or `go tool pprof`: a bind
// address without a host (":6060") or with 0.0.0.0 listens on loopback too.
func pprofURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + "/debug/pprof/"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/debug/pprof/"
}

func (b *bench) operatorLogTail(lines int) string {
	data, err := os.ReadFile(b.operatorLog)
	if err != nil {
		return ""
	}
	all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}
