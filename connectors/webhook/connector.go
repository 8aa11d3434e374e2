package webhook

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
)

func init() { connectors.Register("webhook", Connector{}) }

// Connector makes clients for webhook apps.
type Connector struct{}

// Connect compiles the app's request templates and reads its token. It renders each template
// with hostile values, so that a template that would break on them fails now, as a
// configuration error, rather than on the user who has them. It does not contact the app.
func (Connector) Connect(ctx context.Context, app *scimv1.ScimApp, secrets connectors.Secrets) (connectors.Client, error) {
	spec := app.Spec.Connector.Webhook
	if spec == nil {
		return nil, connectors.ConfigError("spec.connector.webhook is not set")
	}
	base, err := url.Parse(spec.URL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.User != nil {
		return nil, connectors.ConfigError("webhook url %q is not an http(s) URL", spec.URL)
	}
	if err := connectors.RequireTLS("spec.connector.webhook.url", base, spec.Insecure); err != nil {
		return nil, err
	}
	if base.RawQuery != "" || base.Fragment != "" {
		return nil, connectors.ConfigError("webhook url %q has a query or fragment: put them in each path", spec.URL)
	}
	c := newClient(base)
	for _, r := range []struct {
		to   **request
		name string
		spec *scimv1.WebhookRequest
	}{
		{&c.create, "create", &spec.Create}, {&c.update, "update", spec.Update},
		{&c.disable, "disable", spec.Disable}, {&c.delete, "delete", spec.Delete}, {&c.get, "get", spec.Get},
	} {
		if *r.to, err = compile(r.name, r.spec); err != nil {
			return nil, err
		}
		if *r.to == nil {
			continue
		}
		for _, d := range samples(app.Spec.AttributeMapping) {
			if _, _, err := (*r.to).render(base, d); err != nil {
				return nil, err
			}
		}
	}
	if spec.BearerToken != nil {
		b, err := secrets.Get(ctx, *spec.BearerToken)
		if err != nil {
			return nil, fmt.Errorf("webhook bearerToken: reading key %q of Secret %q: %w", spec.BearerToken.Key, spec.BearerToken.Name, err)
		}
		// A Secret made from a file often ends in a newline, which no header may hold.
		c.token = strings.TrimRight(string(b), "\r\n")
		if c.token == "" || strings.ContainsAny(c.token, "\r\n") {
			return nil, connectors.ConfigError("webhook bearerToken: key %q of Secret %q is empty or spans lines",
				spec.BearerToken.Key, spec.BearerToken.Name)
		}
	}
	return c, nil
}

// samples are users whose every value is hard on a template: quotes, backslashes, newlines,
// HTML and non-ASCII; one active, one not, and one without any value. The ID is spared: it is
// a Kubernetes name.
func samples(mapping map[string]string) []Data {
	const v = "O\"Brien \\ \n\t</b>&<b> \u2028 Ünïcødé '"
	attrs := map[string]string{}
	for k := range mapping {
		attrs[k] = v
	}
	full := Data{ID: "sample-0", UserName: v, ExternalID: v, DisplayName: v, GivenName: v, FamilyName: v,
		Email: v, Active: true, Attributes: attrs, AppID: v}
	inactive := full
	inactive.Active = false
	return []Data{full, inactive, {}}
}
