package main

import (
	"context"
	"fmt"
	"net/http"
)

// createUsers is scenario 1: N users POSTed by C clients, Okta and Entra bodies alternating.
func (b *bench) createUsers(ctx context.Context) *Result {
	b.users = make([]member, b.cfg.Users)
	res := b.run(ctx, spec{
		name: "create-users", scenario: "1", clients: b.cfg.Concurrency, count: b.cfg.Users,
		desc: "POST /Users, Okta and Entra create bodies alternating",
		settle: func(ctx context.Context) error {
			n := 0
			for _, u := range b.users {
				if u.ID != "" {
					n++
				}
			}
			return b.settleUsers(ctx, "bench", n)
		},
	}, func(ctx context.Context, _, i int) error {
		var c created
		if err := b.scim.do(ctx, http.MethodPost, "/Users", createUserBody(i), http.StatusCreated, &c); err != nil {
			return err
		}
		b.users[i] = member{ID: c.ID, UserName: userName(i)} // each i is one job: no race
		return nil
	})
	for i, u := range b.users {
		if u.ID != "" {
			b.ok = append(b.ok, i)
		}
	}
	return res
}

// createScaleGroups is the 10,000 groups (scenario 4's tenant size): -scale-groups
// empty groups POSTed by -concurrency clients, Okta and Entra bodies alternating, right after
// the users so that every later row runs with them present. The row settles until the group
// controller has written each one's status.
func (b *bench) createScaleGroups(ctx context.Context) *Result {
	n := b.cfg.ScaleGroups
	return b.run(ctx, spec{
		name: "create-scale-groups", scenario: "4", clients: min(b.cfg.Concurrency, n), count: n,
		desc:   "POST /Groups, empty, Okta and Entra create bodies alternating",
		settle: func(ctx context.Context) error { return b.settleGroups(ctx, "bench", n) },
	}, func(ctx context.Context, _, i int) error {
		return b.scim.do(ctx, http.MethodPost, "/Groups", scaleGroupBody(i), http.StatusCreated, nil)
	})
}

// createGroups creates the empty groups the membership scenarios fill: the big group (Entra,
// one member per PATCH), the PUT group (Okta wizard) and the Okta PATCH groups.
func (b *bench) createGroups(ctx context.Context) (*Result, error) {
	names := []string{"bench-big", "bench-put"}
	for g := range b.cfg.Groups {
		names = append(names, fmt.Sprintf("bench-okta-%03d", g))
	}
	ids := make([]string, len(names))
	res := b.run(ctx, spec{
		name: "create-groups", scenario: "4", clients: min(b.cfg.Concurrency, len(names)), count: len(names),
		desc: "POST /Groups, empty (Entra body)",
	}, func(ctx context.Context, _, i int) error {
		var c created
		if err := b.scim.do(ctx, http.MethodPost, "/Groups", createGroupBody(names[i], fmt.Sprintf("ext-%s", names[i])), http.StatusCreated, &c); err != nil {
			return err
		}
		ids[i] = c.ID
		return nil
	})
	if res.Errors > 0 {
		return res, fmt.Errorf("creating groups: %v", res.ErrorSamples)
	}
	b.bigGroup, b.putGroup, b.oktaGroups = ids[0], ids[1], ids[2:]
	return res, nil
}
