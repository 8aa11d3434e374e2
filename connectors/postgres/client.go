package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/scim-operator/scim-operator/connectors"
)

// client is safe for concurrent use: every call takes its own pooled connection, and every
// change runs in one transaction, so a role is never created without its mark.
type client struct {
	pool  *pgxpool.Pool
	owner connectors.Owner
}

var _ connectors.Client = (*client)(nil)

// Check connects, runs SELECT 1 and verifies that the login role may manage roles.
func (c *client) Check(ctx context.Context) error {
	var one int
	if err := c.pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return classify(fmt.Errorf("postgres: connecting: %w", err))
	}
	var super, createRole bool
	err := c.pool.QueryRow(ctx,
		"SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user").Scan(&super, &createRole)
	if err != nil {
		return classify(fmt.Errorf("postgres: reading the login role: %w", err))
	}
	if !super && !createRole {
		return connectors.ConfigError("postgres: the login role has neither CREATEROLE nor SUPERUSER, so it cannot manage roles")
	}
	return nil
}

// Close closes the pool's connections.
func (c *client) Close() error {
	c.pool.Close()
	return nil
}

// inTx runs fn in a transaction, and again when it lost a race with another worker creating
// or changing the same role (a unique violation or a concurrently updated catalog row): the
// second run sees the committed role and only brings it in line.
func (c *client) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	var err error
	for range 3 {
		err = pgx.BeginFunc(ctx, c.pool, fn)
		if !retryable(err) {
			break
		}
	}
	return classify(err)
}

func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code {
	case "23505", // unique_violation: a concurrent CREATE ROLE of the same name won
		"42710", // duplicate_object: the same, seen before the insert
		"40001", // serialization_failure
		"40P01": // deadlock_detected
		return true
	case "XX000": // "tuple concurrently updated" on pg_authid or pg_shdescription
		return pgErr.Message == "tuple concurrently updated"
	}
	return false
}

// classify marks the errors that retrying cannot fix as configuration errors: rejected
// credentials, a missing database and missing privileges.
func classify(err error) error {
	var pgErr *pgconn.PgError
	if err == nil || connectors.IsConfig(err) || !errors.As(err, &pgErr) {
		return err
	}
	switch {
	case strings.HasPrefix(pgErr.Code, "28"), // invalid_authorization_specification, invalid_password
		pgErr.Code == "3D000", // invalid_catalog_name: no such database
		pgErr.Code == "42501": // insufficient_privilege
		return fmt.Errorf("%w: %w", connectors.ErrConfig, err)
	}
	return err
}
