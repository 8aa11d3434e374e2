package provisioning_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/controllers"
)

// The bounds the operator promises about what it reports of an app and how fast it recovers
// (docs/connectors.md, "Outages").
const (
	outageReported  = 30 * time.Second // an app that is down is reported not Ready
	recoverySeen    = 10 * time.Second // ... and Ready again after it answers
	recoveryApplied = 10 * time.Second // pending users reach it after it answers
	countsFollow    = 5 * time.Second  // the ScimApp's counts follow the users
)

// newDefaultResyncApp creates a ScimApp that keeps the default resync period (10 minutes), as
// a new user's ScimApp does: nothing in these tests may rely on a resync.
func newDefaultResyncApp(t *testing.T, ns string, app downstream) {
	t.Helper()
	conn, credentials := app.connector()
	createApp(t, ns, conn, credentials)
	var sa scimv1.ScimApp
	if err := k8s.Get(t.Context(), types.NamespacedName{Namespace: ns, Name: appName}, &sa); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(sa.DeepCopy())
	sa.Spec.ResyncPeriod = nil
	if err := k8s.Patch(t.Context(), &sa, patch); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the ScimApp to be checked in its new generation", func() error {
		if err := k8s.Get(t.Context(), types.NamespacedName{Namespace: ns, Name: appName}, &sa); err != nil {
			return err
		}
		if sa.Status.ObservedGeneration != sa.Generation {
			return fmt.Errorf("observedGeneration %d, generation %d", sa.Status.ObservedGeneration, sa.Generation)
		}
		return appReady(t, ns, true)
	})
}

// within polls check every 100ms until it passes, failing the test if that takes longer than
// bound from start: what the operator promises for this step.
func within(t *testing.T, start time.Time, bound time.Duration, what string, check func() error) time.Duration {
	t.Helper()
	for {
		err := check()
		if err == nil {
			return time.Since(start)
		}
		if time.Since(start) > bound {
			t.Fatalf("%s: not within %s: %v", what, bound, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func getApp(t *testing.T, ns string) scimv1.ScimApp {
	t.Helper()
	var app scimv1.ScimApp
	if err := k8s.Get(t.Context(), types.NamespacedName{Namespace: ns, Name: appName}, &app); err != nil {
		t.Fatal(err)
	}
	return app
}

func getUser(t *testing.T, ns, id string) scimv1.ScimUser {
	t.Helper()
	var u scimv1.ScimUser
	if err := k8s.Get(t.Context(), types.NamespacedName{Namespace: ns, Name: id}, &u); err != nil {
		t.Fatal(err)
	}
	return u
}

func appEntry(u scimv1.ScimUser) *scimv1.AppProvisioningStatus {
	for i := range u.Status.Apps {
		if u.Status.Apps[i].Name == appName {
			return &u.Status.Apps[i]
		}
	}
	return nil
}

// TestPostgresOutageIsReportedAndRecoveredAtOnce: with PostgreSQL down, the ScimApp is reported
// not Ready within outageReported although its resync period is 10 minutes; once PostgreSQL
// answers again it is Ready within recoverySeen, and a user created during the outage, whose
// own retries have backed off far beyond recoveryApplied, has its role within that bound.
// Along the way the ScimApp's counts follow the users within countsFollow.
func TestPostgresOutageIsReportedAndRecoveredAtOnce(t *testing.T) {
	t.Parallel()
	pg := newPostgresApp(t)
	ns, token := newTenant(t)
	newDefaultResyncApp(t, ns, pg)

	users := []wantUser{
		{UserName: "alice", DisplayName: "Alice", Email: "alice@example.com", Password: "alice-Pa55", Active: true},
		{UserName: "amir", DisplayName: "Amir", Email: "amir@example.com", Password: "amir-Pa55", Active: true},
		{UserName: "ana", DisplayName: "Ana", Email: "ana@example.com", Password: "ana-Pa55", Active: true},
	}
	for _, u := range users {
		id := call(t, token, http.MethodPost, "/Users", u.scim()).Expect(t, http.StatusCreated).Body["id"].(string)
		waitUserState(t, ns, token, id, scimv1.ProvisioningProvisioned)
	}
	took := within(t, time.Now(), countsFollow, "ACCOUNTS to count the three users", func() error {
		if app := getApp(t, ns); app.Status.Provisioned != 3 || app.Status.Failed != 0 {
			return fmt.Errorf("provisioned %d, failed %d", app.Status.Provisioned, app.Status.Failed)
		}
		return nil
	})
	t.Logf("counts followed the users after %s", took)

	pg.down(t)
	down := time.Now()
	bob := wantUser{UserName: "bob", DisplayName: "Bob", Email: "bob@example.com", Password: "bob-Pa55", Active: true}
	bobID := call(t, token, http.MethodPost, "/Users", bob.scim()).Expect(t, http.StatusCreated).Body["id"].(string)
	took = within(t, down, outageReported, "the ScimApp to be reported not Ready", func() error { return appReady(t, ns, false) })
	t.Logf("outage reported after %s: %+v", took, meta.FindStatusCondition(getApp(t, ns).Status.Conditions, scimv1.ConditionReady))

	// The controller's backoff after n failures is 5ms·2^(n-1): after 13, bob's own next retry
	// is 20 s away, twice recoveryApplied.
	eventually(t, "bob's retries to back off past the recovery bound", func() error {
		if e := appEntry(getUser(t, ns, bobID)); e == nil || e.FailureCount < 13 {
			return fmt.Errorf("bob's entry: %+v", e)
		}
		return nil
	})
	pg.up(t)
	up := time.Now()
	took = within(t, up, recoverySeen, "the ScimApp to be Ready again", func() error { return appReady(t, ns, true) })
	t.Logf("Ready again after %s", took)
	took = within(t, up, recoveryApplied, "bob's role, created during the outage", func() error { return pg.account(bob) })
	t.Logf("bob provisioned %s after PostgreSQL answered again", took)
	within(t, time.Now(), countsFollow, "ACCOUNTS to count bob", func() error {
		if app := getApp(t, ns); app.Status.Provisioned != 4 || app.Status.Failed != 0 {
			return fmt.Errorf("provisioned %d, failed %d", app.Status.Provisioned, app.Status.Failed)
		}
		return nil
	})
}

// TestAnswersCarryTheStateOfTheMoment: the 201 of a POST says Pending for the app that has
// not provisioned the user yet, and a PATCH answer says what the change just made leads to,
// not the state from before it.
func TestAnswersCarryTheStateOfTheMoment(t *testing.T) {
	t.Parallel()
	pg := newPostgresApp(t)
	ns, token := newTenant(t)
	newDefaultResyncApp(t, ns, pg)

	cleo := wantUser{UserName: "cleo", DisplayName: "Cleo", Email: "cleo@example.com", Password: "cleo-Pa55", Active: true}
	created := call(t, token, http.MethodPost, "/Users", cleo.scim()).Expect(t, http.StatusCreated)
	id := created.Body["id"].(string)
	if e := provisioningEntry(created.Body); e == nil || e["state"] != string(scimv1.ProvisioningPending) {
		t.Fatalf("201 of POST /Users: provisioning extension %v, want the app Pending", created.Body[provisioningURN])
	}
	waitUserState(t, ns, token, id, scimv1.ProvisioningProvisioned)

	// excludedAttributes asks for the representation rather than 204.
	patched := call(t, token, http.MethodPatch, "/Users/"+id+"?excludedAttributes=emails", patchOps(
		map[string]any{"op": "replace", "path": "active", "value": false},
	)).Expect(t, http.StatusOK)
	if e := provisioningEntry(patched.Body); e == nil || e["state"] != string(scimv1.ProvisioningPending) {
		t.Fatalf("PATCH active=false answered with provisioning extension %v, want the app Pending (the deactivation is on its way)", patched.Body[provisioningURN])
	}
	cleo.Active = false
	eventually(t, "cleo's role disabled", func() error { return pg.account(cleo) })
	waitUserState(t, ns, token, id, scimv1.ProvisioningDisabled)
}

// TestDeletedUserNeverHoldsItsUserName: a user deleted through SCIM whose role cannot be
// dropped (it still owns a table) is reported on the ScimApp (condition, event, metric) and
// retried on its own; meanwhile a new user with its userName is served and found by a filter.
func TestDeletedUserNeverHoldsItsUserName(t *testing.T) {
	t.Parallel()
	pg := newPostgresApp(t)
	ns, token := newTenant(t)
	newDefaultResyncApp(t, ns, pg)

	dave := wantUser{UserName: "dave", DisplayName: "Dave", Email: "dave@example.com", Password: "dave-Pa55", Active: true}
	oldID := call(t, token, http.MethodPost, "/Users", dave.scim()).Expect(t, http.StatusCreated).Body["id"].(string)
	waitUserState(t, ns, token, oldID, scimv1.ProvisioningProvisioned)
	if _, err := pg.admin.Exec(t.Context(), "CREATE TABLE dave_reports (id int); ALTER TABLE dave_reports OWNER TO dave"); err != nil {
		t.Fatal(err)
	}

	call(t, token, http.MethodDelete, "/Users/"+oldID, nil).Expect(t, http.StatusNoContent)
	eventually(t, "the ScimApp to report the stuck deprovisioning", func() error {
		c := meta.FindStatusCondition(getApp(t, ns).Status.Conditions, controllers.ConditionDeprovisioningStuck)
		if c == nil || c.Status != metav1.ConditionTrue || !strings.Contains(c.Message, "dave ("+oldID+")") {
			return fmt.Errorf("condition %+v", c)
		}
		return nil
	})
	eventually(t, "a Warning event on the ScimApp", func() error {
		var list eventsv1.EventList
		if err := k8s.List(t.Context(), &list, client.InNamespace(ns)); err != nil {
			return err
		}
		for _, e := range list.Items {
			if e.Regarding.Kind == "ScimApp" && e.Type == "Warning" && e.Reason == controllers.ReasonDeprovisioningFailed {
				return nil
			}
		}
		return fmt.Errorf("no DeprovisioningFailed event among %d", len(list.Items))
	})
	if n := stuckMetric(t, ns); n != 1 {
		t.Errorf("scim_provisioning_stuck_deprovisionings = %v, want 1", n)
	}

	newID := call(t, token, http.MethodPost, "/Users", dave.scim()).Expect(t, http.StatusCreated).Body["id"].(string)
	if newID == oldID {
		t.Fatalf("the new dave got the id of the deleted one")
	}
	filter := "/Users?filter=" + url.QueryEscape(`userName eq "dave"`)
	found := func() error {
		res := call(t, token, http.MethodGet, filter, nil).Expect(t, http.StatusOK)
		if res.Body["totalResults"] != float64(1) {
			return fmt.Errorf("filter found %v", res.Body["totalResults"])
		}
		if got := res.Body["Resources"].([]any)[0].(map[string]any)["id"]; got != newID {
			return fmt.Errorf("filter found %v, want %s", got, newID)
		}
		return nil
	}
	if err := found(); err != nil {
		t.Fatalf("right after the POST: %v", err)
	}
	// Once the controller has judged the new user, it is still served: not a Duplicate of the
	// one in deletion.
	eventually(t, "the new dave to be judged", func() error {
		c := meta.FindStatusCondition(getUser(t, ns, newID).Status.Conditions, scimv1.ConditionReady)
		if c == nil {
			return fmt.Errorf("no Ready condition yet")
		}
		if c.Reason == scimv1.ReasonDuplicate {
			t.Fatalf("the new dave is a Duplicate: %s", c.Message)
		}
		return nil
	})
	if err := found(); err != nil {
		t.Fatalf("after the controller judged it: %v", err)
	}
	call(t, token, http.MethodPost, "/Users", dave.scim()).Expect(t, http.StatusConflict)

	// Once the role owns nothing, the old user is deprovisioned without anyone asking.
	if _, err := pg.admin.Exec(t.Context(), "DROP TABLE dave_reports"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the deleted dave to go", func() error { return gone(t, ns, oldID, &scimv1.ScimUser{}) })
	eventually(t, "the ScimApp to clear the condition", func() error {
		c := meta.FindStatusCondition(getApp(t, ns).Status.Conditions, controllers.ConditionDeprovisioningStuck)
		if c == nil || c.Status != metav1.ConditionFalse {
			return fmt.Errorf("condition %+v", c)
		}
		return nil
	})
	if n := stuckMetric(t, ns); n != 0 {
		t.Errorf("scim_provisioning_stuck_deprovisionings = %v, want 0", n)
	}
}

// stuckMetric reads the operator's gauge of stuck deprovisionings for the tenant's app: the
// operator runs in this process.
func stuckMetric(t *testing.T, ns string) float64 {
	t.Helper()
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "scim_provisioning_stuck_deprovisionings" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["namespace"] == ns && labels["app"] == appName {
				return m.GetGauge().GetValue()
			}
		}
	}
	return -1
}

// TestDeleteRetriedIsNotStalled: deleting a user whose userName belongs to a role the operator
// did not make fails in PostgreSQL, and is retried: the user is Reconciling, never Stalled
// (Stalled means nothing happens until something changes).
func TestDeleteRetriedIsNotStalled(t *testing.T) {
	t.Parallel()
	pg := newPostgresApp(t)
	ns, token := newTenant(t)
	newDefaultResyncApp(t, ns, pg)
	if _, err := pg.admin.Exec(t.Context(), "CREATE ROLE erin LOGIN"); err != nil {
		t.Fatal(err)
	}
	erin := wantUser{UserName: "erin", DisplayName: "Erin", Email: "erin@example.com", Password: "erin-Pa55", Active: true}
	id := call(t, token, http.MethodPost, "/Users", erin.scim()).Expect(t, http.StatusCreated).Body["id"].(string)
	waitUserState(t, ns, token, id, scimv1.ProvisioningFailed)

	call(t, token, http.MethodDelete, "/Users/"+id, nil).Expect(t, http.StatusNoContent)
	// Deprovisioning writes the app's entry and the conditions together. A reconcile begun
	// before the deletion may still write once after it: two more failures than were seen
	// once the deletion shows include at least one attempt to deprovision.
	before := int32(-1)
	eventually(t, "the deletion of erin to be tried", func() error {
		var u scimv1.ScimUser
		if err := k8s.Get(t.Context(), types.NamespacedName{Namespace: ns, Name: id}, &u); err != nil {
			return client.IgnoreNotFound(err) // deprovisioned after all: nothing to report
		}
		e := appEntry(u)
		if before < 0 {
			if u.DeletionTimestamp.IsZero() || e == nil {
				return fmt.Errorf("the deletion does not show yet")
			}
			before = e.FailureCount
		}
		if e == nil || e.FailureCount < before+2 {
			return fmt.Errorf("no attempt to deprovision yet: %+v", e)
		}
		stalled := meta.FindStatusCondition(u.Status.Conditions, scimv1.ConditionStalled)
		reconciling := meta.FindStatusCondition(u.Status.Conditions, scimv1.ConditionReconciling)
		if stalled == nil || stalled.Status == metav1.ConditionTrue {
			t.Fatalf("a deletion that is retried is Stalled: %+v (app entry %+v)", stalled, e)
		}
		if reconciling == nil || reconciling.Status != metav1.ConditionTrue {
			t.Fatalf("a deletion that is retried is not Reconciling: %+v", u.Status.Conditions)
		}
		return nil
	})
}
