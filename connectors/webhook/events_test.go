package webhook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
)

func TestEvents(t *testing.T) {
	t.Parallel()
	const (
		createBody = `{"userName": "bjensen@example.com", "name": "Barbara Jensen", "email": "bjensen@example.com", "active": true, "dept": "Tours"}`
		auth       = "Bearer " + token
	)
	inactive := func(u *connectors.User) { u.Active = false }
	cases := map[string]struct {
		reason string
		// spec changes the settings, user the user.
		spec func(*scimv1.WebhookConnector)
		user func(*connectors.User)
		// respond is the app's answer; 200 and {} when nil.
		respond func(call) (int, string)
		act     func(ctx context.Context, c connectors.Client, u connectors.User) error
		want    []call
	}{
		"create": {
			reason: "create renders its path and body over the user.",
			act: func(ctx context.Context, c connectors.Client, u connectors.User) error {
				_, err := c.CreateUser(ctx, u)
				return err
			},
			want: []call{{http.MethodPost, "/api/users", createBody, auth}},
		},
		"create inactive": {
			reason:  "a user created inactive is disabled right after, with the id the create answered.",
			user:    inactive,
			respond: answer(http.MethodPost, http.StatusCreated, `{"id": 42}`),
			act: func(ctx context.Context, c connectors.Client, u connectors.User) error {
				_, err := c.CreateUser(ctx, u)
				return err
			},
			want: []call{
				{http.MethodPost, "/api/users", `{"userName": "bjensen@example.com", "name": "Barbara Jensen", "email": "bjensen@example.com", "active": false, "dept": "Tours"}`, auth},
				{http.MethodPost, "/api/users/42/disable", "", auth},
			},
		},
		"update": {
			reason: "update gets the app's id of the account as AppID.",
			act: func(ctx context.Context, c connectors.Client, u connectors.User) error {
				return c.UpdateUser(ctx, u, "42")
			},
			want: []call{{http.MethodPut, "/api/users/42", `{"name": "Barbara Jensen", "active": true}`, auth}},
		},
		"disable": {
			reason: "an inactive user's update is the disable request.",
			user:   inactive,
			act: func(ctx context.Context, c connectors.Client, u connectors.User) error {
				return c.UpdateUser(ctx, u, "42")
			},
			want: []call{{http.MethodPost, "/api/users/42/disable", "", auth}},
		},
		"inactive without disable": {
			reason: "without disable, update carries active false.",
			spec:   func(s *scimv1.WebhookConnector) { s.Disable = nil },
			user:   inactive,
			act: func(ctx context.Context, c connectors.Client, u connectors.User) error {
				return c.UpdateUser(ctx, u, "42")
			},
			want: []call{{http.MethodPut, "/api/users/42", `{"name": "Barbara Jensen", "active": false}`, auth}},
		},
		"update without update": {
			reason: "without update, create is sent again as an upsert.",
			spec:   func(s *scimv1.WebhookConnector) { s.Update = nil },
			act: func(ctx context.Context, c connectors.Client, u connectors.User) error {
				return c.UpdateUser(ctx, u, "42")
			},
			want: []call{{http.MethodPost, "/api/users", createBody, auth}},
		},
		"delete": {
			reason: "delete gets the app's id of the account.",
			act: func(ctx context.Context, c connectors.Client, u connectors.User) error {
				return c.DeleteUser(ctx, u, "42")
			},
			want: []call{{http.MethodDelete, "/api/users/42", "", auth}},
		},
		"get": {
			reason: "observe sends get, the userName percent-encoded in the query.",
			act: func(ctx context.Context, c connectors.Client, u connectors.User) error {
				_, err := c.ObserveUser(ctx, u)
				return err
			},
			want: []call{{http.MethodGet, "/api/users?userName=bjensen%40example.com", "", auth}},
		},
		"method defaults to POST": {
			reason: "a request without method is a POST, as the API documents.",
			spec:   func(s *scimv1.WebhookConnector) { s.Get = &scimv1.WebhookRequest{Path: "/lookup/{{.UserName}}"} },
			act: func(ctx context.Context, c connectors.Client, u connectors.User) error {
				_, err := c.ObserveUser(ctx, u)
				return err
			},
			want: []call{{http.MethodPost, "/api/lookup/bjensen%40example.com", "", auth}},
		},
		"path values stay one segment": {
			reason: "slashes, query characters and spaces in a value are percent-encoded in a path.",
			user:   func(u *connectors.User) { u.UserName = "a/../b?c&d=e f#g" },
			spec:   func(s *scimv1.WebhookConnector) { s.Delete.Path = "/users/{{.UserName}}" },
			act: func(ctx context.Context, c connectors.Client, u connectors.User) error {
				return c.DeleteUser(ctx, u, "")
			},
			want: []call{{http.MethodDelete, "/api/users/a%2F..%2Fb%3Fc%26d%3De%20f%23g", "", auth}},
		},
		"path cannot leave the host": {
			reason: "a path is appended below the URL, so a rendered @host cannot redirect the request and its token.",
			spec:   func(s *scimv1.WebhookConnector) { s.Delete.Path = "@evil.example.com/{{.AppID}}" },
			act: func(ctx context.Context, c connectors.Client, u connectors.User) error {
				return c.DeleteUser(ctx, u, "42")
			},
			want: []call{{http.MethodDelete, "/api/@evil.example.com/42", "", auth}},
		},
		"no token": {
			reason: "without bearerToken no Authorization header is sent.",
			spec:   func(s *scimv1.WebhookConnector) { s.BearerToken = nil },
			act: func(ctx context.Context, c connectors.Client, u connectors.User) error {
				return c.DeleteUser(ctx, u, "42")
			},
			want: []call{{http.MethodDelete, "/api/users/42", "", ""}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := &app{respond: tc.respond}
			spec := settings(start(t, a))
			if tc.spec != nil {
				tc.spec(&spec)
			}
			u := user()
			if tc.user != nil {
				tc.user(&u)
			}
			if err := tc.act(t.Context(), connect(t, spec), u); err != nil {
				t.Fatalf("%s\n%v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, a.received()); diff != "" {
				t.Errorf("%s\nrequests (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestHostileValuesStayJSON(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		reason string
		value  string
	}{
		"quotes":          {reason: "a quote cannot end the JSON string early.", value: `O"Brien", "admin": true, "x": "`},
		"backslashes":     {reason: "a backslash cannot escape the closing quote.", value: `trailing\`},
		"newlines":        {reason: "control characters are escaped.", value: "two\nlines\r\tand\x00nul"},
		"HTML":            {reason: "HTML characters pass through as JSON allows.", value: `</script><b>&amp;`},
		"line separators": {reason: "U+2028 and U+2029, valid JSON yet not JavaScript, survive.", value: "a\u2028b\u2029c"},
		"template syntax": {reason: "template syntax in a value is data, not template.", value: `{{.Token}}`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := &app{}
			c := connect(t, settings(start(t, a)))
			u := user()
			u.UserName, u.DisplayName, u.Email, u.Attributes["department"] = tc.value, tc.value, tc.value, tc.value
			if _, err := c.CreateUser(t.Context(), u); err != nil {
				t.Fatalf("%s\nCreateUser: %v", tc.reason, err)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(a.received()[0].Body), &got); err != nil {
				t.Fatalf("%s\nthe body is not JSON: %v\n%s", tc.reason, err, a.received()[0].Body)
			}
			want := map[string]any{"userName": tc.value, "name": tc.value, "email": tc.value, "active": true, "dept": tc.value}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s\nbody (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}
