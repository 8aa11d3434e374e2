package postgres_test

import (
	"context"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/scim-operator/scim-operator/internal/testapps/postgres"
	"github.com/scim-operator/scim-operator/internal/testapps/proc"
)

func TestMain(m *testing.M) {
	if os.Getenv(proc.OrphanEnv) != "" {
		proc.ServeOrphan(func() (string, error) {
			s, err := postgres.Start()
			if err != nil {
				return "", err
			}
			return net.JoinHostPort(s.Host(), strconv.Itoa(s.Port())), nil
		})
	}
	os.Exit(m.Run())
}

func TestDownAndUpKeepTheData(t *testing.T) {
	s, err := postgres.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Stop() }()
	super := s.URL(postgres.SuperUser, postgres.SuperPassword)
	exec(t, super, "CREATE ROLE kept LOGIN PASSWORD 'kept-pw'")

	if err := s.Down(); err != nil {
		t.Fatal(err)
	}
	if err := connect(super); err == nil {
		t.Fatal("the server answers while it is down")
	}
	if err := s.Up(); err != nil {
		t.Fatal(err)
	}
	if err := connect(s.URL("kept", "kept-pw")); err != nil {
		t.Errorf("the role made before the outage cannot log in after it: %v", err)
	}
}

func TestServerDiesWithTheTestBinary(t *testing.T) {
	if addr, err := proc.KillWhileRunning(30 * time.Second); err != nil {
		t.Fatalf("%s: %v", addr, err)
	}
	proc.RemoveStale("scim-pg-") // the files it left
}

func connect(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

func exec(t *testing.T, url, sql string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
