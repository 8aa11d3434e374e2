package provisioning

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

// Provisioning metrics, per app (namespace and ScimApp name), operation and outcome.
var (
	operations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "scim_provisioning_operations_total",
		Help: "Connector operations by app, operation and outcome (success, error).",
	}, []string{"namespace", "app", "operation", "outcome"})
	operationDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "scim_provisioning_operation_duration_seconds",
		Help:    "Latency of connector operations by app and operation.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12),
	}, []string{"namespace", "app", "operation"})
	stuckDeprovisionings = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "scim_provisioning_stuck_deprovisionings",
		Help: "Deleted users whose account in the app could not be removed yet (retried with backoff), by app.",
	}, []string{"namespace", "app"})
)

func init() {
	crmetrics.Registry.MustRegister(operations, operationDuration, stuckDeprovisionings)
}

// measure runs one connector operation and records its outcome and latency.
func measure[T any](app *scimv1.ScimApp, operation string, call func() (T, error)) (T, error) {
	started := time.Now()
	v, err := call()
	outcome := "success"
	if err != nil {
		outcome = "error"
	}
	operations.WithLabelValues(app.Namespace, app.Name, operation, outcome).Inc()
	operationDuration.WithLabelValues(app.Namespace, app.Name, operation).Observe(time.Since(started).Seconds())
	return v, err
}

// measureErr is measure for operations that return only an error.
func measureErr(app *scimv1.ScimApp, operation string, call func() error) error {
	_, err := measure(app, operation, func() (struct{}, error) { return struct{}{}, call() })
	return err
}

// SetStuckDeprovisionings records how many deleted users still wait for their account in app
// to be removed.
func SetStuckDeprovisionings(namespace, app string, n int) {
	stuckDeprovisionings.WithLabelValues(namespace, app).Set(float64(n))
}

// ForgetAppMetrics drops the gauges of an app that no longer exists.
func ForgetAppMetrics(namespace, app string) {
	stuckDeprovisionings.DeleteLabelValues(namespace, app)
}
