// Package provisioning_test drives the whole operator, on a real API server, through its SCIM
// API as an identity provider would, and checks the result in real downstream apps
// (PostgreSQL, OpenLDAP slapd and a SCIM server built on scimmy) as their users would.
package provisioning_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
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

// newTenant creates a namespace with a bearer-token Secret and returns both, once the token
// works.
func newTenant(t *testing.T) (namespace, token string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "tenant-"}}
	if err := k8s.Create(t.Context(), ns); err != nil {
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
		if res := call(t, token, http.MethodGet, "/Users", nil); res.status != http.StatusOK {
			return fmt.Errorf("GET /Users: %d", res.status)
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
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: appSecret}, Data: credentials}
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

// response is a SCIM response: status and the decoded JSON body.
type response struct {
	status int
	body   map[string]any
	raw    []byte
}

// call sends a SCIM request with the tenant's bearer token.
func call(t *testing.T, token, method, path string, body any) response {
	t.Helper()
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, scimURL+path, reader)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", scimserver.ContentType)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := response{status: res.StatusCode, raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			t.Fatalf("%s %s: response is not a JSON object: %v: %s", method, path, err, raw)
		}
	}
	return out
}

// expect fails the test unless the response has the given status.
func (r response) expect(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	return r
}

// patchOps is a SCIM PatchOp body.
func patchOps(ops ...map[string]any) map[string]any {
	return map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": ops,
	}
}

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
