package operator_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/operator"
	"github.com/scim-operator/scim-operator/internal/operatortest"
	"github.com/scim-operator/scim-operator/internal/scimtest"
	"github.com/scim-operator/scim-operator/internal/store"
)

// startSecondReplica runs a second operator beside the suite's, as two replicas of the
// Deployment serve one tenant, and returns its SCIM URL.
func startSecondReplica(t *testing.T) string {
	t.Helper()
	second, stop, err := operatortest.Start(cfg, operator.Options{SharedProcess: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("second replica stopped with: %v", err)
		}
	})
	return second.SCIMURL()
}

// TestConcurrentCreatesOnTwoReplicasGiveExactlyOneUser: 50 POSTs of one userName (in two
// cases), split between two replicas: exactly one is created, the others are 409, and the
// userName's claim names the one created.
func TestConcurrentCreatesOnTwoReplicasGiveExactlyOneUser(t *testing.T) {
	ns, token := newTenant(t)
	replicas := []string{scimURL, startSecondReplica(t)}
	var mu sync.Mutex
	counts := map[int]int{}
	var created string
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			name := "twice@example.com"
			if i%3 == 1 {
				name = "TWICE@example.com"
			}
			res := scimtest.Call(t, replicas[i%2], token, http.MethodPost, "/Users", map[string]any{"userName": name})
			mu.Lock()
			defer mu.Unlock()
			counts[res.Status]++
			if res.Status == http.StatusCreated {
				created = res.Body["id"].(string)
			}
		})
	}
	wg.Wait()
	if diff := cmp.Diff(map[int]int{http.StatusCreated: 1, http.StatusConflict: 49}, counts); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	var list scimv1.ScimUserList
	if err := k8s.List(context.Background(), &list, clientInNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].Name != created {
		t.Errorf("%d ScimUsers, want only the one created (%s)", len(list.Items), created)
	}
	if holder := claimHolder(t, ns, scimv1.ClaimUserName, "twice@example.com"); holder != created {
		t.Errorf("the claim names %q, want %q", holder, created)
	}
}

// claimHolder reads the holder of a value's ScimNameClaim as kubectl would.
func claimHolder(t *testing.T, ns string, kind scimv1.ClaimKind, value string) string {
	t.Helper()
	var c scimv1.ScimNameClaim
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: store.ClaimName(kind, value)}, &c); err != nil {
		t.Fatal(err)
	}
	return c.Spec.Holder
}

// TestClaimLeftBehindIsTakenOverAfterTheGrace: a claim is made before its resource is written,
// so a claim whose holder does not exist yet, or does not have the value yet, holds the value
// for a while (store.ClaimGrace); past that it was left by a request that failed half-way, and
// a create takes it over. A claim whose holder has the value holds it however old it is.
func TestClaimLeftBehindIsTakenOverAfterTheGrace(t *testing.T) {
	ns, token := newTenant(t)
	ctx := context.Background()
	leave := func(kind scimv1.ClaimKind, value, holder string, age time.Duration) {
		t.Helper()
		c := &scimv1.ScimNameClaim{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: store.ClaimName(kind, value), Annotations: map[string]string{
				store.ClaimedAtAnnotation: time.Now().Add(-age).UTC().Format(time.RFC3339Nano),
			}},
			Spec: scimv1.ScimNameClaimSpec{Kind: kind, Value: value, Holder: holder},
		}
		_ = k8s.Delete(ctx, c)
		if err := k8s.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
	}

	// A holder never created.
	leave(scimv1.ClaimUserName, "Orphan@example.com", "never-created", 0)
	call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "orphan@example.com"}).Expect(t, http.StatusConflict)
	leave(scimv1.ClaimUserName, "Orphan@example.com", "never-created", time.Minute)
	id := call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "orphan@example.com"}).
		Expect(t, http.StatusCreated).Body["id"].(string)
	if holder := claimHolder(t, ns, scimv1.ClaimUserName, "orphan@example.com"); holder != id {
		t.Errorf("the claim names %q after the takeover, want %q", holder, id)
	}

	// A holder that exists with another value (a rename that never happened).
	other := call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "elsewhere@example.com"}).
		Expect(t, http.StatusCreated).Body["id"].(string)
	leave(scimv1.ClaimUserName, "renamer@example.com", other, 0)
	call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "renamer@example.com"}).Expect(t, http.StatusConflict)
	leave(scimv1.ClaimUserName, "renamer@example.com", other, time.Minute)
	call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "renamer@example.com"}).Expect(t, http.StatusCreated)

	// An old claim whose holder has the value still holds it.
	leave(scimv1.ClaimUserName, "orphan@example.com", id, time.Minute)
	call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "ORPHAN@example.com"}).Expect(t, http.StatusConflict)

	// The same for a group's displayName.
	leave(scimv1.ClaimGroupDisplayName, "Left Behind", "never-created", 0)
	call(t, token, http.MethodPost, "/Groups", map[string]any{"displayName": "left behind"}).Expect(t, http.StatusConflict)
	leave(scimv1.ClaimGroupDisplayName, "Left Behind", "never-created", time.Minute)
	call(t, token, http.MethodPost, "/Groups", map[string]any{"displayName": "left behind"}).Expect(t, http.StatusCreated)
}

// TestKubectlDuplicateNeverHidesTheUserSCIMCreated: a user made with kubectl in the same
// second as a user created through SCIM, with the same userName and an object name that
// sorts first, is the one marked Duplicate: the SCIM user, acknowledged with 201, stays
// served.
func TestKubectlDuplicateNeverHidesTheUserSCIMCreated(t *testing.T) {
	ns, token := newTenant(t)
	ctx := context.Background()
	for round := 0; ; round++ {
		if round == 20 {
			t.Fatal("no kubectl create landed in the second of its SCIM create in 20 rounds")
		}
		userName := fmt.Sprintf("same-second-%d@example.com", round)
		id := call(t, token, http.MethodPost, "/Users", map[string]any{"userName": userName}).
			Expect(t, http.StatusCreated).Body["id"].(string)
		dup := &scimv1.ScimUser{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("0-kubectl-%d", round)},
			Spec: scimv1.ScimUserSpec{UserName: userName}}
		if err := k8s.Create(ctx, dup); err != nil {
			t.Fatal(err)
		}
		var scimUser scimv1.ScimUser
		if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: id}, &scimUser); err != nil {
			t.Fatal(err)
		}
		if !scimUser.CreationTimestamp.Equal(&dup.CreationTimestamp) {
			continue // another second: the tie this test is about did not happen
		}
		waitReady(t, ns, dup.Name, metav1.ConditionFalse, scimv1.ReasonDuplicate)
		waitReady(t, ns, id, metav1.ConditionTrue, scimv1.ReasonAccepted)
		res := get(t, token, "/Users", url.Values{"filter": {fmt.Sprintf("userName eq %q", userName)}}).Expect(t, http.StatusOK)
		var served []string
		for _, r := range res.Body["Resources"].([]any) {
			served = append(served, r.(map[string]any)["id"].(string))
		}
		if !slices.Equal(served, []string{id}) {
			t.Errorf("the filter serves %v, want the SCIM user %s", served, id)
		}
		call(t, token, http.MethodGet, "/Users/"+id, nil).Expect(t, http.StatusOK)
		return
	}
}

// TestDeletedUserStuckInDeprovisioningFreesItsUserName: a DELETE frees the userName at once,
// even while the user waits for a finalizer (an app that cannot be reached): a new user gets
// the userName, is found by a filter at once, and stays served once the controller has
// looked at it.
func TestDeletedUserStuckInDeprovisioningFreesItsUserName(t *testing.T) {
	ns, token := newTenant(t)
	ctx := context.Background()
	const hold = "test.scim-operator.io/hold"
	old := call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "leaver@example.com"}).
		Expect(t, http.StatusCreated).Body["id"].(string)
	var u scimv1.ScimUser
	if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: old}, &u); err != nil {
		t.Fatal(err)
	}
	before := u.DeepCopy()
	u.Finalizers = append(u.Finalizers, hold)
	if err := k8s.Patch(ctx, &u, client.MergeFrom(before)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		var u scimv1.ScimUser
		if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: old}, &u); err == nil {
			before := u.DeepCopy()
			u.Finalizers = slices.DeleteFunc(u.Finalizers, func(f string) bool { return f == hold })
			_ = k8s.Patch(ctx, &u, client.MergeFrom(before))
		}
	})
	call(t, token, http.MethodDelete, "/Users/"+old, nil).Expect(t, http.StatusNoContent)

	id := call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "Leaver@example.com"}).
		Expect(t, http.StatusCreated).Body["id"].(string)
	filtered := func() error {
		res := get(t, token, "/Users", url.Values{"filter": {`userName eq "leaver@example.com"`}}).Expect(t, http.StatusOK)
		var served []string
		for _, r := range res.Body["Resources"].([]any) {
			served = append(served, r.(map[string]any)["id"].(string))
		}
		if !slices.Equal(served, []string{id}) {
			return fmt.Errorf("the filter serves %v, want the new user %s", served, id)
		}
		return nil
	}
	if err := filtered(); err != nil {
		t.Fatal(err)
	}
	waitReady(t, ns, id, metav1.ConditionTrue, scimv1.ReasonAccepted)
	if err := filtered(); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: old}, &u); err != nil || u.DeletionTimestamp.IsZero() {
		t.Fatalf("the deleted user should still wait for its finalizer (err %v)", err)
	}
}
