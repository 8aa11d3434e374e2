package slapd_test

import (
	"net/url"
	"os"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/scim-operator/scim-operator/internal/testapps/proc"
	"github.com/scim-operator/scim-operator/internal/testapps/slapd"
)

func TestMain(m *testing.M) {
	if os.Getenv(proc.OrphanEnv) != "" {
		proc.ServeOrphan(func() (string, error) {
			s, err := slapd.Start(slapd.Options{})
			if err != nil {
				return "", err
			}
			u, err := url.Parse(s.URL())
			return u.Host, err
		})
	}
	os.Exit(m.Run())
}

func TestDownAndUpKeepTheData(t *testing.T) {
	s, err := slapd.Start(slapd.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Stop() }()
	// The seeded operator entry binds; an entry added now survives the outage.
	if err := bind(s.URL(), slapd.OperatorDN, slapd.OperatorPassword); err != nil {
		t.Fatalf("the operator's entry cannot bind: %v", err)
	}
	conn, err := s.Dial()
	if err != nil {
		t.Fatal(err)
	}
	kept := "cn=kept," + slapd.UsersDN
	add := goldap.NewAddRequest(kept, nil)
	add.Attribute("objectClass", []string{"organizationalRole", "simpleSecurityObject"})
	add.Attribute("userPassword", []string{"kept-pw"})
	if err := conn.Add(add); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close()

	if err := s.Down(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Dial(); err == nil {
		t.Fatal("the server answers while it is down")
	}
	if err := s.Up(); err != nil {
		t.Fatal(err)
	}
	if err := bind(s.URL(), kept, "kept-pw"); err != nil {
		t.Errorf("the entry made before the outage cannot bind after it: %v", err)
	}
}

func TestServerDiesWithTheTestBinary(t *testing.T) {
	if addr, err := proc.KillWhileRunning(30 * time.Second); err != nil {
		t.Fatalf("%s: %v", addr, err)
	}
	proc.RemoveStale("scim-slapd-") // the files it left
}

func bind(url, dn, password string) error {
	conn, err := goldap.DialURL(url)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Bind(dn, password)
}
