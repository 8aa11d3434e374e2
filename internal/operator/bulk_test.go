package operator_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/scim-operator/scim-operator/scimserver"
)

func bulkOps(failOnErrors int, ops ...map[string]any) map[string]any {
	return map[string]any{
		"schemas":      []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"},
		"failOnErrors": failOnErrors,
		"Operations":   ops,
	}
}

func TestBulkResolvesForwardReferences(t *testing.T) {
	_, token := newTenant(t)
	// The group comes first and names a user that the second operation creates.
	res := call(t, token, http.MethodPost, "/Bulk", bulkOps(0,
		map[string]any{"method": "POST", "path": "/Groups", "bulkId": "g1", "data": map[string]any{
			"displayName": "bulk group", "members": []map[string]any{{"value": "bulkId:u1"}},
		}},
		map[string]any{"method": "POST", "path": "/Users", "bulkId": "u1", "data": map[string]any{"userName": "bulk-user"}},
		map[string]any{"method": "PATCH", "path": "/Users/bulkId:nope", "data": map[string]any{}},
	)).Expect(t, http.StatusOK)

	ops := res.Body["Operations"].([]any)
	if len(ops) != 3 {
		t.Fatalf("operations %s", res.Raw)
	}
	group, user, unresolved := ops[0].(map[string]any), ops[1].(map[string]any), ops[2].(map[string]any)
	if group["status"] != "201" || user["status"] != "201" || group["bulkId"] != "g1" {
		t.Fatalf("statuses %s", res.Raw)
	}
	if unresolved["status"] != "409" {
		t.Errorf("unresolved reference: %v", unresolved)
	}
	groupID := group["location"].(string)[strings.LastIndex(group["location"].(string), "/")+1:]
	userID := user["location"].(string)[strings.LastIndex(user["location"].(string), "/")+1:]
	members := call(t, token, http.MethodGet, "/Groups/"+groupID, nil).Expect(t, http.StatusOK).Body["members"].([]any)
	if len(members) != 1 || members[0].(map[string]any)["value"] != userID {
		t.Errorf("members %v, want user %s", members, userID)
	}
}

func TestBulkStopsAfterFailOnErrors(t *testing.T) {
	_, token := newTenant(t)
	res := call(t, token, http.MethodPost, "/Bulk", bulkOps(1,
		map[string]any{"method": "POST", "path": "/Users", "bulkId": "a", "data": map[string]any{"displayName": "no userName"}},
		map[string]any{"method": "POST", "path": "/Users", "bulkId": "b", "data": map[string]any{"userName": "never-created"}},
	)).Expect(t, http.StatusOK)
	ops := res.Body["Operations"].([]any)
	if len(ops) != 1 || ops[0].(map[string]any)["status"] != "400" {
		t.Errorf("operations %s", res.Raw)
	}
	if ops[0].(map[string]any)["response"].(map[string]any)["scimType"] != "invalidValue" {
		t.Errorf("error response %s", res.Raw)
	}
	if list := call(t, token, http.MethodGet, "/Users", nil).Expect(t, http.StatusOK); list.Body["totalResults"] != 0.0 {
		t.Errorf("an operation after failOnErrors ran: %s", list.Raw)
	}
}

func TestBulkLimitsAreAdvertisedAndEnforced(t *testing.T) {
	_, token := newTenant(t)
	spc := call(t, token, http.MethodGet, "/ServiceProviderConfig", nil).Expect(t, http.StatusOK)
	bulk := spc.Body["bulk"].(map[string]any)
	if bulk["supported"] != true || bulk["maxOperations"] != 1000.0 || bulk["maxPayloadSize"] != float64(scimserver.DefaultOptions.MaxBodyBytes) {
		t.Fatalf("bulk %v", bulk)
	}
	ops := make([]map[string]any, 1001)
	for i := range ops {
		ops[i] = map[string]any{"method": "DELETE", "path": "/Users/x"}
	}
	call(t, token, http.MethodPost, "/Bulk", bulkOps(0, ops...)).Expect(t, http.StatusRequestEntityTooLarge)
	call(t, token, http.MethodPost, "/Bulk", bulkOps(0, map[string]any{"method": "GET", "path": "/Users"})).Expect(t, http.StatusBadRequest)
}
