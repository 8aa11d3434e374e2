package controllers

import (
	"context"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/store"
)

// ScimGroupReconciler reports on each ScimGroup whether its displayName is unique in its
// tenant, and how many members its shards hold.
type ScimGroupReconciler struct {
	Client client.Client
	Store  *store.Store
}

// +kubebuilder:rbac:groups=scim.scim-operator.io,resources=scimgroups,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=scim.scim-operator.io,resources=scimgroups/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=scim.scim-operator.io,resources=scimgroupmembershards,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=scim.scim-operator.io,resources=scimnameclaims,verbs=get;create;update;delete

// Reconcile computes the status of one ScimGroup.
func (r *ScimGroupReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var g scimv1.ScimGroup
	if err := r.Client.Get(ctx, req.NamespacedName, &g); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	before := g.DeepCopy()

	holders, err := r.sameDisplayName(ctx, &g)
	if err != nil {
		return ctrl.Result{}, err
	}
	readyFromUniqueness(&g.Status.ResourceStatus, &g, "displayName", g.Spec.DisplayName, oldest(holders))

	membership, err := r.Store.Members(ctx, g.Namespace, g.Name, true)
	if err != nil {
		return ctrl.Result{}, err
	}
	g.Status.MemberCount = int32(len(membership.Members))

	return ctrl.Result{}, patchStatus(ctx, r.Client, &g, before, statusChanged(before.Status, g.Status))
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
		For(&scimv1.ScimGroup{}).
		Watches(&scimv1.ScimGroup{}, handler.EnqueueRequestsFromMapFunc(r.groupsSharingDisplayName)).
		Watches(&scimv1.ScimGroupMemberShard{}, handler.EnqueueRequestsFromMapFunc(groupOfShard)).
		Complete(r)
}

func (r *ScimGroupReconciler) groupsSharingDisplayName(ctx context.Context, obj client.Object) []reconcile.Request {
	groups, err := r.sameDisplayName(ctx, obj.(*scimv1.ScimGroup))
	if err != nil {
		return nil
	}
	return requestsForOthers(groups, obj)
}

func groupOfShard(_ context.Context, obj client.Object) []reconcile.Request {
	shard := obj.(*scimv1.ScimGroupMemberShard)
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: shard.Namespace, Name: shard.Spec.Group}}}
}
