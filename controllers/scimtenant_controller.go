package controllers

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/idptoken"
	"github.com/scim-operator/scim-operator/internal/tenant"
)

// ScimTenantReconciler reports on each ScimTenant whether its settings apply, and which of its
// trusted token issuers are ignored because another tenant declared them first. It only
// reports: the authenticator decides from the same rules (tenant.CheckJWTTrust) on every
// request, so a request never waits for this status.
type ScimTenantReconciler struct {
	Client client.Client
	Events events.EventRecorder
}

// +kubebuilder:rbac:groups=scim.scim-operator.io,resources=scimtenants/status,verbs=get;update;patch

// Reconcile computes the Ready condition of one ScimTenant and patches its status once.
func (r *ScimTenantReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	var st scimv1.ScimTenant
	if err := r.Client.Get(ctx, req.NamespacedName, &st); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	before := st.DeepCopy()
	defer func() {
		if err != nil {
			return
		}
		st.Status.ObservedGeneration = st.Generation
		recordReadyTransition(r.Events, &st, before.Status.Conditions, st.Status.Conditions)
		if statusChanged(before.Status, st.Status) {
			err = client.IgnoreNotFound(r.Client.Status().Patch(ctx, &st, client.MergeFrom(before)))
		}
	}()

	trust, err := tenant.CheckJWTTrust(ctx, r.Client, &st)
	if err != nil {
		return ctrl.Result{}, err
	}
	status, reason, message := readiness(&st, trust)
	meta.SetStatusCondition(&st.Status.Conditions, metav1.Condition{
		Type: scimv1.ConditionReady, Status: status, Reason: reason, Message: message, ObservedGeneration: st.Generation,
	})
	return ctrl.Result{}, nil
}

// readiness is the Ready condition of st: False when the ScimTenant, or part of its trust, is
// ignored, naming what it loses to.
func readiness(st *scimv1.ScimTenant, trust tenant.JWTTrust) (metav1.ConditionStatus, string, string) {
	if trust.SupersededBy != "" {
		return metav1.ConditionFalse, scimv1.ReasonSuperseded,
			fmt.Sprintf("ScimTenant %s is older in this namespace; only its settings apply", trust.SupersededBy)
	}
	for _, j := range st.Spec.JWTIssuers {
		if err := idptoken.CheckJWKSURL(j.JWKSURL); err != nil {
			return metav1.ConditionFalse, scimv1.ReasonInvalidJWKSURL,
				fmt.Sprintf("tokens of issuer %s are refused: %v", j.Issuer, err)
		}
	}
	if len(trust.Conflicts) > 0 {
		var pairs []string
		for _, c := range trust.Conflicts {
			pairs = append(pairs, fmt.Sprintf("issuer %s audience %s belongs to ScimTenant %s in namespace %s",
				c.Issuer, c.Audience, c.Owner.Name, c.Owner.Namespace))
		}
		return metav1.ConditionFalse, scimv1.ReasonIssuerClaimedByOtherTenant,
			"ignored here, declared first by another tenant: " + strings.Join(pairs, "; ")
	}
	return metav1.ConditionTrue, scimv1.ReasonAccepted, "the settings apply and every trusted token issuer is this tenant's"
}

// SetupWithManager registers the reconciler. A ScimTenant's readiness depends on the others
// of its namespace and on those declaring one of its issuers: a change to any of them
// (created, edited, deleted) looks at those again.
func (r *ScimTenantReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&scimv1.ScimTenant{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&scimv1.ScimTenant{}, handler.EnqueueRequestsFromMapFunc(r.related),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Complete(r)
}

func (r *ScimTenantReconciler) related(ctx context.Context, obj client.Object) []reconcile.Request {
	keys, err := tenant.RelatedTenants(ctx, r.Client, obj.(*scimv1.ScimTenant))
	if err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing the ScimTenants related to one that changed")
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(keys))
	for _, k := range keys {
		reqs = append(reqs, reconcile.Request{NamespacedName: k})
	}
	return reqs
}
