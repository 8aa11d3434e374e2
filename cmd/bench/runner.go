package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Result is one scenario's outcome, as written to the JSON file.
type Result struct {
	Name string `json:"name"`
	// Scenario is the number of the scenario it belongs to ("0" for the raw
	// API-server create rate).
	Scenario     string             `json:"scenario"`
	Description  string             `json:"description"`
	Clients      int                `json:"clients"`
	Requests     int                `json:"requests"`
	Errors       int                `json:"errors"`
	ErrorSamples []string           `json:"errorSamples,omitempty"`
	Seconds      float64            `json:"seconds"`
	PerSecond    float64            `json:"perSecond"`
	Latency      Latency            `json:"latencyMs"`
	PeakRSSMiB   map[string]float64 `json:"peakRssMiB"`
	// CPUSeconds is the CPU time each process used during the scenario: on a machine with
	// few cores it says who the scenario was waiting for.
	CPUSeconds map[string]float64 `json:"cpuSeconds"`
	// APIRequests counts the API-server requests made during the scenario and its settling,
	// by verb and resource (see apimetrics.go).
	APIRequests map[string]int `json:"apiServerRequests,omitempty"`
	// APIRequestsPerRequest is their total per measured request.
	APIRequestsPerRequest float64 `json:"apiServerRequestsPerRequest"`
	// SettleSeconds is how long after the last request the controllers finished their
	// follow-up writes (status, member counts); CPU and API requests include that work.
	SettleSeconds float64      `json:"settleSeconds,omitempty"`
	Objects       objectCounts `json:"objectsAfter"`
	Notes         []string     `json:"notes,omitempty"`

	settleErr error
}

// spec describes a scenario run: either count jobs or as many as fit in duration.
type spec struct {
	name, scenario, desc string
	clients              int
	count                int
	duration             time.Duration
	// settle, when set, waits for the controllers to finish the work the requests caused.
	settle func(context.Context) error
}

// job is one timed request. In a counted run i is the job's number (0..count-1, each handed
// out once); in a timed run it is the worker's own iteration, so that a worker can walk its
// own share of the data.
type job func(ctx context.Context, worker, i int) error

// run runs a scenario with s.clients workers and measures it.
func (b *bench) run(ctx context.Context, s spec, f job) *Result {
	b.procs.resetPeaks()
	apiBefore := b.apiSnapshot(ctx)
	b.apiStart = apiBefore
	cpuBefore := b.procs.cpu()
	recs := make([]*recorder, s.clients)
	var next atomic.Int64
	deadline := time.Now().Add(s.duration)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range s.clients {
		recs[w] = &recorder{}
		wg.Go(func() {
			for k := 0; ctx.Err() == nil; k++ {
				i := k
				if s.count > 0 {
					i = int(next.Add(1) - 1)
					if i >= s.count {
						return
					}
				} else if !time.Now().Before(deadline) {
					return
				}
				t0 := time.Now()
				err := f(ctx, w, i)
				recs[w].observe(time.Since(t0), err)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	var settled time.Duration
	var settleErr error
	if s.settle != nil {
		settleErr = s.settle(ctx)
		settled = time.Since(start) - elapsed
	}

	all, errs, samples := merge(recs)
	res := &Result{
		Name: s.name, Scenario: s.scenario, Description: s.desc, Clients: s.clients,
		Requests: len(all), Errors: errs, ErrorSamples: samples,
		Seconds:    round(elapsed.Seconds(), 3),
		PerSecond:  round(float64(len(all))/elapsed.Seconds(), 1),
		Latency:    summarize(all),
		PeakRSSMiB: b.procs.peaks(),
		CPUSeconds: cpuSince(cpuBefore, b.procs.cpu()),
		settleErr:  settleErr,
	}
	if s.settle != nil {
		res.SettleSeconds = round(settled.Seconds(), 2)
	}
	if apiBefore != nil {
		if after := b.apiSnapshot(ctx); after != nil {
			res.APIRequests = diff(apiBefore, after)
			total := 0
			for _, n := range res.APIRequests {
				total += n
			}
			res.APIRequestsPerRequest = round(float64(total)/float64(max(1, len(all))), 2)
		}
	}
	res.Objects = b.countObjects(ctx)
	b.results = append(b.results, res)
	b.progress(res)
	return res
}

// apiSnapshot reads the API server's request counters, or nil when they cannot be read (the
// scenario is then reported without them).
func (b *bench) apiSnapshot(ctx context.Context) map[string]float64 {
	if b.api == nil {
		return nil
	}
	m, err := b.api.snapshot(ctx)
	if err != nil {
		logf("reading kube-apiserver metrics: %v", err)
		return nil
	}
	return m
}

func cpuSince(before, after map[string]time.Duration) map[string]float64 {
	out := map[string]float64{}
	for name, d := range after {
		out[name] = round((d - before[name]).Seconds(), 2)
	}
	return out
}

func (b *bench) progress(r *Result) {
	fmt.Fprintf(os.Stderr, "bench: %-23s %6d req %8.1f/s p50 %7.2fms p99 %8.2fms errors %d, %.1f API requests each\n",
		r.Name, r.Requests, r.PerSecond, r.Latency.P50, r.Latency.P99, r.Errors, r.APIRequestsPerRequest)
	if b.cfg.Verbose {
		for _, s := range r.ErrorSamples {
			fmt.Fprintln(os.Stderr, "bench:   error:", s)
		}
	}
}

// logf prints a progress line on stderr; the table goes to stdout.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}
