package provisioning

import (
	"context"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/connectors"
	"github.com/scim-operator/scim-operator/internal/store"
)

// DefaultResync is how often accounts are compared with the apps when an app sets no
// resyncPeriod.
const DefaultResync = 10 * time.Minute

// Provisioner runs the connectors of a tenant's apps.
type Provisioner struct {
	// Client reads the cache (apps, groups, shards).
	Client client.Client
	// Reader reads the API server directly (password Secrets, connector Secrets).
	Reader client.Reader
	Store  *store.Store

	conns connections
}

// Apps lists the ScimApps of namespace ns, ready or not.
func (p *Provisioner) Apps(ctx context.Context, ns string) ([]scimv1.ScimApp, error) {
	var list scimv1.ScimAppList
	err := p.Client.List(ctx, &list, client.InNamespace(ns))
	return list.Items, err
}

// Connect returns the client of app, checking nothing.
func (p *Provisioner) Connect(ctx context.Context, app *scimv1.ScimApp) (connectors.Client, error) {
	return p.conns.get(ctx, app, secretReader{reader: p.Reader, app: app})
}

// Forget drops app's client, to reconnect next time.
func (p *Provisioner) Forget(app *scimv1.ScimApp) { p.conns.forget(app) }

// Assigned reports whether app receives user u.
func (p *Provisioner) Assigned(ctx context.Context, app *scimv1.ScimApp, u *scimv1.ScimUser) (bool, error) {
	return Assigned(ctx, p.Store, app, u)
}

// Assigned reports whether app receives user u, reading groups through st.
func Assigned(ctx context.Context, st *store.Store, app *scimv1.ScimApp, u *scimv1.ScimUser) (bool, error) {
	a := app.Spec.Assignment
	switch {
	case a.Selector != nil:
		sel, err := metav1.LabelSelectorAsSelector(a.Selector)
		if err != nil {
			return false, connectors.ConfigError("assignment.selector: %v", err)
		}
		return sel.Matches(labels.Set(u.Labels)), nil
	case len(a.Groups) > 0:
		names, err := st.GroupsOf(ctx, u.Namespace, u.Name)
		if err != nil {
			return false, err
		}
		for _, name := range names {
			g, err := st.Group(ctx, u.Namespace, name)
			if err != nil {
				continue // a shard outlived its group
			}
			if slices.ContainsFunc(a.Groups, func(want string) bool { return store.FoldKey(want) == store.FoldKey(g.Spec.DisplayName) }) {
				return true, nil
			}
		}
		return false, nil
	}
	return true, nil // everyone
}

// ResyncPeriod is the shortest resync period of apps.
func ResyncPeriod(apps []scimv1.ScimApp) time.Duration {
	period := DefaultResync
	for _, app := range apps {
		if app.Spec.ResyncPeriod != nil && app.Spec.ResyncPeriod.Duration > 0 && app.Spec.ResyncPeriod.Duration < period {
			period = app.Spec.ResyncPeriod.Duration
		}
	}
	return period
}

// appReady reports whether the app's controller found it reachable with working credentials.
func appReady(app *scimv1.ScimApp) bool {
	return meta.IsStatusConditionTrue(app.Status.Conditions, scimv1.ConditionReady)
}

// result records the outcome of one app in a resource's status list.
func result(list *[]scimv1.AppProvisioningStatus, generation int64, name string, state scimv1.ProvisioningState, externalID string, err error) {
	now := metav1.Now()
	entry := scimv1.AppProvisioningStatus{Name: name, State: state, ExternalID: externalID, LastSyncTime: &now, ObservedGeneration: generation}
	i := slices.IndexFunc(*list, func(s scimv1.AppProvisioningStatus) bool { return s.Name == name })
	if i >= 0 {
		entry.AccountKey = (*list)[i].AccountKey
	}
	if err != nil {
		// Pending (the app is not ready) stays Pending; anything else failed.
		if state != scimv1.ProvisioningPending {
			entry.State = scimv1.ProvisioningFailed
		}
		entry.Message = truncate(err.Error(), 1024)
		entry.FailureCount = 1
		if i >= 0 {
			entry.ExternalID = (*list)[i].ExternalID
			entry.FailureCount = (*list)[i].FailureCount + 1
		}
	}
	if i >= 0 {
		(*list)[i] = entry
		return
	}
	*list = append(*list, entry)
}

func remove(list *[]scimv1.AppProvisioningStatus, name string) {
	*list = slices.DeleteFunc(*list, func(s scimv1.AppProvisioningStatus) bool { return s.Name == name })
}

func find(list []scimv1.AppProvisioningStatus, name string) *scimv1.AppProvisioningStatus {
	for i := range list {
		if list[i].Name == name {
			return &list[i]
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
