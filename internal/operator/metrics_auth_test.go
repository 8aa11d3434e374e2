package operator_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"

	"github.com/scim-operator/scim-operator/internal/operator"
	"github.com/scim-operator/scim-operator/internal/operatortest"
	"github.com/scim-operator/scim-operator/internal/testenv"
)

// The metrics endpoint answers only callers whose Kubernetes token may GET /metrics.
func TestMetricsNeedAnAuthorisedToken(t *testing.T) {
	ctx := context.Background()
	addr := freeLoopbackAddr(t)
	quiet := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "metrics-"}}
	if err := k8s.Create(ctx, quiet); err != nil {
		t.Fatal(err)
	}
	// A second operator, in its own empty namespace, so that it reconciles nothing of the
	// other tests.
	_, stop, err := operatortest.Start(cfg, operator.Options{
		MetricsAddr: addr, MetricsSecure: true, WatchNamespaces: []string{quiet.Name}, SharedProcess: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop() })

	reader := shippedClusterRole(t, "metrics-reader")
	reader.Name = "metrics-reader-" + quiet.Name
	if err := k8s.Create(ctx, reader); err != nil {
		t.Fatal(err)
	}
	for _, sa := range []string{"prometheus", "someone-else"} {
		if err := k8s.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: quiet.Name, Name: sa}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := k8s.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: reader.Name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: reader.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: quiet.Name, Name: "prometheus"}},
	}); err != nil {
		t.Fatal(err)
	}
	clientset, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tokenOf := func(sa string) string {
		tr, err := clientset.CoreV1().ServiceAccounts(quiet.Name).CreateToken(ctx, sa, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return tr.Status.Token
	}
	// The certificate is self-signed: the test checks who may read, not the certificate.
	httpClient := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec
	get := func(token string) (int, string, error) {
		req, _ := http.NewRequest(http.MethodGet, "https://"+addr+"/metrics", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := httpClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body), nil
	}
	prometheus := tokenOf("prometheus")
	eventually(t, func() error {
		status, body, err := get(prometheus)
		if err != nil {
			return err
		}
		if status != http.StatusOK || !strings.Contains(body, "scim_requests_total") && !strings.Contains(body, "go_goroutines") {
			return fmt.Errorf("an authorised token: %d %.200s", status, body)
		}
		return nil
	})
	if status, _, err := get(""); err != nil || status != http.StatusUnauthorized {
		t.Errorf("no token: %d %v; want 401", status, err)
	}
	// A token the API server does not know: controller-runtime's filter answers 401 or, when the
	// review itself fails on a malformed token, 500; never the metrics.
	if status, body, err := get("not-a-token"); err != nil || status == http.StatusOK || strings.Contains(body, "go_goroutines") {
		t.Errorf("a bad token: %d %v; want it refused", status, err)
	}
	if status, _, err := get(tokenOf("someone-else")); err != nil || status != http.StatusForbidden {
		t.Errorf("a token not allowed to read metrics: %d %v; want 403", status, err)
	}
	if _, err := http.Get("http://" + addr + "/metrics"); err == nil {
		// Plain HTTP on a TLS port gets an error from the client or a 400 from the server;
		// either way no metrics.
		status, body, _ := plainGet("http://" + addr + "/metrics")
		if status == http.StatusOK {
			t.Errorf("plain HTTP served metrics: %.200s", body)
		}
	}
}

func plainGet(url string) (int, string, error) {
	res, err := http.Get(url) //nolint:noctx
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body), nil
}

// shippedClusterRole reads a ClusterRole from config/rbac/metrics_auth_role.yaml.
func shippedClusterRole(t *testing.T, name string) *rbacv1.ClusterRole {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "rbac", "metrics_auth_role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var role rbacv1.ClusterRole
		if err := dec.Decode(&role); errors.Is(err, io.EOF) {
			t.Fatalf("no ClusterRole %s in metrics_auth_role.yaml", name)
		} else if err != nil {
			t.Fatal(err)
		}
		if role.Kind == "ClusterRole" && role.Name == name {
			role.ResourceVersion = ""
			return &role
		}
	}
}

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
