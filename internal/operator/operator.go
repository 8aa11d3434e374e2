// Package operator wires the manager: the cache and its indexes, the controllers and the SCIM
// server. cmd/manager (in a cluster) and cmd/dev (on a local control plane) both start it.
package operator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
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
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/controllers"
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
	// ProbeAddr serves /healthz and /readyz; "0" turns them off.
	ProbeAddr string
	// LeaderElection makes one replica run the controllers; every replica serves SCIM.
	LeaderElection          bool
	LeaderElectionNamespace string
	// SCIM tunes the SCIM server.
	SCIM scimserver.Options
}

// Operator is a configured manager with its SCIM listener open.
type Operator struct {
	Manager  manager.Manager
	listener net.Listener
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

// New builds the operator against the API server of cfg and opens the SCIM listener, so an
// address already in use fails here rather than after start.
func New(ctx context.Context, cfg *rest.Config, opts Options, log logr.Logger) (*Operator, error) {
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  Scheme(),
		Logger:                  log,
		Metrics:                 metricsserver.Options{BindAddress: opts.MetricsAddr},
		HealthProbeBindAddress:  opts.ProbeAddr,
		LeaderElection:          opts.LeaderElection,
		LeaderElectionID:        "scim-operator.scim-operator.io",
		LeaderElectionNamespace: opts.LeaderElectionNamespace,
		Cache: cache.Options{ByObject: map[client.Object]cache.ByObject{
			// Only tenant credentials: the operator never caches the cluster's other Secrets.
			&corev1.Secret{}: {Label: tenant.CredentialSelector()},
		}},
		Client: client.Options{Cache: &client.CacheOptions{
			// A SCIM read right after a write on this replica sees that write.
			EnableReadYourWritesConsistency: ptr.To(true),
		}},
	})
	if err != nil {
		return nil, fmt.Errorf("creating manager: %w", err)
	}
	if err := store.SetupIndexes(ctx, mgr.GetFieldIndexer()); err != nil {
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
	st := store.New(mgr.GetClient(), live)
	if err := (&controllers.ScimUserReconciler{Client: mgr.GetClient()}).SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("setting up the ScimUser controller: %w", err)
	}
	if err := (&controllers.ScimGroupReconciler{Client: mgr.GetClient(), Store: st}).SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("setting up the ScimGroup controller: %w", err)
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("cache", cacheSynced(mgr)); err != nil {
		return nil, err
	}

	ln, err := net.Listen("tcp", opts.SCIMAddr)
	if err != nil {
		return nil, fmt.Errorf("SCIM listener: %w", err)
	}
	extensions := store.NewExtensionsInUse()
	users, err := mgr.GetCache().GetInformer(ctx, &scimv1.ScimUser{})
	if err != nil {
		return nil, err
	}
	if _, err := users.AddEventHandler(extensions); err != nil {
		return nil, err
	}
	api := scimserver.New(st, tenant.NewAuthenticator(mgr.GetClient()), extensions, log.WithName("scim"), opts.SCIM)
	if err := mgr.Add(&httpServer{listener: ln, handler: api, log: log.WithName("scim")}); err != nil {
		_ = ln.Close()
		return nil, err
	}
	return &Operator{Manager: mgr, listener: ln}, nil
}

// SCIMURL is the base URL of the SCIM API, as seen on the listener's own address.
func (o *Operator) SCIMURL() string {
	return "http://" + o.listener.Addr().String() + scimserver.BasePath
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
