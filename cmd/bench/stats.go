package main

import (
	"math"
	"slices"
	"time"
)

// maxErrorSamples bounds the error messages a scenario keeps: the first few tell the story.
const maxErrorSamples = 5

// recorder collects one worker's latencies, so that workers never share a lock while timing.
type recorder struct {
	latencies []time.Duration
	errors    int
	samples   []string
}

func (r *recorder) observe(d time.Duration, err error) {
	r.latencies = append(r.latencies, d)
	if err != nil {
		r.errors++
		if len(r.samples) < maxErrorSamples {
			r.samples = append(r.samples, err.Error())
		}
	}
}

// Latency is a latency distribution in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// merge sorts every worker's latencies into one slice: at these sizes (at most a few million
// samples) a sorted slice is exact and cheap, so no HDR histogram is needed.
func merge(rs []*recorder) (all []time.Duration, errs int, samples []string) {
	for _, r := range rs {
		all = append(all, r.latencies...)
		errs += r.errors
		for _, s := range r.samples {
			if len(samples) < maxErrorSamples {
				samples = append(samples, s)
			}
		}
	}
	slices.Sort(all)
	return all, errs, samples
}

// summarize takes nearest-rank percentiles of sorted latencies.
func summarize(sorted []time.Duration) Latency {
	if len(sorted) == 0 {
		return Latency{}
	}
	return Latency{
		P50: ms(percentile(sorted, 0.50)),
		P95: ms(percentile(sorted, 0.95)),
		P99: ms(percentile(sorted, 0.99)),
		Max: ms(sorted[len(sorted)-1]),
	}
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 3) }

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}
