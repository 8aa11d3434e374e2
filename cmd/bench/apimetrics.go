package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"k8s.io/client-go/rest"
)

// apiMetrics reads kube-apiserver's request counter (apiserver_request_total), so that each
// scenario can say how many API requests, of which verbs and resources, one SCIM request
// cost: on this machine the API server is where most write time goes.
type apiMetrics struct {
	url  string
	http *http.Client
}

func newAPIMetrics(cfg *rest.Config) (*apiMetrics, error) {
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	return &apiMetrics{url: strings.TrimRight(cfg.Host, "/") + "/metrics", http: hc}, nil
}

// snapshot returns the request counts so far by "VERB resource[/subresource]", with " 409"
// appended for conflicts (optimistic-concurrency retries and uniqueness refusals). Requests
// without a resource (/metrics itself, discovery, health) are left out.
func (m *apiMetrics) snapshot(ctx context.Context) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := m.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	return parseRequestTotals(resp.Body)
}

func parseRequestTotals(r io.Reader) (map[string]float64, error) {
	const metric = "apiserver_request_total{"
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte(metric)) {
			continue
		}
		end := bytes.LastIndexByte(line, '}')
		if end < 0 {
			continue
		}
		labels := parseLabels(string(line[len(metric):end]))
		value, err := strconv.ParseFloat(strings.TrimSpace(string(line[end+1:])), 64)
		if err != nil || labels["resource"] == "" {
			continue
		}
		key := labels["verb"] + " " + labels["resource"]
		if labels["subresource"] != "" {
			key += "/" + labels["subresource"]
		}
		if labels["code"] == "409" {
			key += " 409"
		}
		out[key] += value
	}
	return out, sc.Err()
}

// parseLabels splits `a="x",b="y"`; the API server's label values hold no quotes or commas.
func parseLabels(s string) map[string]string {
	out := map[string]string{}
	for part := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(part, "=")
		if ok {
			out[k] = strings.Trim(v, `"`)
		}
	}
	return out
}

// diff returns after-before, dropping keys that did not change.
func diff(before, after map[string]float64) map[string]int {
	out := map[string]int{}
	for k, v := range after {
		if d := int(v - before[k]); d > 0 {
			out[k] = d
		}
	}
	return out
}
