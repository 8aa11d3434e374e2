package outage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/operator"
	"github.com/scim-operator/scim-operator/internal/operatortest"
	"github.com/scim-operator/scim-operator/internal/tenant"
	"github.com/scim-operator/scim-operator/internal/testenv"
)

// After kube-apiserver is SIGKILLed and restarted, a user created before the informers have
// re-listed is refused (503) and taken back; the userName filter identity providers send
// before every create, and the user controller, keep working all the same: nothing waits for
// the event of a user the cache never held.
func TestAPIServerRestartNeverWedgesReads(t *testing.T) {
	env, cfg, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = env.Stop() }()
	ctx := context.Background()
	op, stop, err := operatortest.Start(cfg, operator.Options{SharedProcess: true}) // the package's other test ran one
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = stop() }()
	k8s, err := client.New(cfg, client.Options{Scheme: operator.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	setUpTenant(t, k8s, "restart", "restart-token")
	scim := scimClient{t: t, url: op.SCIMURL(), token: "restart-token"}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		status, _ := scim.do(http.MethodPost, "/Users", map[string]any{"userName": "first"})
		if status == http.StatusCreated {
			break
		}
		if status != http.StatusUnauthorized || time.Now().After(deadline) { // the token's Secret not cached yet
			t.Fatalf("POST before the restart: %d", status)
		}
	}

	apiserver, err := testenv.FindProc("kube-apiserver")
	if err != nil {
		t.Fatal(err)
	}
	if err := apiserver.Kill(); err != nil {
		t.Fatal(err)
	}
	// Down long enough for client-go's reflectors to back off several times: without the
	// operator's own reconnect, its informers then come back seconds after the API server.
	time.Sleep(12 * time.Second)
	if err := apiserver.Start(); err != nil {
		t.Fatal(err)
	}
	defer apiserver.Stop()
	readyCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := testenv.WaitReady(readyCtx, cfg); err != nil {
		t.Fatal(err)
	}

	// Creates right after the restart, while the informers wait to re-list: some are refused
	// and taken back. Each refusal is a 503 with Retry-After.
	refused, created := 0, ""
	for i := 0; created == "" && i < 12; i++ {
		status, res := scim.do(http.MethodPost, "/Users", map[string]any{"userName": fmt.Sprintf("after-%d", i)})
		switch status {
		case http.StatusCreated:
			created, _ = res["id"].(string)
		case http.StatusServiceUnavailable:
			refused++
		default:
			t.Fatalf("POST after the restart: %d %v", status, res)
		}
	}
	t.Logf("%d creates refused with 503 after the restart", refused)
	if created == "" {
		t.Fatal("no create succeeded within 12 attempts after the restart")
	}

	// Within a minute of the restart the filter answers, every time, with the user.
	deadline := time.Now().Add(time.Minute)
	for ok := 0; ok < 3; {
		status, res := scim.do(http.MethodGet, "/Users?filter="+url.QueryEscape(`userName eq "first"`), nil)
		if status == http.StatusOK && res["totalResults"] == float64(1) {
			ok++
			continue
		}
		ok = 0
		if time.Now().After(deadline) {
			t.Fatalf("filter on userName after the restart: %d %v", status, res)
		}
		time.Sleep(time.Second)
	}

	// The user created after the restart is reconciled.
	for {
		var u scimv1.ScimUser
		err := k8s.Get(ctx, types.NamespacedName{Namespace: "restart", Name: created}, &u)
		if err == nil && u.Status.ObservedGeneration == u.Generation {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("user created after the restart not reconciled: %v %+v", err, u.Status)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

type scimClient struct {
	t     *testing.T
	url   string
	token string
}

// do sends a SCIM request and returns its status and decoded body. A 503 must carry
// Retry-After and a SCIM error body.
func (c scimClient) do(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var payload []byte
	if body != nil {
		payload, _ = json.Marshal(body)
	}
	req, _ := http.NewRequest(method, c.url+path, bytes.NewReader(payload))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = res.Body.Close() }()
	var decoded map[string]any
	_ = json.NewDecoder(res.Body).Decode(&decoded)
	if res.StatusCode == http.StatusServiceUnavailable && (res.Header.Get("Retry-After") == "" || decoded["status"] != "503") {
		c.t.Errorf("%s %s: 503 without Retry-After or SCIM error body: %v", method, path, decoded)
	}
	if res.StatusCode >= 500 && res.StatusCode != http.StatusServiceUnavailable {
		c.t.Errorf("%s %s: %d %v", method, path, res.StatusCode, decoded)
	}
	return res.StatusCode, decoded
}

func setUpTenant(t *testing.T, k8s client.Client, ns, token string) {
	t.Helper()
	ctx := context.Background()
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "token", Labels: map[string]string{tenant.CredentialLabel: tenant.MethodBearer}},
		Data:       map[string][]byte{tenant.TokenKey: []byte(token)},
	}
	if err := k8s.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	// A namespace is a tenant only with a ScimTenant.
	if err := k8s.Create(ctx, &scimv1.ScimTenant{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "tenant"}}); err != nil {
		t.Fatal(err)
	}
}
