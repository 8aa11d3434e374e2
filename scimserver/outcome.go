package scimserver

import (
	"context"
	"net/http"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/provisioning"
	"github.com/scim-operator/scim-operator/internal/scimerr"
	"github.com/scim-operator/scim-operator/internal/tenant"
)

// maxOutcomeWait bounds how long a write waits for apps (ScimApp waitForOutcome).
const maxOutcomeWait = 30 * time.Second

// awaitOutcome waits, when an app receiving u asks for it (waitForOutcome), until every such
// app has an outcome for u's current generation. A failure becomes 502 Bad Gateway with the
// app's message: the write itself is stored, and the provisioning extension of a later GET
// shows the state. Out of time, it answers with what is known.
func (s *Server) awaitOutcome(r *http.Request, t tenant.Tenant, u *scimv1.ScimUser) (*scimv1.ScimUser, error) {
	ctx := r.Context()
	apps, err := s.waitingApps(ctx, t, u)
	if err != nil || len(apps) == 0 {
		return u, err
	}
	wait := time.Duration(0)
	for _, app := range apps {
		wait = max(wait, app.Spec.WaitForOutcome.Duration)
	}
	deadline := time.Now().Add(min(wait, maxOutcomeWait))
	for {
		current, err := s.store.User(ctx, t.Namespace, u.Name)
		if err != nil {
			return u, err
		}
		done, failure := outcomeOf(apps, current)
		if done {
			if failure != nil {
				return current, scimerr.New(http.StatusBadGateway, "", "stored, but provisioning into app %s failed: %s", failure.Name, failure.Message)
			}
			return current, nil
		}
		if time.Now().After(deadline) {
			return current, nil
		}
		select {
		case <-ctx.Done():
			return current, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitingApps are the apps receiving u that ask writes to wait for their outcome.
func (s *Server) waitingApps(ctx context.Context, t tenant.Tenant, u *scimv1.ScimUser) ([]scimv1.ScimApp, error) {
	var list scimv1.ScimAppList
	if err := s.cache.List(ctx, &list, client.InNamespace(t.Namespace)); err != nil {
		return nil, err
	}
	var apps []scimv1.ScimApp
	for _, app := range list.Items {
		if app.Spec.WaitForOutcome == nil || app.Spec.WaitForOutcome.Duration <= 0 {
			continue
		}
		assigned, err := provisioning.Assigned(ctx, s.store, &app, u)
		if err == nil && assigned {
			apps = append(apps, app)
		}
	}
	return apps, nil
}

// outcomeOf reports whether every app has an outcome for u's generation, and the first failure.
func outcomeOf(apps []scimv1.ScimApp, u *scimv1.ScimUser) (done bool, failure *scimv1.AppProvisioningStatus) {
	for _, app := range apps {
		var entry *scimv1.AppProvisioningStatus
		for i := range u.Status.Apps {
			if u.Status.Apps[i].Name == app.Name {
				entry = &u.Status.Apps[i]
			}
		}
		if entry == nil || entry.ObservedGeneration < u.Generation || entry.State == scimv1.ProvisioningPending {
			return false, nil
		}
		if entry.State == scimv1.ProvisioningFailed && failure == nil {
			failure = entry
		}
	}
	return true, failure
}
