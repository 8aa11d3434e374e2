package provisioning

import (
	"context"
	"errors"
	"fmt"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
	"github.com/scim-operator/scim-operator/internal/store"
)

// Outcome sums up what provisioning a resource into every app achieved.
type Outcome struct {
	// Failed apps, with their errors; ConfigErrors among them make the resource Stalled.
	Failed map[string]error
}

// Err returns one error for all the failed apps, or nil.
func (o Outcome) Err() error {
	var errs []error
	for name, err := range o.Failed {
		errs = append(errs, fmt.Errorf("app %s: %w", name, err))
	}
	return errors.Join(errs...)
}

// Message describes the failures for a condition: short enough to store (conditions allow
// 32 KiB; a tenant with many apps should not come near it).
func (o Outcome) Message() string {
	if err := o.Err(); err != nil {
		return truncate(err.Error(), 2048)
	}
	return ""
}

// Stalled reports whether every failure is a configuration error, which retrying cannot fix.
func (o Outcome) Stalled() bool {
	for _, err := range o.Failed {
		if !connectors.IsConfig(err) {
			return false
		}
	}
	return len(o.Failed) > 0
}

func (o *Outcome) fail(app string, err error) {
	if o.Failed == nil {
		o.Failed = map[string]error{}
	}
	o.Failed[app] = err
}

// desiredAccount is what u's account in an app should be.
type desiredAccount int

const (
	noAccount       desiredAccount = iota // none: delete it if it exists
	activeAccount                         // exists and enabled
	disabledAccount                       // exists and disabled
	leaveAlone                            // not the app's business (never provisioned there)
)

func desired(app *scimv1.ScimApp, u *scimv1.ScimUser, assigned, deleting bool) desiredAccount {
	provisioned := find(u.Status.Apps, app.Name) != nil
	switch {
	case deleting:
		if app.Spec.OnDelete == scimv1.LifecycleDisable {
			return disabledAccount
		}
		return noAccount
	case !assigned && !provisioned:
		return leaveAlone
	case !assigned:
		return noAccount
	case u.Spec.Active != nil && !*u.Spec.Active:
		if app.Spec.OnDeactivate == scimv1.LifecycleDelete {
			return noAccount
		}
		return disabledAccount
	}
	return activeAccount
}

// User brings u's account in every app in line with u, recording each app's result in
// u.Status.Apps. With deleting, accounts are deprovisioned as each app's onDelete says.
// Duplicates (another user holds the userName) are not provisioned.
func (p *Provisioner) User(ctx context.Context, u *scimv1.ScimUser, apps []scimv1.ScimApp, deleting bool) Outcome {
	var out Outcome
	for i := range apps {
		app := &apps[i]
		if err := p.userInApp(ctx, app, u, deleting); err != nil {
			out.fail(app.Name, err)
		}
	}
	// Results of apps that no longer exist go too.
	for _, entry := range append([]scimv1.AppProvisioningStatus(nil), u.Status.Apps...) {
		if !hasApp(apps, entry.Name) {
			remove(&u.Status.Apps, entry.Name)
		}
	}
	return out
}

func hasApp(apps []scimv1.ScimApp, name string) bool {
	for i := range apps {
		if apps[i].Name == name {
			return true
		}
	}
	return false
}

func (p *Provisioner) userInApp(ctx context.Context, app *scimv1.ScimApp, u *scimv1.ScimUser, deleting bool) error {
	assigned, err := p.Assigned(ctx, app, u)
	if err != nil {
		result(&u.Status.Apps, u.Generation, app.Name, scimv1.ProvisioningFailed, "", err)
		return err
	}
	want := desired(app, u, assigned, deleting)
	if want == leaveAlone {
		return nil
	}
	if !appReady(app) {
		err := fmt.Errorf("the app is not ready: %s", readyMessage(app))
		result(&u.Status.Apps, u.Generation, app.Name, scimv1.ProvisioningPending, "", err)
		return err
	}
	cl, err := p.Connect(ctx, app)
	if err == nil {
		var cu connectors.User
		// A deprovisioning needs no password: the SCIM server deletes the Secret right after
		// the user, and a deprovisioning that waited for it waited forever (a CI flake).
		if cu, err = p.connectorUser(ctx, u, app, !deleting); err == nil {
			err = p.syncUser(ctx, cl, app, u, cu, want)
		}
	}
	if err != nil {
		if connectors.IsConfig(err) {
			p.Forget(app)
		}
		state := scimv1.ProvisioningFailed
		if errors.Is(err, errPasswordNotYet) {
			state = scimv1.ProvisioningPending
		}
		result(&u.Status.Apps, u.Generation, app.Name, state, "", err)
	}
	return err
}

// syncUser observes the account by its stable key and creates, updates or deletes it. A user
// renamed since it was provisioned is looked up under its old userName too, and its account
// renamed (UpdateUser with the old account's id), never left behind beside a new one.
func (p *Provisioner) syncUser(ctx context.Context, cl connectors.Client, app *scimv1.ScimApp, u *scimv1.ScimUser, cu connectors.User, want desiredAccount) error {
	obs, err := p.observeUser(ctx, cl, app, u, cu)
	if want == noAccount && connectors.IsNotManaged(err) {
		// The account of that name is not this app's: nothing of the user's is there to remove.
		obs, err = connectors.Observation{}, nil
	}
	if err != nil {
		return err
	}
	if want == noAccount {
		if obs.Exists {
			if err := measureErr(app, "delete_user", func() error { return cl.DeleteUser(ctx, cu, obs.ExternalID) }); err != nil {
				return err
			}
		}
		if u.DeletionTimestamp != nil || !hasEntryAssigned(app, u) {
			remove(&u.Status.Apps, app.Name)
		} else {
			result(&u.Status.Apps, u.Generation, app.Name, scimv1.ProvisioningDeprovisioned, "", nil)
		}
		return nil
	}
	cu.Active = want == activeAccount
	externalID := obs.ExternalID
	// Apps cannot be asked what password an account has: a changed password is pushed when
	// the user's password-changed mark differs from the one last pushed.
	passwordChanged := u.Annotations[store.PasswordChangedAnnotation]
	pushed := "" // the password change last pushed to this app
	if previous := find(u.Status.Apps, app.Name); previous != nil {
		pushed = previous.PasswordChanged
	}
	passwordPending := cu.Password != nil && pushed != passwordChanged
	switch {
	case !obs.Exists:
		if externalID, err = measure(app, "create_user", func() (string, error) { return cl.CreateUser(ctx, cu) }); err != nil {
			return err
		}
	case !obs.UpToDate || passwordPending:
		if err := measureErr(app, "update_user", func() error { return cl.UpdateUser(ctx, cu, externalID) }); err != nil {
			return err
		}
	}
	state := scimv1.ProvisioningProvisioned
	if want == disabledAccount {
		state = scimv1.ProvisioningDisabled
	}
	result(&u.Status.Apps, u.Generation, app.Name, state, externalID, nil)
	entry := find(u.Status.Apps, app.Name)
	entry.AccountKey, entry.PasswordChanged = cu.UserName, pushed
	if cu.Password != nil {
		entry.PasswordChanged = passwordChanged
	}
	return nil
}

// observeUser finds u's account by its userName or, when u was provisioned under another
// userName, by that one; an account found only under the old name is reported not up to date,
// so that UpdateUser renames it.
func (p *Provisioner) observeUser(ctx context.Context, cl connectors.Client, app *scimv1.ScimApp, u *scimv1.ScimUser, cu connectors.User) (connectors.Observation, error) {
	observe := func(user connectors.User) (connectors.Observation, error) {
		return measure(app, "observe_user", func() (connectors.Observation, error) { return cl.ObserveUser(ctx, user) })
	}
	obs, err := observe(cu)
	if err != nil || obs.Exists {
		return obs, err
	}
	previous := find(u.Status.Apps, app.Name)
	if previous == nil || previous.AccountKey == "" || previous.AccountKey == cu.UserName {
		return obs, nil
	}
	old := cu
	old.UserName = previous.AccountKey
	if obs, err = observe(old); err != nil || !obs.Exists {
		return obs, err
	}
	obs.UpToDate = false
	return obs, nil
}

// hasEntryAssigned: a user deprovisioned because it was deactivated keeps its entry (state
// Deprovisioned); one that left the app's assignment loses it. Called only for noAccount.
func hasEntryAssigned(app *scimv1.ScimApp, u *scimv1.ScimUser) bool {
	return u.Spec.Active != nil && !*u.Spec.Active && app.Spec.OnDeactivate == scimv1.LifecycleDelete
}

func readyMessage(app *scimv1.ScimApp) string {
	for _, c := range app.Status.Conditions {
		if c.Type == scimv1.ConditionReady {
			return c.Message
		}
	}
	return "not checked yet"
}

// NotYetProvisioned is the message of a Pending entry for an app that will receive a user
// but has no result for it yet.
const NotYetProvisioned = "not provisioned into the app yet"

// Reported is what to report of u's provisioning right after a write: u.Status.Apps, plus a
// Pending entry for each app that receives u and has no result for it yet (a new user, or one
// that just joined an app's assignment). u is not modified.
func Reported(ctx context.Context, st *store.Store, apps []scimv1.ScimApp, u *scimv1.ScimUser) []scimv1.AppProvisioningStatus {
	out := u.Status.Apps
	for i := range apps {
		app := &apps[i]
		if find(u.Status.Apps, app.Name) != nil {
			continue
		}
		assigned, err := Assigned(ctx, st, app, u)
		if err != nil || desired(app, u, assigned, false) == leaveAlone {
			continue
		}
		if len(out) == len(u.Status.Apps) {
			out = append([]scimv1.AppProvisioningStatus(nil), u.Status.Apps...)
		}
		out = append(out, scimv1.AppProvisioningStatus{
			Name: app.Name, State: scimv1.ProvisioningPending, Message: NotYetProvisioned, ObservedGeneration: u.Generation,
		})
	}
	return out
}
