package controllers

import (
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

// specOrMetadataChanged passes updates that change what a reconcile reads of the object
// itself: its spec (generation), labels (assignment selectors), annotations (a password
// change) and finalizers or deletion. A reconciler's own status writes do not pass: they would
// requeue the object at once and bypass the controller's backoff.
func specOrMetadataChanged() predicate.Predicate {
	return predicate.Or(
		predicate.GenerationChangedPredicate{},
		predicate.LabelChangedPredicate{},
		predicate.AnnotationChangedPredicate{},
		predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
			return !e.ObjectOld.GetDeletionTimestamp().Equal(e.ObjectNew.GetDeletionTimestamp()) ||
				len(e.ObjectOld.GetFinalizers()) != len(e.ObjectNew.GetFinalizers())
		}},
	)
}

// appChanged passes ScimApp updates that matter to the users and groups of its tenant: its
// spec, or whether it is Ready (a recovered app lets pending accounts proceed). Its counts and
// lastFullSync do not.
func appChanged() predicate.Predicate {
	return predicate.Or(
		predicate.GenerationChangedPredicate{},
		predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
			was := meta.IsStatusConditionTrue(e.ObjectOld.(*scimv1.ScimApp).Status.Conditions, scimv1.ConditionReady)
			is := meta.IsStatusConditionTrue(e.ObjectNew.(*scimv1.ScimApp).Status.Conditions, scimv1.ConditionReady)
			return was != is
		}},
	)
}
