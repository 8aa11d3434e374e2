package provisioning

import (
	"context"
	"fmt"
	"sort"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
)

// Group brings g and its memberships in every app that provisions groups in line, recording
// each app's result in g.Status.Apps. A group reaches an app once it has a member the app
// receives; its members there are the members provisioned there.
func (p *Provisioner) Group(ctx context.Context, g *scimv1.ScimGroup, apps []scimv1.ScimApp, deleting bool) Outcome {
	var out Outcome
	for i := range apps {
		app := &apps[i]
		if !app.Spec.ProvisionGroups {
			remove(&g.Status.Apps, app.Name)
			continue
		}
		if err := p.groupInApp(ctx, app, g, deleting); err != nil {
			out.fail(app.Name, err)
		}
	}
	for _, entry := range append([]scimv1.AppProvisioningStatus(nil), g.Status.Apps...) {
		if !hasApp(apps, entry.Name) {
			remove(&g.Status.Apps, entry.Name)
		}
	}
	return out
}

func (p *Provisioner) groupInApp(ctx context.Context, app *scimv1.ScimApp, g *scimv1.ScimGroup, deleting bool) error {
	members, err := p.membersIn(ctx, app, g)
	if err != nil {
		return err
	}
	provisioned := find(g.Status.Apps, app.Name) != nil
	if !deleting && len(members) == 0 && !provisioned {
		return nil
	}
	if !appReady(app) {
		err := fmt.Errorf("the app is not ready: %s", readyMessage(app))
		result(&g.Status.Apps, g.Generation, app.Name, scimv1.ProvisioningPending, "", err)
		return err
	}
	cl, err := p.Connect(ctx, app)
	if err == nil {
		err = p.syncGroup(ctx, cl, app, g, connectors.Group{
			ID: g.Name, DisplayName: g.Spec.DisplayName, ExternalID: g.Spec.ExternalID, Members: members,
		}, deleting)
	}
	if err != nil {
		if connectors.IsConfig(err) {
			p.Forget(app)
		}
		result(&g.Status.Apps, g.Generation, app.Name, scimv1.ProvisioningFailed, "", err)
	}
	return err
}

func (p *Provisioner) syncGroup(ctx context.Context, cl connectors.Client, app *scimv1.ScimApp, g *scimv1.ScimGroup, cg connectors.Group, deleting bool) error {
	obs, err := p.observeGroup(ctx, cl, app, g, cg)
	if deleting && connectors.IsNotManaged(err) {
		// The group of that name is not this app's: nothing of this group is there to remove.
		obs, err = connectors.Observation{}, nil
	}
	if err != nil {
		return err
	}
	if deleting {
		if obs.Exists {
			if err := measureErr(app, "delete_group", func() error { return cl.DeleteGroup(ctx, cg, obs.ExternalID) }); err != nil {
				return err
			}
		}
		remove(&g.Status.Apps, app.Name)
		return nil
	}
	externalID := obs.ExternalID
	switch {
	case !obs.Exists:
		if externalID, err = measure(app, "create_group", func() (string, error) { return cl.CreateGroup(ctx, cg) }); err != nil {
			return err
		}
	case !obs.UpToDate:
		if err := measureErr(app, "update_group", func() error { return cl.UpdateGroup(ctx, cg, externalID) }); err != nil {
			return err
		}
	}
	result(&g.Status.Apps, g.Generation, app.Name, scimv1.ProvisioningProvisioned, externalID, nil)
	find(g.Status.Apps, app.Name).AccountKey = cg.DisplayName
	return nil
}

// observeGroup finds g by its displayName or, after a rename, by the displayName it was
// provisioned under, so that UpdateGroup renames it (as observeUser does for users).
func (p *Provisioner) observeGroup(ctx context.Context, cl connectors.Client, app *scimv1.ScimApp, g *scimv1.ScimGroup, cg connectors.Group) (connectors.Observation, error) {
	observe := func(group connectors.Group) (connectors.Observation, error) {
		return measure(app, "observe_group", func() (connectors.Observation, error) { return cl.ObserveGroup(ctx, group) })
	}
	obs, err := observe(cg)
	if err != nil || obs.Exists {
		return obs, err
	}
	previous := find(g.Status.Apps, app.Name)
	if previous == nil || previous.AccountKey == "" || previous.AccountKey == cg.DisplayName {
		return obs, nil
	}
	old := cg
	old.DisplayName = previous.AccountKey
	if obs, err = observe(old); err != nil || !obs.Exists {
		return obs, err
	}
	obs.UpToDate = false
	return obs, nil
}

// membersIn lists the userNames of g's members that have an account in app.
func (p *Provisioner) membersIn(ctx context.Context, app *scimv1.ScimApp, g *scimv1.ScimGroup) ([]string, error) {
	ms, err := p.Store.Members(ctx, g.Namespace, g.Name, true)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, m := range ms.Members {
		if m.Type == scimv1.MemberTypeGroup {
			continue // nested groups are not expanded
		}
		u, err := p.Store.User(ctx, g.Namespace, m.Value)
		if err != nil {
			continue // a member that went away
		}
		if hasAccount(find(u.Status.Apps, app.Name)) {
			names = append(names, u.Spec.UserName)
		}
	}
	sort.Strings(names)
	return names, nil
}

// hasAccount reports whether a user's result says it has an account in the app: provisioned
// or disabled, or failing since (a failure does not revoke its memberships).
func hasAccount(s *scimv1.AppProvisioningStatus) bool {
	if s == nil {
		return false
	}
	switch s.State {
	case scimv1.ProvisioningProvisioned, scimv1.ProvisioningDisabled:
		return true
	case scimv1.ProvisioningFailed, scimv1.ProvisioningPending:
		return s.ExternalID != ""
	}
	return false
}
