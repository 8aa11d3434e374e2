package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
)

// appClient connects as the operator for an app of namespace ns, name name and UID uid.
func appClient(t *testing.T, ns, name, uid string, adopt bool) connectors.Client {
	t.Helper()
	conn, _ := connectors.Lookup("postgres")
	app := &scimv1.ScimApp{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(uid)},
		Spec: scimv1.ScimAppSpec{AdoptExisting: adopt, Connector: scimv1.Connectors{Postgres: &scimv1.PostgresConnector{
			// The test server listens on 127.0.0.1 without TLS.
			Host: "127.0.0.1", Port: int32(srv.Port()), SSLMode: "disable", Username: operatorUser, Password: pwRef,
		}}},
	}
	c, err := conn.Connect(context.Background(), app, fakeSecrets{pwRef: operatorPassword})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// notManagedBy asserts that err reports an account left alone, held as holder.
func notManagedBy(t *testing.T, op string, err error, holder connectors.Holder) {
	t.Helper()
	var nm *connectors.NotManagedError
	if !errors.As(err, &nm) || nm.Holder != holder {
		t.Fatalf("%s: got %v, want an account not managed by this app (holder %d)", op, err, holder)
	}
	if connectors.IsConfig(err) {
		t.Errorf("%s: %v is a configuration error; the app's configuration is fine", op, err)
	}
	if !strings.Contains(err.Error(), "exists, not managed by this app") || !strings.Contains(err.Error(), "To provision") {
		t.Errorf("%s: %q does not say what happened and what to do", op, err)
	}
}

// TestTenantsShareAServer: two tenants' apps on one server. B's identity provider creates a
// user whose userName is a role of A's: B neither sets its password nor drops it, even with
// adoptExisting, and reports the account as not its own.
func TestTenantsShareAServer(t *testing.T) {
	ctx := context.Background()
	dropLater(t, "tn_alice")
	a := appClient(t, "tenant-a", "db", "uid-a", false)
	b := appClient(t, "tenant-b", "db", "uid-b", false)
	bAdopting := appClient(t, "tenant-b", "db2", "uid-b2", true)

	if _, err := a.CreateUser(ctx, connectors.User{ID: "a-1", UserName: "tn_alice", Active: true, Password: ptr("a's password")}); err != nil {
		t.Fatalf("A: CreateUser: %v", err)
	}
	want := roleState{Exists: true, Login: true, Comment: "managed by scim-operator app uid-a (tenant-a/db): user a-1"}
	if diff := cmp.Diff(want, stateOf(t, "tn_alice")); diff != "" {
		t.Fatalf("A's role (-want +got):\n%s", diff)
	}

	bob := connectors.User{ID: "b-1", UserName: "tn_alice", Active: true, Password: ptr("b's password")}
	for _, c := range []struct {
		name string
		c    connectors.Client
	}{{"B", b}, {"B with adoptExisting", bAdopting}} {
		_, err := c.c.ObserveUser(ctx, bob)
		notManagedBy(t, c.name+": ObserveUser", err, connectors.HeldByOtherApp)
		_, err = c.c.CreateUser(ctx, bob)
		notManagedBy(t, c.name+": CreateUser", err, connectors.HeldByOtherApp)
		err = c.c.UpdateUser(ctx, bob, "tn_alice")
		notManagedBy(t, c.name+": UpdateUser", err, connectors.HeldByOtherApp)
		err = c.c.DeleteUser(ctx, bob, "tn_alice")
		notManagedBy(t, c.name+": DeleteUser", err, connectors.HeldByOtherApp)
	}

	if diff := cmp.Diff(want, stateOf(t, "tn_alice")); diff != "" {
		t.Errorf("A's role after B's calls (-want +got):\n%s", diff)
	}
	checkLogins(t, "tn_alice", []attempt{{"a's password", loginOK}, {"b's password", loginBadPass}})

	// Groups: B cannot take A's group role, nor grant it to or revoke it from anyone.
	dropLater(t, "tn_staff")
	if _, err := a.CreateGroup(ctx, connectors.Group{ID: "ga", DisplayName: "tn_staff", Members: []string{"tn_alice"}}); err != nil {
		t.Fatalf("A: CreateGroup: %v", err)
	}
	_, err := b.CreateGroup(ctx, connectors.Group{ID: "gb", DisplayName: "tn_staff"})
	notManagedBy(t, "B: CreateGroup", err, connectors.HeldByOtherApp)
	err = b.DeleteGroup(ctx, connectors.Group{ID: "gb", DisplayName: "tn_staff"}, "tn_staff")
	notManagedBy(t, "B: DeleteGroup", err, connectors.HeldByOtherApp)
	if diff := cmp.Diff([]string{"tn_alice"}, membersOf(t, "tn_staff")); diff != "" {
		t.Errorf("members of A's group (-want +got):\n%s", diff)
	}
}

// TestAdoptExisting: a role no app marked is reported and left alone, unless the app adopts
// such roles; a role of an earlier app of the same namespace and name (deleted and created
// again, so another UID) is adopted only with adoptExisting; a role marked by an older
// version for this very resource is taken back without it.
func TestAdoptExisting(t *testing.T) {
	ctx := context.Background()
	cases := map[string]struct {
		reason  string
		comment string // of the role before; "" for none
		adopt   bool
		wantErr errKind
		holder  connectors.Holder
	}{
		"UnmarkedLeftAlone": {
			reason:  "A role made by hand is reported and untouched.",
			wantErr: notManaged, holder: connectors.HeldByNobody,
		},
		"UnmarkedAdopted": {
			reason: "With adoptExisting a role made by hand is taken over and marked.",
			adopt:  true,
		},
		"ForeignCommentAdopted": {
			reason:  "A role with a comment of its own counts as unmarked.",
			comment: "the reporting service", adopt: true,
		},
		"LegacyMarkOfThisUser": {
			reason:  "The mark of older versions with this user's SCIM id is unambiguous: taken back without adoptExisting.",
			comment: "managed by scim-operator: user ad-1",
		},
		"LegacyMarkOfAnotherID": {
			reason:  "An older mark of another SCIM id may be another tenant's: left alone.",
			comment: "managed by scim-operator: user someone-else",
			wantErr: notManaged, holder: connectors.HeldByNobody,
		},
		"LegacyMarkOfAnotherIDAdopted": {
			reason:  "With adoptExisting an older mark counts as unmarked.",
			comment: "managed by scim-operator: user someone-else", adopt: true,
		},
		"EarlierAppOfSameName": {
			reason:  "An app deleted and created again is another app until it adopts.",
			comment: "managed by scim-operator app uid-old (tenant-c/db): user ad-1",
			wantErr: notManaged, holder: connectors.HeldByOtherApp,
		},
		"EarlierAppOfSameNameAdopted": {
			reason:  "With adoptExisting an app takes over the roles of its earlier self.",
			comment: "managed by scim-operator app uid-old (tenant-c/db): user ad-1", adopt: true,
		},
		"LegacyGroupNotAdoptedAsUser": {
			reason:  "A group role of an older version is not taken over as a user, even with adoptExisting.",
			comment: "managed by scim-operator: group ad-1", adopt: true,
			wantErr: notManaged, holder: connectors.HeldByOtherApp,
		},
		"OtherAppOfSameNamespace": {
			reason:  "Another app of the tenant is never adopted from.",
			comment: "managed by scim-operator app uid-x (tenant-c/other): user ad-1", adopt: true,
			wantErr: notManaged, holder: connectors.HeldByOtherApp,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dropLater(t, "ad_user")
			adminExec(t, "CREATE ROLE ad_user LOGIN PASSWORD 'theirs'")
			if tc.comment != "" {
				adminExec(t, "COMMENT ON ROLE ad_user IS "+mustLiteral(tc.comment))
			}
			before := stateOf(t, "ad_user")
			c := appClient(t, "tenant-c", "db", "uid-c", tc.adopt)
			u := connectors.User{ID: "ad-1", UserName: "ad_user", Active: true, Password: ptr("ours")}
			_, err := c.CreateUser(ctx, u)
			if k := kindOf(err); k != tc.wantErr {
				t.Fatalf("%s\nCreateUser: got %v (%v), want %v", tc.reason, k, err, tc.wantErr)
			}
			if tc.wantErr == notManaged {
				notManagedBy(t, "CreateUser", err, tc.holder)
				if diff := cmp.Diff(before, stateOf(t, "ad_user")); diff != "" {
					t.Errorf("%s\nrole changed (-before +after):\n%s", tc.reason, diff)
				}
				checkLogins(t, "ad_user", []attempt{{"theirs", loginOK}})
				return
			}
			want := roleState{Exists: true, Login: true, Comment: "managed by scim-operator app uid-c (tenant-c/db): user ad-1"}
			if diff := cmp.Diff(want, stateOf(t, "ad_user")); diff != "" {
				t.Errorf("%s\nrole (-want +got):\n%s", tc.reason, diff)
			}
			checkLogins(t, "ad_user", []attempt{{"ours", loginOK}, {"theirs", loginBadPass}})
			// Once marked, the role is the app's: found up to date, and deleted on request.
			obs, err := c.ObserveUser(ctx, u)
			if err != nil || !obs.Exists || !obs.UpToDate {
				t.Errorf("ObserveUser after adoption: %+v, %v", obs, err)
			}
			if err := c.DeleteUser(ctx, u, obs.ExternalID); err != nil {
				t.Errorf("DeleteUser after adoption: %v", err)
			}
			if stateOf(t, "ad_user").Exists {
				t.Error("the adopted role was not dropped")
			}
		})
	}
}
