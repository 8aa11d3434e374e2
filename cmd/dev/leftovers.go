package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// stopLeftovers stops etcd and kube-apiserver processes that an earlier `make dev` left running
// when it was killed without a chance to stop them (their parent is gone, so they were
// re-parented to init). They would hold the data directory and the ports.
func stopLeftovers(assets string) {
	if assets == "" {
		return
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, proc := range procs {
		exe, err := os.Readlink(filepath.Join(proc, "exe"))
		if err != nil || filepath.Dir(exe) != filepath.Clean(assets) {
			continue
		}
		if name := filepath.Base(exe); name != "etcd" && name != "kube-apiserver" {
			continue
		}
		if parentPID(proc) != 1 {
			continue // someone still owns it, for example a running test
		}
		pid, _ := strconv.Atoi(filepath.Base(proc))
		fmt.Fprintf(os.Stderr, "make dev: stopping %s (pid %d) left behind by an earlier run\n", filepath.Base(exe), pid)
		_ = syscall.Kill(pid, syscall.SIGTERM)
	}
}

func parentPID(proc string) int {
	data, err := os.ReadFile(filepath.Join(proc, "stat"))
	if err != nil {
		return 0
	}
	// The command name in parentheses may hold spaces; the fields after it do not.
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	if len(fields) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}
