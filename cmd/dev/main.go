// Command dev runs scim-operator on a local control plane: it starts etcd and kube-apiserver
// on loopback (the binaries hack/envtest-binaries.sh builds), installs the CRDs, creates a
// tenant with a bearer token, runs the operator, and prints how to reach it. Data is kept in
// .dev/etcd between runs; `make dev-clean` forgets it.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/operator"
	"github.com/scim-operator/scim-operator/internal/tenant"
	"github.com/scim-operator/scim-operator/scimserver"
)

const (
	// stopTimeout bounds each step of stopping (the operator, kube-apiserver, etcd), so that
	// Ctrl-C ends `make dev` within 10 s.
	stopTimeout = 3 * time.Second

	devDir          = ".dev"
	tenantNamespace = "scim-dev"
	tokenSecretName = "scim-dev-token"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == guardArg {
		runGuard(os.Args[2:])
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "make dev:", err)
		os.Exit(1)
	}
}

func run() error {
	log := zap.New(zap.UseDevMode(true))
	ctrl.SetLogger(log)
	ctx := ctrl.SetupSignalHandler()

	dir, err := filepath.Abs(devDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "etcd"), 0o700); err != nil {
		return err
	}
	stopLeftovers(os.Getenv("KUBEBUILDER_ASSETS"))
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	// Stopped within seconds: SIGTERM, then SIGKILL (etcd's data survives it).
	env.ControlPlane.Etcd = &envtest.Etcd{DataDir: filepath.Join(dir, "etcd"), StopTimeout: stopTimeout}
	env.ControlPlane.APIServer = &envtest.APIServer{StopTimeout: stopTimeout}
	cfg, err := env.Start()
	if err != nil {
		_ = env.Stop() // Start leaves processes behind when a later step fails
		return fmt.Errorf("starting the control plane (is another `make dev` still running?): %w", err)
	}
	if guard, err := startGuard(controlPlanePIDs()); err != nil {
		fmt.Fprintln(os.Stderr, "make dev: no guard for the control plane (a SIGKILL would leave it running):", err)
	} else {
		defer func() { _ = guard.Close() }()
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "make dev: stopping the control plane:", err)
		}
	}()

	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := writeKubeconfig(env, kubeconfig); err != nil {
		return err
	}
	token, err := ensureTenant(ctx, cfg)
	if err != nil {
		return err
	}

	op, err := operator.New(ctx, cfg, operator.Options{
		GracefulShutdownTimeout: stopTimeout,
		SCIMAddr:                envOr("SCIM_ADDR", "127.0.0.1:8080"),
		// Plain HTTP (MetricsSecure off), on loopback only.
		MetricsAddr: envOr("METRICS_ADDR", "127.0.0.1:8082"),
		ProbeAddr:   "0",
		SCIM:        scimserver.DefaultOptions,
	}, log)
	if err != nil {
		return err
	}

	vars := []string{
		"SCIM_BASE_URL=" + op.SCIMURL(),
		"SCIM_TOKEN=" + token,
		"SCIM_TENANT=" + tenantNamespace,
		"KUBECONFIG=" + kubeconfig,
	}
	if err := os.WriteFile(filepath.Join(dir, "env"), []byte(strings.Join(vars, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	fmt.Printf(`
scim-operator is running on a local control plane. In another shell:

  set -a; . %s/env; set +a
  curl -H "Authorization: Bearer $SCIM_TOKEN" $SCIM_BASE_URL/Users
  kubectl get scim -n %s

%s
Ctrl-C stops everything. Data is kept in %s/etcd; 'make dev-clean' removes it.

`, devDir, tenantNamespace, strings.Join(vars, "\n"), devDir)
	return op.Start(ctx)
}

// writeKubeconfig writes a kubeconfig of a cluster administrator, for kubectl.
func writeKubeconfig(env *envtest.Environment, path string) error {
	user, err := env.ControlPlane.AddUser(envtest.User{Name: "dev-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("creating the kubectl user: %w", err)
	}
	data, err := user.KubeConfig()
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// ensureTenant creates the development tenant and its bearer-token Secret, or reuses the token
// of an earlier run.
func ensureTenant(ctx context.Context, cfg *rest.Config) (string, error) {
	c, err := client.New(cfg, client.Options{Scheme: operator.Scheme()})
	if err != nil {
		return "", err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: tenantNamespace}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", fmt.Errorf("creating namespace %s: %w", tenantNamespace, err)
	}
	// The ScimTenant is what makes the namespace a tenant: without it the token is refused.
	st := &scimv1.ScimTenant{ObjectMeta: metav1.ObjectMeta{Namespace: tenantNamespace, Name: tenantNamespace}}
	if err := c.Create(ctx, st); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", fmt.Errorf("creating the ScimTenant of %s: %w", tenantNamespace, err)
	}
	var secret corev1.Secret
	err = c.Get(ctx, types.NamespacedName{Namespace: tenantNamespace, Name: tokenSecretName}, &secret)
	if err == nil && len(secret.Data[tenant.TokenKey]) > 0 {
		return string(secret.Data[tenant.TokenKey]), nil
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return "", err
	}
	token, err := randomToken()
	if err != nil {
		return "", err
	}
	secret = corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: tenantNamespace, Name: tokenSecretName,
			Labels: map[string]string{tenant.CredentialLabel: tenant.MethodBearer},
		},
		Data: map[string][]byte{tenant.TokenKey: []byte(token)},
	}
	if err := c.Create(ctx, &secret); err != nil {
		return "", fmt.Errorf("creating the tenant token: %w", err)
	}
	return token, nil
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
