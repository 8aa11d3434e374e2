package controllers

import (
	"errors"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
)

// An unreachable app is checked after 1, 2, 4, then every 5 s; a reachable one whose users fail
// every 5 s; a healthy one, or one whose configuration is wrong, at its resync period.
func TestAppHealthSchedule(t *testing.T) {
	var h appHealth
	app := &scimv1.ScimApp{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "app", UID: "1", Generation: 1}}
	now := time.Unix(1000, 0)
	if !h.due(app, false, now) {
		t.Fatal("an app never checked is not due")
	}
	down := errors.New("connection refused")
	for _, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second} {
		h.checked(app, down, false, now)
		if got := h.untilNext(app, false, now); got != want {
			t.Errorf("unreachable: next check in %s, want %s", got, want)
		}
		now = now.Add(want)
	}
	h.checked(app, nil, true, now)
	if got := h.untilNext(app, false, now); got != failingUsersCheck {
		t.Errorf("users failing: next check in %s, want %s", got, failingUsersCheck)
	}
	h.checked(app, nil, false, now)
	if got := h.untilNext(app, false, now); got != 10*time.Minute {
		t.Errorf("healthy: next check in %s, want the resync period", got)
	}
	if h.due(app, true, now.Add(time.Second)) {
		t.Error("due a second after a check although users failed")
	}
	if !h.due(app, true, now.Add(failingUsersCheck)) {
		t.Error("not due failingUsersCheck after a check although users failed since")
	}
	if got := h.untilNext(app, true, now.Add(time.Second)); got != failingUsersCheck-time.Second {
		t.Errorf("users failed since the check: next check in %s, want %s", got, failingUsersCheck-time.Second)
	}
	h.checked(app, connectors.ConfigError("refused"), false, now)
	if got := h.untilNext(app, false, now); got != 10*time.Minute {
		t.Errorf("configuration error: next check in %s, want the resync period", got)
	}
	app.Generation = 2
	if !h.due(app, false, now) {
		t.Error("a new generation is not due at once")
	}
}

func TestChangedApps(t *testing.T) {
	old := []scimv1.AppProvisioningStatus{
		{Name: "same", State: scimv1.ProvisioningProvisioned},
		{Name: "failed-again", State: scimv1.ProvisioningFailed, FailureCount: 1},
		{Name: "gone", State: scimv1.ProvisioningProvisioned},
	}
	cur := []scimv1.AppProvisioningStatus{
		{Name: "same", State: scimv1.ProvisioningProvisioned, LastSyncTime: &metav1.Time{Time: time.Unix(5, 0)}},
		{Name: "failed-again", State: scimv1.ProvisioningFailed, FailureCount: 2},
		{Name: "new", State: scimv1.ProvisioningPending},
	}
	got := changedApps(old, cur)
	want := []string{"failed-again", "gone", "new"}
	if len(got) != len(want) {
		t.Fatalf("changed %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("changed %v, want %v", got, want)
		}
	}
}
