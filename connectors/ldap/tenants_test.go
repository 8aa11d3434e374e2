package ldap_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/scim-operator/scim-operator/connectors"
)

// appClient connects for an app of namespace ns, name name and UID uid.
func appClient(t *testing.T, ns, name, uid string, adopt bool) connectors.Client {
	t.Helper()
	conn, _ := connectors.Lookup("ldap")
	app := testApp(nil)
	app.ObjectMeta = metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(uid)}
	app.Spec.AdoptExisting = adopt
	cl, err := conn.Connect(context.Background(), app, fakeSecrets{bindRef: []byte(adminPW)})
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	return cl
}

func wantNotManaged(t *testing.T, op string, err error, holder connectors.Holder) {
	t.Helper()
	var nm *connectors.NotManagedError
	if !errors.As(err, &nm) || nm.Holder != holder || connectors.IsConfig(err) {
		t.Errorf("%s: got %v, want an entry not managed by this app (holder %d), not a configuration error", op, err, holder)
	}
}

// TestTenantsShareADirectory: B's app meets a user entry of A's app under the same uid: it
// neither changes nor deletes it, even with adoptExisting, and reports it as another app's.
func TestTenantsShareADirectory(t *testing.T) {
	ctx := context.Background()
	dn := userDN("tn-alice")
	fresh(t, dn, groupDN("tn-staff"))
	a := appClient(t, "tenant-a", "dir", "uid-a", false)
	if _, err := a.CreateUser(ctx, person("tn-alice")); err != nil {
		t.Fatalf("A: CreateUser: %v", err)
	}
	if _, err := a.CreateGroup(ctx, group("tn-staff", "tn-alice")); err != nil {
		t.Fatalf("A: CreateGroup: %v", err)
	}
	before, groupBefore := readEntry(t, dn), readEntry(t, groupDN("tn-staff"))
	if got := before.Attrs["businessCategory"]; !cmp.Equal(got, []string{"managed-by: scim-operator app uid-a (tenant-a/dir)"}) {
		t.Fatalf("A's entry is marked %q", got)
	}

	impostor := person("tn-alice", func(u *connectors.User) { u.ID, u.DisplayName, u.Password = "b-1", "Impostor", ptr("b's password") })
	for _, b := range []struct {
		name string
		c    connectors.Client
	}{{"B", appClient(t, "tenant-b", "dir", "uid-b", false)}, {"B with adoptExisting", appClient(t, "tenant-b", "dir2", "uid-b2", true)}} {
		_, err := b.c.ObserveUser(ctx, impostor)
		wantNotManaged(t, b.name+": ObserveUser", err, connectors.HeldByOtherApp)
		_, err = b.c.CreateUser(ctx, impostor)
		wantNotManaged(t, b.name+": CreateUser", err, connectors.HeldByOtherApp)
		wantNotManaged(t, b.name+": UpdateUser", b.c.UpdateUser(ctx, impostor, dn), connectors.HeldByOtherApp)
		wantNotManaged(t, b.name+": DeleteUser", b.c.DeleteUser(ctx, impostor, dn), connectors.HeldByOtherApp)
		wantNotManaged(t, b.name+": UpdateGroup", b.c.UpdateGroup(ctx, group("tn-staff"), groupDN("tn-staff")), connectors.HeldByOtherApp)
		wantNotManaged(t, b.name+": DeleteGroup", b.c.DeleteGroup(ctx, group("tn-staff"), groupDN("tn-staff")), connectors.HeldByOtherApp)
	}
	if diff := cmp.Diff(before, readEntry(t, dn)); diff != "" {
		t.Errorf("A's entry changed (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(groupBefore, readEntry(t, groupDN("tn-staff"))); diff != "" {
		t.Errorf("A's group changed (-before +after):\n%s", diff)
	}
	if err := bind(dn, "pw-1"); err != nil {
		t.Errorf("A's user cannot bind any more: %v", err)
	}
}

// TestAdoptExisting: an entry with no marker, or the marker of older versions (which named no
// app), is reported and left alone, unless the app sets adoptExisting: it then gets the app's
// marker in place of the old one, keeping other businessCategory values.
func TestAdoptExisting(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		before []string // businessCategory
		after  []string // after adoption
	}{
		{"unmarked", nil, []string{"managed-by: scim-operator app uid-c (tenant-c/dir)"}},
		{"legacy marker", []string{"managed-by: scim-operator", "sales"}, []string{"managed-by: scim-operator app uid-c (tenant-c/dir)", "sales"}},
		{"earlier app of the same name", []string{"managed-by: scim-operator app uid-old (tenant-c/dir)"}, []string{"managed-by: scim-operator app uid-c (tenant-c/dir)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dn := userDN("ad-user")
			fresh(t, dn)
			attrs := map[string][]string{"objectClass": {"inetOrgPerson"}, "uid": {"ad-user"}, "cn": {"Ad"}, "sn": {"User"}}
			if tc.before != nil {
				attrs["businessCategory"] = tc.before
			}
			addEntry(t, dn, attrs)
			before := readEntry(t, dn)
			u := person("ad-user")

			_, err := appClient(t, "tenant-c", "dir", "uid-c", false).CreateUser(ctx, u)
			holder := connectors.HeldByNobody
			if tc.name == "earlier app of the same name" {
				holder = connectors.HeldByOtherApp
			}
			wantNotManaged(t, "CreateUser without adoptExisting", err, holder)
			if diff := cmp.Diff(before, readEntry(t, dn)); diff != "" {
				t.Fatalf("the entry changed without adoptExisting (-before +after):\n%s", diff)
			}

			c := appClient(t, "tenant-c", "dir", "uid-c", true)
			obs, err := c.ObserveUser(ctx, u)
			if err != nil || !obs.Exists || obs.UpToDate {
				t.Fatalf("ObserveUser with adoptExisting: %+v, %v; want an existing account to update", obs, err)
			}
			if _, err := c.CreateUser(ctx, u); err != nil {
				t.Fatalf("CreateUser with adoptExisting: %v", err)
			}
			if got := readEntry(t, dn).Attrs["businessCategory"]; !cmp.Equal(got, tc.after) {
				t.Errorf("businessCategory after adoption: %q, want %q", got, tc.after)
			}
			if err := bind(dn, "pw-1"); err != nil {
				t.Errorf("the adopted user cannot bind with its password: %v", err)
			}
			if obs, err := c.ObserveUser(ctx, u); err != nil || !obs.UpToDate {
				t.Errorf("ObserveUser after adoption: %+v, %v; want up to date", obs, err)
			}
		})
	}
}
