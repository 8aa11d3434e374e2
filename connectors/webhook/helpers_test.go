package webhook_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
	"github.com/scim-operator/scim-operator/connectors/webhook"
)

const token = "webhook-token"

var tokenRef = scimv1.SecretKeyRef{Name: "app-credentials", Key: "token"}

// secrets is a fake connectors.Secrets.
type secrets map[scimv1.SecretKeyRef]string

func (s secrets) Get(_ context.Context, ref scimv1.SecretKeyRef) ([]byte, error) {
	v, ok := s[ref]
	if !ok {
		return nil, fmt.Errorf("secret %s/%s not found", ref.Name, ref.Key)
	}
	return []byte(v), nil
}

// call is a request as the app received it.
type call struct {
	Method string
	// URI is the path and query as sent, escaping included.
	URI  string
	Body string
	Auth string
}

// app is a webhook app: it records each request and answers with respond, or 200 and {}.
type app struct {
	respond func(c call) (int, string)

	mu    sync.Mutex
	calls []call
}

func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c := call{Method: r.Method, URI: r.URL.RequestURI(), Body: string(b), Auth: r.Header.Get("Authorization")}
	a.mu.Lock()
	a.calls = append(a.calls, c)
	a.mu.Unlock()
	status, body := http.StatusOK, "{}"
	if a.respond != nil {
		status, body = a.respond(c)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func (a *app) received() []call {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]call(nil), a.calls...)
}

// start serves a and returns its URL.
func start(t *testing.T, a *app) string {
	t.Helper()
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return srv.URL
}

// settings are the requests of a typical app under base/api. insecure: the tests' apps are
// httptest servers without TLS.
func settings(base string) scimv1.WebhookConnector {
	return scimv1.WebhookConnector{
		URL:         base + "/api",
		Insecure:    true,
		BearerToken: &tokenRef,
		Create: scimv1.WebhookRequest{Path: "/users",
			Body: `{"userName": {{json .UserName}}, "name": {{json .DisplayName}}, "email": {{json .Email}}, "active": {{.Active}}, "dept": {{json .Attributes.department}}}`},
		Update:  &scimv1.WebhookRequest{Method: http.MethodPut, Path: "/users/{{.AppID}}", Body: `{"name": {{json .DisplayName}}, "active": {{.Active}}}`},
		Disable: &scimv1.WebhookRequest{Path: "/users/{{.AppID}}/disable"},
		Delete:  &scimv1.WebhookRequest{Method: http.MethodDelete, Path: "/users/{{.AppID}}"},
		Get:     &scimv1.WebhookRequest{Method: http.MethodGet, Path: "/users?userName={{.UserName}}"},
	}
}

// connect connects to an app of spec, with the attribute mapping the settings' create uses.
func connect(t *testing.T, spec scimv1.WebhookConnector) connectors.Client {
	t.Helper()
	c, err := webhook.Connector{}.Connect(t.Context(), appOf(spec), secrets{tokenRef: token + "\n"})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func appOf(spec scimv1.WebhookConnector) *scimv1.ScimApp {
	return &scimv1.ScimApp{Spec: scimv1.ScimAppSpec{
		Connector:        scimv1.Connectors{Webhook: &spec},
		AttributeMapping: map[string]string{"department": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"},
	}}
}

func user() connectors.User {
	return connectors.User{
		ID: "bjensen", UserName: "bjensen@example.com", ExternalID: "idp-1", Active: true,
		DisplayName: "Barbara Jensen", GivenName: "Barbara", FamilyName: "Jensen", Email: "bjensen@example.com",
		Attributes: map[string]string{"department": "Tours"},
	}
}

// outcome is how a call ended: "ok", "config" (connectors.IsConfig) or "transient".
func outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case connectors.IsConfig(err):
		return "config"
	}
	return "transient"
}

// closedURL is the URL of a port nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr
}

// answer responds status and body to requests whose method is method (any when ""), 200 and
// {} to the others.
func answer(method string, status int, body string) func(call) (int, string) {
	return func(c call) (int, string) {
		if method == "" || strings.EqualFold(c.Method, method) {
			return status, body
		}
		return http.StatusOK, "{}"
	}
}
