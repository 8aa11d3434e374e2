// Package provisioning_test drives the whole operator, on a real API server, through its SCIM
// API as an identity provider would, and checks the result in real downstream apps
// (PostgreSQL, OpenLDAP slapd and a SCIM server built on scimmy) as their users would.
package provisioning_test

import (
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/operator"
	"github.com/scim-operator/scim-operator/internal/operatortest"
	"github.com/scim-operator/scim-operator/internal/scimtest"
	"github.com/scim-operator/scim-operator/internal/secretaccess"
	"github.com/scim-operator/scim-operator/internal/tenant"
	"github.com/scim-operator/scim-operator/internal/testenv"
	"github.com/scim-operator/scim-operator/scimserver"
)

// The operator runs once for the package; each test has a tenant (namespace) and an app of
// its own.
var (
	k8s     client.Client
	scimURL string
)

// convergeTimeout bounds every wait for the operator: with a resync period of a second it
// converges in a few, but `make test` runs packages in parallel with -race on small machines.
const convergeTimeout = 45 * time.Second

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	env, cfg, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	opts := scimserver.DefaultOptions
	// newTenant polls with a token the operator does not know yet; the tests run in parallel
	// from one address.
	opts.FailedAuthBurst = 500
	// Parallel tests drive their tenants faster than an identity provider would.
	opts.TenantLimits = scimserver.TenantLimits{}
	op, stop, err := operatortest.Start(cfg, operator.Options{SCIM: opts})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := stop(); err != nil {
			fmt.Fprintln(os.Stderr, "operator stopped with:", err)
		}
	}()
	scimURL = op.SCIMURL()
	if k8s, err = client.New(cfg, client.Options{Scheme: operator.Scheme()}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// newTenant creates a namespace, its ScimTenant and a bearer-token Secret, and returns the
// namespace and the token once the token works.
func newTenant(t *testing.T) (namespace, token string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "tenant-"}}
	if err := k8s.Create(t.Context(), ns); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Create(t.Context(), &scimv1.ScimTenant{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "tenant"}}); err != nil {
		t.Fatal(err)
	}
	token = "token-" + ns.Name
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns.Name, Name: "idp-token",
			Labels: map[string]string{tenant.CredentialLabel: tenant.MethodBearer},
		},
		Data: map[string][]byte{tenant.TokenKey: []byte(token)},
	}
	if err := k8s.Create(t.Context(), secret); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the tenant's token to work", func() error {
		if res := call(t, token, http.MethodGet, "/Users", nil); res.Status != http.StatusOK {
			return fmt.Errorf("GET /Users: %d", res.Status)
		}
		return nil
	})
	return ns.Name, token
}

// appName is the ScimApp of every test's tenant; appSecret holds its credentials.
const (
	appName   = "app"
	appSecret = "app-credentials"
)

// createApp creates the credentials Secret and a ScimApp that provisions users and groups with
// a one-second resync, and waits until the operator reports it Ready.
func createApp(t *testing.T, ns string, conn scimv1.Connectors, credentials map[string][]byte) {
	t.Helper()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: appSecret,
		Labels: map[string]string{secretaccess.UsableLabel: "true"}}, Data: credentials}
	if err := k8s.Create(t.Context(), secret); err != nil {
		t.Fatal(err)
	}
	app := &scimv1.ScimApp{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: appName},
		Spec: scimv1.ScimAppSpec{
			Connector:       conn,
			ProvisionGroups: true,
			ResyncPeriod:    &metav1.Duration{Duration: time.Second},
		},
	}
	if err := k8s.Create(t.Context(), app); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the ScimApp to be Ready", func() error { return appReady(t, ns, true) })
}

// appReady reports whether the ScimApp's Ready condition is want.
func appReady(t *testing.T, ns string, want bool) error {
	var app scimv1.ScimApp
	if err := k8s.Get(t.Context(), types.NamespacedName{Namespace: ns, Name: appName}, &app); err != nil {
		return err
	}
	if meta.IsStatusConditionTrue(app.Status.Conditions, scimv1.ConditionReady) != want {
		return fmt.Errorf("ScimApp Ready is not %v: %+v", want, app.Status.Conditions)
	}
	return nil
}

type response = scimtest.Response

// call sends a SCIM request with the tenant's bearer token.
func call(t *testing.T, token, method, path string, body any) response {
	t.Helper()
	return scimtest.Call(t, scimURL, token, method, path, body)
}

var patchOps = scimtest.PatchOps

// eventually retries check every 100ms until it passes, failing the test with its last error
// after convergeTimeout: the operator converges asynchronously.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(convergeTimeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting %s for %s: %v", convergeTimeout, what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
