package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sync/atomic"
	"testing"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
	"github.com/scim-operator/scim-operator/connectors/scim"
	"github.com/scim-operator/scim-operator/internal/testapps/scimmy"
)

// server is the SCIM app every test provisions into (scimmy, a SCIM implementation this
// project did not write); tests keep apart by unique names.
var server struct{ url, token string }

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	s, err := scimmy.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "scim connector tests:", err)
		return 1
	}
	server.url, server.token = s.URL(), s.Token()
	code := m.Run()
	if err := s.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	return code
}

// tokenRef is where the fake Secrets keep the server's token.
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

// app is a ScimApp of the scim connector; the token Secret holds the server's token with a
// trailing newline, as a Secret made from a file would.
func app(conn scimv1.SCIMConnector, mapping map[string]string) (*scimv1.ScimApp, secrets) {
	a := &scimv1.ScimApp{Spec: scimv1.ScimAppSpec{
		Connector:        scimv1.Connectors{SCIM: &conn},
		AttributeMapping: mapping,
	}}
	return a, secrets{tokenRef: server.token + "\n"}
}

// bearer is the connector settings for the test server with its token. insecure: the test
// server listens on 127.0.0.1 without TLS.
func bearer(updateMethod string) scimv1.SCIMConnector {
	return scimv1.SCIMConnector{URL: server.url, Insecure: true, BearerToken: &tokenRef, UpdateMethod: updateMethod}
}

// connect makes a client of the test server, closed when the test ends.
func connect(t *testing.T, conn scimv1.SCIMConnector, mapping map[string]string) connectors.Client {
	t.Helper()
	a, s := app(conn, mapping)
	c, err := scim.Connector{}.Connect(t.Context(), a, s)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

var serial atomic.Int64

// unique is a name no other test uses.
func unique(prefix string) string {
	return fmt.Sprintf("%s-%d@example.com", prefix, serial.Add(1))
}

// downstream reads a resource as the server holds it, nil when it has none.
func downstream(t *testing.T, endpoint, id string) map[string]any {
	t.Helper()
	status, doc := call(t, http.MethodGet, endpoint+"/"+url.PathEscape(id), nil)
	switch status {
	case http.StatusNotFound:
		return nil
	case http.StatusOK:
		return doc
	}
	t.Fatalf("GET %s/%s: status %d: %v", endpoint, id, status, doc)
	return nil
}

// count is how many resources of endpoint have attr equal to value (which holds no quote).
func count(t *testing.T, endpoint, attr, value string) int {
	t.Helper()
	q := url.Values{"filter": {attr + ` eq "` + value + `"`}, "count": {"100"}}
	status, doc := call(t, http.MethodGet, endpoint+"?"+q.Encode(), nil)
	if status != http.StatusOK {
		t.Fatalf("GET %s: status %d: %v", endpoint, status, doc)
	}
	list, _ := doc["Resources"].([]any)
	return len(list)
}

// call sends a request to the server, as the tests' own SCIM client, beside the connector.
func call(t *testing.T, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequestWithContext(t.Context(), method, server.url+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+server.token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp.StatusCode, doc
}
