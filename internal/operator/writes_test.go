package operator_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/scimtest"
)

func TestReplaceUser(t *testing.T) {
	_, token := newTenant(t)
	id := call(t, token, http.MethodPost, "/Users", oktaCreateUser("old@example.com")).Expect(t, http.StatusCreated).Body["id"].(string)
	call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "taken@example.com"}).Expect(t, http.StatusCreated)

	replaced := call(t, token, http.MethodPut, "/Users/"+id, map[string]any{
		"userName": "new@example.com", "displayName": "New Name", "active": false,
	}).Expect(t, http.StatusOK)
	if replaced.Body["userName"] != "new@example.com" || replaced.Body["active"] != false || replaced.Body["emails"] != nil {
		t.Errorf("PUT replaces the whole user: %s", replaced.Raw)
	}
	if diff := cmp.Diff(replaced.Body, call(t, token, http.MethodGet, "/Users/"+id, nil).Expect(t, http.StatusOK).Body); diff != "" {
		t.Errorf("GET after PUT (-put +get):\n%s", diff)
	}
	// The old userName is free again; a rename onto a taken userName is refused.
	call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "old@example.com"}).Expect(t, http.StatusCreated)
	res := call(t, token, http.MethodPut, "/Users/"+id, map[string]any{"userName": "TAKEN@example.com"}).Expect(t, http.StatusConflict)
	if res.Body["scimType"] != "uniqueness" {
		t.Errorf("error body %s", res.Raw)
	}
	call(t, token, http.MethodPut, "/Users/unknown", map[string]any{"userName": "x"}).Expect(t, http.StatusNotFound)
}

func TestDeleteUserFreesItsNameAndLeavesItsGroups(t *testing.T) {
	ns, token := newTenant(t)
	id := call(t, token, http.MethodPost, "/Users", oktaCreateUser("gone@example.com")).Expect(t, http.StatusCreated).Body["id"].(string)
	other := call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "stays"}).Expect(t, http.StatusCreated).Body["id"].(string)
	group := call(t, token, http.MethodPost, "/Groups", map[string]any{
		"displayName": "g", "members": []map[string]any{{"value": id}, {"value": other}},
	}).Expect(t, http.StatusCreated).Body["id"].(string)

	res := call(t, token, http.MethodDelete, "/Users/"+id, nil).Expect(t, http.StatusNoContent)
	if len(res.Raw) != 0 {
		t.Errorf("204 with a body: %s", res.Raw)
	}
	call(t, token, http.MethodGet, "/Users/"+id, nil).Expect(t, http.StatusNotFound)
	call(t, token, http.MethodDelete, "/Users/"+id, nil).Expect(t, http.StatusNotFound)

	members := call(t, token, http.MethodGet, "/Groups/"+group, nil).Expect(t, http.StatusOK).Body["members"].([]any)
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
	call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "gone@example.com"}).Expect(t, http.StatusCreated)
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
			statuses <- call(t, token, http.MethodPost, "/Users", map[string]any{"userName": name}).Status
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
	created := call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "etag"}).Expect(t, http.StatusCreated)
	id, etag := created.Body["id"].(string), created.Header.Get("ETag")

	notModified := callWithHeader(t, token, http.MethodGet, "/Users/"+id, nil, "If-None-Match", etag)
	if notModified.Status != http.StatusNotModified {
		t.Errorf("If-None-Match with the current ETag: status %d", notModified.Status)
	}
	callWithHeader(t, token, http.MethodGet, "/Users/"+id, nil, "If-None-Match", `W/"999"`).Expect(t, http.StatusOK)

	stale := callWithHeader(t, token, http.MethodPut, "/Users/"+id, map[string]any{"userName": "etag2"}, "If-Match", `W/"999"`).Expect(t, http.StatusPreconditionFailed)
	if stale.Body["status"] != "412" {
		t.Errorf("error body %s", stale.Raw)
	}
	updated := callWithHeader(t, token, http.MethodPut, "/Users/"+id, map[string]any{"userName": "etag2"}, "If-Match", etag).Expect(t, http.StatusOK)
	if updated.Header.Get("ETag") == etag {
		t.Error("the ETag did not change with the user")
	}
	callWithHeader(t, token, http.MethodDelete, "/Users/"+id, nil, "If-Match", etag).Expect(t, http.StatusPreconditionFailed)
	callWithHeader(t, token, http.MethodDelete, "/Users/"+id, nil, "If-Match", updated.Header.Get("ETag")).Expect(t, http.StatusNoContent)
}

func TestReplaceAndDeleteGroup(t *testing.T) {
	ns, token := newTenant(t)
	var ids []string
	for i := range 3 {
		ids = append(ids, call(t, token, http.MethodPost, "/Users", map[string]any{"userName": fmt.Sprint("m", i)}).Expect(t, http.StatusCreated).Body["id"].(string))
	}
	group := call(t, token, http.MethodPost, "/Groups", map[string]any{
		"displayName": "team", "members": []map[string]any{{"value": ids[0]}, {"value": ids[1]}},
	}).Expect(t, http.StatusCreated).Body["id"].(string)

	// Okta's integration wizard sends the whole member list with PUT.
	replaced := call(t, token, http.MethodPut, "/Groups/"+group, map[string]any{
		"displayName": "Team", "members": []map[string]any{{"value": ids[1]}, {"value": ids[2]}},
	}).Expect(t, http.StatusOK)
	var got []string
	for _, m := range replaced.Body["members"].([]any) {
		got = append(got, m.(map[string]any)["value"].(string))
	}
	want := []string{ids[1], ids[2]}
	if ids[2] < ids[1] {
		want = []string{ids[2], ids[1]}
	}
	if diff := cmp.Diff(want, got); diff != "" || replaced.Body["displayName"] != "Team" {
		t.Errorf("members (-want +got):\n%s\n%s", diff, replaced.Raw)
	}

	call(t, token, http.MethodDelete, "/Groups/"+group, nil).Expect(t, http.StatusNoContent)
	call(t, token, http.MethodGet, "/Groups/"+group, nil).Expect(t, http.StatusNotFound)
	var shards scimv1.ScimGroupMemberShardList
	if err := k8s.List(context.Background(), &shards, clientInNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if len(shards.Items) != 0 {
		t.Errorf("%d shards left after the group was deleted", len(shards.Items))
	}
	if user := call(t, token, http.MethodGet, "/Users/"+ids[1], nil).Expect(t, http.StatusOK); user.Body["groups"] != nil {
		t.Errorf("user still lists the deleted group: %s", user.Raw)
	}
	call(t, token, http.MethodPost, "/Groups", map[string]any{"displayName": "team"}).Expect(t, http.StatusCreated)
	var g scimv1.ScimGroup
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: group}, &g); err == nil {
		t.Error("the ScimGroup still exists")
	}
}

func TestDiscoveryEndpoints(t *testing.T) {
	_, token := newTenant(t)
	spc := call(t, token, http.MethodGet, "/ServiceProviderConfig", nil).Expect(t, http.StatusOK)
	if spc.Body["etag"].(map[string]any)["supported"] != true || spc.Body["authenticationSchemes"] == nil {
		t.Errorf("ServiceProviderConfig %s", spc.Raw)
	}
	rts := call(t, token, http.MethodGet, "/ResourceTypes", nil).Expect(t, http.StatusOK)
	if rts.Body["totalResults"] != 2.0 {
		t.Errorf("ResourceTypes %s", rts.Raw)
	}
	user := call(t, token, http.MethodGet, "/ResourceTypes/User", nil).Expect(t, http.StatusOK)
	if user.Body["endpoint"] != "/Users" || user.Body["schemaExtensions"].([]any)[0].(map[string]any)["schema"] != "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" {
		t.Errorf("ResourceType User %s", user.Raw)
	}
	schemas := call(t, token, http.MethodGet, "/Schemas", nil).Expect(t, http.StatusOK)
	if schemas.Body["totalResults"] != 4.0 {
		t.Errorf("Schemas %s", schemas.Raw)
	}
	userSchema := call(t, token, http.MethodGet, "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", nil).Expect(t, http.StatusOK)
	for _, a := range userSchema.Body["attributes"].([]any) {
		if a := a.(map[string]any); a["name"] == "userName" && (a["caseExact"] != false || a["uniqueness"] != "server") {
			t.Errorf("userName attribute %v", a)
		}
	}
	call(t, token, http.MethodGet, "/Schemas/urn:nope", nil).Expect(t, http.StatusNotFound)
	// Endpoint names are matched case-insensitively, as Microsoft's validator expects.
	call(t, token, http.MethodGet, "/users", nil).Expect(t, http.StatusOK)
	call(t, token, http.MethodGet, "/Me", nil).Expect(t, http.StatusNotImplemented)
}

func TestSchemasListTheExtensionsInUseInTheTenant(t *testing.T) {
	_, token := newTenant(t)
	_, other := newTenant(t)
	const custom = "urn:ietf:params:scim:schemas:extension:custom:2.0:User"
	call(t, token, http.MethodPost, "/Users", oktaCreateUser("ext@example.com")).Expect(t, http.StatusCreated)

	eventually(t, func() error {
		if res := call(t, token, http.MethodGet, "/Schemas/"+custom, nil); res.Status != http.StatusOK {
			return fmt.Errorf("GET /Schemas/%s: %d", custom, res.Status)
		}
		rt := call(t, token, http.MethodGet, "/ResourceTypes/User", nil).Expect(t, http.StatusOK)
		for _, ext := range rt.Body["schemaExtensions"].([]any) {
			if ext.(map[string]any)["schema"] == custom {
				return nil
			}
		}
		return fmt.Errorf("ResourceType User does not list %s: %s", custom, rt.Raw)
	})
	if res := call(t, other, http.MethodGet, "/Schemas", nil).Expect(t, http.StatusOK); res.Body["totalResults"] != 4.0 {
		t.Errorf("another tenant sees the extension: %s", res.Raw)
	}
}

// TestRenameAndCreateOfOneUserNameNeverBothSucceed races a PUT that renames a user onto a
// userName against a POST of that userName. Both must hold the userName's claim before they
// write, so at most one wins, and a refused rename leaves the user as it was.
func TestRenameAndCreateOfOneUserNameNeverBothSucceed(t *testing.T) {
	ns, token := newTenant(t)
	raceRenameAndCreate(t, ns, token, 40, func(int) (string, string) { return scimURL, scimURL })
}

// TestTwoReplicasNeverGiveOneUserNameTwice races renames on one replica against creates on
// the other, both ways round.
func TestTwoReplicasNeverGiveOneUserNameTwice(t *testing.T) {
	ns, token := newTenant(t)
	replicas := []string{scimURL, startSecondReplica(t)}
	raceRenameAndCreate(t, ns, token, 40, func(round int) (string, string) {
		return replicas[round%2], replicas[(round+1)%2]
	})
}

// raceRenameAndCreate runs rounds of a rename onto a userName (a PUT to the server at the
// first URL of replicas(round)) racing a create of it (a POST to the second), and fails when
// both succeed, when two users end up with the userName, or when a refused rename changed
// the user.
func raceRenameAndCreate(t *testing.T, ns, token string, rounds int, replicas func(round int) (renameOn, createOn string)) {
	t.Helper()
	for i := range rounds {
		renameOn, createOn := replicas(i)
		target := fmt.Sprintf("contested-%d@example.com", i)
		before := fmt.Sprintf("renamed-%d@example.com", i)
		id := scimtest.Call(t, renameOn, token, http.MethodPost, "/Users", map[string]any{"userName": before}).
			Expect(t, http.StatusCreated).Body["id"].(string)
		var wg sync.WaitGroup
		var renamed, created int
		wg.Go(func() {
			renamed = scimtest.Call(t, renameOn, token, http.MethodPut, "/Users/"+id, map[string]any{"userName": target}).Status
		})
		wg.Go(func() {
			created = scimtest.Call(t, createOn, token, http.MethodPost, "/Users", map[string]any{"userName": strings.ToUpper(target)}).Status
		})
		wg.Wait()
		if renamed == http.StatusOK && created == http.StatusCreated {
			t.Fatalf("round %d: both the rename and the create of %s succeeded", i, target)
		}
		if renamed != http.StatusOK {
			got := scimtest.Call(t, renameOn, token, http.MethodGet, "/Users/"+id, nil).Expect(t, http.StatusOK).Body["userName"]
			if got != before {
				t.Fatalf("round %d: the refused rename (status %d) left userName %v, want %s", i, renamed, got, before)
			}
		}
		var list scimv1.ScimUserList
		if err := k8s.List(context.Background(), &list, clientInNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		holders := 0
		for _, u := range list.Items {
			if strings.EqualFold(u.Spec.UserName, target) && u.DeletionTimestamp.IsZero() {
				holders++
			}
		}
		if holders > 1 {
			t.Fatalf("round %d: %d users hold %s", i, holders, target)
		}
	}
}

// TestRenameOntoAUserNameJustTakenWithKubectl: kubectl gives a userName to a new user just
// before a rename onto it reaches the operator, whose cache may not show that user yet. Either
// the rename is refused and the user keeps what it had, or the rename holds the userName's
// claim and the kubectl-made user is the duplicate: the SCIM user is never the one hidden.
func TestRenameOntoAUserNameJustTakenWithKubectl(t *testing.T) {
	ns, token := newTenant(t)
	for i := range 10 {
		before := map[string]any{"userName": fmt.Sprintf("stays-%d@example.com", i), "displayName": "Before"}
		id := call(t, token, http.MethodPost, "/Users", before).Expect(t, http.StatusCreated).Body["id"].(string)
		target := fmt.Sprintf("taken-%d@example.com", i)
		elsewhere := &scimv1.ScimUser{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("elsewhere-%d", i)},
			Spec: scimv1.ScimUserSpec{UserName: target}}
		if err := k8s.Create(context.Background(), elsewhere); err != nil {
			t.Fatal(err)
		}
		res := call(t, token, http.MethodPut, "/Users/"+id, map[string]any{"userName": target, "displayName": "After"})
		switch res.Status {
		case http.StatusConflict:
			got := call(t, token, http.MethodGet, "/Users/"+id, nil).Expect(t, http.StatusOK).Body
			if got["userName"] != before["userName"] || got["displayName"] != before["displayName"] {
				t.Fatalf("round %d: after the refused rename the user has userName %v, displayName %v; want %v, %v",
					i, got["userName"], got["displayName"], before["userName"], before["displayName"])
			}
		case http.StatusOK:
			waitReady(t, ns, elsewhere.Name, metav1.ConditionFalse, scimv1.ReasonDuplicate)
			waitReady(t, ns, id, metav1.ConditionTrue, scimv1.ReasonAccepted)
		default:
			t.Fatalf("round %d: rename answered %d: %s", i, res.Status, res.Raw)
		}
	}
}

// TestUserNameFreedByARenameCanBeCreatedAgain: a user's id comes from the userName it was
// created with; after a rename that userName is free, and a new user gets it (with another id).
func TestUserNameFreedByARenameCanBeCreatedAgain(t *testing.T) {
	_, token := newTenant(t)
	first := call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "ann"}).Expect(t, http.StatusCreated).Body["id"].(string)
	call(t, token, http.MethodPut, "/Users/"+first, map[string]any{"userName": "anne"}).Expect(t, http.StatusOK)
	second := call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "ANN"}).Expect(t, http.StatusCreated).Body["id"].(string)
	if second == first {
		t.Fatalf("two users share id %s", first)
	}
	// Neither may take the other's userName now.
	call(t, token, http.MethodPut, "/Users/"+first, map[string]any{"userName": "ann"}).Expect(t, http.StatusConflict)
	call(t, token, http.MethodPut, "/Users/"+second, map[string]any{"userName": "Anne"}).Expect(t, http.StatusConflict)
	call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "anne"}).Expect(t, http.StatusConflict)
	// Renamed back and forth, each keeps its own id.
	call(t, token, http.MethodDelete, "/Users/"+second, nil).Expect(t, http.StatusNoContent)
	call(t, token, http.MethodPut, "/Users/"+first, map[string]any{"userName": "ann"}).Expect(t, http.StatusOK)
	if got := call(t, token, http.MethodGet, "/Users/"+first, nil).Expect(t, http.StatusOK).Body["userName"]; got != "ann" {
		t.Errorf("userName after renaming back: %v", got)
	}
	call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "ann"}).Expect(t, http.StatusConflict)
}

// TestUserNameRenamedAwayIsFreeAtOnce: an IdP renames a user and at once creates a new user
// with the userName given up (a new hire gets a leaver's address). The operator's cache may
// not show the rename yet, as other writes keep the informer busy: the create must still
// succeed, a stale cache is no reason for a 409. The same for a group's displayName.
func TestUserNameRenamedAwayIsFreeAtOnce(t *testing.T) {
	ns, token := newTenant(t)
	ctx, stop := context.WithCancel(context.Background())
	var busy sync.WaitGroup
	for w := range 4 { // other writers, so the informer lags behind the API server
		busy.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				u := &scimv1.ScimUser{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("busy-%d-%d", w, i)},
					Spec: scimv1.ScimUserSpec{UserName: fmt.Sprintf("busy-%d-%d@example.com", w, i)}}
				_ = k8s.Create(ctx, u)
			}
		})
	}
	defer busy.Wait()
	defer stop()
	for i := range 15 {
		old := fmt.Sprintf("rehired-%d@example.com", i)
		first := call(t, token, http.MethodPost, "/Users", map[string]any{"userName": old}).Expect(t, http.StatusCreated).Body["id"].(string)
		call(t, token, http.MethodPut, "/Users/"+first, map[string]any{"userName": fmt.Sprintf("renamed-%d@example.com", i)}).
			Expect(t, http.StatusOK)
		second := call(t, token, http.MethodPost, "/Users", map[string]any{"userName": old}).Expect(t, http.StatusCreated).Body["id"].(string)
		if second == first {
			t.Fatalf("round %d: two users share id %s", i, first)
		}
		team := fmt.Sprintf("Team %d", i)
		group := call(t, token, http.MethodPost, "/Groups", map[string]any{"displayName": team}).Expect(t, http.StatusCreated).Body["id"].(string)
		call(t, token, http.MethodPut, "/Groups/"+group, map[string]any{"displayName": team + " (old)"}).Expect(t, http.StatusOK)
		call(t, token, http.MethodPost, "/Groups", map[string]any{"displayName": team}).Expect(t, http.StatusCreated)
	}
}
