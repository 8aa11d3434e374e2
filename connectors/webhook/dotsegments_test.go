package webhook_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
)

// TestDotSegmentsNeverReachTheApp: a userName or app id of "." or ".." put into a path would
// be a dot segment, which the app resolves to another resource (DELETE /api/users/.. deletes
// /api). Such a request is refused and never sent.
func TestDotSegmentsNeverReachTheApp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, name := range []string{".", ".."} {
		t.Run(name, func(t *testing.T) {
			a := &app{respond: answer(http.MethodPost, http.StatusCreated, `{"id": "`+name+`"}`)}
			spec := settings(start(t, a))
			spec.Get = &scimv1.WebhookRequest{Method: http.MethodGet, Path: "/users/{{.UserName}}"}
			c := connect(t, spec)
			u := user()
			u.UserName = name

			calls := map[string]func() error{
				"observe": func() error { _, err := c.ObserveUser(ctx, u); return err },
				"update":  func() error { return c.UpdateUser(ctx, u, name) },
				"disable": func() error { u := u; u.Active = false; return c.UpdateUser(ctx, u, name) },
				"delete":  func() error { return c.DeleteUser(ctx, u, name) },
			}
			for op, call := range calls {
				err := call()
				if err == nil || connectors.IsConfig(err) {
					t.Errorf("%s of userName %q with app id %q: %v; want an error about the user, not the app's settings", op, name, name, err)
				}
			}
			for _, c := range a.received() {
				path, _, _ := strings.Cut(c.URI, "?")
				for _, seg := range strings.Split(path, "/") {
					if seg == "." || seg == ".." || strings.EqualFold(seg, "%2e") || strings.EqualFold(seg, "%2e%2e") {
						t.Errorf("the app received %s %s", c.Method, c.URI)
					}
				}
			}
		})
	}
}
