package controllers

import (
	"context"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

// membershipChanges enqueues the members a shard gained or lost, not all its members: a
// one-member change to a 100,000-member group reconciles one user.
func membershipChanges() handler.EventHandler {
	enqueue := func(q workqueue.TypedRateLimitingInterface[reconcile.Request], ns string, ids map[string]bool) {
		for id := range ids {
			q.Add(reconcile.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: id}})
		}
	}
	members := func(s *scimv1.ScimGroupMemberShard) map[string]bool {
		out := make(map[string]bool, len(s.Spec.Members))
		for _, m := range s.Spec.Members {
			if m.Type != scimv1.MemberTypeGroup {
				out[m.Value] = true
			}
		}
		return out
	}
	return handler.Funcs{
		CreateFunc: func(_ context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			s := e.Object.(*scimv1.ScimGroupMemberShard)
			enqueue(q, s.Namespace, members(s))
		},
		DeleteFunc: func(_ context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			if s, ok := e.Object.(*scimv1.ScimGroupMemberShard); ok {
				enqueue(q, s.Namespace, members(s))
			}
		},
		UpdateFunc: func(_ context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			before, after := members(e.ObjectOld.(*scimv1.ScimGroupMemberShard)), members(e.ObjectNew.(*scimv1.ScimGroupMemberShard))
			changed := map[string]bool{}
			for id := range before {
				if !after[id] {
					changed[id] = true
				}
			}
			for id := range after {
				if !before[id] {
					changed[id] = true
				}
			}
			enqueue(q, e.ObjectNew.GetNamespace(), changed)
		},
	}
}
