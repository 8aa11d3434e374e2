package scim

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
)

func init() { connectors.Register("scim", Connector{}) }

// Connector makes clients for SCIM apps.
type Connector struct{}

// Connect validates the app's SCIM settings and reads its credentials. It does not contact
// the app: Check does.
func (Connector) Connect(ctx context.Context, app *scimv1.ScimApp, secrets connectors.Secrets) (connectors.Client, error) {
	spec := app.Spec.Connector.SCIM
	if spec == nil {
		return nil, connectors.ConfigError("spec.connector.scim is not set")
	}
	base, err := baseURL(spec.URL, spec.Insecure)
	if err != nil {
		return nil, err
	}
	auth, err := authenticator(ctx, spec, secrets)
	if err != nil {
		return nil, err
	}
	var put bool
	switch spec.UpdateMethod {
	case "", http.MethodPatch:
	case http.MethodPut:
		put = true
	default:
		return nil, connectors.ConfigError("scim updateMethod %q is neither PATCH nor PUT", spec.UpdateMethod)
	}
	attrs, err := mappedAttributes(app.Spec.AttributeMapping)
	if err != nil {
		return nil, err
	}
	return newClient(base, auth, put, attrs), nil
}

// baseURL checks the app's SCIM base URL and drops a trailing slash, so that paths append.
func baseURL(raw string, insecure bool) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", connectors.ConfigError("scim url %q is not an http(s) URL", raw)
	}
	if err := connectors.RequireTLS("spec.connector.scim.url", u, insecure); err != nil {
		return "", err
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", connectors.ConfigError("scim url %q has a query or fragment", raw)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// authenticator returns what sets the Authorization header: bearer, basic, or nothing for an
// app without authentication (Check then tells whether the app agrees).
func authenticator(ctx context.Context, spec *scimv1.SCIMConnector, secrets connectors.Secrets) (func(*http.Request), error) {
	basic := spec.BasicUsername != "" || spec.BasicPassword != nil
	switch {
	case spec.BearerToken != nil && basic:
		return nil, connectors.ConfigError("scim: use bearerToken or basic authentication, not both")
	case spec.BearerToken != nil:
		token, err := secret(ctx, secrets, *spec.BearerToken, "bearerToken")
		if err != nil {
			return nil, err
		}
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }, nil
	case basic:
		if spec.BasicUsername == "" || spec.BasicPassword == nil {
			return nil, connectors.ConfigError("scim: basic authentication needs both basicUsername and basicPassword")
		}
		password, err := secret(ctx, secrets, *spec.BasicPassword, "basicPassword")
		if err != nil {
			return nil, err
		}
		return func(r *http.Request) { r.SetBasicAuth(spec.BasicUsername, password) }, nil
	}
	return func(*http.Request) {}, nil
}

// secret reads a credential. Trailing newlines go: a Secret made from a file often has one,
// and no header value may contain it.
func secret(ctx context.Context, secrets connectors.Secrets, ref scimv1.SecretKeyRef, field string) (string, error) {
	b, err := secrets.Get(ctx, ref)
	if err != nil {
		return "", fmt.Errorf("scim %s: reading key %q of Secret %q: %w", field, ref.Key, ref.Name, err)
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" || strings.ContainsAny(v, "\r\n") {
		return "", connectors.ConfigError("scim %s: key %q of Secret %q is empty or spans lines", field, ref.Key, ref.Name)
	}
	return v, nil
}
