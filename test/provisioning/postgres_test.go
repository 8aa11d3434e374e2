package provisioning_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/testapps/postgres"
)

// TestPostgres provisions into a real PostgreSQL server: users become LOGIN roles that log in
// with the identity provider's password, groups NOLOGIN roles granted to their members.
func TestPostgres(t *testing.T) {
	t.Parallel()
	testLifecycle(t, newPostgresApp(t))
}

// The operator logs in as a CREATEROLE role, not a superuser, as in production.
const (
	pgOperator         = "scim_operator"
	pgOperatorPassword = "operator-Pa55"
)

type postgresApp struct {
	srv   *postgres.Server
	admin *pgxpool.Pool // the superuser, to look behind the operator's back
}

func newPostgresApp(t *testing.T) *postgresApp {
	srv, err := postgres.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	admin, err := pgxpool.New(context.Background(), srv.URL(postgres.SuperUser, postgres.SuperPassword))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(admin.Close)
	if _, err := admin.Exec(t.Context(), "CREATE ROLE "+pgOperator+" LOGIN CREATEROLE PASSWORD '"+pgOperatorPassword+"'"); err != nil {
		t.Fatal(err)
	}
	return &postgresApp{srv: srv, admin: admin}
}

func (a *postgresApp) connector() (scimv1.Connectors, map[string][]byte) {
	return scimv1.Connectors{Postgres: &scimv1.PostgresConnector{
		// sslMode disable: the test's server listens on 127.0.0.1 without TLS.
		Host: a.srv.Host(), Port: int32(a.srv.Port()), SSLMode: "disable",
		Username: pgOperator, Password: scimv1.SecretKeyRef{Name: appSecret, Key: "password"},
	}}, map[string][]byte{"password": []byte(pgOperatorPassword)}
}

// role is what pg_roles holds of a role.
type role struct {
	exists, login bool
}

func (a *postgresApp) role(name string) (role, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r := role{exists: true}
	err := a.admin.QueryRow(ctx, "SELECT rolcanlogin FROM pg_roles WHERE rolname = $1", name).Scan(&r.login)
	if errors.Is(err, pgx.ErrNoRows) {
		return role{}, nil
	}
	return r, err
}

// account: a role named by the userName, LOGIN exactly when the user is active, into which
// the user's password logs in; an inactive user's login is refused. PostgreSQL keeps no name or
// email.
func (a *postgresApp) account(u wantUser) error {
	r, err := a.role(u.UserName)
	switch {
	case err != nil:
		return err
	case !r.exists:
		return fmt.Errorf("no role %q", u.UserName)
	case r.login != u.Active:
		return fmt.Errorf("role %q: rolcanlogin %v, want %v", u.UserName, r.login, u.Active)
	}
	err = a.login(u.UserName, u.Password)
	var pgErr *pgconn.PgError
	switch {
	case u.Active && err != nil:
		return fmt.Errorf("%s cannot log in: %w", u.UserName, err)
	case !u.Active && err == nil:
		return fmt.Errorf("%s, inactive, can log in", u.UserName)
	case !u.Active && !(errors.As(err, &pgErr) && pgErr.Code == "28000"):
		return fmt.Errorf("%s, inactive, is refused with %v, want 28000 (role is not permitted to log in)", u.UserName, err)
	}
	return nil
}

func (a *postgresApp) login(user, password string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, a.srv.URL(user, password))
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

func (a *postgresApp) noAccount(userName string) error {
	if r, err := a.role(userName); err != nil || r.exists {
		return fmt.Errorf("role %q: %+v, %v", userName, r, err)
	}
	return nil
}

func (a *postgresApp) accounts(t *testing.T, userName string) int {
	var n int
	if err := a.admin.QueryRow(t.Context(), "SELECT count(*) FROM pg_roles WHERE rolname = $1", userName).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// group: a NOLOGIN role whose members (pg_auth_members) are exactly the members' roles.
func (a *postgresApp) group(displayName string, members ...string) error {
	r, err := a.role(displayName)
	switch {
	case err != nil:
		return err
	case !r.exists || r.login:
		return fmt.Errorf("group role %q: %+v", displayName, r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rows, _ := a.admin.Query(ctx, `SELECT m.rolname::text FROM pg_auth_members a
		JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
		WHERE g.rolname = $1 ORDER BY 1`, displayName)
	have, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	if want := slices.Sorted(slices.Values(members)); !slices.Equal(have, want) {
		return fmt.Errorf("members of %q: %v, want %v", displayName, have, want)
	}
	return nil
}

func (a *postgresApp) noGroup(displayName string) error { return a.noAccount(displayName) }

func (a *postgresApp) deleteAccount(t *testing.T, userName string) {
	if _, err := a.admin.Exec(t.Context(), "DROP ROLE "+pgx.Identifier{userName}.Sanitize()); err != nil {
		t.Fatal(err)
	}
}

func (a *postgresApp) down(t *testing.T) {
	if err := a.srv.Down(); err != nil {
		t.Fatal(err)
	}
}

func (a *postgresApp) up(t *testing.T) {
	if err := a.srv.Up(); err != nil {
		t.Fatal(err)
	}
}
