package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/scim-operator/scim-operator/connectors"
)

// ObserveGroup finds the NOLOGIN role named g.DisplayName. It is up to date when its members
// among the app's user roles are exactly g.Members; other members, granted by someone
// else, are neither counted nor touched.
func (c *client) ObserveGroup(ctx context.Context, g connectors.Group) (connectors.Observation, error) {
	if err := validName(g.DisplayName); err != nil {
		return connectors.Observation{}, err
	}
	r, err := lookupRole(ctx, c.pool, g.DisplayName)
	if err != nil {
		return connectors.Observation{}, classify(err)
	}
	if err := owned(c.owner, g.DisplayName, r, kindGroup, g.ID); err != nil || !r.exists {
		return connectors.Observation{}, err
	}
	have, err := managedMembers(ctx, c.pool, c.owner, g.DisplayName)
	if err != nil {
		return connectors.Observation{}, classify(err)
	}
	want := slices.Clone(g.Members)
	slices.Sort(want)
	want = slices.Compact(want)
	return connectors.Observation{
		Exists:     true,
		ExternalID: g.DisplayName,
		UpToDate:   !r.login && slices.Equal(have, want) && r.managedAs(c.owner, kindGroup),
	}, nil
}

// CreateGroup creates the role with its members, or brings the operator's existing role in line.
func (c *client) CreateGroup(ctx context.Context, g connectors.Group) (string, error) {
	if err := c.UpdateGroup(ctx, g, ""); err != nil {
		return "", err
	}
	return g.DisplayName, nil
}

// UpdateGroup renames the role when the displayName changed and makes its members exactly
// g.Members among the app's user roles. Members it cannot grant (no role yet, or a role it
// does not manage) are reported in an error after the rest is committed, so a retry finishes
// the job once their users are provisioned.
func (c *client) UpdateGroup(ctx context.Context, g connectors.Group, externalID string) error {
	if err := validName(g.DisplayName); err != nil {
		return err
	}
	var missing []string
	err := c.inTx(ctx, func(tx pgx.Tx) error {
		if err := rename(ctx, tx, c.owner, externalID, g.DisplayName, kindGroup); err != nil {
			return err
		}
		var err error
		missing, err = ensureGroup(ctx, tx, c.owner, g)
		return err
	})
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("postgres: group %q: members without a role managed by this app were not added: %s",
			g.DisplayName, strings.Join(missing, ", "))
	}
	return nil
}

// DeleteGroup drops the role, and with it its memberships; see deleteRole.
func (c *client) DeleteGroup(ctx context.Context, g connectors.Group, externalID string) error {
	name := externalID
	if name == "" {
		name = g.DisplayName
	}
	return c.deleteRole(ctx, name, kindGroup, g.ID)
}

// ensureGroup creates or alters the NOLOGIN role and syncs its members; it returns the members
// it could not grant.
func ensureGroup(ctx context.Context, tx pgx.Tx, o connectors.Owner, g connectors.Group) ([]string, error) {
	name := g.DisplayName
	r, err := lookupRole(ctx, tx, name)
	if err != nil {
		return nil, err
	}
	if err := owned(o, name, r, kindGroup, g.ID); err != nil {
		return nil, err
	}
	switch {
	case !r.exists:
		_, err = tx.Exec(ctx, "CREATE ROLE "+ident(name)+" NOLOGIN")
	case r.login:
		_, err = tx.Exec(ctx, "ALTER ROLE "+ident(name)+" NOLOGIN")
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: group role %q: %w", name, err)
	}
	if err := setMark(ctx, tx, o, name, r, kindGroup, g.ID); err != nil {
		return nil, err
	}
	return syncMembers(ctx, tx, o, name, g.Members)
}

// syncMembers grants the group to each wanted member that is a user role of app o and revokes
// it from o's user roles not wanted.
func syncMembers(ctx context.Context, tx pgx.Tx, o connectors.Owner, group string, members []string) ([]string, error) {
	have, err := managedMembers(ctx, tx, o, group)
	if err != nil {
		return nil, err
	}
	members = slices.Compact(slices.Sorted(slices.Values(members)))
	var missing []string
	for _, m := range members {
		if slices.Contains(have, m) {
			continue
		}
		r := role{}
		if validName(m) == nil {
			if r, err = lookupRole(ctx, tx, m); err != nil {
				return nil, err
			}
		}
		if !r.managedAs(o, kindUser) {
			missing = append(missing, m)
			continue
		}
		if _, err := tx.Exec(ctx, "GRANT "+ident(group)+" TO "+ident(m)); err != nil {
			return nil, fmt.Errorf("postgres: granting %q to %q: %w", group, m, err)
		}
	}
	for _, m := range have {
		if slices.Contains(members, m) {
			continue
		}
		if _, err := tx.Exec(ctx, "REVOKE "+ident(group)+" FROM "+ident(m)); err != nil {
			return nil, fmt.Errorf("postgres: revoking %q from %q: %w", group, m, err)
		}
	}
	return missing, nil
}

// managedMembers lists, sorted, the members of group that are user roles of app o.
func managedMembers(ctx context.Context, q querier, o connectors.Owner, group string) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT DISTINCT m.rolname::text, coalesce(shobj_description(m.oid, 'pg_authid'), '')
		FROM pg_auth_members a
		JOIN pg_roles g ON g.oid = a.roleid
		JOIN pg_roles m ON m.oid = a.member
		WHERE g.rolname = $1`, group)
	if err != nil {
		return nil, fmt.Errorf("postgres: listing members of %q: %w", group, err)
	}
	defer rows.Close()
	var members []string
	for rows.Next() {
		var r role
		var name string
		if err := rows.Scan(&name, &r.comment); err != nil {
			return nil, err
		}
		if r.managedAs(o, kindUser) {
			members = append(members, name)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: listing members of %q: %w", group, err)
	}
	slices.Sort(members)
	return members, nil
}
