package operator_test

import (
	"net/http"
	"testing"

	dto "github.com/prometheus/client_model/go"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// requestCount reads scim_requests_total for one label set from the registry the metrics
// endpoint serves.
func requestCount(t *testing.T, method, endpoint, code string) float64 {
	t.Helper()
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "scim_requests_total" {
			continue
		}
		for _, m := range f.Metric {
			if labels(m) == [3]string{method, endpoint, code} {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func labels(m *dto.Metric) (out [3]string) {
	for _, l := range m.Label {
		switch l.GetName() {
		case "method":
			out[0] = l.GetValue()
		case "endpoint":
			out[1] = l.GetValue()
		case "code":
			out[2] = l.GetValue()
		}
	}
	return out
}

func TestRequestMetricsCountByMethodEndpointAndStatus(t *testing.T) {
	_, token := newTenant(t)
	before404 := requestCount(t, "GET", "Users", "404")
	beforeCreated := requestCount(t, "POST", "Groups", "201")
	id := call(t, token, http.MethodPost, "/Groups", map[string]any{"displayName": "metrics"}).Expect(t, http.StatusCreated).Body["id"].(string)
	call(t, token, http.MethodGet, "/Users/nope", nil).Expect(t, http.StatusNotFound)
	call(t, token, http.MethodGet, "/Users/also-nope", nil).Expect(t, http.StatusNotFound)

	if got := requestCount(t, "GET", "Users", "404") - before404; got != 2 {
		t.Errorf("GET Users 404 counted %v times, want 2", got)
	}
	if got := requestCount(t, "POST", "Groups", "201") - beforeCreated; got != 1 {
		t.Errorf("POST Groups 201 counted %v times, want 1", got)
	}
	// An id never becomes a label value.
	if requestCount(t, "GET", id, "200") != 0 {
		t.Error("an id is a label value")
	}
}

// counterValue reads a counter with exactly these labels from the metrics registry.
func counterValue(t *testing.T, name string, want map[string]string) float64 {
	t.Helper()
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if v, ok := want[l.GetName()]; ok && v != l.GetValue() {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}
