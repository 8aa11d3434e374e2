package ldap_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
)

// marker is what testApp's entries carry.
const marker = "managed-by: scim-operator app uid-a (tenant-a/dir)"

// step is one call of a case; each must succeed.
type step func(ctx context.Context, c connectors.Client) error

func createUser(u connectors.User) step {
	return func(ctx context.Context, c connectors.Client) error { _, err := c.CreateUser(ctx, u); return err }
}

// updateUser passes the DN the connector reported, as the operator does once it recorded it.
func updateUser(u connectors.User, externalID string) step {
	return func(ctx context.Context, c connectors.Client) error { return c.UpdateUser(ctx, u, externalID) }
}

func deleteUser(u connectors.User, externalID string) step {
	return func(ctx context.Context, c connectors.Client) error { return c.DeleteUser(ctx, u, externalID) }
}

// person is a full active user with a password.
func person(userName string, edits ...func(*connectors.User)) connectors.User {
	u := connectors.User{
		ID: userName, UserName: userName, Active: true, DisplayName: "Alice Liddell",
		GivenName: "Alice", FamilyName: "Liddell", Email: userName + "@example.test", Password: ptr("pw-1"),
	}
	for _, edit := range edits {
		edit(&u)
	}
	return u
}

func inactive(u *connectors.User) { u.Active = false }

func password(pw string) func(*connectors.User) { return func(u *connectors.User) { u.Password = &pw } }

// personView is the entry person(userName) makes.
func personView(userName string, edits ...func(map[string][]string)) *view {
	attrs := map[string][]string{
		"uid": {userName}, "cn": {"Alice Liddell"}, "sn": {"Liddell"}, "givenName": {"Alice"},
		"mail": {userName + "@example.test"}, "displayName": {"Alice Liddell"}, "businessCategory": {marker},
	}
	for _, edit := range edits {
		edit(attrs)
	}
	v := &view{Attrs: attrs, Password: "{SSHA}"}
	if _, disabled := attrs["description"]; disabled {
		v.Password = ""
	}
	return v
}

func disabledAttrs(a map[string][]string) { a["description"] = []string{"disabled by scim-operator"} }

func TestUsers(t *testing.T) {
	cases := []struct {
		name, reason string
		steps        []step
		user         connectors.User // the user the case ends with
		want         *view           // its entry afterwards; nil: none
		absent       string          // a DN that must not exist afterwards
		binds        string          // a password that must bind as the user
		refused      string          // a password that must not
	}{{
		name:   "create",
		reason: "a new user becomes an inetOrgPerson with its attributes, the marker and a hashed password it can bind with",
		steps:  []step{createUser(person("u-create"))},
		user:   person("u-create"), want: personView("u-create"), binds: "pw-1",
	}, {
		name:   "create minimal",
		reason: "without displayName or name, cn and sn fall back to the userName and the optional attributes stay absent",
		steps:  []step{createUser(connectors.User{UserName: "u-minimal", Active: true})},
		user:   connectors.User{UserName: "u-minimal", Active: true},
		want:   &view{Attrs: map[string][]string{"uid": {"u-minimal"}, "cn": {"u-minimal"}, "sn": {"u-minimal"}, "businessCategory": {marker}}},
	}, {
		name:   "update attributes and password",
		reason: "an update replaces changed attributes, removes emptied ones and rehashes a new password, so only it binds",
		steps: []step{createUser(person("u-update")), updateUser(person("u-update", func(u *connectors.User) {
			u.DisplayName, u.GivenName, u.Email, u.Password = "Alice Hargreaves", "", "new@example.test", ptr("pw-2")
		}), userDN("u-update"))},
		user: person("u-update", func(u *connectors.User) {
			u.DisplayName, u.GivenName, u.Email, u.Password = "Alice Hargreaves", "", "new@example.test", ptr("pw-2")
		}),
		want: personView("u-update", func(a map[string][]string) {
			a["cn"], a["displayName"], a["mail"] = []string{"Alice Hargreaves"}, []string{"Alice Hargreaves"}, []string{"new@example.test"}
			delete(a, "givenName")
		}),
		binds: "pw-2", refused: "pw-1",
	}, {
		name:   "deactivate",
		reason: "a deactivated user gets the disabled description and loses its password, so its bind is refused",
		steps:  []step{createUser(person("u-off")), updateUser(person("u-off", inactive), userDN("u-off"))},
		user:   person("u-off", inactive), want: personView("u-off", disabledAttrs), refused: "pw-1",
	}, {
		name:   "create inactive",
		reason: "a user created inactive is disabled from the start and never gets a password",
		steps:  []step{createUser(person("u-born-off", inactive))},
		user:   person("u-born-off", inactive), want: personView("u-born-off", disabledAttrs), refused: "pw-1",
	}, {
		name:   "reactivate",
		reason: "reactivation removes the disabled description and writes the known password back, so the bind works again",
		steps: []step{createUser(person("u-back")), updateUser(person("u-back", inactive), userDN("u-back")),
			updateUser(person("u-back"), userDN("u-back"))},
		user: person("u-back"), want: personView("u-back"), binds: "pw-1",
	}, {
		name:   "create twice",
		reason: "creating an existing managed user is no error and leaves one matching entry",
		steps:  []step{createUser(person("u-twice")), createUser(person("u-twice"))},
		user:   person("u-twice"), want: personView("u-twice"), binds: "pw-1",
	}, {
		name:   "create over a stale entry",
		reason: "creating a user whose managed entry differs brings the entry in line instead of failing",
		steps: []step{createUser(person("u-stale", password("old"))),
			createUser(person("u-stale", func(u *connectors.User) { u.FamilyName = "Pleasance" }))},
		user: person("u-stale", func(u *connectors.User) { u.FamilyName = "Pleasance" }),
		want: personView("u-stale", func(a map[string][]string) { a["sn"] = []string{"Pleasance"} }), binds: "pw-1", refused: "old",
	}, {
		name:   "crash between create and record",
		reason: "an entry created but never recorded is found by userName alone and updated without an externalID",
		steps: []step{createUser(person("u-crash")),
			updateUser(person("u-crash", func(u *connectors.User) { u.DisplayName = "Recovered" }), "")},
		user: person("u-crash", func(u *connectors.User) { u.DisplayName = "Recovered" }),
		want: personView("u-crash", func(a map[string][]string) { a["cn"], a["displayName"] = []string{"Recovered"}, []string{"Recovered"} }),
	}, {
		name:   "update a missing entry",
		reason: "updating a user whose entry went away creates it again",
		steps:  []step{updateUser(person("u-gone"), userDN("u-gone"))},
		user:   person("u-gone"), want: personView("u-gone"), binds: "pw-1",
	}, {
		name:   "rename",
		reason: "a new userName moves the recorded entry to the new uid instead of creating a second one",
		steps:  []step{createUser(person("u-old")), updateUser(person("u-new"), userDN("u-old"))},
		user:   person("u-new"), want: personView("u-new", func(a map[string][]string) { a["mail"] = []string{"u-new@example.test"} }),
		absent: userDN("u-old"), binds: "pw-1",
	}, {
		name:   "attribute mapping",
		reason: "mapped LDAP attributes are written too, and override the default of the same name",
		steps: []step{createUser(person("u-mapped", func(u *connectors.User) {
			u.Attributes = map[string]string{"title": "Engineer", "Mail": "work@example.test"}
		}))},
		user: person("u-mapped", func(u *connectors.User) {
			u.Attributes = map[string]string{"title": "Engineer", "Mail": "work@example.test"}
		}),
		want: personView("u-mapped", func(a map[string][]string) {
			a["title"], a["mail"] = []string{"Engineer"}, []string{"work@example.test"}
		}),
	}, {
		name:   "delete",
		reason: "deleting a user removes its entry",
		steps:  []step{createUser(person("u-del")), deleteUser(person("u-del"), userDN("u-del"))},
		user:   person("u-del"), refused: "pw-1",
	}, {
		name:   "delete twice",
		reason: "deleting a user that is already gone, recorded or not, is no error",
		steps: []step{createUser(person("u-del2")), deleteUser(person("u-del2"), userDN("u-del2")),
			deleteUser(person("u-del2"), userDN("u-del2")), deleteUser(person("u-del2"), "")},
		user: person("u-del2"),
	}}
	// The operator, unlike the root DN, cannot read userPassword: the connector must manage
	// passwords blind.
	binders := []struct{ name, dn, password string }{{"root DN", adminDN, adminPW}, {"write-only operator", operatorDN, operatorPW}}
	for _, b := range binders {
		for _, tc := range cases {
			t.Run(b.name+"/"+tc.name, func(t *testing.T) {
				fresh(t, userDN(tc.user.UserName), tc.absent)
				c, err := connect(t, func(s *scimv1.LDAPConnector) { s.BindDN = b.dn }, b.password)
				if err != nil {
					t.Fatal(err)
				}
				ctx := context.Background()
				for i, s := range tc.steps {
					if err := s(ctx, c); err != nil {
						t.Fatalf("step %d: %v (%s)", i, err, tc.reason)
					}
				}
				dn := userDN(tc.user.UserName)
				if diff := cmp.Diff(tc.want, readEntry(t, dn)); diff != "" {
					t.Errorf("entry (-want +got):\n%s\n%s", diff, tc.reason)
				}
				if tc.absent != "" && readEntry(t, tc.absent) != nil {
					t.Errorf("%s still exists: %s", tc.absent, tc.reason)
				}
				if tc.binds != "" {
					if err := bind(dn, tc.binds); err != nil {
						t.Errorf("bind with %q: %v (%s)", tc.binds, err, tc.reason)
					}
				}
				if tc.refused != "" && bind(dn, tc.refused) == nil {
					t.Errorf("bind with %q worked: %s", tc.refused, tc.reason)
				}
				obs, err := c.ObserveUser(ctx, tc.user)
				if err != nil {
					t.Fatalf("ObserveUser: %v", err)
				}
				want := connectors.Observation{}
				if tc.want != nil {
					want = connectors.Observation{Exists: true, ExternalID: norm(dn), UpToDate: true}
					obs.ExternalID = norm(obs.ExternalID)
				}
				if diff := cmp.Diff(want, obs); diff != "" {
					t.Errorf("ObserveUser (-want +got):\n%s\n%s", diff, tc.reason)
				}
			})
		}
	}
}
