// Package operator wires the manager: the cache and its indexes, the controllers and the SCIM
// server. cmd/manager (in a cluster) and cmd/dev (on a local control plane) both start it.
package operator

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	_ "github.com/scim-operator/scim-operator/connectors/all" // the built-in connectors
	"github.com/scim-operator/scim-operator/controllers"
	"github.com/scim-operator/scim-operator/internal/idptoken"
	"github.com/scim-operator/scim-operator/internal/oauth"
	"github.com/scim-operator/scim-operator/internal/provisioning"
	"github.com/scim-operator/scim-operator/internal/resource"
	"github.com/scim-operator/scim-operator/internal/servingcert"
	"github.com/scim-operator/scim-operator/internal/store"
	"github.com/scim-operator/scim-operator/internal/tenant"
	"github.com/scim-operator/scim-operator/scimserver"
)

// Options configure the operator.
type Options struct {
	// SCIMAddr is the address the SCIM API listens on, for example ":8443". Port 0 picks one.
	SCIMAddr string
	// MetricsAddr serves Prometheus metrics; "0" turns them off.
	MetricsAddr string
	// MetricsSecure serves them over HTTPS (a self-signed certificate) to callers whose token
	// the API server authenticates and authorises for GET /metrics; plain HTTP to anyone
	// otherwise, which `make dev` keeps on loopback.
	MetricsSecure bool
	// ProbeAddr serves /healthz and /readyz; "0" turns them off.
	ProbeAddr string
	// PprofAddr serves Go's /debug/pprof; off when "" or "0". Profiles reveal internals: bind it
	// to loopback and reach it with kubectl port-forward.
	PprofAddr string
	// LeaderElection makes one replica run the controllers; every replica serves SCIM.
	LeaderElection          bool
	LeaderElectionNamespace string
	// SCIM tunes the SCIM server.
	SCIM scimserver.Options
	// Namespace is the operator's own namespace, where it keeps the key that signs the access
	// tokens of its token endpoint.
	Namespace string
	// AccessTokenTTL is the lifetime of those access tokens.
	AccessTokenTTL time.Duration
	// WatchNamespaces restricts the operator to these tenant namespaces (namespaced mode);
	// every namespace when empty.
	WatchNamespaces []string
	// TLSSecret, "namespace/name" of a kubernetes.io/tls Secret, makes the SCIM API serve
	// HTTPS with that certificate, reloaded when the Secret changes. Plain HTTP when empty.
	TLSSecret string
	// Audit receives one record per SCIM write; the operator's log when unset.
	Audit *logr.Logger
	// Workers is how many users, and how many groups, are reconciled at once (default 4).
	Workers int
	// MembersPerShard sizes the shard count of big groups (store.Options); tests make it small
	// to grow a group's shard count with a few hundred members.
	MembersPerShard int
	// SharedProcess: another operator runs in this process (tests of two replicas), so the
	// controllers' names repeat.
	SharedProcess bool
	// GracefulShutdownTimeout bounds how long stopping waits for runnables (controller-runtime's
	// default, 30 s, when 0).
	GracefulShutdownTimeout time.Duration
}

// Operator is a configured manager with its SCIM listener open.
type Operator struct {
	Manager  manager.Manager
	listener net.Listener
	scheme   string
}

// Scheme holds the Kubernetes types and scim-operator's.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	must(clientgoscheme.AddToScheme(s))
	must(scimv1.AddToScheme(s))
	return s
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// +kubebuilder:rbac:groups=scim.scim-operator.io,resources=scimtenants,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

// reconcileTimeout is the longest a reconcile may take: a backstop, so that no worker is held
// forever by a wait that has no deadline of its own.
const reconcileTimeout = 5 * time.Minute

// gracefulShutdown is d, or controller-runtime's default when 0.
func gracefulShutdown(d time.Duration) *time.Duration {
	if d == 0 {
		return nil
	}
	return &d
}

// New builds the operator against the API server of cfg and opens the SCIM listener, so an
// address already in use fails here rather than after start.
func New(ctx context.Context, cfg *rest.Config, opts Options, log logr.Logger) (*Operator, error) {
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  Scheme(),
		Logger:                  log,
		Metrics:                 metricsOptions(opts),
		HealthProbeBindAddress:  opts.ProbeAddr,
		PprofBindAddress:        opts.PprofAddr,
		LeaderElection:          opts.LeaderElection,
		LeaderElectionID:        "scim-operator.scim-operator.io",
		GracefulShutdownTimeout: gracefulShutdown(opts.GracefulShutdownTimeout),
		LeaderElectionNamespace: opts.LeaderElectionNamespace,
		Controller: config.Controller{
			SkipNameValidation: ptr.To(opts.SharedProcess),
			// A last bound on a reconcile: each read and wait in it has its own, shorter one.
			ReconciliationTimeout: reconcileTimeout,
		},
		Cache: cache.Options{
			ByObject: map[client.Object]cache.ByObject{
				// Only tenant credentials: the operator never caches the cluster's other Secrets.
				&corev1.Secret{}: {Label: tenant.CredentialSelector()},
			},
			DefaultNamespaces: namespaces(opts.WatchNamespaces),
			// Users, groups and shards are cached without managedFields (about half of a user
			// object's bytes); SCIM meta.lastModified, computed from them, is kept aside.
			DefaultTransform: resource.CacheTransform,
			// Informers reconnect within a second of the API server's return (newInformer).
			NewInformer: newInformer,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("creating manager: %w", err)
	}
	if err := store.SetupIndexes(ctx, mgr.GetCache()); err != nil {
		return nil, fmt.Errorf("registering store indexes: %w", err)
	}
	if err := tenant.SetupIndexes(ctx, mgr.GetFieldIndexer()); err != nil {
		return nil, fmt.Errorf("registering credential indexes: %w", err)
	}

	// Claims and password Secrets are never cached: they are read and written live.
	live, err := client.New(cfg, client.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper()})
	if err != nil {
		return nil, err
	}
	// A SCIM read right after a write on this replica sees that write: writes wait, bounded, for
	// the cache to show them, and every read of the cache has a deadline.
	cached, err := store.NewConsistentClient(ctx, mgr.GetClient(), mgr.GetCache(),
		&scimv1.ScimUser{}, &scimv1.ScimGroup{}, &scimv1.ScimGroupMemberShard{}, &scimv1.ScimApp{})
	if err != nil {
		return nil, fmt.Errorf("read-your-writes client: %w", err)
	}
	st, err := store.New(ctx, cached, live, mgr.GetCache(), store.Options{MembersPerShard: opts.MembersPerShard})
	if err != nil {
		return nil, fmt.Errorf("ordering the store's listings: %w", err)
	}
	prov := &provisioning.Provisioner{Client: cached, Reader: mgr.GetAPIReader(), Store: st}
	events := mgr.GetEventRecorder("scim-operator")
	workers := opts.Workers
	if workers == 0 {
		workers = 4
	}
	if err := (&controllers.ScimUserReconciler{Client: cached, Store: st, Provisioner: prov, Events: events, Workers: workers}).SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("setting up the ScimUser controller: %w", err)
	}
	if err := (&controllers.ScimGroupReconciler{Client: cached, Store: st, Provisioner: prov, Events: events, Workers: workers}).SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("setting up the ScimGroup controller: %w", err)
	}
	if err := (&controllers.ScimAppReconciler{Client: cached, Provisioner: prov, Events: events}).SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("setting up the ScimApp controller: %w", err)
	}
	if err := (&controllers.ScimTenantReconciler{Client: mgr.GetClient(), Events: events}).SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("setting up the ScimTenant controller: %w", err)
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("cache", cacheSynced(mgr)); err != nil {
		return nil, err
	}

	extensions := store.NewExtensionsInUse()
	users, err := mgr.GetCache().GetInformer(ctx, &scimv1.ScimUser{})
	if err != nil {
		return nil, err
	}
	if _, err := users.AddEventHandler(extensions); err != nil {
		return nil, err
	}
	ns := opts.Namespace
	if ns == "" {
		ns = "default"
	}
	key, err := oauth.LoadOrCreateKey(ctx, live, ns, "scim-operator-token-signing-key")
	if err != nil {
		return nil, fmt.Errorf("token signing key: %w", err)
	}
	ttl := opts.AccessTokenTTL
	if ttl == 0 {
		ttl = time.Hour
	}
	tokens, err := oauth.NewIssuer(key, ttl)
	if err != nil {
		return nil, err
	}
	// The cache itself: credentials and tenant settings are never written by the operator, so
	// there is no write of this replica to wait for.
	auth := tenant.NewAuthenticator(mgr.GetCache(), tokens, idptoken.NewVerifier(nil))
	audit := log.WithName("audit")
	if opts.Audit != nil {
		audit = *opts.Audit
	}
	api := scimserver.New(scimserver.Deps{
		Store: st, Cache: cached, Auth: auth, Tokens: tokens, Extensions: extensions, Log: log.WithName("scim"), Audit: audit,
	}, opts.SCIM)

	ln, err := net.Listen("tcp", opts.SCIMAddr)
	if err != nil {
		return nil, fmt.Errorf("SCIM listener: %w", err)
	}
	op := &Operator{Manager: mgr, listener: ln, scheme: "http"}
	if opts.TLSSecret != "" {
		if err := op.serveTLS(cfg, opts.TLSSecret, log); err != nil {
			_ = ln.Close()
			return nil, err
		}
	}
	if err := mgr.Add(&httpServer{listener: op.listener, handler: api, log: log.WithName("scim")}); err != nil {
		_ = ln.Close()
		return nil, err
	}
	return op, nil
}

// serveTLS wraps the SCIM listener in TLS with the certificate of a Secret, reloaded when the
// Secret changes; the operator is not ready until a certificate is loaded.
func (o *Operator) serveTLS(cfg *rest.Config, secret string, log logr.Logger) error {
	ns, name, ok := strings.Cut(secret, "/")
	if !ok || ns == "" || name == "" {
		return fmt.Errorf("TLS secret %q is not namespace/name", secret)
	}
	certs, err := servingcert.New(cfg, ns, name, log.WithName("tls"))
	if err != nil {
		return err
	}
	if err := o.Manager.Add(certs); err != nil {
		return err
	}
	if err := o.Manager.AddReadyzCheck("tls", func(*http.Request) error {
		if !certs.Ready() {
			return errors.New("no serving certificate loaded yet")
		}
		return nil
	}); err != nil {
		return err
	}
	o.listener = tls.NewListener(o.listener, certs.TLSConfig())
	o.scheme = "https"
	return nil
}

// metricsOptions: with MetricsSecure, controller-runtime's filter reviews each caller's token
// (TokenReview) and asks whether it may GET the path (SubjectAccessReview), as kubebuilder's
// projects do. Those two creates are cluster-scoped, so they are granted by a ClusterRole of
// their own (config/rbac/metrics_auth_role.yaml), not by the markers, which namespaced mode
// turns into Roles.
func metricsOptions(opts Options) metricsserver.Options {
	m := metricsserver.Options{BindAddress: opts.MetricsAddr}
	if opts.MetricsSecure {
		m.SecureServing = true
		m.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	return m
}

func namespaces(names []string) map[string]cache.Config {
	if len(names) == 0 {
		return nil
	}
	out := make(map[string]cache.Config, len(names))
	for _, n := range names {
		out[n] = cache.Config{}
	}
	return out
}

// SCIMURL is the base URL of the SCIM API, as seen on the listener's own address.
func (o *Operator) SCIMURL() string {
	return o.scheme + "://" + o.listener.Addr().String() + scimserver.BasePath
}

// Start runs the operator until ctx ends.
func (o *Operator) Start(ctx context.Context) error {
	return o.Manager.Start(ctx)
}

func cacheSynced(mgr manager.Manager) healthz.Checker {
	return func(req *http.Request) error {
		ctx, cancel := context.WithTimeout(req.Context(), time.Second)
		defer cancel()
		if !mgr.GetCache().WaitForCacheSync(ctx) {
			return errors.New("informer caches are not synced")
		}
		return nil
	}
}

// httpServer serves the SCIM API on every replica, not only the leader. The manager starts it
// after the caches have synced, so no request is answered from an empty cache.
type httpServer struct {
	listener net.Listener
	handler  http.Handler
	log      logr.Logger
}

func (s *httpServer) NeedLeaderElection() bool { return false }

func (s *httpServer) Start(ctx context.Context) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(s.listener) }()
	s.log.Info("serving SCIM", "address", s.listener.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}
