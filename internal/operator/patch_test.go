package operator_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/scimtest"
	"github.com/scim-operator/scim-operator/internal/store"
)

var patchOps = scimtest.PatchOps

func memberIDs(t *testing.T, token, group string) []string {
	t.Helper()
	res := call(t, token, http.MethodGet, "/Groups/"+group, nil).Expect(t, http.StatusOK)
	ids := []string{}
	members, _ := res.Body["members"].([]any)
	for _, m := range members {
		ids = append(ids, m.(map[string]any)["value"].(string))
	}
	sort.Strings(ids)
	return ids
}

func newUsers(t *testing.T, token string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = call(t, token, http.MethodPost, "/Users", map[string]any{"userName": fmt.Sprintf("user-%d-%s", i, t.Name())}).Expect(t, http.StatusCreated).Body["id"].(string)
	}
	return ids
}

func sorted(ids ...string) []string {
	out := append([]string{}, ids...)
	sort.Strings(out)
	return out
}

func TestPatchUserAsEntraAndOktaSendIt(t *testing.T) {
	_, token := newTenant(t)
	id := call(t, token, http.MethodPost, "/Users", oktaCreateUser("patch@example.com")).Expect(t, http.StatusCreated).Body["id"].(string)
	cases := []struct {
		reason string
		ops    []map[string]any
		check  func(user map[string]any) error
	}{
		{"E1, E2: a capitalised op and a string boolean deactivate the user",
			[]map[string]any{{"op": "Replace", "path": "active", "value": "False"}},
			func(u map[string]any) error { return expectValue(u["active"], false) }},
		{"K6: Okta reactivates with a no-path replace",
			[]map[string]any{{"op": "replace", "value": map[string]any{"active": true}}},
			func(u map[string]any) error { return expectValue(u["active"], true) }},
		{"E4: a no-path value with dotted and URN-qualified keys",
			[]map[string]any{{"op": "Add", "value": map[string]any{
				"name.givenName": "Augusta",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "1815",
			}}},
			func(u map[string]any) error {
				if err := expectValue(u["name"].(map[string]any)["givenName"], "Augusta"); err != nil {
					return err
				}
				return expectValue(u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)["employeeNumber"], "1815")
			}},
		{"E11: replacing the work email's value when only a home email exists creates a work email",
			[]map[string]any{
				{"op": "replace", "path": "emails", "value": []any{map[string]any{"value": "home@example.com", "type": "home"}}},
				{"op": "replace", "path": `emails[type eq "work"].value`, "value": "work@example.com"},
			},
			func(u map[string]any) error {
				emails := u["emails"].([]any)
				if len(emails) != 2 {
					return fmt.Errorf("emails %v", emails)
				}
				return nil
			}},
		{"E9: the manager as a plain string",
			[]map[string]any{{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "boss-id"}},
			func(u map[string]any) error {
				return expectValue(u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)["manager"].(map[string]any)["value"], "boss-id")
			}},
		{"E12: an empty Operations list changes nothing",
			[]map[string]any{},
			func(u map[string]any) error { return expectValue(u["userName"], "patch@example.com") }},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			call(t, token, http.MethodPatch, "/Users/"+id, patchOps(c.ops...)).Expect(t, http.StatusNoContent)
			if err := c.check(call(t, token, http.MethodGet, "/Users/"+id, nil).Expect(t, http.StatusOK).Body); err != nil {
				t.Errorf("GET after PATCH: %v", err)
			}
		})
	}
}

// RFC 7644 lets a PATCH answer 200 with the resource or 204; Okta's documentation expects the
// user back, and attributes= asks for it.
func TestPatchUserAnswersTheRepresentationWhenAskedFor(t *testing.T) {
	_, token := newTenant(t)
	id := call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "rep"}).Expect(t, http.StatusCreated).Body["id"].(string)
	body := patchOps(map[string]any{"op": "replace", "path": "displayName", "value": "Rep"})
	okta := callWithHeader(t, token, http.MethodPatch, "/Users/"+id, body, "User-Agent", "Okta SCIM Client 1.0.0").Expect(t, http.StatusOK)
	if okta.Body["displayName"] != "Rep" {
		t.Errorf("Okta's PATCH response: %s", okta.Raw)
	}
	projected := call(t, token, http.MethodPatch, "/Users/"+id+"?attributes=displayName", body).Expect(t, http.StatusOK)
	if projected.Body["displayName"] != "Rep" || projected.Body["userName"] != nil {
		t.Errorf("PATCH with attributes=displayName: %s", projected.Raw)
	}
}

func expectValue(got, want any) error {
	if !cmp.Equal(got, want) {
		return fmt.Errorf("got %v, want %v", got, want)
	}
	return nil
}

func TestPatchUserErrors(t *testing.T) {
	_, token := newTenant(t)
	id := call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "errs"}).Expect(t, http.StatusCreated).Body["id"].(string)
	cases := []struct {
		reason   string
		ops      []map[string]any
		status   int
		scimType string
	}{
		{"id is read-only", []map[string]any{{"op": "replace", "path": "id", "value": "x"}}, 400, "mutability"},
		{"an unknown attribute is an invalid path", []map[string]any{{"op": "replace", "path": "shoeSize", "value": 1}}, 400, "invalidPath"},
		{"remove needs a path", []map[string]any{{"op": "remove"}}, 400, "noTarget"},
		{"a wrong type is refused and nothing of the PATCH is applied",
			[]map[string]any{{"op": "replace", "path": "displayName", "value": "changed"}, {"op": "replace", "path": "active", "value": "maybe"}}, 400, "invalidValue"},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			res := call(t, token, http.MethodPatch, "/Users/"+id, patchOps(c.ops...)).Expect(t, c.status)
			if res.Body["scimType"] != c.scimType {
				t.Errorf("scimType %v, want %s: %s", res.Body["scimType"], c.scimType, res.Raw)
			}
		})
	}
	if u := call(t, token, http.MethodGet, "/Users/"+id, nil).Expect(t, http.StatusOK); u.Body["displayName"] != nil {
		t.Errorf("a failed PATCH was partly applied: %s", u.Raw)
	}
	call(t, token, http.MethodPatch, "/Users/nope", patchOps()).Expect(t, http.StatusNotFound)
}

func TestPatchGroupMembersAsEntraAndOktaSendIt(t *testing.T) {
	_, token := newTenant(t)
	u := newUsers(t, token, 4)
	group := call(t, token, http.MethodPost, "/Groups", map[string]any{"displayName": "patched"}).Expect(t, http.StatusCreated).Body["id"].(string)

	steps := []struct {
		reason string
		ops    []map[string]any
		want   []string
	}{
		{"E5: Entra adds one member per PATCH, with a null $ref",
			[]map[string]any{{"op": "Add", "path": "members", "value": []any{map[string]any{"$ref": nil, "value": u[0]}}}},
			sorted(u[0])},
		{"K4: Okta adds members with value and display, without type",
			[]map[string]any{{"op": "add", "path": "members", "value": []any{
				map[string]any{"value": u[1], "display": "one"}, map[string]any{"value": u[2], "display": "two"}}}},
			sorted(u[0], u[1], u[2])},
		{"E3: a Remove of members with a value removes only the listed members",
			[]map[string]any{{"op": "Remove", "path": "members", "value": []any{map[string]any{"value": u[0]}}}},
			sorted(u[1], u[2])},
		{"E4, K4: remove by value filter, and add, in one PATCH",
			[]map[string]any{
				{"op": "remove", "path": fmt.Sprintf(`members[value eq "%s"]`, u[1])},
				{"op": "add", "path": "members", "value": []any{map[string]any{"value": u[3]}}},
			},
			sorted(u[2], u[3])},
		{"removing a member that is not there is not an error (clients retry)",
			[]map[string]any{{"op": "remove", "path": fmt.Sprintf(`members[value eq "%s"]`, u[0])}},
			sorted(u[2], u[3])},
		{"replace sets the whole member list",
			[]map[string]any{{"op": "replace", "path": "members", "value": []any{map[string]any{"value": u[0]}}}},
			sorted(u[0])},
		{"K3: Okta renames with a no-path replace carrying the id, which is ignored",
			[]map[string]any{{"op": "replace", "value": map[string]any{"id": group, "displayName": "renamed"}}},
			sorted(u[0])},
		{"remove of members without a value empties the group",
			[]map[string]any{{"op": "remove", "path": "members"}},
			[]string{}},
	}
	for _, step := range steps {
		res := call(t, token, http.MethodPatch, "/Groups/"+group, patchOps(step.ops...))
		if res.Status != http.StatusNoContent {
			t.Fatalf("%s: status %d: %s", step.reason, res.Status, res.Raw)
		}
		if diff := cmp.Diff(step.want, memberIDs(t, token, group)); diff != "" {
			t.Errorf("%s: members (-want +got):\n%s", step.reason, diff)
		}
	}
	if g := call(t, token, http.MethodGet, "/Groups/"+group, nil).Expect(t, http.StatusOK); g.Body["displayName"] != "renamed" {
		t.Errorf("displayName after K3: %s", g.Raw)
	}
	res := call(t, token, http.MethodPatch, "/Groups/"+group, patchOps(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": "someone-else"}}})).Expect(t, http.StatusBadRequest)
	if res.Body["scimType"] != "invalidValue" {
		t.Errorf("adding an unknown member: %s", res.Raw)
	}
}

// 50 concurrent PATCHes that each add a different member to one group leave all 50 members.
func TestConcurrentMemberPatchesLoseNoMember(t *testing.T) {
	_, token := newTenant(t)
	users := newUsers(t, token, 50)
	group := call(t, token, http.MethodPost, "/Groups", map[string]any{"displayName": "busy"}).Expect(t, http.StatusCreated).Body["id"].(string)
	var wg sync.WaitGroup
	statuses := make(chan int, len(users))
	for _, id := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- call(t, token, http.MethodPatch, "/Groups/"+group, patchOps(map[string]any{
				"op": "add", "path": "members", "value": []any{map[string]any{"value": id}},
			})).Status
		}()
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != http.StatusNoContent {
			t.Errorf("a PATCH answered %d", s)
		}
	}
	if diff := cmp.Diff(sorted(users...), memberIDs(t, token, group)); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
}

// A shard written by hand (kubectl) may list members outside the shard their id hashes to; the
// group serves them, counts each member once, and SCIM removals and user deletion find them.
func TestMembersOfAHandWrittenShard(t *testing.T) {
	ns, token := newTenant(t)
	u := newUsers(t, token, 3)
	group := call(t, token, http.MethodPost, "/Groups", map[string]any{
		"displayName": "hand", "members": []map[string]any{{"value": u[0]}},
	}).Expect(t, http.StatusCreated).Body["id"].(string)
	ctx := context.Background()
	extra := &scimv1.ScimGroupMemberShard{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: group + "-extra"},
		Spec: scimv1.ScimGroupMemberShardSpec{Group: group, Members: scimv1.MemberList{
			{Value: u[0], Type: scimv1.MemberTypeUser}, {Value: u[1], Type: scimv1.MemberTypeUser}, {Value: u[2], Type: scimv1.MemberTypeUser},
		}},
	}
	if err := k8s.Create(ctx, extra); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() error {
		if got := memberIDs(t, token, group); !slices.Equal(got, sorted(u...)) {
			return fmt.Errorf("members %v", got)
		}
		if groups := call(t, token, http.MethodGet, "/Users/"+u[1], nil).Body["groups"]; groups == nil {
			return fmt.Errorf("user %s lists no group", u[1])
		}
		return nil
	})
	eventually(t, memberCountIs(ns, group, 3)) // u[0] is in two shards, and counted once

	// Entra's removal by filter, Okta's by value: each from every shard that lists the member.
	call(t, token, http.MethodPatch, "/Groups/"+group, patchOps(map[string]any{"op": "remove", "path": fmt.Sprintf(`members[value eq "%s"]`, u[1])})).Expect(t, http.StatusNoContent)
	call(t, token, http.MethodPatch, "/Groups/"+group, patchOps(map[string]any{"op": "remove", "path": "members", "value": []any{map[string]any{"value": u[0]}}})).Expect(t, http.StatusNoContent)
	if got := memberIDs(t, token, group); !slices.Equal(got, []string{u[2]}) {
		t.Errorf("members after the removals %v, want %v", got, []string{u[2]})
	}
	eventually(t, memberCountIs(ns, group, 1))

	// Deleting a user takes it out of the hand-written shard too.
	call(t, token, http.MethodDelete, "/Users/"+u[2], nil).Expect(t, http.StatusNoContent)
	if got := memberIDs(t, token, group); len(got) != 0 {
		t.Errorf("members after the last one was deleted: %v", got)
	}
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(extra), extra); err != nil || len(extra.Spec.Members) != 0 {
		t.Errorf("the hand-written shard still lists %v (%v)", extra.Spec.Members, err)
	}
	eventually(t, memberCountIs(ns, group, 0))
}

// memberCountIs checks the group's status.memberCount, the MEMBERS column of kubectl.
func memberCountIs(ns, group string, want int) func() error {
	return func() error {
		var g scimv1.ScimGroup
		if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: group}, &g); err != nil {
			return err
		}
		if int(g.Status.MemberCount) != want {
			return fmt.Errorf("memberCount %d, want %d", g.Status.MemberCount, want)
		}
		return nil
	}
}

// membersPerShard is the suite operator's store.Options.MembersPerShard.
const membersPerShard = 1

// TestGroupOutgrowsItsShards grows a group past the 64 shards it starts with: new members go
// to the shards of the larger count, the ones already stored stay where they are and remain
// members, removable and replaceable, and no member is ever stored twice.
func TestGroupOutgrowsItsShards(t *testing.T) {
	ns, token := newTenant(t)
	all := newUsers(t, token, 158)
	u, later := all[:150], all[150:]
	refs := func(ids []string) []any {
		out := make([]any, len(ids))
		for i, id := range ids {
			out[i] = map[string]any{"value": id}
		}
		return out
	}
	group := call(t, token, http.MethodPost, "/Groups", map[string]any{
		"displayName": "grows", "members": refs(u[:60]),
	}).Expect(t, http.StatusCreated).Body["id"].(string)
	// listing is where each member is stored, by the API server, not the operator's cache.
	listing := func() map[string][]string {
		t.Helper()
		var shards scimv1.ScimGroupMemberShardList
		if err := k8s.List(context.Background(), &shards, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		where := map[string][]string{}
		for _, s := range shards.Items {
			if s.Spec.Group == group {
				for _, m := range s.Spec.Members {
					where[m.Value] = append(where[m.Value], s.Name)
				}
			}
		}
		return where
	}
	expectStored := func(members []string, shards int) {
		t.Helper()
		if got := memberIDs(t, token, group); !slices.Equal(got, sorted(members...)) {
			t.Fatalf("GET lists %d members, want %d: %v", len(got), len(members), got)
		}
		where := listing()
		for id, names := range where {
			if len(names) != 1 {
				t.Errorf("member %s is stored in %v, want one shard", id, names)
			}
		}
		for _, id := range members {
			homes := []string{store.ShardName(group, id, store.MinShards), store.ShardName(group, id, shards), store.NewShardName(group, id, shards)}
			if names := where[id]; len(names) == 0 || !slices.Contains(homes, names[0]) {
				t.Errorf("member %s is in %v, want one of %v", id, names, homes)
			}
		}
	}
	expectStored(u[:60], store.MinShards)

	// 150 members at one per shard past 64: 256 shards. The 90 new members go there.
	call(t, token, http.MethodPatch, "/Groups/"+group, patchOps(map[string]any{"op": "add", "path": "members", "value": refs(u[60:])})).Expect(t, http.StatusNoContent)
	expectStored(u, 256)
	where := listing()
	moved := 0
	for _, id := range u[60:] {
		if where[id][0] != store.ShardName(group, id, 256) {
			t.Errorf("new member %s went to %v, want %s", id, where[id], store.ShardName(group, id, 256))
		}
		if store.ShardName(group, id, 256) != store.ShardName(group, id, store.MinShards) {
			moved++
		}
	}
	if moved == 0 {
		t.Fatal("no new member hashes beyond the first 64 shards: the test proves nothing")
	}
	for _, id := range u[:60] {
		if where[id][0] != store.ShardName(group, id, store.MinShards) {
			t.Errorf("member %s stored before the growth was moved to %v", id, where[id])
		}
	}

	// A member stored in the old layout whose new home differs: adding it again changes
	// nothing, and both kinds of removal find it.
	var old []string
	for _, id := range u[:60] {
		if store.ShardName(group, id, 256) != store.ShardName(group, id, store.MinShards) {
			old = append(old, id)
		}
	}
	if len(old) < 2 {
		t.Fatalf("only %d of 60 members would move at 256 shards", len(old))
	}
	call(t, token, http.MethodPatch, "/Groups/"+group, patchOps(map[string]any{"op": "add", "path": "members", "value": refs(old[:1])})).Expect(t, http.StatusNoContent)
	expectStored(u, 256)
	call(t, token, http.MethodPatch, "/Groups/"+group, patchOps(map[string]any{"op": "remove", "path": fmt.Sprintf(`members[value eq "%s"]`, old[0])})).Expect(t, http.StatusNoContent)
	call(t, token, http.MethodPatch, "/Groups/"+group, patchOps(map[string]any{"op": "remove", "path": "members", "value": refs(old[1:2])})).Expect(t, http.StatusNoContent)
	left := slices.DeleteFunc(slices.Clone(u), func(id string) bool { return id == old[0] || id == old[1] })
	expectStored(left, 256)
	eventually(t, memberCountIs(ns, group, len(left)))

	// The group now fills the 128 shards of the count before 256: members added a few at a
	// time go to the 128 shards the doubling added, not to the full ones, and are found there.
	for _, id := range later {
		call(t, token, http.MethodPatch, "/Groups/"+group, patchOps(map[string]any{"op": "add", "path": "members", "value": refs([]string{id})})).Expect(t, http.StatusNoContent)
	}
	where = listing()
	for _, id := range later {
		if want := store.NewShardName(group, id, 256); len(where[id]) != 1 || where[id][0] != want {
			t.Errorf("member %s added to the grown group went to %v, want %s (one of the shards from 128 on)", id, where[id], want)
		}
	}
	left = append(left, later...)
	expectStored(left, 256)
	call(t, token, http.MethodPatch, "/Groups/"+group, patchOps(map[string]any{"op": "remove", "path": fmt.Sprintf(`members[value eq "%s"]`, later[0])})).Expect(t, http.StatusNoContent)
	left = slices.DeleteFunc(left, func(id string) bool { return id == later[0] })
	expectStored(left, 256)
	eventually(t, memberCountIs(ns, group, len(left)))

	// A replace keeps the members it names wherever they are and drops the rest from every
	// shard, of either layout.
	call(t, token, http.MethodPut, "/Groups/"+group, map[string]any{"displayName": "grows", "members": refs(u[30:90])}).Expect(t, http.StatusOK)
	expectStored(u[30:90], 256)
	if n := len(listing()); n != 60 {
		t.Errorf("the shards list %d members after the replace, want 60", n)
	}
}

// An identity provider adds members one PATCH each (Entra); the group's status, whose
// memberCount is kubectl's MEMBERS column, is written once per batch of changes, not once per
// PATCH: at 300 PATCHes a second those writes were a third of the API server's requests.
func TestOneMemberPatchesAreBatchedIntoFewStatusWrites(t *testing.T) {
	const n = 30
	ns, token := newTenant(t)
	u := newUsers(t, token, n)
	group := call(t, token, http.MethodPost, "/Groups", map[string]any{"displayName": "batched"}).Expect(t, http.StatusCreated).Body["id"].(string)

	wc, err := client.NewWithWatch(cfg, client.Options{Scheme: k8s.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := wc.Watch(ctx, &scimv1.ScimGroupList{}, client.InNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	writes := make(chan int)
	go func() {
		count := 0
		for e := range w.ResultChan() {
			if e.Type == watch.Modified {
				count++
			}
		}
		writes <- count
	}()

	for _, id := range u {
		call(t, token, http.MethodPatch, "/Groups/"+group, patchOps(map[string]any{
			"op": "add", "path": "members", "value": []any{map[string]any{"value": id}},
		})).Expect(t, http.StatusNoContent)
	}
	eventually(t, memberCountIs(ns, group, n))
	w.Stop()
	// The group's own creation may still be reconciled (its Ready condition): one more write.
	if got := <-writes; got > n/3 {
		t.Errorf("%d PATCHes wrote the group %d times; want a few batched status writes", n, got)
	} else {
		t.Logf("%d one-member PATCHes, %d writes of the group", n, got)
	}
}
