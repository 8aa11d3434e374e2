package operator_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/secretaccess"
	"github.com/scim-operator/scim-operator/internal/tenant"
)

// Someone allowed to edit ScimUsers, and not Secrets, points a user's passwordSecretRef at a
// Secret of the namespace. The operator must not lend them its own rights over Secrets: it
// neither pushes that Secret's password to apps, nor overwrites it on a password change, nor
// deletes it with the user; the user's status says why its password was not used.
func TestPasswordSecretRefAimedAtAnotherSecret(t *testing.T) {
	ctx := context.Background()
	ns, token := newTenant(t)
	legacy := newLegacyApp(t)
	if err := k8s.Create(ctx, &scimv1.ScimApp{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "legacy"}, Spec: webhookApp(legacy.server.URL)}); err != nil {
		t.Fatal(err)
	}
	victim := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db-admin"},
		Data:       map[string][]byte{"password": []byte("the-database-admin-password")},
	}
	if err := k8s.Create(ctx, victim); err != nil {
		t.Fatal(err)
	}
	id := call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "mallory", "password": "first-password"}).
		Expect(t, http.StatusCreated).Body["id"].(string)
	aim := func() {
		t.Helper()
		var u scimv1.ScimUser
		if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: id}, &u); err != nil {
			t.Fatal(err)
		}
		before := u.DeepCopy()
		u.Spec.PasswordSecretRef = &corev1.LocalObjectReference{Name: victim.Name}
		if err := k8s.Patch(ctx, &u, client.MergeFrom(before)); err != nil {
			t.Fatal(err)
		}
	}
	victimIntact := func(when string) {
		t.Helper()
		var s corev1.Secret
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(victim), &s); err != nil {
			t.Fatalf("%s: the Secret the reference was aimed at: %v", when, err)
		}
		if string(s.Data["password"]) != "the-database-admin-password" || len(s.OwnerReferences) != 0 {
			t.Fatalf("%s: the Secret the reference was aimed at was changed: data %q, owners %v", when, s.Data["password"], s.OwnerReferences)
		}
	}

	aim()
	eventually(t, func() error {
		var u scimv1.ScimUser
		if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: id}, &u); err != nil {
			return err
		}
		for _, a := range u.Status.Apps {
			if a.Name == "legacy" && a.State == scimv1.ProvisioningFailed &&
				strings.Contains(a.Message, victim.Name) && strings.Contains(a.Message, secretaccess.UsableLabel) {
				return nil
			}
		}
		return fmt.Errorf("the user's status does not say its password Secret was refused: %+v", u.Status.Apps)
	})

	// A password change goes into the user's own Secret, and the reference back to it.
	call(t, token, http.MethodPatch, "/Users/"+id, patchOps(map[string]any{"op": "replace", "path": "password", "value": "second-password"})).
		Expect(t, http.StatusNoContent)
	victimIntact("after a password change")
	var u scimv1.ScimUser
	if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: id}, &u); err != nil {
		t.Fatal(err)
	}
	if ref := u.Spec.PasswordSecretRef; ref == nil || ref.Name == victim.Name {
		t.Fatalf("after a password change the user's passwordSecretRef is %v", ref)
	}
	var own corev1.Secret
	if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: u.Spec.PasswordSecretRef.Name}, &own); err != nil {
		t.Fatal(err)
	}
	if string(own.Data["password"]) != "second-password" || !secretaccess.OwnedBy(&own, &u) {
		t.Errorf("the user's own password Secret: data %q, owners %v", own.Data["password"], own.OwnerReferences)
	}

	// Deleting the user deletes its own Secret, never the one its reference was aimed at.
	aim()
	call(t, token, http.MethodDelete, "/Users/"+id, nil).Expect(t, http.StatusNoContent)
	victimIntact("after the user's deletion")
}

// A ScimApp's author may not use it to send a Secret they cannot read to an address they
// choose: an app may use a Secret only when the Secret opts in.
func TestAppUsesOnlySecretsThatOptIn(t *testing.T) {
	ctx := context.Background()
	ns, _ := newTenant(t)
	var mu sync.Mutex
	var seen []string
	capture := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		w.WriteHeader(http.StatusNotFound)
	}))
	t.Cleanup(capture.Close)

	app := func(name, secret string) {
		t.Helper()
		spec := webhookApp(capture.URL)
		spec.Connector.Webhook.BearerToken = &scimv1.SecretKeyRef{Name: secret, Key: "token"}
		if err := k8s.Create(ctx, &scimv1.ScimApp{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: spec}); err != nil {
			t.Fatal(err)
		}
	}
	readyCondition := func(name string) (*metav1.Condition, error) {
		var a scimv1.ScimApp
		if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &a); err != nil {
			return nil, err
		}
		c := meta.FindStatusCondition(a.Status.Conditions, scimv1.ConditionReady)
		if c == nil || c.ObservedGeneration != a.Generation {
			return nil, fmt.Errorf("app %s: no Ready condition for its generation yet: %+v", name, a.Status)
		}
		return c, nil
	}
	for name, labels := range map[string]map[string]string{
		"another-teams-token": nil,
		"apps-token":          {secretaccess.UsableLabel: "true"},
	} {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
			Data: map[string][]byte{"token": []byte("value-of-" + name)}}
		if err := k8s.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
	}

	app("exfiltrate", "another-teams-token")
	eventually(t, func() error {
		c, err := readyCondition("exfiltrate")
		if err != nil {
			return err
		}
		if c.Status != metav1.ConditionFalse || !strings.Contains(c.Message, "another-teams-token") || !strings.Contains(c.Message, secretaccess.UsableLabel) {
			return fmt.Errorf("the app using a Secret that did not opt in: %+v", c)
		}
		return nil
	})

	app("legacy", "apps-token")
	eventually(t, func() error {
		c, err := readyCondition("legacy")
		if err != nil {
			return err
		}
		if c.Status != metav1.ConditionTrue {
			return fmt.Errorf("the app using a Secret that opted in: %+v", c)
		}
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	for _, h := range seen {
		if strings.Contains(h, "value-of-another-teams-token") {
			t.Fatalf("the Secret that did not opt in was sent to the app's URL")
		}
	}
}

// A credential Secret authenticates only in a namespace made a tenant by a ScimTenant: whoever
// may create Secrets somewhere cannot make a tenant of their own, nor make another tenant's
// token ambiguous (and so refused) by pasting a copy of it.
func TestCredentialsAuthenticateOnlyInTenants(t *testing.T) {
	ctx := context.Background()
	_, tokenA := newTenant(t)
	plain := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "not-a-tenant-"}}
	if err := k8s.Create(ctx, plain); err != nil {
		t.Fatal(err)
	}
	own := "token-of-" + plain.Name
	credential(t, plain.Name, "own", tenant.MethodBearer, map[string]string{tenant.TokenKey: own})
	credential(t, plain.Name, "copy", tenant.MethodBearer, map[string]string{tenant.TokenKey: tokenA})
	// The operator has seen both Secrets once a tenant's Secret created after them works: one
	// watch delivers Secrets in the order they were written.
	newTenant(t)

	call(t, own, http.MethodGet, "/Users", nil).Expect(t, http.StatusUnauthorized)
	call(t, tokenA, http.MethodGet, "/Users", nil).Expect(t, http.StatusOK)

	// The explicit act: a ScimTenant makes the namespace a tenant.
	settings(t, plain.Name, scimv1.ScimTenantSpec{})
	eventually(t, func() error {
		if res := call(t, own, http.MethodGet, "/Users", nil); res.Status != http.StatusOK {
			return fmt.Errorf("the token of a namespace with a ScimTenant: %d", res.Status)
		}
		return nil
	})
}
