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
// does not run during the next scenario. Listing every user is costly for the API server at
// these sizes, so it lists only once the API server has counted want status writes since the
// scenario began (whatever their verb), or every tenth poll should the controller write status
// some other way.
func (b *bench) settleUsers(ctx context.Context, ns string, want int) error {
	polls := 0
	return waitFor(ctx, 10*time.Minute, time.Second, func() (bool, error) {
		polls++
		if b.apiStart != nil && polls%10 != 0 {
			if now := b.apiSnapshot(ctx); now != nil {
				if done := statusWrites(now) - statusWrites(b.apiStart); done < want {
					return false, fmt.Errorf("%d of %d user statuses written", done, want)
				}
			}
		}
		return b.usersReconciled(ctx, ns)
	})
}

// statusWrites counts the successful writes of ScimUser status in API-server request counts.
func statusWrites(counts map[string]float64) int {
	n := 0.0
	for key, v := range counts {
		if strings.HasSuffix(key, " scimusers/status") {
			n += v
		}
	}
	return int(n)
}

// usersReconciled lists the users of ns, 500 at a time, and checks each one's status.
func (b *bench) usersReconciled(ctx context.Context, ns string) (bool, error) {
	pending := 0
	list := &scimv1.ScimUserList{}
	opts := []client.ListOption{client.InNamespace(ns), client.Limit(500)}
	for {
		if err := b.k8s.List(ctx, list, opts...); err != nil {
			return false, err
		}
		for i := range list.Items {
			u := &list.Items[i]
			if u.Status.ObservedGeneration != u.Generation || meta.FindStatusCondition(u.Status.Conditions, scimv1.ConditionReady) == nil {
				pending++
			}
		}
		if list.Continue == "" {
			break
		}
		opts = []client.ListOption{client.InNamespace(ns), client.Limit(500), client.Continue(list.Continue)}
	}
	if pending > 0 {
		return false, fmt.Errorf("%d users not reconciled yet", pending)
	}
	return true, nil
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
