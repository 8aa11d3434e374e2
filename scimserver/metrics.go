package scimserver

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Request metrics, served on the operator's metrics endpoint. Labels never carry ids, tenants
// or credentials: their number stays small and nothing secret is exported.
var (
	requestsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "scim_requests_total",
		Help: "SCIM requests by method, endpoint and HTTP status code.",
	}, []string{"method", "endpoint", "code"})
	requestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "scim_request_duration_seconds",
		Help:    "Latency of SCIM requests by method, endpoint and HTTP status code.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"method", "endpoint", "code"})
)

func init() {
	crmetrics.Registry.MustRegister(requestsTotal, requestDuration)
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// observe records one request once it is answered.
func observe(method, path string, status int, started time.Time) {
	code := strconv.Itoa(status)
	ep := endpointLabel(path)
	requestsTotal.WithLabelValues(method, ep, code).Inc()
	requestDuration.WithLabelValues(method, ep, code).Observe(time.Since(started).Seconds())
}

// endpointLabel names the endpoint of a canonical path: "Users", "Groups", "Schemas"...; any
// path that is not a SCIM endpoint is "other", so clients cannot create label values.
func endpointLabel(path string) string {
	rest, ok := strings.CutPrefix(path, BasePath+"/")
	if !ok {
		return "other"
	}
	segment, _, _ := strings.Cut(rest, "/")
	if name, ok := endpoints[strings.ToLower(segment)]; ok {
		return name
	}
	return "other"
}
