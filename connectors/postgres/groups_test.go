package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/scim-operator/scim-operator/connectors"
)

// usersFor creates managed user roles through the connector, dropped when the test ends.
func usersFor(t *testing.T, c connectors.Client, names ...string) {
	t.Helper()
	dropLater(t, names...)
	for _, n := range names {
		create(connectors.User{ID: "id-" + n, UserName: n, Active: true})(t, c)
	}
}

func TestCreateGroup(t *testing.T) {
	cases := map[string]struct {
		reason      string
		before      func(t *testing.T, c connectors.Client)
		group       connectors.Group
		wantErr     errKind
		errMentions string
		want        roleState
		wantMembers []string
	}{
		"WithMembers": {
			reason:      "A group becomes a marked NOLOGIN role granted to its members.",
			before:      func(t *testing.T, c connectors.Client) { usersFor(t, c, "gc_a", "gc_b") },
			group:       connectors.Group{ID: "g1", DisplayName: "gc_one", Members: []string{"gc_a", "gc_b"}},
			want:        roleState{Exists: true, Comment: markA("group g1")},
			wantMembers: []string{"gc_a", "gc_b"},
		},
		"Twice": {
			reason: "Creating a group the operator already created makes its members match.",
			before: func(t *testing.T, c connectors.Client) {
				usersFor(t, c, "gc_c", "gc_d")
				if _, err := c.CreateGroup(context.Background(), connectors.Group{ID: "g2", DisplayName: "gc_two", Members: []string{"gc_c"}}); err != nil {
					t.Fatal(err)
				}
			},
			group:       connectors.Group{ID: "g2", DisplayName: "gc_two", Members: []string{"gc_d"}},
			want:        roleState{Exists: true, Comment: markA("group g2")},
			wantMembers: []string{"gc_d"},
		},
		"MissingMember": {
			reason:      "A member without a role yet is reported, after the others are granted, so a retry finishes.",
			before:      func(t *testing.T, c connectors.Client) { usersFor(t, c, "gc_e") },
			group:       connectors.Group{ID: "g3", DisplayName: "gc_three", Members: []string{"gc_e", "gc_ghost"}},
			wantErr:     otherError,
			errMentions: "gc_ghost",
			want:        roleState{Exists: true, Comment: markA("group g3")},
			wantMembers: []string{"gc_e"},
		},
		"UnmanagedMember": {
			reason: "A role the operator did not create is not granted the group.",
			before: func(t *testing.T, _ connectors.Client) {
				dropLater(t, "gc_theirs")
				adminExec(t, "CREATE ROLE gc_theirs LOGIN")
			},
			group:       connectors.Group{ID: "g4", DisplayName: "gc_four", Members: []string{"gc_theirs"}},
			wantErr:     otherError,
			errMentions: "gc_theirs",
			want:        roleState{Exists: true, Comment: markA("group g4")},
		},
		"UnmanagedRole": {
			reason: "A role of the group's name that the operator did not create is a conflict and untouched.",
			before: func(t *testing.T, c connectors.Client) {
				usersFor(t, c, "gc_f")
				adminExec(t, "CREATE ROLE gc_five LOGIN")
			},
			group:   connectors.Group{ID: "g5", DisplayName: "gc_five", Members: []string{"gc_f"}},
			wantErr: notManaged,
			want:    roleState{Exists: true, Login: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dropLater(t, tc.group.DisplayName)
			c := operator(t)
			if tc.before != nil {
				tc.before(t, c)
			}
			id, err := c.CreateGroup(context.Background(), tc.group)
			if k := kindOf(err); k != tc.wantErr {
				t.Fatalf("%s\nCreateGroup: got %v (%v), want %v", tc.reason, k, err, tc.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tc.errMentions) {
				t.Errorf("%s\nCreateGroup error %q does not name %q", tc.reason, err, tc.errMentions)
			}
			if err == nil && id != tc.group.DisplayName {
				t.Errorf("%s\nCreateGroup: ExternalID %q, want %q", tc.reason, id, tc.group.DisplayName)
			}
			if diff := cmp.Diff(tc.want, stateOf(t, tc.group.DisplayName)); diff != "" {
				t.Errorf("%s\nrole (-want +got):\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.wantMembers, membersOf(t, tc.group.DisplayName), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\nmembers (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestUpdateGroup(t *testing.T) {
	cases := map[string]struct {
		reason      string
		initial     connectors.Group
		before      func(t *testing.T)
		update      connectors.Group
		externalID  string
		wantMembers map[string][]string
	}{
		"AddMember": {
			reason:      "A new member is granted the group.",
			initial:     connectors.Group{ID: "g1", DisplayName: "gu_one", Members: []string{"gu_a"}},
			update:      connectors.Group{ID: "g1", DisplayName: "gu_one", Members: []string{"gu_a", "gu_b"}},
			externalID:  "gu_one",
			wantMembers: map[string][]string{"gu_one": {"gu_a", "gu_b"}},
		},
		"RemoveMember": {
			reason:      "A member no longer listed loses the group.",
			initial:     connectors.Group{ID: "g2", DisplayName: "gu_two", Members: []string{"gu_a", "gu_b"}},
			update:      connectors.Group{ID: "g2", DisplayName: "gu_two", Members: []string{"gu_b"}},
			externalID:  "gu_two",
			wantMembers: map[string][]string{"gu_two": {"gu_b"}},
		},
		"UnmanagedMemberKept": {
			reason:  "A role someone else granted the group keeps it; only the operator's members are synced.",
			initial: connectors.Group{ID: "g3", DisplayName: "gu_three", Members: []string{"gu_a"}},
			before: func(t *testing.T) {
				dropLater(t, "gu_dba")
				adminExec(t, "CREATE ROLE gu_dba")
				adminExec(t, "GRANT gu_three TO gu_dba")
			},
			update:      connectors.Group{ID: "g3", DisplayName: "gu_three"},
			externalID:  "gu_three",
			wantMembers: map[string][]string{"gu_three": {"gu_dba"}},
		},
		"Rename": {
			reason:      "A changed displayName renames the role, which keeps its members.",
			initial:     connectors.Group{ID: "g4", DisplayName: "gu_four_old", Members: []string{"gu_a"}},
			update:      connectors.Group{ID: "g4", DisplayName: "gu_four_new", Members: []string{"gu_a", "gu_b"}},
			externalID:  "gu_four_old",
			wantMembers: map[string][]string{"gu_four_new": {"gu_a", "gu_b"}, "gu_four_old": nil},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dropLater(t, tc.initial.DisplayName, tc.update.DisplayName)
			c := operator(t)
			usersFor(t, c, "gu_a", "gu_b")
			if _, err := c.CreateGroup(context.Background(), tc.initial); err != nil {
				t.Fatalf("CreateGroup: %v", err)
			}
			if tc.before != nil {
				tc.before(t)
			}
			if err := c.UpdateGroup(context.Background(), tc.update, tc.externalID); err != nil {
				t.Fatalf("%s\nUpdateGroup: %v", tc.reason, err)
			}
			got := map[string][]string{}
			for g := range tc.wantMembers {
				got[g] = membersOf(t, g)
			}
			if diff := cmp.Diff(tc.wantMembers, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\nmembers (-want +got):\n%s", tc.reason, diff)
			}
			obs, err := c.ObserveGroup(context.Background(), tc.update)
			want := connectors.Observation{Exists: true, ExternalID: tc.update.DisplayName, UpToDate: true}
			if diff := cmp.Diff(want, obs); err != nil || diff != "" {
				t.Errorf("%s\nObserveGroup after update: %v (-want +got):\n%s", tc.reason, err, diff)
			}
		})
	}
}

func TestObserveGroup(t *testing.T) {
	cases := map[string]struct {
		reason  string
		before  func(t *testing.T, c connectors.Client)
		group   connectors.Group
		want    connectors.Observation
		wantErr errKind
	}{
		"Missing": {
			reason: "A group without a role is reported absent.",
			group:  connectors.Group{ID: "g1", DisplayName: "go_one"},
		},
		"CrashBeforeRecord": {
			reason: "A group created but never recorded is found by displayName, members equal.",
			before: func(t *testing.T, c connectors.Client) {
				usersFor(t, c, "go_a", "go_b")
				if _, err := c.CreateGroup(context.Background(), connectors.Group{ID: "g2", DisplayName: "go_two", Members: []string{"go_a", "go_b"}}); err != nil {
					t.Fatal(err)
				}
			},
			group: connectors.Group{ID: "g2", DisplayName: "go_two", Members: []string{"go_b", "go_a"}},
			want:  connectors.Observation{Exists: true, ExternalID: "go_two", UpToDate: true},
		},
		"MemberRevokedBehindOurBack": {
			reason: "A member someone revoked makes the group out of date.",
			before: func(t *testing.T, c connectors.Client) {
				usersFor(t, c, "go_c")
				if _, err := c.CreateGroup(context.Background(), connectors.Group{ID: "g3", DisplayName: "go_three", Members: []string{"go_c"}}); err != nil {
					t.Fatal(err)
				}
				adminExec(t, "REVOKE go_three FROM go_c")
			},
			group: connectors.Group{ID: "g3", DisplayName: "go_three", Members: []string{"go_c"}},
			want:  connectors.Observation{Exists: true, ExternalID: "go_three"},
		},
		"UnmanagedMemberIgnored": {
			reason: "A member the operator does not manage does not make the group out of date.",
			before: func(t *testing.T, c connectors.Client) {
				if _, err := c.CreateGroup(context.Background(), connectors.Group{ID: "g4", DisplayName: "go_four"}); err != nil {
					t.Fatal(err)
				}
				dropLater(t, "go_dba")
				adminExec(t, "CREATE ROLE go_dba")
				adminExec(t, "GRANT go_four TO go_dba")
			},
			group: connectors.Group{ID: "g4", DisplayName: "go_four"},
			want:  connectors.Observation{Exists: true, ExternalID: "go_four", UpToDate: true},
		},
		"Unmanaged": {
			reason: "A role of the group's name that the operator did not create is a conflict.",
			before: func(t *testing.T, _ connectors.Client) {
				adminExec(t, "CREATE ROLE go_five")
			},
			group:   connectors.Group{ID: "g5", DisplayName: "go_five"},
			wantErr: notManaged,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dropLater(t, tc.group.DisplayName)
			c := operator(t)
			if tc.before != nil {
				tc.before(t, c)
			}
			got, err := c.ObserveGroup(context.Background(), tc.group)
			if k := kindOf(err); k != tc.wantErr {
				t.Fatalf("%s\nObserveGroup: got %v (%v), want %v", tc.reason, k, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nObserveGroup (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestDeleteGroup(t *testing.T) {
	cases := map[string]struct {
		reason  string
		before  func(t *testing.T, c connectors.Client)
		group   connectors.Group
		times   int
		wantErr errKind
		want    roleState
		keeps   []string // roles that must survive
	}{
		"Managed": {
			reason: "Deleting drops the group role and its memberships, not its members.",
			before: func(t *testing.T, c connectors.Client) {
				usersFor(t, c, "gd_a")
				if _, err := c.CreateGroup(context.Background(), connectors.Group{ID: "g1", DisplayName: "gd_one", Members: []string{"gd_a"}}); err != nil {
					t.Fatal(err)
				}
			},
			group: connectors.Group{ID: "g1", DisplayName: "gd_one"},
			times: 1,
			keeps: []string{"gd_a"},
		},
		"Twice": {
			reason: "Deleting a group already dropped is not an error.",
			before: func(t *testing.T, c connectors.Client) {
				if _, err := c.CreateGroup(context.Background(), connectors.Group{ID: "g2", DisplayName: "gd_two"}); err != nil {
					t.Fatal(err)
				}
			},
			group: connectors.Group{ID: "g2", DisplayName: "gd_two"},
			times: 2,
		},
		"Unmanaged": {
			reason: "A role the operator did not create is never dropped.",
			before: func(t *testing.T, _ connectors.Client) {
				adminExec(t, "CREATE ROLE gd_three")
			},
			group:   connectors.Group{ID: "g3", DisplayName: "gd_three"},
			times:   1,
			wantErr: notManaged,
			want:    roleState{Exists: true},
		},
		"ManagedUser": {
			reason: "A user role of the operator's is not dropped as a group.",
			before: func(t *testing.T, c connectors.Client) {
				create(connectors.User{ID: "u4", UserName: "gd_four"})(t, c)
			},
			group:   connectors.Group{ID: "g4", DisplayName: "gd_four"},
			times:   1,
			wantErr: notManaged,
			want:    roleState{Exists: true, Comment: markA("user u4")},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dropLater(t, tc.group.DisplayName)
			c := operator(t)
			if tc.before != nil {
				tc.before(t, c)
			}
			var err error
			for range tc.times {
				if err = c.DeleteGroup(context.Background(), tc.group, ""); err != nil {
					break
				}
			}
			if k := kindOf(err); k != tc.wantErr {
				t.Fatalf("%s\nDeleteGroup: got %v (%v), want %v", tc.reason, k, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, stateOf(t, tc.group.DisplayName)); diff != "" {
				t.Errorf("%s\nrole (-want +got):\n%s", tc.reason, diff)
			}
			for _, n := range tc.keeps {
				if !stateOf(t, n).Exists {
					t.Errorf("%s\nrole %q was dropped too", tc.reason, n)
				}
			}
		})
	}
}
