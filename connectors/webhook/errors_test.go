package webhook_test

import (
	"context"
	"net/http"
	"testing"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
	"github.com/scim-operator/scim-operator/connectors/webhook"
)

func TestStatuses(t *testing.T) {
	t.Parallel()
	create := func(ctx context.Context, c connectors.Client) error { _, err := c.CreateUser(ctx, user()); return err }
	update := func(ctx context.Context, c connectors.Client) error { return c.UpdateUser(ctx, user(), "42") }
	del := func(ctx context.Context, c connectors.Client) error { return c.DeleteUser(ctx, user(), "42") }
	cases := map[string]struct {
		reason string
		status int
		// method is the method the status answers, every one when "".
		method string
		act    func(context.Context, connectors.Client) error
		want   string
	}{
		"create 401":    {reason: "the app refuses the token.", status: http.StatusUnauthorized, act: create, want: "config"},
		"create 403":    {reason: "the token lacks a permission.", status: http.StatusForbidden, act: create, want: "config"},
		"create 500":    {reason: "the app failed; it may not next time.", status: http.StatusInternalServerError, act: create, want: "transient"},
		"create 503":    {reason: "the app is unavailable for a while.", status: http.StatusServiceUnavailable, act: create, want: "transient"},
		"create 429":    {reason: "the app asks to slow down.", status: http.StatusTooManyRequests, act: create, want: "transient"},
		"create 409":    {reason: "a conflict on create means the account exists: success.", status: http.StatusConflict, method: http.MethodPost, act: create, want: "ok"},
		"update 404":    {reason: "an update of an account that is gone fails, for a later pass to create it.", status: http.StatusNotFound, act: update, want: "transient"},
		"update 409":    {reason: "a conflict on update is no success.", status: http.StatusConflict, act: update, want: "transient"},
		"update 401":    {reason: "the app refuses the token.", status: http.StatusUnauthorized, act: update, want: "config"},
		"delete 404":    {reason: "deleting what is gone succeeds.", status: http.StatusNotFound, act: del, want: "ok"},
		"delete 502":    {reason: "a failed delete is retried.", status: http.StatusBadGateway, act: del, want: "transient"},
		"delete 204":    {reason: "any 2xx is a success.", status: http.StatusNoContent, act: del, want: "ok"},
		"create down":   {reason: "an app that does not answer is transient.", status: -1, act: create, want: "transient"},
		"update 200 ok": {reason: "a 2xx is a success.", status: http.StatusOK, act: update, want: "ok"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			base := closedURL(t)
			if tc.status > 0 {
				base = start(t, &app{respond: answer(tc.method, tc.status, `{"error": "nope"}`)})
			}
			err := tc.act(t.Context(), connect(t, settings(base)))
			if outcome(err) != tc.want {
				t.Errorf("%s\nerror = %v (%s), want %s", tc.reason, err, outcome(err), tc.want)
			}
		})
	}
}

func TestUnsupported(t *testing.T) {
	t.Parallel()
	a := &app{}
	spec := settings(start(t, a))
	spec.Delete = nil
	c := connect(t, spec)
	ctx, g := t.Context(), connectors.Group{DisplayName: "devs"}
	_, errObserve := c.ObserveGroup(ctx, g)
	_, errCreate := c.CreateGroup(ctx, g)
	for name, err := range map[string]error{
		"DeleteUser without delete": c.DeleteUser(ctx, user(), "42"),
		"ObserveGroup":              errObserve,
		"CreateGroup":               errCreate,
		"UpdateGroup":               c.UpdateGroup(ctx, g, "1"),
		"DeleteGroup":               c.DeleteGroup(ctx, g, "1"),
	} {
		if !connectors.IsConfig(err) {
			t.Errorf("%s = %v, want a configuration error", name, err)
		}
	}
	if n := len(a.received()); n != 0 {
		t.Errorf("the app got %d requests, want none", n)
	}
}

func TestConnectRefusesBadSettings(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		reason  string
		spec    func(*scimv1.WebhookConnector)
		secrets secrets
		// config says whether the error is a configuration error.
		config bool
	}{
		"template syntax": {
			reason: "a template that does not parse is refused.",
			spec:   func(s *scimv1.WebhookConnector) { s.Create.Body = `{"name": {{json .UserName}` },
			config: true,
		},
		"unknown field": {
			reason: "a template naming a field Data lacks is refused.",
			spec:   func(s *scimv1.WebhookConnector) { s.Update.Path = "/users/{{.Password}}" },
			config: true,
		},
		"unknown function": {
			reason: "a template calling an unknown function is refused.",
			spec:   func(s *scimv1.WebhookConnector) { s.Create.Body = `{"name": {{yaml .UserName}}}` },
			config: true,
		},
		"values not JSON-encoded": {
			reason: "a body writing a value between quotes breaks on a quote in it, so it is refused up front.",
			spec:   func(s *scimv1.WebhookConnector) { s.Create.Body = `{"name": "{{.UserName}}"}` },
			config: true,
		},
		"body that is no JSON": {
			reason: "a body must be JSON.",
			spec:   func(s *scimv1.WebhookConnector) { s.Disable.Body = `name={{.UserName}}` },
			config: true,
		},
		"unknown method": {
			reason: "the method is one of GET, POST, PUT, PATCH and DELETE.",
			spec:   func(s *scimv1.WebhookConnector) { s.Delete.Method = "HEAD" },
			config: true,
		},
		"not an http URL": {
			reason: "the URL must be http or https.",
			spec:   func(s *scimv1.WebhookConnector) { s.URL = "ftp://app.example.com" },
			config: true,
		},
		"empty token": {
			reason:  "an empty token would send an empty Authorization header.",
			secrets: secrets{tokenRef: "\n"},
			config:  true,
		},
		"unreadable token": {
			reason:  "the Secrets' error is passed on as it is.",
			secrets: secrets{},
			config:  false,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			spec := settings("https://app.example.com")
			if tc.spec != nil {
				tc.spec(&spec)
			}
			s := tc.secrets
			if s == nil {
				s = secrets{tokenRef: token}
			}
			c, err := webhook.Connector{}.Connect(t.Context(), appOf(spec), s)
			if err == nil {
				_ = c.Close()
				t.Fatalf("%s\nConnect succeeded", tc.reason)
			}
			if connectors.IsConfig(err) != tc.config {
				t.Errorf("%s\nConnect = %v, IsConfig %v, want %v", tc.reason, err, connectors.IsConfig(err), tc.config)
			}
		})
	}
	t.Run("no webhook settings", func(t *testing.T) {
		_, err := webhook.Connector{}.Connect(t.Context(), &scimv1.ScimApp{}, secrets{})
		if !connectors.IsConfig(err) {
			t.Errorf("Connect without webhook settings = %v, want a configuration error", err)
		}
	})
}

func TestCheck(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		reason string
		noGet  bool
		// status answers every request; -1: nothing listens.
		status int
		want   string
	}{
		"get answers 404":           {reason: "a get that answers 404 for an absent user works.", status: http.StatusNotFound, want: "ok"},
		"get answers 200":           {reason: "a get that answers 2xx for an absent user works too.", status: http.StatusOK, want: "ok"},
		"get answers 401":           {reason: "a refused token is a configuration error.", status: http.StatusUnauthorized, want: "config"},
		"get answers 403":           {reason: "a token without permission is a configuration error.", status: http.StatusForbidden, want: "config"},
		"get answers 500":           {reason: "an app failing for now is transient.", status: http.StatusInternalServerError, want: "transient"},
		"get answers 400":           {reason: "a get the app does not understand is a configuration error.", status: http.StatusBadRequest, want: "config"},
		"get and the app is down":   {reason: "an app that does not answer is transient.", status: -1, want: "transient"},
		"no get, any answer":        {reason: "without get, any answer of the host will do.", noGet: true, status: http.StatusNotFound, want: "ok"},
		"no get and the app's down": {reason: "without get, no answer is transient.", noGet: true, status: -1, want: "transient"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			base := closedURL(t)
			if tc.status > 0 {
				base = start(t, &app{respond: answer("", tc.status, "{}")})
			}
			spec := settings(base)
			if tc.noGet {
				spec.Get = nil
			}
			err := connect(t, spec).Check(t.Context())
			if outcome(err) != tc.want {
				t.Errorf("%s\nCheck = %v (%s), want %s", tc.reason, err, outcome(err), tc.want)
			}
		})
	}
}

func TestRegistered(t *testing.T) {
	if _, ok := connectors.Lookup("webhook"); !ok {
		t.Error(`the package registers no "webhook" connector`)
	}
}
