package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
)

// guardArg runs this binary as the guard of a `make dev` (startGuard).
const guardArg = "--guard-control-plane"

// startGuard starts a guard process that kills the control plane's processes when this one
// dies, however it dies. envtest starts etcd and kube-apiserver in process groups of their own,
// so a SIGKILL of `make dev`, which nothing can catch, would leave them running and holding
// the ports and the data directory. The guard reads a pipe that only this process holds open:
// its end, when this process is gone, is the signal to kill the process groups. It ignores
// Ctrl-C, which the terminal sends to it too, so that it outlives this process.
func startGuard(pids []int) (*os.File, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	args := []string{guardArg}
	for _, pid := range pids {
		args = append(args, strconv.Itoa(pid))
	}
	cmd := exec.Command(self, args...)
	cmd.Stdin, cmd.Stderr = r, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = r.Close()
		_ = w.Close()
		return nil, err
	}
	_ = r.Close()
	go func() { _ = cmd.Wait() }()
	return w, nil // kept open for as long as this process lives
}

// runGuard waits for its parent to go away, then kills the process groups of pids.
func runGuard(pids []string) {
	signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	_, _ = io.Copy(io.Discard, os.Stdin)
	for _, p := range pids {
		pid, err := strconv.Atoi(p)
		if err != nil || pid <= 1 {
			continue
		}
		if syscall.Kill(-pid, syscall.SIGKILL) == nil {
			fmt.Fprintf(os.Stderr, "make dev: killed %d, left behind\n", pid)
		}
	}
}

// controlPlanePIDs finds the etcd and kube-apiserver processes this process started.
func controlPlanePIDs() []int {
	var pids []int
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, proc := range procs {
		if parentPID(proc) != os.Getpid() {
			continue
		}
		exe, err := os.Readlink(filepath.Join(proc, "exe"))
		if err != nil {
			continue
		}
		if name := filepath.Base(exe); name == "etcd" || name == "kube-apiserver" {
			pid, _ := strconv.Atoi(filepath.Base(proc))
			pids = append(pids, pid)
		}
	}
	return pids
}
