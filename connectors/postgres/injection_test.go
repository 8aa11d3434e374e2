package postgres

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scim-operator/scim-operator/connectors"
)

// TestHostileNames provisions names that try to end the quoted identifier: each must become
// exactly one role of that name, and the victim role must survive.
func TestHostileNames(t *testing.T) {
	adminExec(t, "CREATE ROLE victim")
	dropLater(t, "victim")
	cases := map[string]struct {
		reason string
		name   string
	}{
		"DoubleQuoteBreakout": {
			reason: "A double quote cannot end the identifier and run a DROP ROLE.",
			name:   `x"; DROP ROLE postgres; --`,
		},
		"DoubleQuoteBreakoutDroppable": {
			reason: "The same, against a role the operator could drop.",
			name:   `x"; DROP ROLE victim; CREATE ROLE "y`,
		},
		"SingleQuoteBreakout": {
			reason: "A single quote means nothing inside an identifier.",
			name:   `O'Brien'); DROP ROLE victim; --`,
		},
		"Backslashes": {
			reason: "Backslashes are kept as they are.",
			name:   `a\b\\c\"`,
		},
		"OnlyQuotes": {
			reason: "A name of double quotes alone is one role.",
			name:   `""""`,
		},
		"UnicodeAndSpaces": {
			reason: "Case, spaces and non-ASCII letters are kept, not folded.",
			name:   "Zoë Müller-Łukasz",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dropLater(t, tc.name)
			c := operator(t)
			ctx := context.Background()
			before := allRoles(t)

			u := connectors.User{ID: "h", UserName: tc.name, Active: true, Password: ptr(`p'w"` + tc.name)}
			if _, err := c.CreateUser(ctx, u); err != nil {
				t.Fatalf("%s\nCreateUser: %v", tc.reason, err)
			}
			g := connectors.Group{ID: "h", DisplayName: tc.name + "-group", Members: []string{tc.name}}
			dropLater(t, g.DisplayName)
			if _, err := c.CreateGroup(ctx, g); err != nil {
				t.Fatalf("%s\nCreateGroup: %v", tc.reason, err)
			}
			want := slices.Sorted(slices.Values(append(slices.Clone(before), tc.name, g.DisplayName)))
			if diff := cmp.Diff(want, allRoles(t)); diff != "" {
				t.Errorf("%s\nroles after create (-want +got):\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff([]string{tc.name}, membersOf(t, g.DisplayName)); diff != "" {
				t.Errorf("%s\nmembers (-want +got):\n%s", tc.reason, diff)
			}
			checkLogins(t, tc.name, []attempt{{*u.Password, loginOK}})

			if err := c.DeleteGroup(ctx, g, g.DisplayName); err != nil {
				t.Fatalf("DeleteGroup: %v", err)
			}
			if err := c.DeleteUser(ctx, u, tc.name); err != nil {
				t.Fatalf("DeleteUser: %v", err)
			}
			if diff := cmp.Diff(before, allRoles(t)); diff != "" {
				t.Errorf("%s\nroles after delete (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}
