// Package postgres provisions users as LOGIN roles and groups as NOLOGIN roles of a PostgreSQL
// server. It touches only the roles its app created, which it marks with a COMMENT ON ROLE
// naming the app's UID: apps of several tenants may share a server. A role of the same name
// without that mark is reported as not managed and left alone, unless the app adopts
// unmarked roles (spec.adoptExisting).
package postgres

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
)

func init() { connectors.Register("postgres", Connector{}) }

// Connector makes clients for PostgreSQL servers.
type Connector struct{}

// Connect reads the app's settings and password and opens a lazy connection pool: nothing is
// dialled until the first call, so an unreachable server shows in Check, as a transient error.
func (Connector) Connect(ctx context.Context, app *scimv1.ScimApp, secrets connectors.Secrets) (connectors.Client, error) {
	if app == nil || app.Spec.Connector.Postgres == nil {
		return nil, connectors.ConfigError("spec.connector.postgres is not set")
	}
	p := app.Spec.Connector.Postgres
	switch {
	case p.Host == "":
		return nil, connectors.ConfigError("spec.connector.postgres.host is required")
	case p.Username == "":
		return nil, connectors.ConfigError("spec.connector.postgres.username is required")
	case p.Password.Name == "" || p.Password.Key == "":
		return nil, connectors.ConfigError("spec.connector.postgres.password needs a Secret name and key")
	case secrets == nil:
		return nil, connectors.ConfigError("no Secrets reader to read spec.connector.postgres.password")
	}
	password, err := secrets.Get(ctx, p.Password)
	if err != nil {
		return nil, fmt.Errorf("%w: reading key %q of Secret %q: %w",
			connectors.ErrConfig, p.Password.Key, p.Password.Name, err)
	}

	cfg, err := poolConfig(p)
	if err != nil {
		return nil, fmt.Errorf("%w: spec.connector.postgres: %w", connectors.ErrConfig, err)
	}
	// Set after parsing so that no parse error can ever carry the password in its text.
	cfg.ConnConfig.Password = string(password)

	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: spec.connector.postgres: %w", connectors.ErrConfig, err)
	}
	return &client{pool: pool, owner: connectors.OwnerOf(app)}, nil
}

// poolConfig builds the pool settings through a URL, so that pgx derives the TLS settings and
// fallbacks of sslMode for the right host; net/url escapes every part.
func poolConfig(p *scimv1.PostgresConnector) (*pgxpool.Config, error) {
	port := int(p.Port)
	if port == 0 {
		port = 5432
	}
	database := p.Database
	if database == "" {
		database = "postgres"
	}
	// verify-full when omitted (the CRD defaults it too): libpq's own default, prefer, lets
	// a man in the middle downgrade to plain text and read the operator's login.
	q := url.Values{"application_name": {"scim-operator"}, "sslmode": {cmp.Or(p.SSLMode, "verify-full")}}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(p.Username),
		Host:     net.JoinHostPort(p.Host, strconv.Itoa(port)),
		Path:     "/" + database,
		RawQuery: q.Encode(),
	}
	cfg, err := pgxpool.ParseConfig(u.String())
	if err != nil {
		return nil, err
	}
	// A few connections serve the reconcile workers; role DDL is quick.
	cfg.MaxConns = 4
	cfg.MaxConnIdleTime = 5 * time.Minute
	cfg.ConnConfig.ConnectTimeout = 10 * time.Second
	return cfg, nil
}
