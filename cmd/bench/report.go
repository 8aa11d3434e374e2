package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

// Report is the JSON result of a run.
type Report struct {
	Started time.Time `json:"started"`
	Seconds float64   `json:"seconds"`
	Machine machine   `json:"machine"`
	Config  config    `json:"config"`
	// ColdStartSeconds: operator process start until GET /Users answers 200, empty store.
	ColdStartSeconds float64 `json:"coldStartSeconds"`
	// RestartColdStartSeconds: the same, restarted with every object of the run present.
	RestartColdStartSeconds float64 `json:"restartColdStartSeconds,omitempty"`
	// OperatorRSSAfterRestartMiB is the resident memory right after that restart served.
	OperatorRSSAfterRestartMiB float64 `json:"operatorRssAfterRestartMiB,omitempty"`
	// RawCreatePerSecond is row 0, raw creates before the operator runs (the storage limit).
	RawCreatePerSecond float64 `json:"rawCreatePerSecond"`
	// RawWatchedCreatePerSecond is the same with the operator reconciling each user, as every
	// ScimUser is in production.
	RawWatchedCreatePerSecond float64 `json:"rawWatchedCreatePerSecond"`
	PostPerSecond             float64 `json:"postPerSecond"`
	// PostToRaw is SCIM POST throughput over the raw API-server create rate.
	PostToRaw float64 `json:"postToRaw"`
	// PostToRawWatched is SCIM POST throughput over the watched raw create rate: the ratio
	// the POST target is checked against.
	PostToRawWatched float64 `json:"postToRawWatched"`
	// PeakRSSMiB is each process's VmHWM over the run (the operator's across restarts).
	PeakRSSMiB map[string]float64 `json:"peakRssMiB"`
	Objects    objectCounts       `json:"objects"`
	Results    []*Result          `json:"results"`
	Targets    []target           `json:"targets"`
}

type machine struct {
	CPUs      int     `json:"cpus"`
	MemoryGiB float64 `json:"memoryGiB"`
	GoVersion string  `json:"goVersion"`
	OS        string  `json:"os"`
	Kernel    string  `json:"kernel"`
	// LoadAverage at the start: other work on the machine skews every figure.
	LoadAverage string `json:"loadAverage"`
}

func describeMachine() machine {
	m := machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		for line := range strings.SplitSeq(string(data), "\n") {
			if _, err := fmt.Sscanf(line, "MemTotal: %d kB", &kb); err == nil {
				m.MemoryGiB = round(float64(kb)/(1<<20), 1)
				break
			}
		}
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(data))
	}
	if data, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(data)); len(f) >= 3 {
			m.LoadAverage = strings.Join(f[:3], " ")
		}
	}
	return m
}

// target is one of the targets, checked against this run. The targets are stated at
// 100k users; a run at another size says whether the size it ran at meets them.
type target struct {
	What     string `json:"what"`
	Target   string `json:"target"`
	Measured string `json:"measured"`
	Met      bool   `json:"met"`
}

func (b *bench) find(name string) *Result {
	for _, r := range b.results {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// targets checks the targets against what this run measured; a scenario that did not
// run is left out.
func (b *bench) targets(rep *Report) []target {
	var out []target
	add := func(what, tgt string, measured float64, unit string, ok bool) {
		format := "%.2f %s"
		if measured >= 100 {
			format = "%.0f %s"
		}
		out = append(out, target{What: what, Target: tgt, Measured: fmt.Sprintf(format, measured, unit), Met: ok})
	}
	clean := func(r *Result) bool { return r != nil && r.Errors == 0 && r.Requests > 0 }
	if r := b.find("filter-eq-32"); r != nil {
		add(fmt.Sprintf("userName/externalId eq, %d clients", r.Clients), "≥ 5,000 req/s", r.PerSecond, "req/s", clean(r) && r.PerSecond >= 5000)
	}
	if r := b.find("filter-eq-4"); r != nil {
		add(fmt.Sprintf("userName/externalId eq, %d clients", r.Clients), "p99 ≤ 5 ms", r.Latency.P99, "ms", clean(r) && r.Latency.P99 <= 5)
	}
	if r := b.find("get-user-by-id"); r != nil {
		add(fmt.Sprintf("GET /Users/{id}, %d clients", r.Clients), "≥ 15,000 req/s", r.PerSecond, "req/s", clean(r) && r.PerSecond >= 15000)
	}
	if r := b.find("list-pages-100-32"); r != nil {
		add(fmt.Sprintf("list page of 100, %d clients", r.Clients), "≥ 1,500 req/s", r.PerSecond, "req/s", clean(r) && r.PerSecond >= 1500)
	}
	if r := b.find("list-pages-100-4"); r != nil {
		add(fmt.Sprintf("list page of 100, %d clients", r.Clients), "p99 ≤ 20 ms", r.Latency.P99, "ms", clean(r) && r.Latency.P99 <= 20)
	}
	if r := b.find("create-users"); r != nil {
		// In production the operator reconciles every ScimUser, however created: the watched
		// row is the rate a POST could reach. Without it (it failed), the unwatched one.
		baseline, ratio := "raw-create-watched", rep.PostToRawWatched
		if rep.RawWatchedCreatePerSecond == 0 {
			baseline, ratio = "raw-create", rep.PostToRaw
		}
		if ratio > 0 {
			add(fmt.Sprintf("POST /Users vs raw create (%s), %d clients", baseline, r.Clients), "≥ 80%", 100*ratio, "%", clean(r) && ratio >= 0.8)
		}
	}
	if r := b.find("entra-patch-churn"); r != nil {
		add(fmt.Sprintf("one-member PATCH, %d-member group, %d clients", b.cfg.BigGroup, r.Clients), "p99 ≤ 50 ms", r.Latency.P99, "ms", clean(r) && r.Latency.P99 <= 50)
	}
	if r := b.find("get-big-group-nomembers"); r != nil {
		add(fmt.Sprintf("GET big group excludedAttributes=members, %d clients", r.Clients), "p99 ≤ 5 ms", r.Latency.P99, "ms", clean(r) && r.Latency.P99 <= 5)
	}
	if v, ok := rep.PeakRSSMiB[procOperator]; ok {
		add("operator peak RSS (VmHWM)", "≤ 1.5 GiB", v, "MiB", v <= 1536)
	}
	if rep.RestartColdStartSeconds > 0 {
		add("cold start with every object present", "≤ 60 s", rep.RestartColdStartSeconds, "s", rep.RestartColdStartSeconds <= 60)
	} else {
		add("cold start, empty store", "≤ 60 s", rep.ColdStartSeconds, "s", rep.ColdStartSeconds <= 60)
	}
	if r := b.find("provisioning"); r != nil {
		add("provisioning latency to a SCIM app", "p50 ≤ 250 ms", r.Latency.P50, "ms", clean(r) && r.Latency.P50 <= 250)
	}
	return out
}

// writeTable prints the results as Markdown tables, so they paste into docs/benchmarks.md.
func writeTable(w io.Writer, rep *Report) {
	fmt.Fprintf(w, "\n%d users, %d CPUs, %s, load average at start %s\n\n", rep.Config.Users, rep.Machine.CPUs, rep.Machine.GoVersion, rep.Machine.LoadAverage)
	fmt.Fprintln(w, "| # | scenario | clients | requests | req/s | p50 ms | p95 ms | p99 ms | errors | API requests per request | settle s | operator peak RSS MiB | CPU s operator / apiserver / etcd / bench | CPU ms per request operator / apiserver+etcd | users / groups / shards after |")
	fmt.Fprintln(w, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |")
	for _, r := range rep.Results {
		rss := "—" // the raw creates run before the operator exists
		if v, ok := r.PeakRSSMiB[procOperator]; ok {
			rss = fmt.Sprintf("%.0f", v)
		}
		perReq := func(cpu float64) float64 { return 1000 * cpu / float64(max(1, r.Requests)) }
		fmt.Fprintf(w, "| %s | %s | %d | %d | %.1f | %.2f | %.2f | %.2f | %d | %.2f | %.1f | %s | %.1f / %.1f / %.1f / %.1f | %.3f / %.3f | %d / %d / %d |\n",
			r.Scenario, r.Name, r.Clients, r.Requests, r.PerSecond, r.Latency.P50, r.Latency.P95, r.Latency.P99, r.Errors,
			r.APIRequestsPerRequest, r.SettleSeconds, rss,
			r.CPUSeconds[procOperator], r.CPUSeconds[procAPIServer], r.CPUSeconds[procEtcd], r.CPUSeconds[procBench],
			perReq(r.CPUSeconds[procOperator]), perReq(r.CPUSeconds[procAPIServer]+r.CPUSeconds[procEtcd]),
			r.Objects.Users, r.Objects.Groups, r.Objects.Shards)
	}
	fmt.Fprintf(w, "\n- cold start (empty store): %.2f s", rep.ColdStartSeconds)
	if rep.RestartColdStartSeconds > 0 {
		fmt.Fprintf(w, "; restart with every object present: %.2f s (RSS right after: %.0f MiB)", rep.RestartColdStartSeconds, rep.OperatorRSSAfterRestartMiB)
	}
	fmt.Fprintf(w, "\n- raw API-server create rate, operator not running (raw-create): %.1f/s; SCIM POST: %.1f/s = %.0f%% of it\n", rep.RawCreatePerSecond, rep.PostPerSecond, 100*rep.PostToRaw)
	fmt.Fprintf(w, "- raw API-server create rate, operator reconciling each user (raw-create-watched): %.1f/s; SCIM POST = %.0f%% of it\n", rep.RawWatchedCreatePerSecond, 100*rep.PostToRawWatched)
	fmt.Fprintf(w, "- peak RSS (VmHWM): operator %.0f MiB, kube-apiserver %.0f MiB, etcd %.0f MiB, bench %.0f MiB\n",
		rep.PeakRSSMiB[procOperator], rep.PeakRSSMiB[procAPIServer], rep.PeakRSSMiB[procEtcd], rep.PeakRSSMiB[procBench])
	fmt.Fprintf(w, "- objects at the end: %d ScimUsers, %d ScimGroups, %d ScimGroupMemberShards, %d ScimNameClaims\n\n",
		rep.Objects.Users, rep.Objects.Groups, rep.Objects.Shards, rep.Objects.Claims)

	fmt.Fprintln(w, "| target (stated at 100k users) | target | this run | met at this size |")
	fmt.Fprintln(w, "| --- | --- | ---: | --- |")
	for _, t := range rep.Targets {
		met := "no"
		if t.Met {
			met = "yes"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", t.What, t.Target, t.Measured, met)
	}
	for _, r := range rep.Results {
		for _, s := range r.ErrorSamples {
			fmt.Fprintf(w, "\nerror in %s: %s", r.Name, s)
		}
	}
	fmt.Fprintln(w)
}

func writeJSONFile(path string, rep *Report) error {
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
