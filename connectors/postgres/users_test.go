package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scim-operator/scim-operator/connectors"
)

// attempt is a login to try and the SQLSTATE it should end with.
type attempt struct {
	password string
	want     string
}

func checkLogins(t *testing.T, user string, attempts []attempt) {
	t.Helper()
	for _, a := range attempts {
		if got := login(t, user, a.password); got != a.want {
			t.Errorf("login as %q with %q: SQLSTATE %q, want %q", user, a.password, got, a.want)
		}
	}
}

func TestCreateUser(t *testing.T) {
	cases := map[string]struct {
		reason  string
		before  func(t *testing.T, c connectors.Client)
		user    connectors.User
		wantErr errKind
		want    roleState
		logins  []attempt
	}{
		"ActiveWithPassword": {
			reason: "An active user becomes a marked LOGIN role that its password logs into.",
			user:   connectors.User{ID: "id-1", UserName: "c_alice", Active: true, Password: ptr("pw-alice")},
			want:   roleState{Exists: true, Login: true, Comment: markA("user id-1")},
			logins: []attempt{{"pw-alice", loginOK}, {"wrong", loginBadPass}},
		},
		"Inactive": {
			reason: "An inactive user becomes a NOLOGIN role that refuses its password.",
			user:   connectors.User{ID: "id-2", UserName: "c_bob", Password: ptr("pw-bob")},
			want:   roleState{Exists: true, Comment: markA("user id-2")},
			logins: []attempt{{"pw-bob", loginNotAllowed}},
		},
		"QuotesInPassword": {
			reason: "A password with quotes, backslashes and dollars is stored exactly, so it logs in.",
			user:   connectors.User{ID: "id-3", UserName: "c_carol", Active: true, Password: ptr(`it's \'q\' "x" \\ $$ E'y' ü`)},
			want:   roleState{Exists: true, Login: true, Comment: markA("user id-3")},
			logins: []attempt{{`it's \'q\' "x" \\ $$ E'y' ü`, loginOK}},
		},
		"Twice": {
			reason: "Creating a role the operator already created brings it in line instead of failing.",
			before: func(t *testing.T, c connectors.Client) {
				_, err := c.CreateUser(context.Background(), connectors.User{ID: "id-4", UserName: "c_dave", Password: ptr("old")})
				if err != nil {
					t.Fatal(err)
				}
			},
			user:   connectors.User{ID: "id-4", UserName: "c_dave", Active: true, Password: ptr("new")},
			want:   roleState{Exists: true, Login: true, Comment: markA("user id-4")},
			logins: []attempt{{"new", loginOK}, {"old", loginBadPass}},
		},
		"UnmanagedRole": {
			reason: "A role of the same name that the operator did not create is a conflict and is left as it was.",
			before: func(t *testing.T, _ connectors.Client) {
				adminExec(t, "CREATE ROLE c_erin LOGIN PASSWORD 'theirs'")
			},
			user:    connectors.User{ID: "id-5", UserName: "c_erin", Active: false, Password: ptr("ours")},
			wantErr: notManaged,
			want:    roleState{Exists: true, Login: true},
			logins:  []attempt{{"theirs", loginOK}, {"ours", loginBadPass}},
		},
		"GroupOfSameName": {
			reason: "A group role of the operator's is not taken over as a user.",
			before: func(t *testing.T, c connectors.Client) {
				if _, err := c.CreateGroup(context.Background(), connectors.Group{ID: "g", DisplayName: "c_frank"}); err != nil {
					t.Fatal(err)
				}
			},
			user:    connectors.User{ID: "id-6", UserName: "c_frank", Active: true},
			wantErr: notManaged,
			want:    roleState{Exists: true, Comment: markA("group g")},
		},
		"ReservedName": {
			reason:  "A name the server refuses fails without the password showing in the error.",
			user:    connectors.User{ID: "id-7", UserName: "pg_reserved", Active: true, Password: ptr("hunter2-secret")},
			wantErr: otherError,
		},
		"NameTooLong": {
			reason:  "A name the server would truncate is refused rather than created under another name.",
			user:    connectors.User{ID: "id-8", UserName: strings.Repeat("n", 64), Active: true},
			wantErr: otherError,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			// stored is the name the server would keep: it truncates names to 63 bytes.
			stored := tc.user.UserName[:min(63, len(tc.user.UserName))]
			dropLater(t, stored)
			c := operator(t)
			if tc.before != nil {
				tc.before(t, c)
			}
			id, err := c.CreateUser(context.Background(), tc.user)
			if got := kindOf(err); got != tc.wantErr {
				t.Fatalf("%s\nCreateUser: got %v (%v), want %v", tc.reason, got, err, tc.wantErr)
			}
			if err != nil && tc.user.Password != nil && strings.Contains(err.Error(), *tc.user.Password) {
				t.Errorf("%s\nCreateUser error shows the password: %v", tc.reason, err)
			}
			if err == nil && id != tc.user.UserName {
				t.Errorf("%s\nCreateUser: ExternalID %q, want %q", tc.reason, id, tc.user.UserName)
			}
			if diff := cmp.Diff(tc.want, stateOf(t, stored)); diff != "" {
				t.Errorf("%s\nrole (-want +got):\n%s", tc.reason, diff)
			}
			checkLogins(t, tc.user.UserName, tc.logins)
		})
	}
}

func TestUpdateUser(t *testing.T) {
	cases := map[string]struct {
		reason     string
		initial    connectors.User
		update     connectors.User
		externalID string
		want       map[string]roleState
		logins     []attempt
	}{
		"NewPassword": {
			reason:  "A new password logs in and the old one no longer does.",
			initial: connectors.User{ID: "u1", UserName: "u_alice", Active: true, Password: ptr("old")},
			update:  connectors.User{ID: "u1", UserName: "u_alice", Active: true, Password: ptr("new")},
			want:    map[string]roleState{"u_alice": {Exists: true, Login: true, Comment: markA("user u1")}},
			logins:  []attempt{{"new", loginOK}, {"old", loginBadPass}},
		},
		"Deactivate": {
			reason:  "A deactivated user's role becomes NOLOGIN and its password is refused.",
			initial: connectors.User{ID: "u2", UserName: "u_bob", Active: true, Password: ptr("pw")},
			update:  connectors.User{ID: "u2", UserName: "u_bob", Active: false},
			want:    map[string]roleState{"u_bob": {Exists: true, Comment: markA("user u2")}},
			logins:  []attempt{{"pw", loginNotAllowed}},
		},
		"Reactivate": {
			reason:  "A reactivated user's role can log in again with the password it kept.",
			initial: connectors.User{ID: "u3", UserName: "u_carol", Active: false, Password: ptr("pw")},
			update:  connectors.User{ID: "u3", UserName: "u_carol", Active: true},
			want:    map[string]roleState{"u_carol": {Exists: true, Login: true, Comment: markA("user u3")}},
			logins:  []attempt{{"pw", loginOK}},
		},
		"Rename": {
			reason:     "A changed userName renames the role, which keeps its password.",
			initial:    connectors.User{ID: "u4", UserName: "u_dave_old", Active: true, Password: ptr("pw")},
			update:     connectors.User{ID: "u4", UserName: "u_dave_new", Active: true},
			externalID: "u_dave_old",
			want: map[string]roleState{
				"u_dave_old": {},
				"u_dave_new": {Exists: true, Login: true, Comment: markA("user u4")},
			},
			logins: []attempt{{"pw", loginOK}},
		},
		"NewSCIMID": {
			reason:  "A user created again under a new SCIM id takes its role back and re-marks it.",
			initial: connectors.User{ID: "u5-old", UserName: "u_erin", Password: ptr("pw")},
			update:  connectors.User{ID: "u5-new", UserName: "u_erin", Active: true},
			want:    map[string]roleState{"u_erin": {Exists: true, Login: true, Comment: markA("user u5-new")}},
			logins:  []attempt{{"pw", loginOK}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dropLater(t, tc.initial.UserName, tc.update.UserName)
			c := operator(t)
			if _, err := c.CreateUser(context.Background(), tc.initial); err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
			if err := c.UpdateUser(context.Background(), tc.update, tc.externalID); err != nil {
				t.Fatalf("%s\nUpdateUser: %v", tc.reason, err)
			}
			got := map[string]roleState{}
			for n := range tc.want {
				got[n] = stateOf(t, n)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nroles (-want +got):\n%s", tc.reason, diff)
			}
			checkLogins(t, tc.update.UserName, tc.logins)
		})
	}
}

func TestObserveUser(t *testing.T) {
	cases := map[string]struct {
		reason  string
		before  func(t *testing.T, c connectors.Client)
		user    connectors.User
		want    connectors.Observation
		wantErr errKind
	}{
		"Missing": {
			reason: "A user without a role is reported absent.",
			user:   connectors.User{ID: "o1", UserName: "o_alice", Active: true},
		},
		"CrashBeforeRecord": {
			reason: "A role created but never recorded is found by userName alone, with its ExternalID.",
			before: func(t *testing.T, c connectors.Client) {
				if _, err := c.CreateUser(context.Background(), connectors.User{ID: "o2", UserName: "o_bob", Active: true}); err != nil {
					t.Fatal(err)
				}
			},
			user: connectors.User{ID: "o2", UserName: "o_bob", Active: true},
			want: connectors.Observation{Exists: true, ExternalID: "o_bob", UpToDate: true},
		},
		"InactiveMatches": {
			reason: "A NOLOGIN role matches an inactive user.",
			before: func(t *testing.T, c connectors.Client) {
				if _, err := c.CreateUser(context.Background(), connectors.User{ID: "o3", UserName: "o_carol"}); err != nil {
					t.Fatal(err)
				}
			},
			user: connectors.User{ID: "o3", UserName: "o_carol"},
			want: connectors.Observation{Exists: true, ExternalID: "o_carol", UpToDate: true},
		},
		"LoginChangedBehindOurBack": {
			reason: "A role someone set NOLOGIN no longer matches an active user.",
			before: func(t *testing.T, c connectors.Client) {
				if _, err := c.CreateUser(context.Background(), connectors.User{ID: "o4", UserName: "o_dave", Active: true}); err != nil {
					t.Fatal(err)
				}
				adminExec(t, "ALTER ROLE o_dave NOLOGIN")
			},
			user: connectors.User{ID: "o4", UserName: "o_dave", Active: true},
			want: connectors.Observation{Exists: true, ExternalID: "o_dave"},
		},
		"Unmanaged": {
			reason: "A role the operator did not create is a conflict, not an account.",
			before: func(t *testing.T, _ connectors.Client) {
				adminExec(t, "CREATE ROLE o_erin LOGIN")
			},
			user:    connectors.User{ID: "o5", UserName: "o_erin", Active: true},
			wantErr: notManaged,
		},
		"UnmanagedWithOtherComment": {
			reason: "A role with a comment of its own is not the operator's either.",
			before: func(t *testing.T, _ connectors.Client) {
				adminExec(t, "CREATE ROLE o_frank LOGIN")
				adminExec(t, "COMMENT ON ROLE o_frank IS 'the reporting service'")
			},
			user:    connectors.User{ID: "o6", UserName: "o_frank", Active: true},
			wantErr: notManaged,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dropLater(t, tc.user.UserName)
			c := operator(t)
			if tc.before != nil {
				tc.before(t, c)
			}
			got, err := c.ObserveUser(context.Background(), tc.user)
			if k := kindOf(err); k != tc.wantErr {
				t.Fatalf("%s\nObserveUser: got %v (%v), want %v", tc.reason, k, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nObserveUser (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestDeleteUser(t *testing.T) {
	cases := map[string]struct {
		reason  string
		before  func(t *testing.T, c connectors.Client)
		user    connectors.User
		times   int
		wantErr errKind
		want    roleState
	}{
		"Managed": {
			reason: "Deleting drops the operator's role.",
			before: create(connectors.User{ID: "d1", UserName: "d_alice", Active: true}),
			user:   connectors.User{ID: "d1", UserName: "d_alice"},
			times:  1,
		},
		"Twice": {
			reason: "Deleting a role already dropped is not an error.",
			before: create(connectors.User{ID: "d2", UserName: "d_bob", Active: true}),
			user:   connectors.User{ID: "d2", UserName: "d_bob"},
			times:  2,
		},
		"NeverCreated": {
			reason: "Deleting a user that never had a role is not an error.",
			user:   connectors.User{ID: "d3", UserName: "d_carol"},
			times:  1,
		},
		"Unmanaged": {
			reason: "A role the operator did not create is never dropped.",
			before: func(t *testing.T, _ connectors.Client) {
				adminExec(t, "CREATE ROLE d_dave LOGIN")
			},
			user:    connectors.User{ID: "d4", UserName: "d_dave"},
			times:   1,
			wantErr: notManaged,
			want:    roleState{Exists: true, Login: true},
		},
		"OwnsObjects": {
			reason: "A role that owns a table cannot be dropped; the error is returned to retry later.",
			before: func(t *testing.T, c connectors.Client) {
				create(connectors.User{ID: "d5", UserName: "d_erin", Active: true})(t, c)
				adminExec(t, "CREATE TABLE d_erin_table (id int)")
				adminExec(t, "ALTER TABLE d_erin_table OWNER TO d_erin")
				t.Cleanup(func() { adminExec(t, "DROP TABLE d_erin_table") })
			},
			user:    connectors.User{ID: "d5", UserName: "d_erin"},
			times:   1,
			wantErr: otherError,
			want:    roleState{Exists: true, Login: true, Comment: markA("user d5")},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dropLater(t, tc.user.UserName)
			c := operator(t)
			if tc.before != nil {
				tc.before(t, c)
			}
			var err error
			for range tc.times {
				if err = c.DeleteUser(context.Background(), tc.user, tc.user.UserName); err != nil {
					break
				}
			}
			if k := kindOf(err); k != tc.wantErr {
				t.Fatalf("%s\nDeleteUser: got %v (%v), want %v", tc.reason, k, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, stateOf(t, tc.user.UserName)); diff != "" {
				t.Errorf("%s\nrole (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

// create is a before step that creates u through the connector.
func create(u connectors.User) func(t *testing.T, c connectors.Client) {
	return func(t *testing.T, c connectors.Client) {
		t.Helper()
		if _, err := c.CreateUser(context.Background(), u); err != nil {
			t.Fatalf("CreateUser(%q): %v", u.UserName, err)
		}
	}
}
