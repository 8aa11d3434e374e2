package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

// warm runs n requests untimed before a scenario. The first writes of a resource type after
// the control plane or the operator starts took one to two seconds here (one-off costs on
// first use, not investigated further), which would otherwise be the measured p99.
func warm(ctx context.Context, n int, f func(ctx context.Context, i int) error) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := f(ctx, i); err != nil {
				logf("warm-up: %v", err)
			}
		})
	}
	wg.Wait()
}

// settleUsers waits until the ScimUser controller has reconciled the want users of ns (status
// for the current generation with a Ready condition), so that its backlog of status writes
// does not run during the next scenario.
func (b *bench) settleUsers(ctx context.Context, ns string, want int) error {
	return b.settleStatuses(ctx, "scimusers", want, func() (int, error) {
		list := &scimv1.ScimUserList{}
		pending := 0
		err := b.listAll(ctx, ns, list, func() {
			for i := range list.Items {
				if unreconciled(&list.Items[i], list.Items[i].Status.ResourceStatus) {
					pending++
				}
			}
		})
		return pending, err
	})
}

// settleGroups is settleUsers for the ScimGroup controller, which writes a status (Ready,
// memberCount) for every new group.
func (b *bench) settleGroups(ctx context.Context, ns string, want int) error {
	return b.settleStatuses(ctx, "scimgroups", want, func() (int, error) {
		list := &scimv1.ScimGroupList{}
		pending := 0
		err := b.listAll(ctx, ns, list, func() {
			for i := range list.Items {
				if unreconciled(&list.Items[i], list.Items[i].Status.ResourceStatus) {
					pending++
				}
			}
		})
		return pending, err
	})
}

// settleStatuses polls until pending reports none left. Listing every object is costly for
// the API server at these sizes, so it lists only once the API server has counted want status
// writes of resource since the scenario began (whatever their verb), or every tenth poll
// should the controller write status some other way.
func (b *bench) settleStatuses(ctx context.Context, resource string, want int, pending func() (int, error)) error {
	polls := 0
	return waitFor(ctx, 10*time.Minute, time.Second, func() (bool, error) {
		polls++
		if b.apiStart != nil && polls%10 != 0 {
			if now := b.apiSnapshot(ctx); now != nil {
				if done := statusWrites(now, resource) - statusWrites(b.apiStart, resource); done < want {
					return false, fmt.Errorf("%d of %d %s statuses written", done, want, resource)
				}
			}
		}
		n, err := pending()
		if err != nil {
			return false, err
		}
		if n > 0 {
			return false, fmt.Errorf("%d %s not reconciled yet", n, resource)
		}
		return true, nil
	})
}

// statusWrites counts the successful writes of resource's status in API-server request counts.
func statusWrites(counts map[string]float64, resource string) int {
	n := 0.0
	for key, v := range counts {
		if strings.HasSuffix(key, " "+resource+"/status") {
			n += v
		}
	}
	return int(n)
}

// unreconciled: the controller has not yet described obj's current generation, or not with
// a Ready condition.
func unreconciled(obj client.Object, s scimv1.ResourceStatus) bool {
	return s.ObservedGeneration != obj.GetGeneration() || meta.FindStatusCondition(s.Conditions, scimv1.ConditionReady) == nil
}

// listAll lists the objects of ns into list, 500 at a time, calling page after each.
func (b *bench) listAll(ctx context.Context, ns string, list client.ObjectList, page func()) error {
	opts := []client.ListOption{client.InNamespace(ns), client.Limit(500)}
	for {
		if err := b.k8s.List(ctx, list, opts...); err != nil {
			return err
		}
		page()
		if list.GetContinue() == "" {
			return nil
		}
		opts = []client.ListOption{client.InNamespace(ns), client.Limit(500), client.Continue(list.GetContinue())}
	}
}

// settleGroup waits until the ScimGroup controller has counted want members into the group's
// status, for the same reason as settleUsers.
func (b *bench) settleGroup(ctx context.Context, ns, id string, want int) error {
	return waitFor(ctx, 5*time.Minute, 250*time.Millisecond, func() (bool, error) {
		var g scimv1.ScimGroup
		if err := b.k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: id}, &g); err != nil {
			return false, err
		}
		if int(g.Status.MemberCount) != want {
			return false, fmt.Errorf("memberCount %d, want %d", g.Status.MemberCount, want)
		}
		return true, nil
	})
}
