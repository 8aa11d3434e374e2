package controllers

import (
	"context"
	"slices"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/provisioning"
	"github.com/scim-operator/scim-operator/internal/store"
)

// ScimGroupReconciler reports on each ScimGroup whether its displayName is unique in its
// tenant, and how many members its shards hold.
type ScimGroupReconciler struct {
	Client      client.Client
	Store       *store.Store
	Provisioner *provisioning.Provisioner
	Events      events.EventRecorder
	// Workers is how many resources are reconciled at once; 1 when zero. Provisioning waits on
	// apps, so more than one keeps a slow app from holding everything back.
	Workers int
}

// +kubebuilder:rbac:groups=scim.scim-operator.io,resources=scimgroups,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=scim.scim-operator.io,resources=scimgroups/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=scim.scim-operator.io,resources=scimgroupmembershards,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=scim.scim-operator.io,resources=scimnameclaims,verbs=get;create;delete

// +kubebuilder:rbac:groups=scim.scim-operator.io,resources=scimgroups/finalizers,verbs=update

// Reconcile computes the status of one ScimGroup and provisions it into the apps that
// receive groups.
func (r *ScimGroupReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var g scimv1.ScimGroup
	if err := r.Client.Get(ctx, req.NamespacedName, &g); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	apps, err := r.groupApps(ctx, g.Namespace)
	if err != nil {
		return ctrl.Result{}, err
	}
	if !g.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.deprovision(ctx, &g, apps)
	}
	if len(apps) > 0 && controllerutil.AddFinalizer(&g, Finalizer) {
		if err := r.Client.Update(ctx, &g); err != nil {
			return ctrl.Result{}, client.IgnoreNotFound(err)
		}
	}
	before := g.DeepCopy()

	holders, err := r.sameDisplayName(ctx, &g)
	if err != nil {
		return ctrl.Result{}, err
	}
	kept, err := keeper(holders, func() (string, error) {
		return r.Store.ClaimHolder(ctx, g.Namespace, scimv1.ClaimGroupDisplayName, g.Spec.DisplayName)
	})
	if err != nil {
		return ctrl.Result{}, err
	}
	readyFromUniqueness(&g.Status.ResourceStatus, &g, "displayName", g.Spec.DisplayName, kept)

	count, err := r.Store.MemberCount(ctx, g.Namespace, g.Name)
	if err != nil {
		return ctrl.Result{}, err
	}
	g.Status.MemberCount = int32(count)

	var outcome provisioning.Outcome
	if meta.IsStatusConditionTrue(g.Status.Conditions, scimv1.ConditionReady) && len(apps) > 0 {
		outcome = r.Provisioner.Group(ctx, &g, apps, false)
		setProvisioningConditions(&g.Status.ResourceStatus, g.Generation, outcome, !outcome.Stalled())
	}
	recordReadyTransition(r.Events, &g, before.Status.Conditions, g.Status.Conditions)
	if err := patchStatus(ctx, r.Client, &g, before, statusChanged(before.Status, g.Status)); err != nil {
		return ctrl.Result{}, err
	}
	return resultOf(outcome, apps)
}

// groupApps lists the apps of the tenant that receive groups.
func (r *ScimGroupReconciler) groupApps(ctx context.Context, ns string) ([]scimv1.ScimApp, error) {
	apps, err := r.Provisioner.Apps(ctx, ns)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(apps, func(a scimv1.ScimApp) bool { return !a.Spec.ProvisionGroups }), nil
}

func (r *ScimGroupReconciler) deprovision(ctx context.Context, g *scimv1.ScimGroup, apps []scimv1.ScimApp) error {
	if !controllerutil.ContainsFinalizer(g, Finalizer) {
		return nil
	}
	before := g.DeepCopy()
	outcome := r.Provisioner.Group(ctx, g, apps, true)
	if err := outcome.Err(); err != nil {
		setProvisioningConditions(&g.Status.ResourceStatus, g.Generation, outcome, true)
		_ = patchStatus(ctx, r.Client, g, before, true)
		return err
	}
	controllerutil.RemoveFinalizer(g, Finalizer)
	return client.IgnoreNotFound(r.Client.Update(ctx, g))
}

func (r *ScimGroupReconciler) sameDisplayName(ctx context.Context, g *scimv1.ScimGroup) ([]scimv1.ScimGroup, error) {
	var list scimv1.ScimGroupList
	err := r.Client.List(ctx, &list, client.InNamespace(g.Namespace),
		client.MatchingFields{store.IndexGroupDisplayName: store.FoldKey(g.Spec.DisplayName)}, client.UnsafeDisableDeepCopy)
	return list.Items, err
}

// SetupWithManager registers the reconciler. A group is reconciled when its shards change and
// when another group with the same displayName appears, is renamed or goes away.
func (r *ScimGroupReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&scimv1.ScimGroup{}, builder.WithPredicates(specOrMetadataChanged())).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(r.Workers, 1)}).
		Watches(&scimv1.ScimGroup{}, handler.EnqueueRequestsFromMapFunc(r.groupsSharingDisplayName), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		// Member changes come from the store's member map once it has them, not from the shard
		// informer directly: its handlers run in no set order, and memberCount is read there.
		WatchesRawSource(source.Func(r.membersChanged)).
		Watches(&scimv1.ScimApp{}, handler.EnqueueRequestsFromMapFunc(r.groupsOfTenant), builder.WithPredicates(appChanged())).
		// A member's account appearing in or leaving an app changes the group's members there.
		Watches(&scimv1.ScimUser{}, handler.EnqueueRequestsFromMapFunc(r.groupsOfUser), builder.WithPredicates(appsChanged())).
		Complete(r)
}

func (r *ScimGroupReconciler) groupsSharingDisplayName(ctx context.Context, obj client.Object) []reconcile.Request {
	groups, err := r.sameDisplayName(ctx, obj.(*scimv1.ScimGroup))
	if err != nil {
		return nil
	}
	return requestsForOthers(groups, obj)
}

// memberChangeBatch is how long a group's member changes gather before it is reconciled:
// an identity provider sends one PATCH per member, and each reconcile writes memberCount.
// Batched, 300 one-member PATCHes a second on a group cost a few status writes a second, not
// over a hundred (docs/architecture.md, "Group membership").
const memberChangeBatch = 500 * time.Millisecond

// membersChanged queues each group whose members change, from the start of the controller,
// memberChangeBatch later: changes meanwhile join that reconcile (the queue keeps a waiting
// item's earliest time).
func (r *ScimGroupReconciler) membersChanged(_ context.Context, queue workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
	r.Store.OnMembersChanged(func(c store.MembersChanged) {
		queue.AddAfter(reconcile.Request{NamespacedName: types.NamespacedName{Namespace: c.Namespace, Name: c.Group}}, memberChangeBatch)
	})
	return nil
}

func (r *ScimGroupReconciler) groupsOfTenant(ctx context.Context, obj client.Object) []reconcile.Request {
	var groups scimv1.ScimGroupList
	if err := r.Client.List(ctx, &groups, client.InNamespace(obj.GetNamespace()), client.UnsafeDisableDeepCopy); err != nil {
		return nil
	}
	return requestsForOthers(groups.Items, obj)
}

func (r *ScimGroupReconciler) groupsOfUser(ctx context.Context, obj client.Object) []reconcile.Request {
	names, err := r.Store.GroupsOf(ctx, obj.GetNamespace(), obj.GetName())
	if err != nil {
		return nil
	}
	reqs := make([]reconcile.Request, len(names))
	for i, name := range names {
		reqs[i] = reconcile.Request{NamespacedName: types.NamespacedName{Namespace: obj.GetNamespace(), Name: name}}
	}
	return reqs
}

// appsChanged passes user updates that change the user's per-app results.
func appsChanged() predicate.Funcs {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			return !apiequality.Semantic.DeepEqual(e.ObjectOld.(*scimv1.ScimUser).Status.Apps, e.ObjectNew.(*scimv1.ScimUser).Status.Apps)
		},
		CreateFunc:  func(event.CreateEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}
