package provisioning_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/testapps/slapd"
)

// TestLDAP provisions into a real OpenLDAP slapd: users become inetOrgPerson entries that bind
// with the identity provider's password, groups groupOfNames entries listing their members.
func TestLDAP(t *testing.T) {
	t.Parallel()
	testLifecycle(t, newLDAPApp(t))
}

type ldapApp struct{ srv *slapd.Server }

func newLDAPApp(t *testing.T) *ldapApp {
	srv, err := slapd.Start(slapd.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return &ldapApp{srv: srv}
}

// connector binds as the operator's entry, which may write but not read passwords, as a
// production bind DN often is.
func (a *ldapApp) connector() (scimv1.Connectors, map[string][]byte) {
	return scimv1.Connectors{LDAP: &scimv1.LDAPConnector{
		// insecure: the test's slapd listens on 127.0.0.1 without TLS.
		URL: a.srv.URL(), Insecure: true, BindDN: slapd.OperatorDN, BindPassword: scimv1.SecretKeyRef{Name: appSecret, Key: "password"},
		UsersDN: slapd.UsersDN, GroupsDN: slapd.GroupsDN,
	}}, map[string][]byte{"password": []byte(slapd.OperatorPassword)}
}

func ldapUserDN(userName string) string {
	return "uid=" + goldap.EscapeDN(userName) + "," + slapd.UsersDN
}

func ldapGroupDN(name string) string { return "cn=" + goldap.EscapeDN(name) + "," + slapd.GroupsDN }

// entry reads the entry at dn as the root DN; nil when there is none.
func (a *ldapApp) entry(dn string, attrs ...string) (*goldap.Entry, error) {
	conn, err := a.srv.Dial()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	res, err := conn.Search(goldap.NewSearchRequest(dn, goldap.ScopeBaseObject, goldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", attrs, nil))
	if goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return res.Entries[0], nil
}

// account: an entry uid=<userName> with the user's displayName and mail, into which the
// user's password binds exactly when the user is active; an inactive user's entry also says
// so in its description.
func (a *ldapApp) account(u wantUser) error {
	dn := ldapUserDN(u.UserName)
	e, err := a.entry(dn, "displayName", "mail", "description")
	switch {
	case err != nil:
		return err
	case e == nil:
		return fmt.Errorf("no entry %s", dn)
	case e.GetAttributeValue("displayName") != u.DisplayName || e.GetAttributeValue("mail") != u.Email:
		return fmt.Errorf("%s: displayName %q, mail %q; want %q, %q", dn,
			e.GetAttributeValue("displayName"), e.GetAttributeValue("mail"), u.DisplayName, u.Email)
	}
	disabled := slices.Contains(e.GetAttributeValues("description"), "disabled by scim-operator")
	if disabled == u.Active {
		return fmt.Errorf("%s: description %q, user active %v", dn, e.GetAttributeValues("description"), u.Active)
	}
	err = a.bind(dn, u.Password)
	switch {
	case u.Active && err != nil:
		return fmt.Errorf("%s cannot bind: %w", dn, err)
	case !u.Active && !goldap.IsErrorWithCode(err, goldap.LDAPResultInvalidCredentials):
		return fmt.Errorf("%s, inactive, binds with %v, want invalid credentials", dn, err)
	}
	return nil
}

func (a *ldapApp) bind(dn, password string) error {
	conn, err := goldap.DialURL(a.srv.URL())
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Bind(dn, password)
}

func (a *ldapApp) noAccount(userName string) error { return a.absent(ldapUserDN(userName)) }

func (a *ldapApp) absent(dn string) error {
	e, err := a.entry(dn)
	if err != nil {
		return err
	}
	if e != nil {
		return fmt.Errorf("%s exists", dn)
	}
	return nil
}

// accounts counts the entries under the users' DN with uid userName, whatever their DN.
func (a *ldapApp) accounts(t *testing.T, userName string) int {
	conn, err := a.srv.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	res, err := conn.Search(goldap.NewSearchRequest(slapd.UsersDN, goldap.ScopeSingleLevel, goldap.NeverDerefAliases, 0, 0, false,
		"(uid="+goldap.EscapeFilter(userName)+")", []string{"uid"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	return len(res.Entries)
}

// group: a groupOfNames entry cn=<displayName> whose members are exactly the members' entries
// (groupOfNames needs a member, so an empty group lists itself, which grants nobody anything).
func (a *ldapApp) group(displayName string, members ...string) error {
	dn := ldapGroupDN(displayName)
	e, err := a.entry(dn, "member")
	if err != nil {
		return err
	}
	if e == nil {
		return fmt.Errorf("no entry %s", dn)
	}
	var have, want []string
	for _, m := range e.GetAttributeValues("member") {
		if norm(m) != norm(dn) {
			have = append(have, norm(m))
		}
	}
	for _, m := range members {
		want = append(want, norm(ldapUserDN(m)))
	}
	slices.Sort(have)
	slices.Sort(want)
	if !slices.Equal(have, want) {
		return fmt.Errorf("members of %s: %v, want %v", dn, have, want)
	}
	return nil
}

// norm makes DNs comparable whatever spacing and case the server returns them in.
func norm(dn string) string {
	parsed, err := goldap.ParseDN(dn)
	if err != nil {
		return dn
	}
	return strings.ToLower(parsed.String())
}

func (a *ldapApp) noGroup(displayName string) error { return a.absent(ldapGroupDN(displayName)) }

func (a *ldapApp) deleteAccount(t *testing.T, userName string) {
	conn, err := a.srv.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Del(goldap.NewDelRequest(ldapUserDN(userName), nil)); err != nil {
		t.Fatal(err)
	}
}

func (a *ldapApp) down(t *testing.T) {
	if err := a.srv.Down(); err != nil {
		t.Fatal(err)
	}
}

func (a *ldapApp) up(t *testing.T) {
	if err := a.srv.Up(); err != nil {
		t.Fatal(err)
	}
}
