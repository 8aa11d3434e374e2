package scim_test

import (
	"net/http"
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scim-operator/scim-operator/connectors"
)

func TestGroups(t *testing.T) {
	t.Parallel()
	type step struct {
		// members are keys of the case's users: a, b and c have accounts from the start, d
		// gets one only after the group is created.
		members []string
		// displayName replaces the group's when set.
		displayName string
		// want are the keys of the members the app should hold, and upToDate what Observe
		// then reports.
		want     []string
		upToDate bool
	}
	cases := map[string]struct {
		reason string
		method string
		create step
		// update is applied with UpdateGroup when set.
		update *step
	}{
		"create with members": {
			reason: "a group arrives with its members as the app's ids of their accounts.",
			create: step{members: []string{"a", "b"}, want: []string{"a", "b"}, upToDate: true},
		},
		"create without members": {
			reason: "a group without members is created empty.",
			create: step{want: nil, upToDate: true},
		},
		"add members with PATCH": {
			reason: "members added to the group are added in the app.",
			method: http.MethodPatch,
			create: step{members: []string{"a"}, want: []string{"a"}, upToDate: true},
			update: &step{members: []string{"a", "b", "c"}, want: []string{"a", "b", "c"}, upToDate: true},
		},
		"remove a member with PATCH": {
			reason: "a member removed from the group is removed in the app.",
			method: http.MethodPatch,
			create: step{members: []string{"a", "b"}, want: []string{"a", "b"}, upToDate: true},
			update: &step{members: []string{"a"}, want: []string{"a"}, upToDate: true},
		},
		"remove every member with PATCH": {
			reason: "a group whose members all left has none in the app.",
			method: http.MethodPatch,
			create: step{members: []string{"a", "b"}, want: []string{"a", "b"}, upToDate: true},
			update: &step{want: nil, upToDate: true},
		},
		"change members with PUT": {
			reason: "a PUT sends the whole new member list.",
			method: http.MethodPut,
			create: step{members: []string{"a", "b"}, want: []string{"a", "b"}, upToDate: true},
			update: &step{members: []string{"b", "c"}, want: []string{"b", "c"}, upToDate: true},
		},
		"rename with PATCH": {
			reason: "a renamed group is renamed in the app, and found by its new name.",
			method: http.MethodPatch,
			create: step{members: []string{"a"}, want: []string{"a"}, upToDate: true},
			update: &step{members: []string{"a"}, displayName: "renamed", want: []string{"a"}, upToDate: true},
		},
		"rename with PUT": {
			reason: "a PUT carries the new displayName.",
			method: http.MethodPut,
			create: step{members: []string{"a"}, want: []string{"a"}, upToDate: true},
			update: &step{members: []string{"a"}, displayName: "renamed", want: []string{"a"}, upToDate: true},
		},
		"member without an account yet": {
			reason: "a member the app has no account for is left out, and the group is not UpToDate until a later update adds it.",
			create: step{members: []string{"a", "d"}, want: []string{"a"}, upToDate: false},
			update: &step{members: []string{"a", "d"}, want: []string{"a", "d"}, upToDate: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			t.Log(tc.reason)
			ctx := t.Context()
			c := connect(t, bearer(tc.method), nil)
			users := map[string]connectors.User{}
			ids := map[string]string{}
			for _, k := range []string{"a", "b", "c", "d"} {
				users[k] = user(unique("member-" + k))
				if k != "d" {
					ids[k] = mustCreate(t, c, users[k])
				}
			}
			g := connectors.Group{ID: "scim-group", DisplayName: unique("group"), ExternalID: "idp-group"}

			g.Members = userNames(users, tc.create.members)
			id, err := c.CreateGroup(ctx, g)
			if err != nil {
				t.Fatalf("CreateGroup: %v", err)
			}
			ids["d"] = mustCreate(t, c, users["d"])
			checkGroup(t, c, g, id, ids, tc.create.want, tc.create.upToDate)

			if tc.update != nil {
				g.Members = userNames(users, tc.update.members)
				if tc.update.displayName != "" {
					g.DisplayName = unique(tc.update.displayName)
				}
				if err := c.UpdateGroup(ctx, g, id); err != nil {
					t.Fatalf("UpdateGroup: %v", err)
				}
				checkGroup(t, c, g, id, ids, tc.update.want, tc.update.upToDate)
			}
		})
	}
}

// checkGroup compares what the app holds of g and what ObserveGroup reports with the members
// of keys want.
func checkGroup(t *testing.T, c connectors.Client, g connectors.Group, id string, ids map[string]string, want []string, upToDate bool) {
	t.Helper()
	doc := downstream(t, "/Groups", id)
	var held, wantIDs []string
	list, _ := doc["members"].([]any)
	for _, m := range list {
		held = append(held, m.(map[string]any)["value"].(string))
	}
	for _, k := range want {
		wantIDs = append(wantIDs, ids[k])
	}
	sort.Strings(held)
	sort.Strings(wantIDs)
	type group struct {
		DisplayName, ExternalID string
		Members                 []string
	}
	gotGroup := group{DisplayName: doc["displayName"].(string), ExternalID: doc["externalId"].(string), Members: held}
	if diff := cmp.Diff(group{g.DisplayName, g.ExternalID, wantIDs}, gotGroup); diff != "" {
		t.Errorf("group in the app (-want +got):\n%s", diff)
	}
	got, err := c.ObserveGroup(t.Context(), g)
	if err != nil {
		t.Fatalf("ObserveGroup: %v", err)
	}
	if diff := cmp.Diff(connectors.Observation{Exists: true, ExternalID: id, UpToDate: upToDate}, got); diff != "" {
		t.Errorf("ObserveGroup (-want +got):\n%s", diff)
	}
}

// userNames are the sorted userNames of the users of keys, as the controller passes members.
func userNames(users map[string]connectors.User, keys []string) []string {
	var names []string
	for _, k := range keys {
		names = append(names, users[k].UserName)
	}
	slices.Sort(names)
	return names
}

func TestGroupIdempotency(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		reason string
		run    func(t *testing.T, c connectors.Client, g connectors.Group)
	}{
		"create twice adopts": {
			reason: "a second create finds the group by displayName and returns its id.",
			run: func(t *testing.T, c connectors.Client, g connectors.Group) {
				first := mustCreateGroup(t, c, g)
				if second := mustCreateGroup(t, c, g); second != first {
					t.Errorf("second CreateGroup = %q, want the first's %q", second, first)
				}
				if n := count(t, "/Groups", "displayName", g.DisplayName); n != 1 {
					t.Errorf("the app has %d groups named %q, want 1", n, g.DisplayName)
				}
			},
		},
		"delete twice": {
			reason: "deleting a group that is gone succeeds.",
			run: func(t *testing.T, c connectors.Client, g connectors.Group) {
				id := mustCreateGroup(t, c, g)
				for range 2 {
					if err := c.DeleteGroup(t.Context(), g, id); err != nil {
						t.Fatalf("DeleteGroup: %v", err)
					}
				}
				got, err := c.ObserveGroup(t.Context(), g)
				if err != nil || got.Exists {
					t.Errorf("ObserveGroup after delete = %+v, %v; want absent", got, err)
				}
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			t.Log(tc.reason)
			c := connect(t, bearer(""), nil)
			member := user(unique("member"))
			mustCreate(t, c, member)
			tc.run(t, c, connectors.Group{ID: "g", DisplayName: unique("group"), Members: []string{member.UserName}})
		})
	}
}

func mustCreateGroup(t *testing.T, c connectors.Client, g connectors.Group) string {
	t.Helper()
	id, err := c.CreateGroup(t.Context(), g)
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	return id
}
