package ldap_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scim-operator/scim-operator/connectors"
)

func createGroup(g connectors.Group) step {
	return func(ctx context.Context, c connectors.Client) error { _, err := c.CreateGroup(ctx, g); return err }
}

func updateGroup(g connectors.Group, externalID string) step {
	return func(ctx context.Context, c connectors.Client) error { return c.UpdateGroup(ctx, g, externalID) }
}

func deleteGroup(g connectors.Group, externalID string) step {
	return func(ctx context.Context, c connectors.Client) error { return c.DeleteGroup(ctx, g, externalID) }
}

func group(name string, members ...string) connectors.Group {
	return connectors.Group{ID: name, DisplayName: name, Members: members}
}

// groupView is the entry of a managed group whose member values are members (DNs).
func groupView(name string, members ...string) *view {
	return &view{Attrs: map[string][]string{"cn": {name}, "businessCategory": {marker}, "member": normAll(members)}}
}

func TestGroups(t *testing.T) {
	cases := []struct {
		name, reason string
		steps        []step
		group        connectors.Group // the group the case ends with
		want         *view            // its entry afterwards; nil: none
		absent       string           // a DN that must not exist afterwards
	}{{
		name:   "create with members",
		reason: "a new group is a groupOfNames whose members are the users' DNs",
		steps:  []step{createGroup(group("g-create", "ann", "bob"))},
		group:  group("g-create", "ann", "bob"), want: groupView("g-create", userDN("ann"), userDN("bob")),
	}, {
		name:   "create empty",
		reason: "groupOfNames needs a member, so an empty group holds its own DN and still observes as up to date",
		steps:  []step{createGroup(group("g-empty"))},
		group:  group("g-empty"), want: groupView("g-empty", groupDN("g-empty")),
	}, {
		name:   "add a member",
		reason: "UpdateGroup adds a member that joined",
		steps:  []step{createGroup(group("g-add", "ann")), updateGroup(group("g-add", "ann", "bob"), groupDN("g-add"))},
		group:  group("g-add", "ann", "bob"), want: groupView("g-add", userDN("ann"), userDN("bob")),
	}, {
		name:   "remove a member",
		reason: "UpdateGroup sets the members exactly, dropping one that left",
		steps:  []step{createGroup(group("g-remove", "ann", "bob")), updateGroup(group("g-remove", "bob"), groupDN("g-remove"))},
		group:  group("g-remove", "bob"), want: groupView("g-remove", userDN("bob")),
	}, {
		name:   "remove every member",
		reason: "a group whose last member left falls back to the placeholder instead of violating the schema",
		steps:  []step{createGroup(group("g-drain", "ann")), updateGroup(group("g-drain"), groupDN("g-drain"))},
		group:  group("g-drain"), want: groupView("g-drain", groupDN("g-drain")),
	}, {
		name:   "first member replaces the placeholder",
		reason: "once a member joins an empty group, the group's own DN is no longer a member",
		steps:  []step{createGroup(group("g-fill")), updateGroup(group("g-fill", "ann"), groupDN("g-fill"))},
		group:  group("g-fill", "ann"), want: groupView("g-fill", userDN("ann")),
	}, {
		name:   "create twice",
		reason: "creating an existing managed group is no error and sets its members",
		steps:  []step{createGroup(group("g-twice", "ann")), createGroup(group("g-twice", "bob"))},
		group:  group("g-twice", "bob"), want: groupView("g-twice", userDN("bob")),
	}, {
		name:   "crash between create and record",
		reason: "a group created but never recorded is found by displayName and updated without an externalID",
		steps:  []step{createGroup(group("g-crash", "ann")), updateGroup(group("g-crash", "bob"), "")},
		group:  group("g-crash", "bob"), want: groupView("g-crash", userDN("bob")),
	}, {
		name:   "rename",
		reason: "a new displayName moves the recorded entry instead of creating a second group",
		steps:  []step{createGroup(group("g-old", "ann")), updateGroup(group("g-new", "ann"), groupDN("g-old"))},
		group:  group("g-new", "ann"), want: groupView("g-new", userDN("ann")), absent: groupDN("g-old"),
	}, {
		name:   "member with special characters",
		reason: "a member's userName is escaped into its DN, so a comma does not make it another entry",
		steps:  []step{createGroup(group("g-odd", "x,ou=admins"))},
		group:  group("g-odd", "x,ou=admins"), want: groupView("g-odd", userDN("x,ou=admins")),
	}, {
		name:   "delete",
		reason: "deleting a group removes its entry",
		steps:  []step{createGroup(group("g-del", "ann")), deleteGroup(group("g-del", "ann"), groupDN("g-del"))},
		group:  group("g-del", "ann"),
	}, {
		name:   "delete twice",
		reason: "deleting a group that is already gone, recorded or not, is no error",
		steps: []step{createGroup(group("g-del2")), deleteGroup(group("g-del2"), groupDN("g-del2")),
			deleteGroup(group("g-del2"), groupDN("g-del2")), deleteGroup(group("g-del2"), "")},
		group: group("g-del2"),
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fresh(t, groupDN(tc.group.DisplayName), tc.absent)
			ctx, c := context.Background(), mustConnect(t)
			for i, s := range tc.steps {
				if err := s(ctx, c); err != nil {
					t.Fatalf("step %d: %v (%s)", i, err, tc.reason)
				}
			}
			dn := groupDN(tc.group.DisplayName)
			if diff := cmp.Diff(tc.want, readEntry(t, dn)); diff != "" {
				t.Errorf("entry (-want +got):\n%s\n%s", diff, tc.reason)
			}
			if tc.absent != "" && readEntry(t, tc.absent) != nil {
				t.Errorf("%s still exists: %s", tc.absent, tc.reason)
			}
			obs, err := c.ObserveGroup(ctx, tc.group)
			if err != nil {
				t.Fatalf("ObserveGroup: %v", err)
			}
			want := connectors.Observation{}
			if tc.want != nil {
				want = connectors.Observation{Exists: true, ExternalID: norm(dn), UpToDate: true}
				obs.ExternalID = norm(obs.ExternalID)
			}
			if diff := cmp.Diff(want, obs); diff != "" {
				t.Errorf("ObserveGroup (-want +got):\n%s\n%s", diff, tc.reason)
			}
		})
	}
}

// TestObserveStale checks that Observe reports UpToDate false for each kind of drift, which
// is what makes the operator call Update.
func TestObserveStale(t *testing.T) {
	cases := []struct {
		name, reason string
		create       step
		observe      func(ctx context.Context, c connectors.Client) (connectors.Observation, error)
		dn           string
	}{{
		name:   "user attribute",
		reason: "a changed displayName is drift",
		create: createUser(person("s-attr")), dn: userDN("s-attr"),
		observe: func(ctx context.Context, c connectors.Client) (connectors.Observation, error) {
			return c.ObserveUser(ctx, person("s-attr", func(u *connectors.User) { u.DisplayName = "Other" }))
		},
	}, {
		name:   "user active state",
		reason: "an active entry for a user that should be inactive is drift",
		create: createUser(person("s-active")), dn: userDN("s-active"),
		observe: func(ctx context.Context, c connectors.Client) (connectors.Observation, error) {
			return c.ObserveUser(ctx, person("s-active", inactive))
		},
	}, {
		name:   "user password",
		reason: "a readable {SSHA} password that does not match the known one is drift",
		create: createUser(person("s-pw")), dn: userDN("s-pw"),
		observe: func(ctx context.Context, c connectors.Client) (connectors.Observation, error) {
			return c.ObserveUser(ctx, person("s-pw", password("pw-other")))
		},
	}, {
		name:   "group members",
		reason: "a different member set is drift",
		create: createGroup(group("s-members", "ann")), dn: groupDN("s-members"),
		observe: func(ctx context.Context, c connectors.Client) (connectors.Observation, error) {
			return c.ObserveGroup(ctx, group("s-members", "ann", "bob"))
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fresh(t, tc.dn)
			ctx, c := context.Background(), mustConnect(t)
			if err := tc.create(ctx, c); err != nil {
				t.Fatal(err)
			}
			obs, err := tc.observe(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			obs.ExternalID = norm(obs.ExternalID)
			want := connectors.Observation{Exists: true, ExternalID: norm(tc.dn), UpToDate: false}
			if diff := cmp.Diff(want, obs); diff != "" {
				t.Errorf("Observe (-want +got):\n%s\n%s", diff, tc.reason)
			}
		})
	}
}
