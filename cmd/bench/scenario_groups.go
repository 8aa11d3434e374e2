package main

import (
	"context"
	"fmt"
	"net/http"
)

// entraFill is scenario 4a: the big group gets its members one PATCH per member, the way
// Entra ID sends membership changes. Latency grows with the group if a member change costs
// more in a bigger group.
func (b *bench) entraFill(ctx context.Context) *Result {
	n := min(b.cfg.BigGroup, len(b.ok))
	return b.run(ctx, spec{
		name: "entra-patch-add", scenario: "4", clients: b.cfg.PatchConcurrency, count: n,
		desc:   fmt.Sprintf("PATCH /Groups/{id} adding one member each, filling a group to %d members", n),
		settle: func(ctx context.Context) error { return b.settleGroup(ctx, "bench", b.bigGroup, n) },
	}, func(ctx context.Context, _, i int) error {
		return b.scim.do(ctx, http.MethodPatch, "/Groups/"+b.bigGroup, entraMemberPatch("Add", b.users[b.ok[i]].ID), http.StatusNoContent, nil)
	})
}

// entraChurn is scenario 4a at full size: each client removes one of its own members and
// adds it back, one PATCH each, so the group stays at its size (the target "one-member PATCH
// on a 100k-member group").
func (b *bench) entraChurn(ctx context.Context) *Result {
	n := min(b.cfg.BigGroup, len(b.ok))
	clients := b.cfg.PatchConcurrency
	// removed[w] is 1 while worker w's last Remove has not been followed by its Add: what the
	// member count should settle at. Each worker writes only its own entry.
	removed := make([]int, clients)
	settle := func(ctx context.Context) error {
		want := n
		for _, r := range removed {
			want -= r
		}
		return b.settleGroup(ctx, "bench", b.bigGroup, want)
	}
	return b.run(ctx, spec{
		name: "entra-patch-churn", scenario: "4", clients: clients, duration: b.cfg.ReadDuration,
		desc:   fmt.Sprintf("PATCH /Groups/{id} removing or adding one member of a %d-member group", n),
		settle: settle,
	}, func(ctx context.Context, w, i int) error {
		// Worker w owns the members w, w+clients, … below n: no two workers touch one member,
		// so every Remove finds its member and every Add finds it gone.
		own := max(1, (n-w+clients-1)/clients)
		m := b.users[b.ok[(w+((i/2)%own)*clients)%n]]
		op, pending := "Remove", 1
		if i%2 == 1 {
			op, pending = "Add", 0
		}
		err := b.scim.do(ctx, http.MethodPatch, "/Groups/"+b.bigGroup, entraMemberPatch(op, m.ID), http.StatusNoContent, nil)
		if err == nil {
			removed[w] = pending
		}
		return err
	})
}

// bigGroupGet is the GET of the big group as Entra sends it (excludedAttributes=members), and,
// with withMembers, a plain GET that returns every member.
func (b *bench) bigGroupGet(ctx context.Context, withMembers bool) *Result {
	if withMembers {
		return b.run(ctx, spec{
			name: "get-big-group", scenario: "4", clients: 1, count: 10,
			desc: "GET /Groups/{id} of the big group with all its members",
		}, func(ctx context.Context, _, _ int) error {
			return b.scim.do(ctx, http.MethodGet, "/Groups/"+b.bigGroup, nil, http.StatusOK, nil)
		})
	}
	return b.run(ctx, spec{
		name: "get-big-group-nomembers", scenario: "4", clients: b.cfg.LatencyConcurrency, duration: b.cfg.ReadDuration,
		desc: "GET /Groups/{id}?excludedAttributes=members of the big group",
	}, func(ctx context.Context, _, _ int) error {
		return b.scim.do(ctx, http.MethodGet, "/Groups/"+b.bigGroup+"?excludedAttributes=members", nil, http.StatusOK, nil)
	})
}

// oktaPatches is scenario 4b: every user pushed into each Okta group, 256 members per PATCH.
func (b *bench) oktaPatches(ctx context.Context) *Result {
	const chunk = 256
	chunks := (len(b.ok) + chunk - 1) / chunk
	return b.run(ctx, spec{
		name: "okta-patch-256", scenario: "4", clients: b.cfg.OktaConcurrency, count: len(b.oktaGroups) * chunks,
		desc: fmt.Sprintf("PATCH /Groups/{id} adding 256 members, all %d users into each of %d groups", len(b.ok), len(b.oktaGroups)),
		settle: func(ctx context.Context) error {
			for _, g := range b.oktaGroups {
				if err := b.settleGroup(ctx, "bench", g, len(b.ok)); err != nil {
					return err
				}
			}
			return nil
		},
	}, func(ctx context.Context, _, i int) error {
		g, c := i/chunks, i%chunks
		members := b.members(c*chunk, min((c+1)*chunk, len(b.ok)))
		return b.scim.do(ctx, http.MethodPatch, "/Groups/"+b.oktaGroups[g], oktaMembersPatch(members), http.StatusNoContent, nil)
	})
}

// groupPut is scenario 5: Okta's integration wizard PUTs the whole group on each change. The
// first PUT fills the empty group; each later one drops or restores 1% of the members.
func (b *bench) groupPut(ctx context.Context) *Result {
	all := b.members(0, min(b.cfg.PutMembers, len(b.ok)))
	fewer := make([]member, 0, len(all))
	for i, m := range all {
		if i%100 != 0 {
			fewer = append(fewer, m)
		}
	}
	bodies := [][]byte{oktaGroupPut(b.putGroup, "bench-put", all), oktaGroupPut(b.putGroup, "bench-put", fewer)}
	res := b.run(ctx, spec{
		name: "okta-put-group", scenario: "5", clients: 1, count: b.cfg.PutRepeat,
		desc:   fmt.Sprintf("PUT /Groups/{id} with %d members (then 1%% fewer, then all again, …)", len(all)),
		settle: func(ctx context.Context) error { return b.settleGroup(ctx, "bench", b.putGroup, b.putMembersAfter()) },
	}, func(ctx context.Context, _, i int) error {
		return b.scim.do(ctx, http.MethodPut, "/Groups/"+b.putGroup, bodies[i%2], http.StatusOK, nil)
	})
	res.Notes = append(res.Notes, fmt.Sprintf("body of the full PUT: %d bytes", len(bodies[0])))
	return res
}

// putMembersAfter is the member count the last PUT left: the full set after an odd number
// of PUTs, 1% fewer after an even one.
func (b *bench) putMembersAfter() int {
	n := min(b.cfg.PutMembers, len(b.ok))
	if b.cfg.PutRepeat == 0 {
		return 0
	}
	if b.cfg.PutRepeat%2 == 1 {
		return n
	}
	return n - (n+99)/100
}

// members returns the created users ok[from:to].
func (b *bench) members(from, to int) []member {
	out := make([]member, 0, to-from)
	for _, i := range b.ok[from:to] {
		out = append(out, b.users[i])
	}
	return out
}
