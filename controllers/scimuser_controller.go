package controllers

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/provisioning"
	"github.com/scim-operator/scim-operator/internal/store"
)

// Finalizer keeps a deleted ScimUser or ScimGroup until it is deprovisioned from every app.
const Finalizer = "scim.scim-operator.io/deprovision"

// ScimUserReconciler reports whether each user's userName is unique in its tenant and
// provisions the user into the tenant's apps.
type ScimUserReconciler struct {
	Client client.Client
	// Store tells the controller of membership changes.
	Store       *store.Store
	Provisioner *provisioning.Provisioner
	Events      events.EventRecorder
	// Workers is how many resources are reconciled at once; 1 when zero. Provisioning waits on
	// apps, so more than one keeps a slow app from holding everything back.
	Workers int
}

// +kubebuilder:rbac:groups=scim.scim-operator.io,resources=scimusers,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=scim.scim-operator.io,resources=scimusers/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=scim.scim-operator.io,resources=scimusers/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// Secret writes (users' password Secrets) are granted only in tenant namespaces, never
// cluster-wide: config/samples/tenant.yaml and the chart's rbac.yaml (docs/security.md).

// Reconcile computes the status of one ScimUser and provisions it.
func (r *ScimUserReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var u scimv1.ScimUser
	if err := r.Client.Get(ctx, req.NamespacedName, &u); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	apps, err := r.Provisioner.Apps(ctx, u.Namespace)
	if err != nil {
		return ctrl.Result{}, err
	}
	if !u.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.deprovision(ctx, &u, apps)
	}
	if len(apps) > 0 && controllerutil.AddFinalizer(&u, Finalizer) {
		if err := r.Client.Update(ctx, &u); err != nil {
			return ctrl.Result{}, client.IgnoreNotFound(err)
		}
	}
	before := u.DeepCopy()

	holders, err := r.sameUserName(ctx, &u)
	if err != nil {
		return ctrl.Result{}, err
	}
	kept, err := keeper(holders, func() (string, error) {
		return r.Store.ClaimHolder(ctx, u.Namespace, scimv1.ClaimUserName, u.Spec.UserName)
	})
	if err != nil {
		return ctrl.Result{}, err
	}
	readyFromUniqueness(&u.Status.ResourceStatus, &u, "userName", u.Spec.UserName, kept)
	var outcome provisioning.Outcome
	if meta.IsStatusConditionTrue(u.Status.Conditions, scimv1.ConditionReady) {
		outcome = r.Provisioner.User(ctx, &u, apps, false)
		setProvisioningConditions(&u.Status.ResourceStatus, u.Generation, outcome, !outcome.Stalled())
	}
	recordReadyTransition(r.Events, &u, before.Status.Conditions, u.Status.Conditions)
	if err := patchStatus(ctx, r.Client, &u, before, statusChanged(before.Status, u.Status)); err != nil {
		return ctrl.Result{}, err
	}
	return resultOf(outcome, apps)
}

// deprovision removes the user from every app, then lets it go.
func (r *ScimUserReconciler) deprovision(ctx context.Context, u *scimv1.ScimUser, apps []scimv1.ScimApp) error {
	if !controllerutil.ContainsFinalizer(u, Finalizer) {
		return nil
	}
	before := u.DeepCopy()
	outcome := r.Provisioner.User(ctx, u, apps, true)
	if err := outcome.Err(); err != nil {
		setProvisioningConditions(&u.Status.ResourceStatus, u.Generation, outcome, true)
		_ = patchStatus(ctx, r.Client, u, before, true)
		return err
	}
	controllerutil.RemoveFinalizer(u, Finalizer)
	return client.IgnoreNotFound(r.Client.Update(ctx, u))
}

// setProvisioningConditions turns the apps' outcome into Ready, Reconciling and Stalled.
// Stalled means stopped: only a failure that is not retried (a configuration error outside a
// deletion, see resultOf) is Stalled; one that is retried is Reconciling.
func setProvisioningConditions(status *scimv1.ResourceStatus, generation int64, outcome provisioning.Outcome, retried bool) {
	if outcome.Err() != nil {
		setCondition(status, generation, scimv1.ConditionReady, metav1.ConditionFalse, ReasonProvisioningFailed, outcome.Message())
		if retried {
			setCondition(status, generation, scimv1.ConditionStalled, metav1.ConditionFalse, ReasonProvisioningFailed, "")
			setCondition(status, generation, scimv1.ConditionReconciling, metav1.ConditionTrue, ReasonProvisioningFailed, "retrying with backoff")
		} else {
			setCondition(status, generation, scimv1.ConditionStalled, metav1.ConditionTrue, ReasonProvisioningFailed,
				"not retried until the user, the app or its Secrets change: an app's configuration, or what it holds, must be fixed")
			setCondition(status, generation, scimv1.ConditionReconciling, metav1.ConditionFalse, ReasonProvisioningFailed, "")
		}
		return
	}
	setCondition(status, generation, scimv1.ConditionReady, metav1.ConditionTrue, scimv1.ReasonAccepted, "the resource is valid, unique in its tenant and in line in every app")
	setCondition(status, generation, scimv1.ConditionReconciling, metav1.ConditionFalse, scimv1.ReasonAccepted, "")
	setCondition(status, generation, scimv1.ConditionStalled, metav1.ConditionFalse, scimv1.ReasonAccepted, "")
}

// ReasonProvisioningFailed: at least one app could not be brought in line.
const ReasonProvisioningFailed = "ProvisioningFailed"

// resultOf: transient failures are retried with the controller's backoff; otherwise the
// resource is looked at again after the apps' resync period, which repairs changes made in
// the apps directly.
func resultOf(outcome provisioning.Outcome, apps []scimv1.ScimApp) (ctrl.Result, error) {
	if err := outcome.Err(); err != nil && !outcome.Stalled() {
		return ctrl.Result{}, fmt.Errorf("provisioning: %w", err)
	}
	if len(apps) == 0 {
		return ctrl.Result{}, nil
	}
	return ctrl.Result{RequeueAfter: provisioning.ResyncPeriod(apps)}, nil
}

// sameUserName lists the users of u's tenant whose userName equals u's, ignoring case.
func (r *ScimUserReconciler) sameUserName(ctx context.Context, u *scimv1.ScimUser) ([]scimv1.ScimUser, error) {
	var list scimv1.ScimUserList
	err := r.Client.List(ctx, &list, client.InNamespace(u.Namespace),
		client.MatchingFields{store.IndexUserName: store.FoldKey(u.Spec.UserName)}, client.UnsafeDisableDeepCopy)
	return list.Items, err
}

// SetupWithManager registers the reconciler. A user is also reconciled when another user with
// the same userName appears, is renamed or goes away; when an app of its tenant changes; and
// when its group memberships change (an app may receive the members of a group).
func (r *ScimUserReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&scimv1.ScimUser{}, builder.WithPredicates(specOrMetadataChanged())).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(r.Workers, 1)}).
		Watches(&scimv1.ScimUser{}, handler.EnqueueRequestsFromMapFunc(r.usersSharingUserName), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&scimv1.ScimApp{}, handler.EnqueueRequestsFromMapFunc(r.usersOfTenant), builder.WithPredicates(appChanged())).
		WatchesRawSource(source.Func(r.membershipsChanged)).
		Complete(r)
}

// membershipsChanged queues the users that joined or left a group (the members a shard gained
// or lost, not all 1,600 of it), once the store's member map has the change: the user's
// groups are read from there.
func (r *ScimUserReconciler) membershipsChanged(_ context.Context, queue workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
	r.Store.OnMembersChanged(func(c store.MembersChanged) {
		for _, id := range c.Members {
			// A copy: id is a piece of a shard's member string, which the queue would keep.
			queue.Add(reconcile.Request{NamespacedName: types.NamespacedName{Namespace: c.Namespace, Name: strings.Clone(id)}})
		}
	})
	return nil
}

func (r *ScimUserReconciler) usersSharingUserName(ctx context.Context, obj client.Object) []reconcile.Request {
	users, err := r.sameUserName(ctx, obj.(*scimv1.ScimUser))
	if err != nil {
		return nil
	}
	return requestsForOthers(users, obj)
}

func (r *ScimUserReconciler) usersOfTenant(ctx context.Context, obj client.Object) []reconcile.Request {
	var users scimv1.ScimUserList
	if err := r.Client.List(ctx, &users, client.InNamespace(obj.GetNamespace()), client.UnsafeDisableDeepCopy); err != nil {
		return nil
	}
	return requestsForOthers(users.Items, obj)
}
