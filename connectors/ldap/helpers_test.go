package ldap_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
	_ "github.com/scim-operator/scim-operator/connectors/ldap"
)

var bindRef = scimv1.SecretKeyRef{Name: "ldap", Key: "password"}

// fakeSecrets serves Secret keys from memory.
type fakeSecrets map[scimv1.SecretKeyRef][]byte

func (f fakeSecrets) Get(_ context.Context, ref scimv1.SecretKeyRef) ([]byte, error) {
	v, ok := f[ref]
	if !ok {
		return nil, fmt.Errorf("secret %s not found", ref.Name)
	}
	return v, nil
}

func testApp(edit func(*scimv1.LDAPConnector)) *scimv1.ScimApp {
	// insecure: the test's slapd listens on 127.0.0.1 without TLS (StartTLS is TestStartTLS's).
	spec := &scimv1.LDAPConnector{URL: ldapURL, Insecure: true, BindDN: adminDN, BindPassword: bindRef, UsersDN: usersDN, GroupsDN: groupsDN}
	if edit != nil {
		edit(spec)
	}
	return &scimv1.ScimApp{
		ObjectMeta: metav1.ObjectMeta{Namespace: "tenant-a", Name: "dir", UID: "uid-a"},
		Spec:       scimv1.ScimAppSpec{Connector: scimv1.Connectors{LDAP: spec}},
	}
}

// connect makes a client through the registry, as the operator does.
func connect(t *testing.T, edit func(*scimv1.LDAPConnector), password string) (connectors.Client, error) {
	t.Helper()
	conn, ok := connectors.Lookup("ldap")
	if !ok {
		t.Fatal(`no connector registered as "ldap"`)
	}
	cl, err := conn.Connect(context.Background(), testApp(edit), fakeSecrets{bindRef: []byte(password)})
	if err == nil {
		t.Cleanup(func() { _ = cl.Close() })
	}
	return cl, err
}

func mustConnect(t *testing.T) connectors.Client {
	t.Helper()
	cl, err := connect(t, nil, adminPW)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return cl
}

func userDN(userName string) string {
	return "uid=" + goldap.EscapeDN(userName) + "," + usersDN
}

func groupDN(name string) string { return "cn=" + goldap.EscapeDN(name) + "," + groupsDN }

// norm makes DNs comparable whatever escaping the server returns them in.
func norm(dn string) string {
	parsed, err := goldap.ParseDN(dn)
	if err != nil {
		return "unparsable: " + dn
	}
	return strings.ToLower(parsed.String())
}

func normAll(dns []string) []string {
	out := make([]string, len(dns))
	for i, dn := range dns {
		out[i] = norm(dn)
	}
	slices.Sort(out)
	return out
}

// view is what tests compare of an entry. Password is the scheme of userPassword only.
type view struct {
	Attrs    map[string][]string
	Password string
}

var viewAttrs = []string{"uid", "cn", "sn", "givenName", "mail", "displayName", "title", "description", "businessCategory", "member"}

// readEntry returns the entry at dn as the root DN sees it; nil when there is none.
func readEntry(t *testing.T, dn string) *view {
	t.Helper()
	conn, err := adminConn()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	res, err := conn.Search(goldap.NewSearchRequest(dn, goldap.ScopeBaseObject, goldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", append(slices.Clone(viewAttrs), "userPassword"), nil))
	if goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) {
		return nil
	}
	if err != nil {
		t.Fatalf("reading %s: %v", dn, err)
	}
	e := res.Entries[0]
	v := &view{Attrs: map[string][]string{}}
	for _, name := range viewAttrs {
		if values := e.GetEqualFoldAttributeValues(name); len(values) > 0 {
			if name == "member" {
				values = normAll(values)
			}
			slices.Sort(values)
			v.Attrs[name] = values
		}
	}
	if pw := e.GetAttributeValue("userPassword"); pw != "" {
		v.Password, _, _ = strings.Cut(pw, "}")
		v.Password += "}"
	}
	return v
}

// bind binds as dn with password on a connection of its own.
func bind(dn, password string) error {
	conn, err := goldap.DialURL(ldapURL)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Bind(dn, password)
}

// addEntry adds an entry as the root DN, without the connector's marker.
func addEntry(t *testing.T, dn string, attrs map[string][]string) {
	t.Helper()
	conn, err := adminConn()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := goldap.NewAddRequest(dn, nil)
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		req.Attribute(name, attrs[name])
	}
	if err := conn.Add(req); err != nil {
		t.Fatalf("adding %s: %v", dn, err)
	}
}

// fresh deletes the entries at dns before and after the test, so cases and repeated runs
// (-count) start from an empty directory.
func fresh(t *testing.T, dns ...string) {
	t.Helper()
	clean := func() {
		conn, err := adminConn()
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for _, dn := range dns {
			if dn == "" {
				continue
			}
			err := conn.Del(goldap.NewDelRequest(dn, nil))
			if err != nil && !goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) {
				t.Fatalf("deleting %s: %v", dn, err)
			}
		}
	}
	clean()
	t.Cleanup(clean)
}

func ptr[T any](v T) *T { return &v }
