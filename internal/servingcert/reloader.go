// Package servingcert serves the HTTPS certificate held in a kubernetes.io/tls Secret (for example
// one issued by cert-manager) and swaps it in when the Secret changes, so renewals need no restart.
package servingcert

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// Reloader keeps the current serving certificate of one Secret.
type Reloader struct {
	key      string // namespace/name, for logs and errors
	log      logr.Logger
	informer coreinformers.SecretIndexInformer
	cert     atomic.Pointer[tls.Certificate]
	started  atomic.Bool
	notReady error
}

var (
	_ manager.Runnable               = (*Reloader)(nil)
	_ manager.LeaderElectionRunnable = (*Reloader)(nil)
)

// New watches Secret namespace/name through the API server of cfg. The informer is restricted to
// that namespace and to a field selector on metadata.name, so no other Secret is read or cached
// (and RBAC can grant get/list/watch on that one resourceName only).
func New(cfg *rest.Config, namespace, name string, log logr.Logger) (*Reloader, error) {
	// An empty namespace would make the informer list Secrets cluster-wide.
	if namespace == "" || name == "" {
		return nil, errors.New("servingcert: the Secret's namespace and name are required")
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("servingcert: %w", err)
	}
	selector := fields.OneTermEqualSelector("metadata.name", name).String()
	r := &Reloader{
		key: namespace + "/" + name,
		log: log.WithValues("secret", namespace+"/"+name),
		informer: coreinformers.NewTypedFilteredSecretInformer(cs, namespace, 0, nil,
			func(o *metav1.ListOptions) { o.FieldSelector = selector }),
	}
	r.notReady = fmt.Errorf("servingcert: no serving certificate loaded yet from Secret %s", r.key)
	_, err = r.informer.AddTypedEventHandler(coreinformers.SecretHandlerFuncs{
		AddFunc:    r.load,
		UpdateFunc: func(_, s *corev1.Secret) { r.load(s) },
		DeleteFunc: r.deleted,
	}, cache.HandlerOptions{Logger: &r.log})
	if err != nil {
		return nil, fmt.Errorf("servingcert: %w", err)
	}
	return r, nil
}

// Start runs the watch until ctx ends; it returns once the informer's goroutines have stopped.
func (r *Reloader) Start(ctx context.Context) error {
	if !r.started.CompareAndSwap(false, true) {
		return errors.New("servingcert: Reloader already started")
	}
	// client-go takes its logger from the context.
	r.informer.RunWithContext(logr.NewContext(ctx, r.log))
	return nil
}

// NeedLeaderElection is false: every replica serves HTTPS, so every replica needs the certificate.
func (r *Reloader) NeedLeaderElection() bool { return false }

// Ready reports whether a valid certificate has been loaded.
func (r *Reloader) Ready() bool { return r.cert.Load() != nil }

// TLSConfig returns a server configuration that always presents the current certificate.
func (r *Reloader) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: r.getCertificate,
	}
}

// getCertificate runs on every handshake: one atomic load, no lock.
func (r *Reloader) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if c := r.cert.Load(); c != nil {
		return c, nil
	}
	return nil, r.notReady
}
