package controllers

import (
	"context"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/store"
)

// ScimUserReconciler reports on each ScimUser whether its userName is unique in its tenant.
type ScimUserReconciler struct {
	Client client.Client
}

// +kubebuilder:rbac:groups=scim.scim-operator.io,resources=scimusers,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=scim.scim-operator.io,resources=scimusers/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update;delete

// Reconcile computes the status of one ScimUser.
func (r *ScimUserReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var u scimv1.ScimUser
	if err := r.Client.Get(ctx, req.NamespacedName, &u); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	before := u.DeepCopy()

	holders, err := r.sameUserName(ctx, &u)
	if err != nil {
		return ctrl.Result{}, err
	}
	readyFromUniqueness(&u.Status.ResourceStatus, &u, "userName", u.Spec.UserName, oldest(holders))

	return ctrl.Result{}, patchStatus(ctx, r.Client, &u, before, statusChanged(before.Status, u.Status))
}

// sameUserName lists the users of u's tenant whose userName equals u's, ignoring case.
func (r *ScimUserReconciler) sameUserName(ctx context.Context, u *scimv1.ScimUser) ([]scimv1.ScimUser, error) {
	var list scimv1.ScimUserList
	err := r.Client.List(ctx, &list, client.InNamespace(u.Namespace),
		client.MatchingFields{store.IndexUserName: store.FoldKey(u.Spec.UserName)}, client.UnsafeDisableDeepCopy)
	return list.Items, err
}

// SetupWithManager registers the reconciler. A user is also reconciled when another user with
// the same userName appears, is renamed or goes away, since that decides which one is a duplicate.
func (r *ScimUserReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&scimv1.ScimUser{}).
		Watches(&scimv1.ScimUser{}, handler.EnqueueRequestsFromMapFunc(r.usersSharingUserName)).
		Complete(r)
}

func (r *ScimUserReconciler) usersSharingUserName(ctx context.Context, obj client.Object) []reconcile.Request {
	users, err := r.sameUserName(ctx, obj.(*scimv1.ScimUser))
	if err != nil {
		return nil
	}
	return requestsForOthers(users, obj)
}
