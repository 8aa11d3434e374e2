package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
)

// rngs gives each worker its own generator: a shared one would be a lock in the hot loop.
func rngs(n int) []*rand.Rand {
	out := make([]*rand.Rand, n)
	for i := range out {
		out[i] = rand.New(rand.NewPCG(uint64(i)+1, 42))
	}
	return out
}

// getByID is GET /Users/{id} of random users (a direct cache lookup on the server).
func (b *bench) getByID(ctx context.Context) *Result {
	r := rngs(b.cfg.GetConcurrency)
	return b.run(ctx, spec{
		name: "get-user-by-id", scenario: "2", clients: b.cfg.GetConcurrency, duration: b.cfg.ReadDuration,
		desc: "GET /Users/{id} of random users",
	}, func(ctx context.Context, w, _ int) error {
		u := b.users[b.ok[r[w].IntN(len(b.ok))]]
		return b.scim.do(ctx, http.MethodGet, "/Users/"+u.ID, nil, http.StatusOK, nil)
	})
}

// filters is scenario 2: userName eq and externalId eq at random, as Okta and Entra look a
// user up before creating it. Each answer must hold exactly the one user.
func (b *bench) filters(ctx context.Context, name string, clients int) *Result {
	r := rngs(clients)
	return b.run(ctx, spec{
		name: name, scenario: "2", clients: clients, duration: b.cfg.ReadDuration,
		desc: `GET /Users?filter=userName eq "…" or externalId eq "…" of random users`,
	}, func(ctx context.Context, w, _ int) error {
		i := b.ok[r[w].IntN(len(b.ok))]
		filter := fmt.Sprintf("userName eq %q", userName(i))
		if r[w].IntN(2) == 0 {
			filter = fmt.Sprintf("externalId eq %q", externalID(i))
		}
		var list listResponse
		if err := b.scim.do(ctx, http.MethodGet, "/Users?filter="+url.QueryEscape(filter)+"&startIndex=1&count=100", nil, http.StatusOK, &list); err != nil {
			return err
		}
		if list.TotalResults != 1 || len(list.Resources) != 1 {
			return fmt.Errorf("filter %s: %d results", filter, list.TotalResults)
		}
		return nil
	})
}

// listPages is scenario 3: pages of 100 through the whole set, each client walking every
// page in order and wrapping around until the duration ends. The clients start at pages
// spread over the set, so that they do not all ask for page 1 at once (a cache of the first
// page would flatter the result).
func (b *bench) listPages(ctx context.Context, name string, clients int) *Result {
	const pageSize = 100
	total := len(b.ok)
	pages := (total + pageSize - 1) / pageSize
	return b.run(ctx, spec{
		name: name, scenario: "3", clients: clients, duration: b.cfg.ReadDuration,
		desc: "GET /Users?startIndex=…&count=100, walking all users",
	}, func(ctx context.Context, w, i int) error {
		page := (w*pages/clients + i) % pages
		want := min(pageSize, total-page*pageSize)
		path := "/Users?startIndex=" + strconv.Itoa(page*pageSize+1) + "&count=" + strconv.Itoa(pageSize)
		return b.scim.checkPage(ctx, path, want)
	})
}

// checkPage GETs a list page and checks its itemsPerPage without decoding the whole page: on
// a two-core machine the load generator's JSON decoding would take CPU from the operator.
func (c *scimClient) checkPage(ctx context.Context, path string, want int) error {
	req, err := c.request(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /Users page: %d: %.200s", resp.StatusCode, body)
	}
	got, ok := intField(body, "itemsPerPage")
	if !ok {
		return errors.New("GET /Users page: no itemsPerPage")
	}
	if got != want {
		return fmt.Errorf("GET /Users page: %d items, want %d", got, want)
	}
	return nil
}

// intField finds "key":<int> in a JSON body (a top-level key that appears once).
func intField(body []byte, key string) (int, bool) {
	i := bytes.Index(body, []byte(`"`+key+`":`))
	if i < 0 {
		return 0, false
	}
	rest := bytes.TrimLeft(body[i+len(key)+3:], " ")
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(string(rest[:end]))
	return n, err == nil
}
