package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Names of the processes the bench watches.
const (
	procOperator  = "operator"
	procAPIServer = "kube-apiserver"
	procEtcd      = "etcd"
	procBench     = "bench"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat: 100 on every Linux
// architecture Go runs on, and Go has no sysconf to ask.
const clockTicks = 100

// procs samples the resident memory of the operator, the control plane and the bench itself
// from /proc, so that each is measured apart from the others; the operator runs as its own
// process for exactly this reason.
type procs struct {
	mu   sync.Mutex
	pids map[string]int
	// peak is the largest VmRSS sampled since the last reset, per process: a scenario's peak.
	peak map[string]int64
	// hwm is the largest VmHWM (the kernel's own peak) seen per name over the run, across
	// restarts of the operator.
	hwm map[string]int64
}

func newProcs() *procs {
	p := &procs{pids: map[string]int{}, peak: map[string]int64{}, hwm: map[string]int64{}}
	p.set(procBench, os.Getpid())
	return p
}

func (p *procs) set(name string, pid int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pids[name] = pid
}

// findControlPlane finds the etcd and kube-apiserver that envtest started as our children.
func (p *procs) findControlPlane() {
	self := os.Getpid()
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		exe, err := os.Readlink(filepath.Join(dir, "exe"))
		if err != nil {
			continue
		}
		name := filepath.Base(exe)
		if name != procEtcd && name != procAPIServer {
			continue
		}
		if parentPID(dir) != self {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(dir))
		p.set(name, pid)
	}
}

// run samples every interval until ctx ends. 100 ms catches the peaks of a run of seconds
// without costing the load generator anything measurable.
func (p *procs) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		p.sample()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (p *procs) sample() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for name, pid := range p.pids {
		rss, hwm, ok := memory(pid)
		if !ok {
			continue
		}
		p.peak[name] = max(p.peak[name], rss)
		p.hwm[name] = max(p.hwm[name], hwm)
	}
}

// resetPeaks starts a new scenario's peak.
func (p *procs) resetPeaks() {
	p.sample()
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.peak)
}

// peaks returns the scenario's peak VmRSS per process, in MiB.
func (p *procs) peaks() map[string]float64 {
	p.sample()
	p.mu.Lock()
	defer p.mu.Unlock()
	return mib(p.peak)
}

// highWater returns the run's peak VmHWM per process, in MiB.
func (p *procs) highWater() map[string]float64 {
	p.sample()
	p.mu.Lock()
	defer p.mu.Unlock()
	return mib(p.hwm)
}

// rss returns the current VmRSS of one process in MiB.
func (p *procs) rss(name string) float64 {
	p.mu.Lock()
	pid := p.pids[name]
	p.mu.Unlock()
	v, _, _ := memory(pid)
	return round(float64(v)/(1<<20), 1)
}

// cpu returns the CPU time (user and system) each process has used so far.
func (p *procs) cpu() map[string]time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]time.Duration{}
	for name, pid := range p.pids {
		if d, ok := cpuTime(pid); ok {
			out[name] = d
		}
	}
	return out
}

func mib(m map[string]int64) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[k] = round(float64(v)/(1<<20), 1)
	}
	return out
}

// memory reads VmRSS and VmHWM (bytes) from /proc/<pid>/status.
func memory(pid int) (rss, hwm int64, ok bool) {
	if pid == 0 {
		return 0, 0, false
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		key, val, found := strings.Cut(sc.Text(), ":")
		if !found || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		fields := strings.Fields(val) // "123456 kB"
		if len(fields) == 0 {
			continue
		}
		kb, _ := strconv.ParseInt(fields[0], 10, 64)
		if key == "VmRSS" {
			rss = kb << 10
		} else {
			hwm = kb << 10
		}
	}
	return rss, hwm, true
}

// cpuTime reads utime+stime from /proc/<pid>/stat.
func cpuTime(pid int) (time.Duration, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name in parentheses may hold spaces; the fields after it do not. After it,
	// utime and stime are the 12th and 13th fields (fields 14 and 15 of proc(5)).
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(fields) < 13 {
		return 0, false
	}
	u, _ := strconv.ParseInt(fields[11], 10, 64)
	s, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(u+s) * time.Second / clockTicks, true
}

func parentPID(dir string) int {
	data, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(fields) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}
