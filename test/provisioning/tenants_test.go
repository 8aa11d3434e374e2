package provisioning_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

// TestTenantsSharingAPostgresServer: the apps of two tenants provision into one PostgreSQL
// server. B's identity provider creates a user whose userName is already A's role: B reports
// it, in words, as not its own (not Stalled, which says an app's configuration is broken),
// does not set its password, and B's DELETE leaves A's role alone and lets B's user go.
func TestTenantsSharingAPostgresServer(t *testing.T) {
	t.Parallel()
	pg := newPostgresApp(t)
	conn, credentials := pg.connector()
	nsA, tokenA := newTenant(t)
	createApp(t, nsA, conn, credentials)
	nsB, tokenB := newTenant(t)
	createApp(t, nsB, conn, credentials)

	alice := wantUser{UserName: "alice", DisplayName: "Alice of A", Email: "alice@a.example", Password: "a-Pa55word", Active: true}
	idA := call(t, tokenA, http.MethodPost, "/Users", alice.scim()).Expect(t, http.StatusCreated).Body["id"].(string)
	eventually(t, "A's account", func() error { return pg.account(alice) })
	waitUserState(t, nsA, tokenA, idA, scimv1.ProvisioningProvisioned)

	impostor := wantUser{UserName: "alice", DisplayName: "Alice of B", Email: "alice@b.example", Password: "b-Pa55word", Active: true}
	idB := call(t, tokenB, http.MethodPost, "/Users", impostor.scim()).Expect(t, http.StatusCreated).Body["id"].(string)
	message := waitUserState(t, nsB, tokenB, idB, scimv1.ProvisioningFailed)
	for _, words := range []string{`role "alice" exists, not managed by this app`, "another ScimApp", "To provision this user here"} {
		if !strings.Contains(message, words) {
			t.Errorf("B's user reports %q; want it to say %q", message, words)
		}
	}
	var u scimv1.ScimUser
	if err := k8s.Get(t.Context(), types.NamespacedName{Namespace: nsB, Name: idB}, &u); err != nil {
		t.Fatal(err)
	}
	if meta.IsStatusConditionTrue(u.Status.Conditions, scimv1.ConditionStalled) {
		t.Errorf("B's user is Stalled, which reads as a broken app configuration: %+v", u.Status.Conditions)
	}
	if err := appReady(t, nsB, true); err != nil {
		t.Errorf("B's app: %v", err)
	}
	if err := pg.account(alice); err != nil {
		t.Errorf("A's account after B's create: %v", err)
	}
	if err := pg.login("alice", impostor.Password); err == nil {
		t.Error("B's password logs into A's role")
	}

	call(t, tokenB, http.MethodDelete, "/Users/"+idB, nil).Expect(t, http.StatusNoContent)
	eventually(t, "B's user to go", func() error { return gone(t, nsB, idB, &scimv1.ScimUser{}) })
	if err := pg.account(alice); err != nil {
		t.Errorf("A's account after B's delete: %v", err)
	}
	if r, err := pg.role("alice"); err != nil || !r.exists {
		t.Error(errors.Join(err, errors.New("B's DELETE dropped A's role")))
	}
}
