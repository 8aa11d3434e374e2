package ldap_test

import (
	"context"
	"errors"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/google/go-cmp/cmp"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
	scimldap "github.com/scim-operator/scim-operator/connectors/ldap"
)

var foreignPerson = map[string][]string{
	"objectClass": {"inetOrgPerson"}, "uid": {"mallory"}, "cn": {"Mallory"}, "sn": {"M"}, "userPassword": {"theirs"},
}

// TestForeignEntries checks that entries the connector did not create are never changed or
// deleted: every call that finds one fails with ErrConflict.
func TestForeignEntries(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, reason string
		dn           string
		attrs        map[string][]string
		call         func(c connectors.Client) error
	}{{
		name: "observe user", reason: "Observe must not adopt a person someone else created",
		dn: userDN("mallory"), attrs: foreignPerson,
		call: func(c connectors.Client) error { _, err := c.ObserveUser(ctx, person("mallory")); return err },
	}, {
		name: "create user", reason: "Create must not overwrite a person someone else created",
		dn: userDN("mallory"), attrs: foreignPerson,
		call: func(c connectors.Client) error { _, err := c.CreateUser(ctx, person("mallory")); return err },
	}, {
		name: "update user", reason: "Update must not change a person someone else created, even at a recorded DN",
		dn: userDN("mallory"), attrs: foreignPerson,
		call: func(c connectors.Client) error { return c.UpdateUser(ctx, person("mallory"), userDN("mallory")) },
	}, {
		name: "delete user", reason: "Delete must not remove a person someone else created",
		dn: userDN("mallory"), attrs: foreignPerson,
		call: func(c connectors.Client) error { return c.DeleteUser(ctx, person("mallory"), "") },
	}, {
		name: "same uid under another RDN", reason: "an unmanaged entry holding the uid under another RDN also blocks creation",
		dn:    "cn=Mallory Two," + usersDN,
		attrs: map[string][]string{"objectClass": {"inetOrgPerson"}, "uid": {"mallory2"}, "cn": {"Mallory Two"}, "sn": {"M"}},
		call:  func(c connectors.Client) error { _, err := c.CreateUser(ctx, person("mallory2")); return err },
	}, {
		name: "observe group", reason: "Observe must not adopt a group someone else created",
		dn:    groupDN("admins"),
		attrs: map[string][]string{"objectClass": {"groupOfNames"}, "cn": {"admins"}, "member": {adminDN}},
		call:  func(c connectors.Client) error { _, err := c.ObserveGroup(ctx, group("admins", "ann")); return err },
	}, {
		name: "update group", reason: "Update must not set the members of a group someone else created",
		dn:    groupDN("admins"),
		attrs: map[string][]string{"objectClass": {"groupOfNames"}, "cn": {"admins"}, "member": {adminDN}},
		call:  func(c connectors.Client) error { return c.UpdateGroup(ctx, group("admins", "ann"), groupDN("admins")) },
	}, {
		name: "delete group", reason: "Delete must not remove a group someone else created",
		dn:    groupDN("admins"),
		attrs: map[string][]string{"objectClass": {"groupOfNames"}, "cn": {"admins"}, "member": {adminDN}},
		call:  func(c connectors.Client) error { return c.DeleteGroup(ctx, group("admins"), groupDN("admins")) },
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fresh(t, tc.dn)
			addEntry(t, tc.dn, tc.attrs)
			before := readEntry(t, tc.dn)
			err := tc.call(mustConnect(t))
			if !errors.Is(err, scimldap.ErrConflict) || connectors.IsConfig(err) {
				t.Errorf("got error %v, want ErrConflict: %s", err, tc.reason)
			}
			if diff := cmp.Diff(before, readEntry(t, tc.dn)); diff != "" {
				t.Errorf("foreign entry changed (-before +after):\n%s\n%s", diff, tc.reason)
			}
		})
	}
}

// TestInjection checks that userNames with DN and filter syntax stay literal values.
func TestInjection(t *testing.T) {
	cases := []struct {
		name, reason, userName string
	}{
		{"comma", "a comma must not split the RDN and place the entry under ou=admins", "x,ou=admins"},
		{"filter", "filter syntax must not widen the search to every uid", "*)(uid=*"},
		{"equals", "an equals sign stays part of the value", "a=b"},
		{"plus", "a plus must not make a multi-valued RDN", "a+cn=b"},
		{"backslash and quote", "escape characters stay literal", `b\s"q`},
		{"semicolon and angles", "old-style separators stay literal", "s;<t>"},
		{"leading hash", "a leading # must not read as a BER value", "#hash"},
		{"spaces", "leading and trailing spaces are kept in the DN", " padded "},
		{"non-ASCII", "UTF-8 is filter-escaped and matched as is", "ünïcode"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// mail is IA5: the non-ASCII userName must not leak into it.
			u := person(tc.userName, func(u *connectors.User) { u.Email = "odd@example.test" })
			fresh(t, userDN(tc.userName))
			ctx, c := context.Background(), mustConnect(t)
			id, err := c.CreateUser(ctx, u)
			if err != nil {
				t.Fatalf("CreateUser: %v (%s)", err, tc.reason)
			}
			dn, err := goldap.ParseDN(id)
			if err != nil {
				t.Fatalf("externalID %q: %v", id, err)
			}
			first := dn.RDNs[0].Attributes
			got := []string{first[0].Type, first[0].Value, norm((&goldap.DN{RDNs: dn.RDNs[1:]}).String())}
			if diff := cmp.Diff([]string{"uid", tc.userName, norm(usersDN)}, got); diff != "" || len(first) != 1 {
				t.Errorf("externalID %q (-want +got):\n%s\n%s", id, diff, tc.reason)
			}
			if err := bind(id, "pw-1"); err != nil {
				t.Errorf("bind as %q: %v (%s)", id, err, tc.reason)
			}
			obs, err := c.ObserveUser(ctx, u)
			if diff := cmp.Diff(connectors.Observation{Exists: true, ExternalID: id, UpToDate: true}, obs); err != nil || diff != "" {
				t.Errorf("ObserveUser: %v (-want +got):\n%s\n%s", err, diff, tc.reason)
			}
			if err := c.DeleteUser(ctx, u, id); err != nil || readEntry(t, id) != nil {
				t.Errorf("DeleteUser: %v, entry left: %v (%s)", err, readEntry(t, id) != nil, tc.reason)
			}
		})
	}
}

// TestWildcardUserName checks that "*" finds, and deletes, no other user.
func TestWildcardUserName(t *testing.T) {
	ctx, c := context.Background(), mustConnect(t)
	fresh(t, userDN("w-bystander"))
	if _, err := c.CreateUser(ctx, person("w-bystander")); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, reason string
		call         func() error
	}{{
		name: "observe", reason: "an unescaped * would match the bystander and report it as this user",
		call: func() error {
			obs, err := c.ObserveUser(ctx, person("*"))
			if err == nil && obs.Exists {
				return errors.New("found an entry for *")
			}
			return err
		},
	}, {
		name: "delete", reason: "deleting * by key must delete nothing",
		call: func() error { return c.DeleteUser(ctx, person("*"), "") },
	}, {
		name: "delete with a foreign externalID", reason: "a recorded DN outside usersDN is ignored, not deleted",
		call: func() error { return c.DeleteUser(ctx, person("*"), groupsDN) },
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err != nil {
				t.Errorf("%v (%s)", err, tc.reason)
			}
			if readEntry(t, userDN("w-bystander")) == nil || readEntry(t, groupsDN) == nil {
				t.Errorf("an entry was deleted: %s", tc.reason)
			}
		})
	}
}

// TestSharedParent checks that users and groups in one entry (usersDN = groupsDN) stay apart:
// a group call never treats a user with the same cn as its group.
func TestSharedParent(t *testing.T) {
	ctx := context.Background()
	c, err := connect(t, func(s *scimv1.LDAPConnector) { s.GroupsDN = usersDN }, adminPW)
	if err != nil {
		t.Fatal(err)
	}
	u, sharedGroup := person("p-shared"), "cn=Alice Liddell,"+usersDN
	fresh(t, userDN(u.UserName), sharedGroup)
	if _, err := c.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, reason string
		call         func() error
	}{{
		name: "observe", reason: "the user's cn equals the group's name, yet it is not the group",
		call: func() error {
			obs, err := c.ObserveGroup(ctx, group("Alice Liddell"))
			if err == nil && obs.Exists {
				return errors.New("the user was observed as the group")
			}
			return err
		},
	}, {
		name: "delete", reason: "deleting the group must not delete the user of the same cn",
		call: func() error { return c.DeleteGroup(ctx, group("Alice Liddell"), "") },
	}, {
		name: "delete by a user's DN", reason: "a recorded DN naming a user is not a group's, whatever the parent",
		call: func() error { return c.DeleteGroup(ctx, group("Alice Liddell"), userDN(u.UserName)) },
	}, {
		name: "create", reason: "the group is created beside the user, which keeps its entry",
		call: func() error { _, err := c.CreateGroup(ctx, group("Alice Liddell", u.UserName)); return err },
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err != nil {
				t.Errorf("%v (%s)", err, tc.reason)
			}
			if got := readEntry(t, userDN(u.UserName)); got == nil || got.Attrs["member"] != nil {
				t.Errorf("the user entry was deleted or changed: %+v (%s)", got, tc.reason)
			}
		})
	}
}
