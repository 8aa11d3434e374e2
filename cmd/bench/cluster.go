package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/operator"
	"github.com/scim-operator/scim-operator/internal/tenant"
)

// startControlPlane starts etcd and kube-apiserver in this process with envtest (the binaries
// of hack/envtest-binaries.sh), installs the CRDs and writes an administrator's kubeconfig
// for the operator process.
//
// Without consistencyCheck, kube-apiserver's watch-cache consistency checker is off
// (DetectCacheInconsistency, beta and on since 1.34): every 5 to 7.5 minutes it lists each
// resource from etcd, at 100,000 ScimUsers about half of the API server's CPU for a while,
// which on two shared cores lands on whichever row runs then. A real control plane does that
// on its own nodes, not the operator's.
func startControlPlane(repo, kubeconfig string, consistencyCheck bool) (*envtest.Environment, *rest.Config, error) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		// `go run ./cmd/bench` without make: the script prints the cached folder, building
		// the binaries only the first time.
		out, err := exec.Command(filepath.Join(repo, "hack", "envtest-binaries.sh")).Output()
		if err != nil {
			return nil, nil, fmt.Errorf("hack/envtest-binaries.sh: %w", err)
		}
		if err := os.Setenv("KUBEBUILDER_ASSETS", strings.TrimSpace(string(out))); err != nil {
			return nil, nil, err
		}
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(repo, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	// A full-size run writes and deletes a few hundred thousand objects between two of the API
	// server's compactions (every 5 minutes); etcd's default 2 GiB quota would stop it.
	env.ControlPlane.Etcd = &envtest.Etcd{}
	env.ControlPlane.Etcd.Configure().Set("quota-backend-bytes", "8589934592")
	if !consistencyCheck {
		env.ControlPlane.GetAPIServer().Configure().Append("feature-gates", "DetectCacheInconsistency=false")
	}
	cfg, err := env.Start()
	if err != nil {
		_ = env.Stop() // Start leaves processes behind when a later step fails
		return nil, nil, fmt.Errorf("starting the control plane: %w", err)
	}
	user, err := env.ControlPlane.AddUser(envtest.User{Name: "bench-admin", Groups: []string{"system:masters"}}, nil)
	if err == nil {
		var data []byte
		if data, err = user.KubeConfig(); err == nil {
			err = os.WriteFile(kubeconfig, data, 0o600)
		}
	}
	if err != nil {
		_ = env.Stop()
		return nil, nil, fmt.Errorf("writing the operator's kubeconfig: %w", err)
	}
	// envtest's config is rate-limited on the client side (QPS 1000); the operator runs with
	// the limiter off (controller-runtime's default), and so does the raw-create client.
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = -1, 0
	return env, cfg, nil
}

// newTenant creates a namespace, its ScimTenant and a bearer-token credential, and returns
// the token.
func newTenant(ctx context.Context, c client.Client, ns string) (string, error) {
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", fmt.Errorf("creating namespace %s: %w", ns, err)
	}
	if err := c.Create(ctx, &scimv1.ScimTenant{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "tenant"}}); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", fmt.Errorf("creating the ScimTenant of %s: %w", ns, err)
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "bench-token",
			Labels: map[string]string{tenant.CredentialLabel: tenant.MethodBearer}},
		Data: map[string][]byte{tenant.TokenKey: []byte(token)},
	}
	if err := c.Create(ctx, secret); err != nil {
		return "", fmt.Errorf("creating the token of tenant %s: %w", ns, err)
	}
	return token, nil
}

func newClient(cfg *rest.Config) (client.Client, error) {
	return client.New(cfg, client.Options{Scheme: operator.Scheme()})
}

func ptrTo[T any](v T) *T { return &v }

// objectCounts are the scim-operator objects in the API server, all namespaces.
type objectCounts struct {
	Users  int `json:"scimUsers"`
	Groups int `json:"scimGroups"`
	Shards int `json:"scimGroupMemberShards"`
	Claims int `json:"scimNameClaims"`
}

// countObjects lists object metadata only, 500 at a time, so that counting costs the API
// server little and never one huge response.
func (b *bench) countObjects(ctx context.Context) objectCounts {
	count := func(kind string) int {
		n := 0
		list := &metav1.PartialObjectMetadataList{}
		list.SetGroupVersionKind(scimv1.GroupVersion.WithKind(kind + "List"))
		opts := []client.ListOption{client.Limit(500)}
		for {
			if err := b.k8s.List(ctx, list, opts...); err != nil {
				logf("counting %s: %v", kind, err)
				return -1
			}
			n += len(list.Items)
			if list.Continue == "" {
				return n
			}
			opts = []client.ListOption{client.Limit(500), client.Continue(list.Continue)}
		}
	}
	return objectCounts{
		Users: count("ScimUser"), Groups: count("ScimGroup"),
		Shards: count("ScimGroupMemberShard"), Claims: count("ScimNameClaim"),
	}
}

// waitFor polls cond every interval until it holds or timeout passes.
func waitFor(ctx context.Context, timeout, interval time.Duration, cond func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), last)
		case <-time.After(interval):
		}
	}
}
