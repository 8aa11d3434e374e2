package ldap_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/scim-operator/scim-operator/internal/testapps/slapd"
)

// The directory every test uses: a real OpenLDAP slapd started by TestMain.
const (
	suffix     = slapd.Suffix
	adminDN    = slapd.AdminDN
	adminPW    = slapd.AdminPassword
	operatorDN = slapd.OperatorDN
	operatorPW = slapd.OperatorPassword
	usersDN    = slapd.UsersDN
	groupsDN   = slapd.GroupsDN
	// idleTimeout: slapd drops idle connections soon, so a test can see the client replace them.
	idleTimeout = 2 * time.Second
)

// srv is the test server; ldapURL its URL.
var (
	srv     *slapd.Server
	ldapURL string
)

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	var err error
	srv, err = slapd.Start(slapd.Options{IdleTimeout: idleTimeout})
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: connectors/ldap tests need a real OpenLDAP slapd: %v\n", err)
		return 1
	}
	defer func() { _ = srv.Stop() }()
	ldapURL = srv.URL()
	return m.Run()
}

// adminConn is a connection bound as the root DN, to set up and inspect behind the connector.
func adminConn() (*goldap.Conn, error) { return srv.Dial() }
