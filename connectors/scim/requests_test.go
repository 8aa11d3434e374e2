package scim_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scim-operator/scim-operator/connectors"
)

func TestStatusClassification(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		reason string
		status int
		body   string
		want   string
	}{
		"401": {reason: "the app refuses the credentials.", status: http.StatusUnauthorized, want: "config"},
		"403": {reason: "the credentials lack a permission.", status: http.StatusForbidden, want: "config"},
		"500": {reason: "the app failed; it may not next time.", status: http.StatusInternalServerError, want: "transient"},
		"503": {reason: "the app is unavailable for a while.", status: http.StatusServiceUnavailable, want: "transient"},
		"429": {reason: "the app asks to slow down.", status: http.StatusTooManyRequests, want: "transient"},
		"400": {reason: "the app refused this user, not the configuration.", status: http.StatusBadRequest,
			body: `{"detail":"bad email","scimType":"invalidValue"}`, want: "transient"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := serve(t, &fakeApp{status: tc.status, body: tc.body}, "")
			_, err := c.CreateUser(t.Context(), user("someone@example.com"))
			if outcome(err) != tc.want {
				t.Errorf("%s\nCreateUser = %v (%s), want %s", tc.reason, err, outcome(err), tc.want)
			}
		})
	}
}

func TestCheckRefusesWhatIsNoSCIM(t *testing.T) {
	t.Parallel()
	c := serve(t, &fakeApp{status: http.StatusOK, body: "<html>Sign in</html>"}, "")
	if err := c.Check(t.Context()); !connectors.IsConfig(err) {
		t.Errorf("Check of a login page = %v, want a configuration error", err)
	}
}

func TestPasswordIsSent(t *testing.T) {
	t.Parallel()
	password := "s3cret"
	cases := map[string]struct {
		reason string
		method string
		// update says whether UpdateUser, not CreateUser, is called.
		update bool
		want   recorded
	}{
		"create": {
			reason: "a create carries the password the identity provider set.",
			want:   recorded{Method: http.MethodPost, Path: "/Users", Body: map[string]any{"password": password}},
		},
		"PATCH": {
			reason: "an update replaces the password: the app never returns it, so it cannot be compared.",
			method: http.MethodPatch, update: true,
			want: recorded{Method: http.MethodPatch, Path: "/Users/new", Body: map[string]any{"op": "replace", "path": "password", "value": password}},
		},
		"PUT": {
			reason: "a PUT carries the password.",
			method: http.MethodPut, update: true,
			want: recorded{Method: http.MethodPut, Path: "/Users/new", Body: map[string]any{"password": password}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := &fakeApp{}
			c := serve(t, f, tc.method)
			u := user("someone@example.com")
			u.Password = &password
			var err error
			if tc.update {
				err = c.UpdateUser(t.Context(), u, "new")
			} else {
				_, err = c.CreateUser(t.Context(), u)
			}
			if err != nil {
				t.Fatal(err)
			}
			f.mu.Lock()
			last := f.requests[len(f.requests)-1]
			f.mu.Unlock()
			got := recorded{Method: last.Method, Path: last.Path, Body: map[string]any{"password": last.Body["password"]}}
			if ops, ok := last.Body["Operations"].([]any); ok {
				got.Body = ops[len(ops)-1].(map[string]any)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nlast request (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestUpToDate(t *testing.T) {
	t.Parallel()
	const name = "bjensen@example.com"
	account := func(edit func(map[string]any)) []map[string]any {
		doc := map[string]any{
			"id": "1", "userName": name, "externalId": "idp-" + name, "displayName": "Barbara Jensen",
			"name":   map[string]any{"givenName": "Barbara", "familyName": "Jensen"},
			"emails": []any{map[string]any{"value": name, "type": "work", "primary": true}},
		}
		edit(doc)
		return []map[string]any{doc}
	}
	cases := map[string]struct {
		reason string
		active bool
		app    []map[string]any
		want   bool
	}{
		"active user, app without active": {
			reason: "an app that does not return active has no inactive account to report.",
			active: true, app: account(func(map[string]any) {}), want: true,
		},
		"inactive user, app without active": {
			reason: "an inactive user's account must be seen inactive to be up to date.",
			app:    account(func(map[string]any) {}), want: false,
		},
		"inactive user, inactive account": {
			reason: "active false on both sides matches.",
			app:    account(func(d map[string]any) { d["active"] = false }), want: true,
		},
		"primary email among others": {
			reason: "only the primary email is compared; the app may keep others.",
			active: true,
			app: account(func(d map[string]any) {
				d["emails"] = []any{
					map[string]any{"value": "home@example.org", "type": "home"},
					map[string]any{"value": "BJensen@Example.com", "type": "work", "primary": true},
				}
			}),
			want: true,
		},
		"other primary email": {
			reason: "a different primary email is out of date.",
			active: true,
			app: account(func(d map[string]any) {
				d["emails"] = []any{map[string]any{"value": "other@example.com", "primary": true}}
			}),
			want: false,
		},
		"attribute names in another case": {
			reason: "SCIM attribute names are case-insensitive.",
			active: true,
			app: account(func(d map[string]any) {
				d["DISPLAYNAME"] = d["displayName"]
				delete(d, "displayName")
			}),
			want: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := serve(t, &fakeApp{users: tc.app}, "")
			u := user("bjensen@example.com")
			u.Active, u.Attributes = tc.active, nil
			got, err := c.ObserveUser(t.Context(), u)
			if err != nil {
				t.Fatal(err)
			}
			if got.UpToDate != tc.want {
				t.Errorf("%s\nUpToDate = %v, want %v", tc.reason, got.UpToDate, tc.want)
			}
		})
	}
}
