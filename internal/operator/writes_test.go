package operator_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/types"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
)

func TestReplaceUser(t *testing.T) {
	_, token := newTenant(t)
	id := call(t, token, http.MethodPost, "/Users", oktaCreateUser("old@example.com")).expect(t, http.StatusCreated).body["id"].(string)
	call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "taken@example.com"}).expect(t, http.StatusCreated)

	replaced := call(t, token, http.MethodPut, "/Users/"+id, map[string]any{
		"userName": "new@example.com", "displayName": "New Name", "active": false,
	}).expect(t, http.StatusOK)
	if replaced.body["userName"] != "new@example.com" || replaced.body["active"] != false || replaced.body["emails"] != nil {
		t.Errorf("PUT replaces the whole user: %s", replaced.raw)
	}
	if diff := cmp.Diff(replaced.body, call(t, token, http.MethodGet, "/Users/"+id, nil).expect(t, http.StatusOK).body); diff != "" {
		t.Errorf("GET after PUT (-put +get):\n%s", diff)
	}
	// The old userName is free again; a rename onto a taken userName is refused.
	call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "old@example.com"}).expect(t, http.StatusCreated)
	res := call(t, token, http.MethodPut, "/Users/"+id, map[string]any{"userName": "TAKEN@example.com"}).expect(t, http.StatusConflict)
	if res.body["scimType"] != "uniqueness" {
		t.Errorf("error body %s", res.raw)
	}
	call(t, token, http.MethodPut, "/Users/unknown", map[string]any{"userName": "x"}).expect(t, http.StatusNotFound)
}

func TestDeleteUserFreesItsNameAndLeavesItsGroups(t *testing.T) {
	ns, token := newTenant(t)
	id := call(t, token, http.MethodPost, "/Users", oktaCreateUser("gone@example.com")).expect(t, http.StatusCreated).body["id"].(string)
	other := call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "stays"}).expect(t, http.StatusCreated).body["id"].(string)
	group := call(t, token, http.MethodPost, "/Groups", map[string]any{
		"displayName": "g", "members": []map[string]any{{"value": id}, {"value": other}},
	}).expect(t, http.StatusCreated).body["id"].(string)

	res := call(t, token, http.MethodDelete, "/Users/"+id, nil).expect(t, http.StatusNoContent)
	if len(res.raw) != 0 {
		t.Errorf("204 with a body: %s", res.raw)
	}
	call(t, token, http.MethodGet, "/Users/"+id, nil).expect(t, http.StatusNotFound)
	call(t, token, http.MethodDelete, "/Users/"+id, nil).expect(t, http.StatusNotFound)

	members := call(t, token, http.MethodGet, "/Groups/"+group, nil).expect(t, http.StatusOK).body["members"].([]any)
	if len(members) != 1 || members[0].(map[string]any)["value"] != other {
		t.Errorf("members after delete: %v", members)
	}
	// The password Secret went with the user, and the userName is free at once.
	eventually(t, func() error {
		var list scimv1.ScimUserList
		if err := k8s.List(context.Background(), &list); err != nil {
			return err
		}
		for _, u := range list.Items {
			if u.Name == id {
				return fmt.Errorf("ScimUser %s still exists", id)
			}
		}
		return nil
	})
	_ = ns
	call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "gone@example.com"}).expect(t, http.StatusCreated)
}

func TestConcurrentCreatesOfOneUserNameGiveExactlyOneUser(t *testing.T) {
	ns, token := newTenant(t)
	statuses := make(chan int, 50)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Case differs between requests: userName is case-insensitive.
			name := "race@example.com"
			if i%2 == 1 {
				name = "RACE@example.com"
			}
			statuses <- call(t, token, http.MethodPost, "/Users", map[string]any{"userName": name}).status
		}()
	}
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for s := range statuses {
		counts[s]++
	}
	if diff := cmp.Diff(map[int]int{http.StatusCreated: 1, http.StatusConflict: 49}, counts); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	var list scimv1.ScimUserList
	if err := k8s.List(context.Background(), &list, clientInNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 {
		t.Errorf("%d ScimUsers, want 1", len(list.Items))
	}
}

func TestETags(t *testing.T) {
	_, token := newTenant(t)
	created := call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "etag"}).expect(t, http.StatusCreated)
	id, etag := created.body["id"].(string), created.header.Get("ETag")

	notModified := callWithHeader(t, token, http.MethodGet, "/Users/"+id, nil, "If-None-Match", etag)
	if notModified.status != http.StatusNotModified {
		t.Errorf("If-None-Match with the current ETag: status %d", notModified.status)
	}
	callWithHeader(t, token, http.MethodGet, "/Users/"+id, nil, "If-None-Match", `W/"999"`).expect(t, http.StatusOK)

	stale := callWithHeader(t, token, http.MethodPut, "/Users/"+id, map[string]any{"userName": "etag2"}, "If-Match", `W/"999"`).expect(t, http.StatusPreconditionFailed)
	if stale.body["status"] != "412" {
		t.Errorf("error body %s", stale.raw)
	}
	updated := callWithHeader(t, token, http.MethodPut, "/Users/"+id, map[string]any{"userName": "etag2"}, "If-Match", etag).expect(t, http.StatusOK)
	if updated.header.Get("ETag") == etag {
		t.Error("the ETag did not change with the user")
	}
	callWithHeader(t, token, http.MethodDelete, "/Users/"+id, nil, "If-Match", etag).expect(t, http.StatusPreconditionFailed)
	callWithHeader(t, token, http.MethodDelete, "/Users/"+id, nil, "If-Match", updated.header.Get("ETag")).expect(t, http.StatusNoContent)
}

func TestReplaceAndDeleteGroup(t *testing.T) {
	ns, token := newTenant(t)
	var ids []string
	for i := range 3 {
		ids = append(ids, call(t, token, http.MethodPost, "/Users", map[string]any{"userName": fmt.Sprint("m", i)}).expect(t, http.StatusCreated).body["id"].(string))
	}
	group := call(t, token, http.MethodPost, "/Groups", map[string]any{
		"displayName": "team", "members": []map[string]any{{"value": ids[0]}, {"value": ids[1]}},
	}).expect(t, http.StatusCreated).body["id"].(string)

	// Okta's integration wizard sends the whole member list with PUT.
	replaced := call(t, token, http.MethodPut, "/Groups/"+group, map[string]any{
		"displayName": "Team", "members": []map[string]any{{"value": ids[1]}, {"value": ids[2]}},
	}).expect(t, http.StatusOK)
	var got []string
	for _, m := range replaced.body["members"].([]any) {
		got = append(got, m.(map[string]any)["value"].(string))
	}
	want := []string{ids[1], ids[2]}
	if ids[2] < ids[1] {
		want = []string{ids[2], ids[1]}
	}
	if diff := cmp.Diff(want, got); diff != "" || replaced.body["displayName"] != "Team" {
		t.Errorf("members (-want +got):\n%s\n%s", diff, replaced.raw)
	}

	call(t, token, http.MethodDelete, "/Groups/"+group, nil).expect(t, http.StatusNoContent)
	call(t, token, http.MethodGet, "/Groups/"+group, nil).expect(t, http.StatusNotFound)
	var shards scimv1.ScimGroupMemberShardList
	if err := k8s.List(context.Background(), &shards, clientInNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if len(shards.Items) != 0 {
		t.Errorf("%d shards left after the group was deleted", len(shards.Items))
	}
	if user := call(t, token, http.MethodGet, "/Users/"+ids[1], nil).expect(t, http.StatusOK); user.body["groups"] != nil {
		t.Errorf("user still lists the deleted group: %s", user.raw)
	}
	call(t, token, http.MethodPost, "/Groups", map[string]any{"displayName": "team"}).expect(t, http.StatusCreated)
	var g scimv1.ScimGroup
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: group}, &g); err == nil {
		t.Error("the ScimGroup still exists")
	}
}

func TestDiscoveryEndpoints(t *testing.T) {
	_, token := newTenant(t)
	spc := call(t, token, http.MethodGet, "/ServiceProviderConfig", nil).expect(t, http.StatusOK)
	if spc.body["etag"].(map[string]any)["supported"] != true || spc.body["authenticationSchemes"] == nil {
		t.Errorf("ServiceProviderConfig %s", spc.raw)
	}
	rts := call(t, token, http.MethodGet, "/ResourceTypes", nil).expect(t, http.StatusOK)
	if rts.body["totalResults"] != 2.0 {
		t.Errorf("ResourceTypes %s", rts.raw)
	}
	user := call(t, token, http.MethodGet, "/ResourceTypes/User", nil).expect(t, http.StatusOK)
	if user.body["endpoint"] != "/Users" || user.body["schemaExtensions"].([]any)[0].(map[string]any)["schema"] != "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" {
		t.Errorf("ResourceType User %s", user.raw)
	}
	schemas := call(t, token, http.MethodGet, "/Schemas", nil).expect(t, http.StatusOK)
	if schemas.body["totalResults"] != 4.0 {
		t.Errorf("Schemas %s", schemas.raw)
	}
	userSchema := call(t, token, http.MethodGet, "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", nil).expect(t, http.StatusOK)
	for _, a := range userSchema.body["attributes"].([]any) {
		if a := a.(map[string]any); a["name"] == "userName" && (a["caseExact"] != false || a["uniqueness"] != "server") {
			t.Errorf("userName attribute %v", a)
		}
	}
	call(t, token, http.MethodGet, "/Schemas/urn:nope", nil).expect(t, http.StatusNotFound)
	// Endpoint names are matched case-insensitively, as Microsoft's validator expects.
	call(t, token, http.MethodGet, "/users", nil).expect(t, http.StatusOK)
	call(t, token, http.MethodGet, "/Me", nil).expect(t, http.StatusNotImplemented)
}

func TestSchemasListTheExtensionsInUseInTheTenant(t *testing.T) {
	_, token := newTenant(t)
	_, other := newTenant(t)
	const custom = "urn:ietf:params:scim:schemas:extension:custom:2.0:User"
	call(t, token, http.MethodPost, "/Users", oktaCreateUser("ext@example.com")).expect(t, http.StatusCreated)

	eventually(t, func() error {
		if res := call(t, token, http.MethodGet, "/Schemas/"+custom, nil); res.status != http.StatusOK {
			return fmt.Errorf("GET /Schemas/%s: %d", custom, res.status)
		}
		rt := call(t, token, http.MethodGet, "/ResourceTypes/User", nil).expect(t, http.StatusOK)
		for _, ext := range rt.body["schemaExtensions"].([]any) {
			if ext.(map[string]any)["schema"] == custom {
				return nil
			}
		}
		return fmt.Errorf("ResourceType User does not list %s: %s", custom, rt.raw)
	})
	if res := call(t, other, http.MethodGet, "/Schemas", nil).expect(t, http.StatusOK); res.body["totalResults"] != 4.0 {
		t.Errorf("another tenant sees the extension: %s", res.raw)
	}
}
