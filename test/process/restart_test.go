// Package process_test runs the manager binary as a process, as in a cluster.
package process_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/operator"
	"github.com/scim-operator/scim-operator/internal/testenv"
)

// slowApp holds the first create until released, so the operator can be killed while the
// create is in flight.
type slowApp struct {
	mu       sync.Mutex
	accounts map[string]bool
	creates  int
	started  chan struct{} // closed when the first create arrives
	release  chan struct{} // closed to let it finish
}

func (a *slowApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/users/")
	switch {
	case r.Method == http.MethodPost:
		var body map[string]string
		_ = json.NewDecoder(r.Body).Decode(&body)
		a.mu.Lock()
		a.creates++
		first := a.creates == 1
		a.mu.Unlock()
		if first {
			close(a.started)
			<-a.release
		}
		a.mu.Lock()
		a.accounts[body["login"]] = true
		a.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	case r.Method == http.MethodGet:
		a.mu.Lock()
		exists := a.accounts[name]
		a.mu.Unlock()
		if !exists {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		_, _ = w.Write([]byte(`{"id":"` + name + `"}`))
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// The operator is killed while an app creates an account, and a new one started: the app ends
// with exactly one account, because accounts are observed by their stable key.
func TestOperatorKilledWhileProvisioningLeavesNoDuplicate(t *testing.T) {
	env, cfg, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = env.Stop() }()
	ctx := context.Background()
	k8s, err := client.New(cfg, client.Options{Scheme: operator.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	manager := buildManager(t)
	kubeconfig := writeKubeconfig(t, env)

	app := &slowApp{accounts: map[string]bool{}, started: make(chan struct{}), release: make(chan struct{})}
	server := httptest.NewServer(app)
	defer server.Close()

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "restart"}}
	must(t, k8s.Create(ctx, ns))
	must(t, k8s.Create(ctx, &scimv1.ScimApp{ObjectMeta: metav1.ObjectMeta{Namespace: "restart", Name: "slow"}, Spec: scimv1.ScimAppSpec{
		Connector: scimv1.Connectors{Webhook: &scimv1.WebhookConnector{
			URL: server.URL,
			// insecure: the test's server is a local httptest server without TLS.
			Insecure: true,
			Get:      &scimv1.WebhookRequest{Method: "GET", Path: "/users/{{.UserName}}"},
			Create:   scimv1.WebhookRequest{Method: "POST", Path: "/users", Body: `{"login": {{json .UserName}}}`},
			Update:   &scimv1.WebhookRequest{Method: "PUT", Path: "/users/{{.UserName}}", Body: `{}`},
		}},
	}}))
	must(t, k8s.Create(ctx, &scimv1.ScimUser{ObjectMeta: metav1.ObjectMeta{Namespace: "restart", Name: "ada"}, Spec: scimv1.ScimUserSpec{UserName: "ada"}}))

	first := startManager(t, manager, kubeconfig)
	select {
	case <-app.started:
	case <-time.After(60 * time.Second):
		t.Fatal("the operator never called the app")
	}
	// Killed in the middle: the app is creating the account, the operator never hears back.
	_ = first.Process.Signal(syscall.SIGKILL)
	_ = first.Wait()
	close(app.release)

	second := startManager(t, manager, kubeconfig)
	defer func() { _ = second.Process.Signal(syscall.SIGTERM); _ = second.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var u scimv1.ScimUser
		must(t, k8s.Get(ctx, types.NamespacedName{Namespace: "restart", Name: "ada"}, &u))
		if len(u.Status.Apps) == 1 && u.Status.Apps[0].State == scimv1.ProvisioningProvisioned && meta.IsStatusConditionTrue(u.Status.Conditions, scimv1.ConditionReady) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not provisioned after the restart: %+v", u.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	app.mu.Lock()
	defer app.mu.Unlock()
	if app.creates != 1 || len(app.accounts) != 1 {
		t.Errorf("%d creates, %d accounts: want 1 and 1", app.creates, len(app.accounts))
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// buildManager builds cmd/manager, the binary that runs in clusters.
func buildManager(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "manager")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/manager")
	cmd.Dir = testenv.RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the manager: %v\n%s", err, out)
	}
	return bin
}

func writeKubeconfig(t *testing.T, env *envtest.Environment) string {
	t.Helper()
	user, err := env.ControlPlane.AddUser(envtest.User{Name: "operator", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	must(t, os.WriteFile(path, data, 0o600))
	return path
}

func startManager(t *testing.T, bin, kubeconfig string, extraArgs ...string) *exec.Cmd {
	t.Helper()
	args := append([]string{"--leader-elect=false", "--scim-bind-address=127.0.0.1:0",
		"--metrics-bind-address=0", "--health-probe-bind-address=0", "--namespace=default"}, extraArgs...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		t.Fatal(fmt.Errorf("starting the manager: %w", err))
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd
}
