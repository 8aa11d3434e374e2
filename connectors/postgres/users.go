package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/scim-operator/scim-operator/connectors"
)

// ObserveUser finds the LOGIN role named u.UserName. UpToDate compares the login state only: a
// password cannot be compared, since the server keeps just a salted verifier of it.
func (c *client) ObserveUser(ctx context.Context, u connectors.User) (connectors.Observation, error) {
	if err := validName(u.UserName); err != nil {
		return connectors.Observation{}, err
	}
	r, err := lookupRole(ctx, c.pool, u.UserName)
	if err != nil {
		return connectors.Observation{}, classify(err)
	}
	if err := owned(c.owner, u.UserName, r, kindUser, u.ID); err != nil || !r.exists {
		return connectors.Observation{}, err
	}
	// A role adopted or marked by an older version gets this app's mark on the next update.
	upToDate := r.login == u.Active && r.managedAs(c.owner, kindUser)
	return connectors.Observation{Exists: true, ExternalID: u.UserName, UpToDate: upToDate}, nil
}

// CreateUser creates the role, or brings the operator's existing role in line.
func (c *client) CreateUser(ctx context.Context, u connectors.User) (string, error) {
	if err := validName(u.UserName); err != nil {
		return "", err
	}
	err := c.inTx(ctx, func(tx pgx.Tx) error { return ensureUser(ctx, tx, c.owner, u) })
	if err != nil {
		return "", err
	}
	return u.UserName, nil
}

// UpdateUser renames the role when the userName changed, then brings it in line with u.
func (c *client) UpdateUser(ctx context.Context, u connectors.User, externalID string) error {
	if err := validName(u.UserName); err != nil {
		return err
	}
	return c.inTx(ctx, func(tx pgx.Tx) error {
		if err := rename(ctx, tx, c.owner, externalID, u.UserName, kindUser); err != nil {
			return err
		}
		return ensureUser(ctx, tx, c.owner, u)
	})
}

// DeleteUser drops the role; see deleteRole.
func (c *client) DeleteUser(ctx context.Context, u connectors.User, externalID string) error {
	name := externalID
	if name == "" {
		name = u.UserName
	}
	return c.deleteRole(ctx, name, kindUser, u.ID)
}

// ensureUser creates or alters app o's role to be LOGIN exactly when u is active, with u's
// password when one is set. The password is sent as a SCRAM-SHA-256 verifier computed here,
// never in clear text: statements can end up in the server's log (log_statement, or the
// statement of a failed one), and the verifier does not let a reader log in.
func ensureUser(ctx context.Context, tx pgx.Tx, o connectors.Owner, u connectors.User) error {
	r, err := lookupRole(ctx, tx, u.UserName)
	if err != nil {
		return err
	}
	if err := owned(o, u.UserName, r, kindUser, u.ID); err != nil {
		return err
	}
	verb := "CREATE"
	if r.exists {
		verb = "ALTER"
	}
	stmt := verb + " ROLE " + ident(u.UserName) + " NOLOGIN"
	if u.Active {
		stmt = verb + " ROLE " + ident(u.UserName) + " LOGIN"
	}
	if u.Password != nil {
		if strings.ContainsRune(*u.Password, 0) {
			return fmt.Errorf("postgres: the password of %q has a NUL byte, which PostgreSQL cannot check", u.UserName)
		}
		lit, err := literal(scramVerifier(*u.Password))
		if err != nil {
			return fmt.Errorf("postgres: password of %q: %w", u.UserName, err)
		}
		stmt += " PASSWORD " + lit
	}
	// An existing role whose login state is right and whose password is not being set needs
	// no ALTER.
	if !r.exists || r.login != u.Active || u.Password != nil {
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("postgres: %s ROLE %q: %w", verb, u.UserName, err)
		}
	}
	return setMark(ctx, tx, o, u.UserName, r, kindUser, u.ID)
}
