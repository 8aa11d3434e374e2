// Package controllers reconciles ScimUsers and ScimGroups: it reports on their status whether
// they are valid and unique in their tenant, and (later) provisions them into apps.
package controllers

import (
	"context"
	"fmt"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/store"
)

// setCondition sets one condition, stamped with the generation it describes.
func setCondition(status *scimv1.ResourceStatus, generation int64, condType string, s metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&status.Conditions, metav1.Condition{
		Type: condType, Status: s, Reason: reason, Message: message, ObservedGeneration: generation,
	})
	status.ObservedGeneration = generation
}

// readyFromUniqueness is the Ready condition of a resource whose unique attribute (userName,
// displayName) another resource of the tenant may keep (keeper).
func readyFromUniqueness(status *scimv1.ResourceStatus, obj client.Object, attribute, value string, holder client.Object) {
	if holder == nil || holder.GetName() == obj.GetName() {
		setCondition(status, obj.GetGeneration(), scimv1.ConditionReady, metav1.ConditionTrue, scimv1.ReasonAccepted,
			"the resource is valid and unique in its tenant")
		return
	}
	setCondition(status, obj.GetGeneration(), scimv1.ConditionReady, metav1.ConditionFalse, scimv1.ReasonDuplicate,
		fmt.Sprintf("%s %q is already held by %s; only that one is served through SCIM", attribute, value, holder.GetName()))
}

// patchStatus writes the status of obj when it differs from before, as a merge patch, so that
// nothing else of the object is overwritten.
func patchStatus(ctx context.Context, c client.Client, obj, before client.Object, changed bool) error {
	if !changed {
		return nil
	}
	return client.IgnoreNotFound(c.Status().Patch(ctx, obj, client.MergeFrom(before)))
}

// statusChanged reports whether two statuses differ, ignoring condition transition times that
// SetStatusCondition keeps when nothing changed.
func statusChanged(before, after any) bool {
	return !apiequality.Semantic.DeepEqual(before, after)
}

// keeper returns which of objs, the resources of a tenant with one userName or displayName,
// keeps it and is served; nil when at most one of them is not being deleted (then there is
// nothing to decide). The one the value's claim names (claimHolder, read only here) keeps it:
// the SCIM API acknowledged it, so a resource made with kubectl never hides it. Among
// resources without the claim (made with kubectl, or created before every value had a claim),
// the oldest by creation time, then name. Resources being deleted are not served and keep
// nothing.
func keeper[T any, PT interface {
	*T
	client.Object
}](objs []T, claimHolder func() (string, error)) (client.Object, error) {
	var live []PT
	for i := range objs {
		if o := PT(&objs[i]); o.GetDeletionTimestamp().IsZero() {
			live = append(live, o)
		}
	}
	if len(live) < 2 {
		return nil, nil
	}
	holder, err := claimHolder()
	if err != nil {
		return nil, err
	}
	var best PT
	for _, o := range live {
		if o.GetName() == holder {
			return o, nil
		}
		if best == nil || store.OlderFirst(o, best) {
			best = o
		}
	}
	return best, nil
}

// requestsForOthers enqueues every one of objs except self.
func requestsForOthers[T any, PT interface {
	*T
	client.Object
}](objs []T, self client.Object) []reconcile.Request {
	var reqs []reconcile.Request
	for i := range objs {
		if o := PT(&objs[i]); o.GetName() != self.GetName() {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(o)})
		}
	}
	return reqs
}

// recordReadyTransition emits an event when Ready changes: Normal when it becomes True again,
// Warning when it is not True. A resource that is Ready from the start gets no event: an
// identity provider's first sync creates tens of thousands of resources, and an event each
// would double the API writes for nothing a reader needs. Messages come from conditions,
// which never hold secrets.
func recordReadyTransition(rec events.EventRecorder, obj runtime.Object, before, after []metav1.Condition) {
	was := meta.FindStatusCondition(before, scimv1.ConditionReady)
	now := meta.FindStatusCondition(after, scimv1.ConditionReady)
	switch {
	case rec == nil || now == nil:
		return
	case was == nil && now.Status == metav1.ConditionTrue:
		return
	case was != nil && was.Status == now.Status && was.Reason == now.Reason:
		return
	}
	kind := "Normal"
	if now.Status != metav1.ConditionTrue {
		kind = "Warning"
	}
	rec.Eventf(obj, nil, kind, now.Reason, "Reconcile", "%s", now.Message)
}

// recordConditionTransition emits an event when condition condType of obj changes status:
// Warning when it becomes True (the conditions it is used for report a problem), Normal when
// it becomes False again.
func recordConditionTransition(rec events.EventRecorder, obj runtime.Object, condType string, before, after []metav1.Condition) {
	was := meta.FindStatusCondition(before, condType)
	now := meta.FindStatusCondition(after, condType)
	switch {
	case rec == nil || now == nil:
		return
	case was == nil && now.Status != metav1.ConditionTrue:
		return
	case was != nil && was.Status == now.Status:
		return
	}
	kind := "Normal"
	if now.Status == metav1.ConditionTrue {
		kind = "Warning"
	}
	rec.Eventf(obj, nil, kind, now.Reason, "Reconcile", "%s", now.Message)
}
