// Command manager runs scim-operator in a cluster: the controllers (under leader election) and
// the SCIM API (on every replica).
package main

import (
	"flag"
	"os"
	"strings"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/scim-operator/scim-operator/internal/operator"
	"github.com/scim-operator/scim-operator/scimserver"
)

func main() {
	opts := operator.Options{SCIM: scimserver.DefaultOptions}
	flag.StringVar(&opts.SCIMAddr, "scim-bind-address", ":8443", "Address the SCIM API listens on.")
	flag.Int64Var(&opts.SCIM.MaxBodyBytes, "max-body-bytes", scimserver.DefaultOptions.MaxBodyBytes, "Largest SCIM request body accepted, in bytes; larger ones are answered 413 (also advertised as the bulk maxPayloadSize).")
	flag.StringVar(&opts.SCIM.PublicURL, "scim-public-url", "", "Base URL clients use for the SCIM API, for example https://scim.example.com/scim/v2; derived from each request when empty.")
	flag.StringVar(&opts.MetricsAddr, "metrics-bind-address", ":8080", `Address of the metrics endpoint; "0" turns it off.`)
	flag.BoolVar(&opts.MetricsSecure, "metrics-secure", true, "Serve metrics over HTTPS, only to callers whose Kubernetes token may GET /metrics; false: plain HTTP to anyone.")
	flag.StringVar(&opts.ProbeAddr, "health-probe-bind-address", ":8081", "Address of /healthz and /readyz.")
	flag.StringVar(&opts.PprofAddr, "pprof-bind-address", "0", `Address of Go's /debug/pprof endpoints, for example 127.0.0.1:6060; "0" turns them off.`)
	flag.BoolVar(&opts.LeaderElection, "leader-elect", true, "Run the controllers on one replica at a time.")
	flag.StringVar(&opts.LeaderElectionNamespace, "leader-election-namespace", "", "Namespace of the leader-election Lease; the pod's own when empty.")
	flag.StringVar(&opts.Namespace, "namespace", os.Getenv("POD_NAMESPACE"), "The operator's own namespace, where it keeps the key signing its access tokens.")
	flag.DurationVar(&opts.AccessTokenTTL, "access-token-ttl", time.Hour, "Lifetime of access tokens from the OAuth token endpoint.")
	flag.StringVar(&opts.TLSSecret, "tls-secret", "", "namespace/name of a kubernetes.io/tls Secret to serve HTTPS with (reloaded on change); plain HTTP when empty.")
	flag.IntVar(&opts.Workers, "workers", 4, "Users, and groups, reconciled at once.")
	flag.IntVar(&opts.SCIM.TenantLimits.RequestsPerSecond, "tenant-requests-per-second", scimserver.DefaultTenantLimits.RequestsPerSecond, "Requests per second of a tenant whose ScimTenant sets no rateLimit.requestsPerSecond; over it: 429 with Retry-After. 0 turns the default off.")
	flag.IntVar(&opts.SCIM.TenantLimits.Burst, "tenant-burst", scimserver.DefaultTenantLimits.Burst, "Requests a tenant may send at once above its rate, when its ScimTenant sets neither rateLimit.requestsPerSecond nor rateLimit.burst.")
	flag.IntVar(&opts.SCIM.TenantLimits.MaxInFlight, "tenant-max-in-flight", scimserver.DefaultTenantLimits.MaxInFlight, "Requests of one tenant served at once when its ScimTenant sets no rateLimit.maxInFlight; one more gets 429 with Retry-After. 0 turns the default off.")
	trustedProxies := flag.String("trusted-proxies", "", "Comma-separated CIDRs or addresses of proxies (such as the Ingress controller's pods) whose X-Forwarded-For or Forwarded header names the client; from any other peer these headers are ignored.")
	watch := flag.String("watch-namespaces", "", "Comma-separated tenant namespaces to serve (namespaced mode); all namespaces when empty.")
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	if *watch != "" {
		opts.WatchNamespaces = strings.Split(*watch, ",")
	}

	log := zap.New(zap.UseFlagOptions(&zapOpts))
	ctrl.SetLogger(log)
	var err error
	if opts.SCIM.TrustedProxies, err = scimserver.ParseTrustedProxies(*trustedProxies); err != nil {
		log.Error(err, "invalid --trusted-proxies")
		os.Exit(2)
	}
	ctx := ctrl.SetupSignalHandler()

	op, err := operator.New(ctx, ctrl.GetConfigOrDie(), opts, log)
	if err != nil {
		log.Error(err, "cannot start")
		os.Exit(1)
	}
	if err := op.Start(ctx); err != nil {
		log.Error(err, "stopped with an error")
		os.Exit(1)
	}
}
