package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
	"github.com/scim-operator/scim-operator/internal/testapps/postgres"
)

var (
	srv   *postgres.Server
	admin *pgxpool.Pool // superuser connections, to set up and inspect behind the connector
)

const superPassword = postgres.SuperPassword

// The operator's login role: CREATEROLE but not superuser, as in production.
const (
	operatorUser     = "scim_operator"
	operatorPassword = `op's \pw`
	weakUser         = "no_createrole"
	weakPassword     = "weak"
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	s, err := postgres.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: cannot start the test PostgreSQL server:", err)
		return 1
	}
	defer func() { _ = s.Stop() }()
	srv = s
	admin, err = pgxpool.New(context.Background(), s.URL(postgres.SuperUser, superPassword))
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	defer admin.Close()
	for _, stmt := range []string{
		"CREATE ROLE " + operatorUser + " LOGIN CREATEROLE PASSWORD " + mustLiteral(operatorPassword),
		"CREATE ROLE " + weakUser + " LOGIN PASSWORD " + mustLiteral(weakPassword),
	} {
		if _, err := admin.Exec(context.Background(), stmt); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL: setting up roles:", err)
			return 1
		}
	}
	return m.Run()
}

func mustLiteral(s string) string {
	l, err := literal(s)
	if err != nil {
		panic(err)
	}
	return l
}

// fakeSecrets serves Secret keys from a map.
type fakeSecrets map[scimv1.SecretKeyRef]string

func (f fakeSecrets) Get(_ context.Context, ref scimv1.SecretKeyRef) ([]byte, error) {
	v, ok := f[ref]
	if !ok {
		return nil, fmt.Errorf("secret %q has no key %q", ref.Name, ref.Key)
	}
	return []byte(v), nil
}

var pwRef = scimv1.SecretKeyRef{Name: "pg", Key: "password"}

// postgresApp is an app of tenant A; the roles it makes carry markA.
func postgresApp(p scimv1.PostgresConnector) *scimv1.ScimApp {
	return &scimv1.ScimApp{
		ObjectMeta: metav1.ObjectMeta{Namespace: "tenant-a", Name: "pg", UID: "uid-a"},
		Spec:       scimv1.ScimAppSpec{Connector: scimv1.Connectors{Postgres: &p}},
	}
}

// markA is the comment of a role of tenant A's app, for a kind and SCIM id ("user id-1").
func markA(kindAndID string) string {
	return "managed by scim-operator app uid-a (tenant-a/pg): " + kindAndID
}

// connectAs makes a client through the registry, as the controller does.
func connectAs(t *testing.T, user, password string, port int) (connectors.Client, error) {
	t.Helper()
	conn, ok := connectors.Lookup("postgres")
	if !ok {
		t.Fatal("postgres connector is not registered")
	}
	// sslMode disable: the test server listens on 127.0.0.1 without TLS (the default,
	// verify-full, is TestSSLModeDefaultsToVerifyFull's).
	app := postgresApp(scimv1.PostgresConnector{
		Host: "127.0.0.1", Port: int32(port), SSLMode: "disable", Username: user, Password: pwRef,
	})
	c, err := conn.Connect(context.Background(), app, fakeSecrets{pwRef: password})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, nil
}

// operator is a client logged in as the operator's CREATEROLE role.
func operator(t *testing.T) connectors.Client {
	t.Helper()
	c, err := connectAs(t, operatorUser, operatorPassword, srv.Port())
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return c
}

// roleState is a role as the superuser sees it.
type roleState struct {
	Exists  bool
	Login   bool
	Comment string
}

func stateOf(t *testing.T, name string) roleState {
	t.Helper()
	r, err := lookupRole(context.Background(), admin, name)
	if err != nil {
		t.Fatalf("looking up %q: %v", name, err)
	}
	return roleState{Exists: r.exists, Login: r.login, Comment: r.comment}
}

// membersOf lists all members of a role, managed or not, sorted.
func membersOf(t *testing.T, group string) []string {
	t.Helper()
	rows, _ := admin.Query(context.Background(), `SELECT DISTINCT m.rolname::text FROM pg_auth_members a
		JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
		WHERE g.rolname = $1 ORDER BY 1`, group)
	members, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("members of %q: %v", group, err)
	}
	return members
}

// allRoles lists every role name on the server.
func allRoles(t *testing.T) []string {
	t.Helper()
	rows, _ := admin.Query(context.Background(), "SELECT rolname::text FROM pg_roles ORDER BY 1")
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("listing roles: %v", err)
	}
	slices.Sort(names)
	return names
}

func adminExec(t *testing.T, sql string) {
	t.Helper()
	if _, err := admin.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// dropLater drops the roles when the test ends, whatever it left.
func dropLater(t *testing.T, names ...string) {
	t.Helper()
	t.Cleanup(func() {
		for _, n := range names {
			if _, err := admin.Exec(context.Background(), "DROP ROLE IF EXISTS "+ident(n)); err != nil {
				t.Errorf("dropping %q: %v", n, err)
			}
		}
	})
}

// login connects as user with password and returns the SQLSTATE of the refusal ("" on success).
func login(t *testing.T, user, password string) string {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), srv.URL(user, password))
	if err == nil {
		_ = conn.Close(context.Background())
		return ""
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	t.Fatalf("login as %q: %v", user, err)
	return ""
}

// SQLSTATEs of refused logins.
const (
	loginOK         = ""
	loginNotAllowed = "28000" // role is not permitted to log in
	loginBadPass    = "28P01" // password authentication failed
)

func ptr(s string) *string { return &s }

// errKind names the errors a case expects.
type errKind int

const (
	noError errKind = iota
	configError
	notManaged // the account exists and is not this app's; it is retried, not Stalled
	otherError // an error that is retried, not a configuration error
)

func kindOf(err error) errKind {
	switch {
	case err == nil:
		return noError
	case connectors.IsConfig(err):
		return configError
	case connectors.IsNotManaged(err):
		return notManaged
	}
	return otherError
}

func (k errKind) String() string {
	return [...]string{"no error", "config error", "not managed", "other error"}[k]
}
