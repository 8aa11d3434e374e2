package ldap

import (
	"context"
	"fmt"
	"net/url"

	goldap "github.com/go-ldap/ldap/v3"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
)

func init() { connectors.Register("ldap", Connector{}) }

// Connector makes clients for LDAP directories.
type Connector struct{}

// config is a validated spec.connector.ldap.
type config struct {
	url      string
	bindDN   string
	usersDN  string
	groupsDN string // empty: groups cannot be provisioned
	// startTLS upgrades each ldap:// connection to TLS before the bind.
	startTLS bool
	// host is the url's host name, which the server's certificate must name.
	host string
}

// Connect validates the spec and reads the bind password; it does not dial, so that an
// unreachable directory shows up in Check as a transient error.
func (Connector) Connect(ctx context.Context, app *scimv1.ScimApp, secrets connectors.Secrets) (connectors.Client, error) {
	spec := app.Spec.Connector.LDAP
	if spec == nil {
		return nil, connectors.ConfigError("ldap: spec.connector.ldap is not set")
	}
	cfg, err := parseConfig(spec)
	if err != nil {
		return nil, err
	}
	password, err := secrets.Get(ctx, spec.BindPassword)
	if err != nil {
		return nil, fmt.Errorf("ldap: bindPassword: %w", err)
	}
	if len(password) == 0 {
		return nil, connectors.ConfigError("ldap: bindPassword secret %s key %s is empty", spec.BindPassword.Name, spec.BindPassword.Key)
	}
	return &client{cfg: cfg, pool: newPool(cfg, string(password)), owner: connectors.OwnerOf(app)}, nil
}

func parseConfig(spec *scimv1.LDAPConnector) (config, error) {
	u, err := url.Parse(spec.URL)
	if err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Hostname() == "" {
		return config{}, connectors.ConfigError("ldap: url %q is not an ldap:// or ldaps:// URL", spec.URL)
	}
	switch {
	case u.Scheme == "ldaps" && spec.StartTLS:
		return config{}, connectors.ConfigError("ldap: startTLS applies to ldap:// urls; %q is encrypted from the start", spec.URL)
	case u.Scheme == "ldap" && !spec.StartTLS && !spec.Insecure:
		return config{}, connectors.ConfigError("ldap: url %q without startTLS would send the bind password and users' "+
			"passwords in clear text: use ldaps://, set startTLS: true, or set insecure: true", spec.URL)
	}
	for _, f := range []struct{ field, dn string }{{"bindDN", spec.BindDN}, {"usersDN", spec.UsersDN}, {"groupsDN", spec.GroupsDN}} {
		if f.dn == "" && f.field == "groupsDN" {
			continue // optional
		}
		if _, err := goldap.ParseDN(f.dn); err != nil || f.dn == "" {
			return config{}, connectors.ConfigError("ldap: %s %q is not a DN", f.field, f.dn)
		}
	}
	return config{url: spec.URL, bindDN: spec.BindDN, usersDN: spec.UsersDN, groupsDN: spec.GroupsDN,
		startTLS: spec.StartTLS, host: u.Hostname()}, nil
}

// client implements connectors.Client; it is safe for concurrent use.
type client struct {
	cfg   config
	pool  *pool
	owner connectors.Owner
}

var _ connectors.Client = (*client)(nil)

// Check binds and reads usersDN (and groupsDN when set), which must exist.
func (c *client) Check(ctx context.Context) error {
	return c.pool.do(ctx, "check", func(conn *goldap.Conn) error {
		for _, f := range []struct{ field, dn string }{{"usersDN", c.cfg.usersDN}, {"groupsDN", c.cfg.groupsDN}} {
			if f.dn == "" {
				continue
			}
			_, err := conn.Search(goldap.NewSearchRequest(f.dn, goldap.ScopeBaseObject, goldap.NeverDerefAliases,
				1, 0, false, "(objectClass=*)", []string{"1.1"}, nil)) // 1.1: no attributes
			if goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) {
				return connectors.ConfigError("ldap: %s %s does not exist", f.field, f.dn)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// Close closes the idle connections; calls after Close fail.
func (c *client) Close() error {
	c.pool.close()
	return nil
}
