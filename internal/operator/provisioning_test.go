package operator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

// legacyApp is a custom app without SCIM, reached by the webhook connector: it keeps accounts
// in memory and can be taken down.
type legacyApp struct {
	mu       sync.Mutex
	accounts map[string]map[string]any
	creates  int
	down     bool
	server   *httptest.Server
}

func newLegacyApp(t *testing.T) *legacyApp {
	a := &legacyApp{accounts: map[string]map[string]any{}}
	a.server = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.server.Close)
	return a
}

func (a *legacyApp) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.down {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
		return
	}
	var body map[string]any
	_ = json.NewDecoder(r.Body).Decode(&body)
	path := strings.TrimPrefix(r.URL.Path, "/users")
	name, action, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	switch {
	case r.Method == http.MethodPost && path == "":
		login, _ := body["login"].(string)
		if _, exists := a.accounts[login]; exists {
			w.WriteHeader(http.StatusConflict)
			return
		}
		a.creates++
		a.accounts[login] = body
		w.WriteHeader(http.StatusCreated)
	case a.accounts[name] == nil:
		w.WriteHeader(http.StatusNotFound)
	case r.Method == http.MethodGet:
		_ = json.NewEncoder(w).Encode(map[string]any{"id": name})
	case r.Method == http.MethodPut:
		for k, v := range body {
			a.accounts[name][k] = v
		}
	case r.Method == http.MethodPost && action == "disable":
		a.accounts[name]["enabled"] = false
	case r.Method == http.MethodDelete:
		delete(a.accounts, name)
		w.WriteHeader(http.StatusNoContent)
	}
}

// account returns a copy of an account, or nil.
func (a *legacyApp) account(login string) map[string]any {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.accounts[login] == nil {
		return nil
	}
	return maps.Clone(a.accounts[login])
}

func (a *legacyApp) setDown(down bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.down = down
}

func (a *legacyApp) createCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.creates
}

func (a *legacyApp) forget(login string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.accounts, login)
}

func webhookApp(url string) scimv1.ScimAppSpec {
	return scimv1.ScimAppSpec{
		Connector: scimv1.Connectors{Webhook: &scimv1.WebhookConnector{
			URL: url,
			// insecure: the tests' apps are local httptest servers without TLS.
			Insecure: true,
			Get:      &scimv1.WebhookRequest{Method: "GET", Path: "/users/{{.UserName}}"},
			Create:   scimv1.WebhookRequest{Method: "POST", Path: "/users", Body: `{"login": {{json .UserName}}, "mail": {{json .Email}}, "enabled": {{json .Active}}}`},
			Update:   &scimv1.WebhookRequest{Method: "PUT", Path: "/users/{{.UserName}}", Body: `{"mail": {{json .Email}}, "enabled": {{json .Active}}, "name": {{json .DisplayName}}}`},
			Disable:  &scimv1.WebhookRequest{Method: "POST", Path: "/users/{{.UserName}}/disable"},
			Delete:   &scimv1.WebhookRequest{Method: "DELETE", Path: "/users/{{.UserName}}"},
		}},
		ResyncPeriod:   &metav1.Duration{Duration: time.Second},
		WaitForOutcome: &metav1.Duration{Duration: 10 * time.Second},
	}
}

func provisioningState(body map[string]any, app string) string {
	ext, _ := body["urn:scim-operator.io:schemas:extension:provisioning:2.0"].(map[string]any)
	apps, _ := ext["apps"].([]any)
	for _, a := range apps {
		if a := a.(map[string]any); a["name"] == app {
			return fmt.Sprint(a["state"])
		}
	}
	return ""
}

func TestProvisioningThroughAWebhook(t *testing.T) {
	ns, token := newTenant(t)
	app := newLegacyApp(t)
	if err := k8s.Create(context.Background(), &scimv1.ScimApp{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "legacy"}, Spec: webhookApp(app.server.URL)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() error {
		var a scimv1.ScimApp
		if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "legacy"}, &a); err != nil {
			return err
		}
		if !meta.IsStatusConditionTrue(a.Status.Conditions, scimv1.ConditionReady) || a.Status.Connector != "webhook" {
			return fmt.Errorf("app status %+v", a.Status)
		}
		// The app's http:// url is allowed by insecure: true, and warned about.
		if c := meta.FindStatusCondition(a.Status.Conditions, scimv1.ConditionInsecureTransport); c == nil ||
			c.Status != metav1.ConditionTrue || !strings.Contains(c.Message, "spec.connector.webhook.insecure") {
			return fmt.Errorf("InsecureTransport condition: %+v", c)
		}
		return nil
	})

	// Create: the app asks writes to wait for its outcome, so the response reports it.
	created := call(t, token, http.MethodPost, "/Users", map[string]any{
		"userName": "grace", "emails": []any{map[string]any{"value": "grace@example.com", "primary": true}},
	}).Expect(t, http.StatusCreated)
	id := created.Body["id"].(string)
	if state := provisioningState(created.Body, "legacy"); state != "Provisioned" {
		t.Fatalf("state after create: %q: %s", state, created.Raw)
	}
	if acct := app.account("grace"); acct == nil || acct["mail"] != "grace@example.com" || acct["enabled"] != true {
		t.Fatalf("account in the app: %v", acct)
	}

	// Deactivate, then reactivate.
	call(t, token, http.MethodPatch, "/Users/"+id, patchOps(map[string]any{"op": "replace", "path": "active", "value": false})).Expect(t, http.StatusNoContent)
	if acct := app.account("grace"); acct["enabled"] != false {
		t.Errorf("after deactivation: %v", acct)
	}
	if state := provisioningState(call(t, token, http.MethodGet, "/Users/"+id, nil).Body, "legacy"); state != "Disabled" {
		t.Errorf("state after deactivation: %q", state)
	}
	call(t, token, http.MethodPatch, "/Users/"+id, patchOps(map[string]any{"op": "replace", "path": "active", "value": true})).Expect(t, http.StatusNoContent)
	if acct := app.account("grace"); acct["enabled"] != true {
		t.Errorf("after reactivation: %v", acct)
	}

	// The app goes down: the write is stored and answered 502 with the app's error; the user
	// reports the failure; when the app is back, it converges, with no duplicate account.
	app.setDown(true)
	res := call(t, token, http.MethodPatch, "/Users/"+id, patchOps(map[string]any{"op": "replace", "path": "displayName", "value": "Grace H."})).Expect(t, http.StatusBadGateway)
	if !strings.Contains(fmt.Sprint(res.Body["detail"]), "legacy") {
		t.Errorf("502 detail: %s", res.Raw)
	}
	// Failed after the attempt, or Pending once the operator knows the app is not ready.
	if state := provisioningState(call(t, token, http.MethodGet, "/Users/"+id, nil).Body, "legacy"); state != "Failed" && state != "Pending" {
		t.Errorf("state while the app is down: %q", state)
	}
	eventually(t, func() error {
		var evs eventsv1.EventList
		if err := k8s.List(context.Background(), &evs, client.InNamespace(ns)); err != nil {
			return err
		}
		for _, e := range evs.Items {
			if e.Regarding.Name == id && e.Reason == "ProvisioningFailed" && e.Type == "Warning" {
				return nil
			}
		}
		return fmt.Errorf("no ProvisioningFailed event for the user among %d events", len(evs.Items))
	})
	app.setDown(false)
	eventually(t, func() error {
		if acct := app.account("grace"); acct["name"] != "Grace H." {
			return fmt.Errorf("account after the app came back: %v", acct)
		}
		if state := provisioningState(call(t, token, http.MethodGet, "/Users/"+id, nil).Body, "legacy"); state != "Provisioned" {
			return fmt.Errorf("state after the app came back: %q", state)
		}
		return nil
	})
	if n := app.createCount(); n != 1 {
		t.Errorf("%d accounts created, want 1", n)
	}

	// An account deleted in the app directly is recreated by the resync.
	app.forget("grace")
	eventually(t, func() error {
		if app.account("grace") == nil {
			return fmt.Errorf("not recreated yet")
		}
		return nil
	})

	// The metrics endpoint counts the app's operations.
	if n := counterValue(t, "scim_provisioning_operations_total", map[string]string{"namespace": ns, "app": "legacy", "operation": "create_user", "outcome": "success"}); n < 1 {
		t.Errorf("create_user successes counted: %v", n)
	}

	// kubectl get scimapps counts the account.
	eventually(t, func() error {
		var a scimv1.ScimApp
		if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "legacy"}, &a); err != nil {
			return err
		}
		if a.Status.Provisioned != 1 {
			return fmt.Errorf("provisioned %d", a.Status.Provisioned)
		}
		return nil
	})

	// Delete: the account goes, then the ScimUser (its finalizer waited for the app).
	call(t, token, http.MethodDelete, "/Users/"+id, nil).Expect(t, http.StatusNoContent)
	call(t, token, http.MethodGet, "/Users/"+id, nil).Expect(t, http.StatusNotFound)
	eventually(t, func() error {
		if app.account("grace") != nil {
			return fmt.Errorf("the account still exists")
		}
		var u scimv1.ScimUser
		if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: id}, &u); err == nil {
			return fmt.Errorf("the ScimUser still exists")
		}
		return nil
	})
}

// The API server itself refuses an app with no connector or two, and other broken rules.
func TestScimAppValidation(t *testing.T) {
	ns, _ := newTenant(t)
	webhook := webhookApp("http://127.0.0.1:1").Connector.Webhook
	cases := map[string]scimv1.ScimAppSpec{
		"no connector":                         {},
		"two connectors":                       {Connector: scimv1.Connectors{Webhook: webhook, SCIM: &scimv1.SCIMConnector{URL: "https://app.example/scim/v2"}}},
		"two assignments":                      {Connector: scimv1.Connectors{Webhook: webhook}, Assignment: scimv1.Assignment{All: true, Groups: []string{"x"}}},
		"a connector URL that is not http(s)":  {Connector: scimv1.Connectors{SCIM: &scimv1.SCIMConnector{URL: "ftp://app.example"}}},
		"an unknown lifecycle":                 {Connector: scimv1.Connectors{Webhook: webhook}, OnDelete: "Explode"},
		"an http:// SCIM url without insecure": {Connector: scimv1.Connectors{SCIM: &scimv1.SCIMConnector{URL: "http://app.example/scim/v2"}}},
		"an http:// webhook url without insecure": {Connector: scimv1.Connectors{Webhook: &scimv1.WebhookConnector{
			URL: "http://app.example", Create: scimv1.WebhookRequest{Path: "/users"}}}},
		"a SCIM url without a host": {Connector: scimv1.Connectors{SCIM: &scimv1.SCIMConnector{URL: "https:///scim/v2"}}},
		"an ldap:// url without startTLS or insecure": {Connector: scimv1.Connectors{LDAP: &scimv1.LDAPConnector{
			URL: "ldap://dir.example", BindDN: "cn=a", BindPassword: scimv1.SecretKeyRef{Name: "s", Key: "k"}, UsersDN: "ou=u"}}},
		"startTLS on an ldaps:// url": {Connector: scimv1.Connectors{LDAP: &scimv1.LDAPConnector{
			URL: "ldaps://dir.example", StartTLS: true, BindDN: "cn=a", BindPassword: scimv1.SecretKeyRef{Name: "s", Key: "k"}, UsersDN: "ou=u"}}},
	}
	for reason, spec := range cases {
		app := &scimv1.ScimApp{ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: "bad-"}, Spec: spec}
		if err := k8s.Create(context.Background(), app); err == nil {
			t.Errorf("%s: the API server accepted it", reason)
		}
	}
	ldap := func(url string, startTLS, insecure bool) scimv1.ScimAppSpec {
		return scimv1.ScimAppSpec{Connector: scimv1.Connectors{LDAP: &scimv1.LDAPConnector{URL: url, StartTLS: startTLS, Insecure: insecure,
			BindDN: "cn=a", BindPassword: scimv1.SecretKeyRef{Name: "s", Key: "k"}, UsersDN: "ou=u"}}}
	}
	valid := map[string]scimv1.ScimAppSpec{
		"an http:// webhook url with insecure": webhookApp("http://127.0.0.1:1"),
		"an https:// SCIM url":                 {Connector: scimv1.Connectors{SCIM: &scimv1.SCIMConnector{URL: "https://app.example/scim/v2"}}},
		"ldaps://":                             ldap("ldaps://dir.example:636", false, false),
		"ldap:// with startTLS":                ldap("ldap://dir.example", true, false),
		"ldap:// with insecure":                ldap("ldap://dir.example", false, true),
	}
	for reason, spec := range valid {
		app := &scimv1.ScimApp{ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: "good-"}, Spec: spec}
		if err := k8s.Create(context.Background(), app); err != nil {
			t.Errorf("%s: the API server refused it: %v", reason, err)
		}
	}
}
