package scim_test

import (
	"net"
	"strings"
	"testing"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
	"github.com/scim-operator/scim-operator/connectors/scim"
)

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
	return "http://" + addr + "/scim/v2"
}

func TestCredentialsAndReachability(t *testing.T) {
	t.Parallel()
	basicRef := scimv1.SecretKeyRef{Name: "app-credentials", Key: "password"}
	cases := map[string]struct {
		reason string
		conn   func(t *testing.T) scimv1.SCIMConnector
		secret string
		// check and observe are the outcomes of Check and of ObserveUser.
		check, observe string
	}{
		"bearer token": {
			reason: "the right token works.",
			conn:   func(*testing.T) scimv1.SCIMConnector { return bearer("") },
			secret: server.token, check: "ok", observe: "ok",
		},
		"wrong token": {
			reason: "a 401 is a configuration error: retrying with the same token cannot help.",
			conn:   func(*testing.T) scimv1.SCIMConnector { return bearer("") },
			secret: "not-the-token", check: "config", observe: "config",
		},
		"basic authentication": {
			reason: "HTTP Basic with the right password works.",
			conn: func(*testing.T) scimv1.SCIMConnector {
				return scimv1.SCIMConnector{URL: server.url, Insecure: true, BasicUsername: "scim", BasicPassword: &basicRef}
			},
			secret: server.token, check: "ok", observe: "ok",
		},
		"wrong basic password": {
			reason: "HTTP Basic with a wrong password is a configuration error.",
			conn: func(*testing.T) scimv1.SCIMConnector {
				return scimv1.SCIMConnector{URL: server.url, Insecure: true, BasicUsername: "scim", BasicPassword: &basicRef}
			},
			secret: "wrong", check: "config", observe: "config",
		},
		"no SCIM endpoint at the URL": {
			reason: "a URL where the app has no SCIM endpoint is a configuration error.",
			conn: func(*testing.T) scimv1.SCIMConnector {
				return scimv1.SCIMConnector{URL: strings.TrimSuffix(server.url, "/scim/v2") + "/nothing", Insecure: true, BearerToken: &tokenRef}
			},
			// Observe cannot tell a wrong URL from an app that lost its endpoint for a while.
			secret: server.token, check: "config", observe: "transient",
		},
		"server down": {
			reason: "an app that does not answer is a transient error, retried later.",
			conn: func(t *testing.T) scimv1.SCIMConnector {
				return scimv1.SCIMConnector{URL: closedURL(t), Insecure: true, BearerToken: &tokenRef}
			},
			secret: server.token, check: "transient", observe: "transient",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, _ := app(tc.conn(t), nil)
			c, err := scim.Connector{}.Connect(t.Context(), a, secrets{tokenRef: tc.secret, basicRef: tc.secret})
			if err != nil {
				t.Fatalf("%s\nConnect: %v", tc.reason, err)
			}
			defer func() { _ = c.Close() }()
			if err := c.Check(t.Context()); outcome(err) != tc.check {
				t.Errorf("%s\nCheck = %v (%s), want %s", tc.reason, err, outcome(err), tc.check)
			}
			if _, err := c.ObserveUser(t.Context(), user(unique("reach"))); outcome(err) != tc.observe {
				t.Errorf("%s\nObserveUser = %v (%s), want %s", tc.reason, err, outcome(err), tc.observe)
			}
		})
	}
}

func TestConnectRefusesBadSettings(t *testing.T) {
	t.Parallel()
	basicRef := scimv1.SecretKeyRef{Name: "app-credentials", Key: "password"}
	missing := scimv1.SecretKeyRef{Name: "absent", Key: "token"}
	cases := map[string]struct {
		reason  string
		conn    *scimv1.SCIMConnector
		mapping map[string]string
		secrets secrets
		// config says whether the error is a configuration error.
		config bool
	}{
		"no scim settings": {
			reason: "an app without spec.connector.scim cannot use this connector.",
			config: true,
		},
		"not an http URL": {
			reason: "the URL must be http or https.",
			conn:   &scimv1.SCIMConnector{URL: "ftp://example.com/scim"},
			config: true,
		},
		"bearer and basic": {
			reason: "two kinds of credentials are ambiguous.",
			conn:   &scimv1.SCIMConnector{URL: "https://example.com", BearerToken: &tokenRef, BasicUsername: "u", BasicPassword: &basicRef},
			config: true,
		},
		"basic without password": {
			reason: "basic authentication needs both halves.",
			conn:   &scimv1.SCIMConnector{URL: "https://example.com", BasicUsername: "u"},
			config: true,
		},
		"empty token": {
			reason:  "an empty token would send an empty Authorization header.",
			conn:    &scimv1.SCIMConnector{URL: "https://example.com", BearerToken: &tokenRef},
			secrets: secrets{tokenRef: "\n"}, config: true,
		},
		"unknown update method": {
			reason: "updateMethod is PATCH or PUT.",
			conn:   &scimv1.SCIMConnector{URL: "https://example.com", UpdateMethod: "POST"},
			config: true,
		},
		"mapping key with a filter": {
			reason:  "the connector sets plain attributes, not values picked by a filter.",
			conn:    &scimv1.SCIMConnector{URL: "https://example.com"},
			mapping: map[string]string{`emails[type eq "home"].value`: "x"},
			config:  true,
		},
		"mapping key the connector sets": {
			reason:  "an attribute the connector sets itself cannot also come from the mapping.",
			conn:    &scimv1.SCIMConnector{URL: "https://example.com"},
			mapping: map[string]string{"displayName": "nickName"},
			config:  true,
		},
		"secret that cannot be read": {
			reason: "the Secrets' error is passed on, not hidden.",
			conn:   &scimv1.SCIMConnector{URL: "https://example.com", BearerToken: &missing},
			config: false,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := &scimv1.ScimApp{Spec: scimv1.ScimAppSpec{
				Connector: scimv1.Connectors{SCIM: tc.conn}, AttributeMapping: tc.mapping,
			}}
			c, err := scim.Connector{}.Connect(t.Context(), a, tc.secrets)
			if err == nil {
				_ = c.Close()
				t.Fatalf("%s\nConnect succeeded", tc.reason)
			}
			if connectors.IsConfig(err) != tc.config {
				t.Errorf("%s\nConnect = %v, IsConfig %v, want %v", tc.reason, err, connectors.IsConfig(err), tc.config)
			}
		})
	}
}

func TestRegistered(t *testing.T) {
	if _, ok := connectors.Lookup("scim"); !ok {
		t.Error(`the package registers no "scim" connector`)
	}
}
