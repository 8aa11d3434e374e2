package scim_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
	"github.com/scim-operator/scim-operator/connectors/scim"
)

// TestDotUserNames: userNames "." and ".." travel in bodies and filters only, so the real SCIM
// app provisions them like any other.
func TestDotUserNames(t *testing.T) {
	t.Parallel()
	c := connect(t, bearer(""), nil)
	for _, name := range []string{".", ".."} {
		u := connectors.User{ID: "dot", UserName: name, Active: true, DisplayName: "Dot"}
		if count(t, "/Users", "userName", name) != 0 {
			t.Fatalf("the app already has a user %q", name)
		}
		id, err := c.CreateUser(t.Context(), u)
		if err != nil {
			t.Fatalf("CreateUser(%q): %v", name, err)
		}
		if doc := downstream(t, "/Users", id); doc == nil || doc["userName"] != name {
			t.Errorf("the app holds %v for %q", doc, name)
		}
		if err := c.DeleteUser(t.Context(), u, id); err != nil {
			t.Errorf("DeleteUser(%q): %v", name, err)
		}
		if n := count(t, "/Users", "userName", name); n != 0 {
			t.Errorf("%d users %q left", n, name)
		}
	}
}

// TestDotIDsNeverReachTheApp: an app (broken or hostile) that answers with an id of "." or
// ".." does not make the connector send PATCH or DELETE to /Users/.., which the app would
// resolve to its base URL.
func TestDotIDsNeverReachTheApp(t *testing.T) {
	t.Parallel()
	for _, id := range []string{".", ".."} {
		t.Run(id, func(t *testing.T) {
			var mu sync.Mutex
			var paths []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				paths = append(paths, r.Method+" "+r.URL.EscapedPath())
				mu.Unlock()
				w.Header().Set("Content-Type", "application/scim+json")
				user := map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "id": id, "userName": "victim", "active": true}
				if r.Method == http.MethodGet && r.URL.Query().Get("filter") != "" {
					_ = json.NewEncoder(w).Encode(map[string]any{
						"schemas":      []string{"urn:ietf:params:scim:api:messages:2.0:ListResponse"},
						"totalResults": 1, "Resources": []any{user},
					})
					return
				}
				_ = json.NewEncoder(w).Encode(user)
			}))
			t.Cleanup(srv.Close)
			// insecure: a local httptest server without TLS.
			a, s := app(scimv1.SCIMConnector{URL: srv.URL + "/scim/v2", Insecure: true, BearerToken: &tokenRef}, nil)
			c, err := scim.Connector{}.Connect(t.Context(), a, s)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Close() })
			u := connectors.User{ID: "v", UserName: "victim", Active: false, DisplayName: "changed"}
			if err := c.UpdateUser(t.Context(), u, ""); err == nil {
				t.Error("UpdateUser of an account the app calls .. succeeded")
			}
			if err := c.UpdateUser(t.Context(), u, id); err == nil {
				t.Error("UpdateUser with id .. succeeded")
			}
			if err := c.DeleteUser(t.Context(), u, ""); err == nil {
				t.Error("DeleteUser of an account the app calls .. succeeded")
			}
			if err := c.UpdateGroup(t.Context(), connectors.Group{ID: "g", DisplayName: "g"}, id); err == nil {
				t.Error("UpdateGroup with id .. succeeded")
			}
			mu.Lock()
			defer mu.Unlock()
			for _, p := range paths {
				if strings.HasSuffix(p, "/"+id) || strings.Contains(p, "/"+id+"/") {
					t.Errorf("the app received %s", p)
				}
			}
		})
	}
}
