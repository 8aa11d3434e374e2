package scim_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scim-operator/scim-operator/connectors"
)

func TestUserIdempotency(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		reason string
		// run does what the case is about with a fresh user u that the app does not have.
		run func(t *testing.T, c connectors.Client, u connectors.User)
	}{
		"create twice adopts": {
			reason: "a second create finds the account by userName and returns its id; no duplicate.",
			run: func(t *testing.T, c connectors.Client, u connectors.User) {
				first := mustCreate(t, c, u)
				if second := mustCreate(t, c, u); second != first {
					t.Errorf("second CreateUser = %q, want the first's %q", second, first)
				}
				if n := count(t, "/Users", "userName", u.UserName); n != 1 {
					t.Errorf("the app has %d accounts named %q, want 1", n, u.UserName)
				}
			},
		},
		"crash between create and record": {
			reason: "an account whose id was never recorded is found by userName.",
			run: func(t *testing.T, c connectors.Client, u connectors.User) {
				id := mustCreate(t, c, u) // and forgotten
				observe(t, "", c, u, connectors.Observation{Exists: true, ExternalID: id, UpToDate: true})
			},
		},
		"adopting brings the account in line": {
			reason: "an account made in the app is adopted by a create and updated to match the user.",
			run: func(t *testing.T, c connectors.Client, u connectors.User) {
				status, doc := call(t, http.MethodPost, "/Users", map[string]any{
					"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": u.UserName,
					"displayName": "Someone Else", "active": false,
				})
				if status != http.StatusCreated {
					t.Fatalf("creating the account beside the connector: %d %v", status, doc)
				}
				if id := mustCreate(t, c, u); id != doc["id"] {
					t.Errorf("CreateUser = %q, want the existing account's %q", id, doc["id"])
				}
				if diff := cmp.Diff(expected(u), accountOf(downstream(t, "/Users", doc["id"].(string)))); diff != "" {
					t.Errorf("adopted account (-want +got):\n%s", diff)
				}
			},
		},
		"delete twice": {
			reason: "deleting an account that is gone succeeds.",
			run: func(t *testing.T, c connectors.Client, u connectors.User) {
				id := mustCreate(t, c, u)
				for range 2 {
					if err := c.DeleteUser(t.Context(), u, id); err != nil {
						t.Fatalf("DeleteUser: %v", err)
					}
				}
				observe(t, "", c, u, connectors.Observation{})
			},
		},
		"delete without a recorded id": {
			reason: "a delete without the app's id finds the account by userName.",
			run: func(t *testing.T, c connectors.Client, u connectors.User) {
				id := mustCreate(t, c, u)
				if err := c.DeleteUser(t.Context(), u, ""); err != nil {
					t.Fatalf("DeleteUser: %v", err)
				}
				if doc := downstream(t, "/Users", id); doc != nil {
					t.Errorf("the account is still there: %v", doc)
				}
			},
		},
		"observe what is not there": {
			reason: "a user the app does not have is reported absent, not as an error.",
			run: func(t *testing.T, c connectors.Client, u connectors.User) {
				observe(t, "", c, u, connectors.Observation{})
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			t.Log(tc.reason)
			tc.run(t, connect(t, bearer(""), mapping), user(unique("idem")))
		})
	}
}

func mustCreate(t *testing.T, c connectors.Client, u connectors.User) string {
	t.Helper()
	id, err := c.CreateUser(t.Context(), u)
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if id == "" {
		t.Fatal("CreateUser returned no id")
	}
	return id
}
