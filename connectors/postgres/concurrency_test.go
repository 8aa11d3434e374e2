package postgres

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scim-operator/scim-operator/connectors"
)

// TestConcurrentWorkers runs reconcile workers at once on one client: racing creates of the same
// role all succeed and leave one role, and group updates do not step on each other.
func TestConcurrentWorkers(t *testing.T) {
	const workers = 8
	users := []string{"cc_a", "cc_b", "cc_c"}
	dropLater(t, append([]string{"cc_group"}, users...)...)
	c := operator(t)
	ctx := context.Background()

	var wg sync.WaitGroup
	errs := make(chan error, 3*workers)
	for i := range workers {
		wg.Go(func() {
			for _, n := range users {
				if _, err := c.CreateUser(ctx, connectors.User{ID: "id-" + n, UserName: n, Active: true}); err != nil {
					errs <- fmt.Errorf("worker %d: CreateUser(%s): %w", i, n, err)
				}
			}
			g := connectors.Group{ID: "g", DisplayName: "cc_group", Members: users}
			if _, err := c.CreateGroup(ctx, g); err != nil {
				errs <- fmt.Errorf("worker %d: CreateGroup: %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if diff := cmp.Diff(users, membersOf(t, "cc_group")); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	for _, n := range users {
		want := roleState{Exists: true, Login: true, Comment: markA("user id-") + n}
		if diff := cmp.Diff(want, stateOf(t, n)); diff != "" {
			t.Errorf("role %s (-want +got):\n%s", n, diff)
		}
	}
}
