package operator_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	scimv1 "github.com/scim-operator/scim-operator/api/v1alpha1"
	"github.com/scim-operator/scim-operator/internal/resource"
	"github.com/scim-operator/scim-operator/scimserver"
)

// oktaCreateUser is the body Okta sends to create a user: with a password and an empty groups.
func oktaCreateUser(userName string) map[string]any {
	return map[string]any{
		"schemas":     []string{resource.UserSchema, resource.EnterpriseUserSchema},
		"userName":    userName,
		"name":        map[string]any{"givenName": "Ada", "familyName": "Lovelace"},
		"emails":      []map[string]any{{"primary": true, "value": userName, "type": "work"}},
		"displayName": "Ada Lovelace",
		"locale":      "en-US",
		"externalId":  "00u1abcd",
		"groups":      []any{},
		"password":    "correct horse battery staple",
		"active":      true,
		resource.EnterpriseUserSchema: map[string]any{
			"department": "R&D", "employeeNumber": "42", "manager": map[string]any{"value": "boss"},
		},
		"urn:ietf:params:scim:schemas:extension:custom:2.0:User": map[string]any{
			"badge": 7.0, "floors": []any{"1", "2"},
		},
	}
}

func TestListUsersOfEmptyTenantIsAnEmptyListResponse(t *testing.T) {
	_, token := newTenant(t)
	res := call(t, token, http.MethodGet, "/Users", nil).Expect(t, http.StatusOK)
	if got := res.Header.Get("Content-Type"); got != "application/scim+json" {
		t.Errorf("Content-Type %q", got)
	}
	want := map[string]any{
		"schemas":      []any{resource.ListResponseSchema},
		"totalResults": 0.0, "startIndex": 1.0, "itemsPerPage": 0.0, "Resources": []any{},
	}
	if diff := cmp.Diff(want, res.Body); diff != "" {
		t.Errorf("ListResponse (-want +got):\n%s", diff)
	}
}

func TestCreatedUserIsAScimUserAndIsServedBack(t *testing.T) {
	ns, token := newTenant(t)
	created := call(t, token, http.MethodPost, "/Users", oktaCreateUser("ada@example.com")).Expect(t, http.StatusCreated)

	id, _ := created.Body["id"].(string)
	if id == "" {
		t.Fatalf("no id in %s", created.Raw)
	}
	if loc := created.Header.Get("Location"); loc != scimURL+"/Users/"+id {
		t.Errorf("Location %q, want %q", loc, scimURL+"/Users/"+id)
	}
	meta := created.Body["meta"].(map[string]any)
	if created.Header.Get("ETag") == "" || created.Header.Get("ETag") != meta["version"] {
		t.Errorf("ETag %q does not match meta.version %v", created.Header.Get("ETag"), meta["version"])
	}
	if meta["resourceType"] != "User" || meta["location"] != scimURL+"/Users/"+id || meta["created"] == "" {
		t.Errorf("meta %v", meta)
	}
	if strings.Contains(string(created.Raw), "battery") || created.Body["password"] != nil {
		t.Errorf("the password was returned: %s", created.Raw)
	}

	// The user is a ScimUser named by its id, in the tenant's namespace, without its password.
	var u scimv1.ScimUser
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: id}, &u); err != nil {
		t.Fatal(err)
	}
	if u.Spec.UserName != "ada@example.com" || u.Spec.Name.GivenName != "Ada" || u.Spec.Enterprise.Department != "R&D" {
		t.Errorf("spec %+v", u.Spec)
	}
	if string(u.Spec.Extensions["urn:ietf:params:scim:schemas:extension:custom:2.0:User"].Raw) != `{"badge":7,"floors":["1","2"]}` {
		t.Errorf("custom extension not kept: %s", u.Spec.Extensions)
	}
	var secret corev1.Secret
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: u.Spec.PasswordSecretRef.Name}, &secret); err != nil {
		t.Fatal(err)
	}
	if string(secret.Data["password"]) != "correct horse battery staple" {
		t.Error("the password Secret does not hold the password")
	}
	if owner := metav1.GetControllerOf(&secret); owner == nil || owner.UID != u.UID {
		t.Errorf("the password Secret is not owned by the user: %v", secret.OwnerReferences)
	}

	// GET by id and the list return the same representation as the create.
	got := call(t, token, http.MethodGet, "/Users/"+id, nil).Expect(t, http.StatusOK)
	if diff := cmp.Diff(created.Body, got.Body); diff != "" {
		t.Errorf("GET differs from POST (-post +get):\n%s", diff)
	}
	list := call(t, token, http.MethodGet, "/Users", nil).Expect(t, http.StatusOK)
	if list.Body["totalResults"] != 1.0 {
		t.Fatalf("totalResults %v", list.Body["totalResults"])
	}
	if diff := cmp.Diff(created.Body, list.Body["Resources"].([]any)[0]); diff != "" {
		t.Errorf("listed user differs (-post +list):\n%s", diff)
	}
	wantSchemas := []any{resource.UserSchema, resource.EnterpriseUserSchema, "urn:ietf:params:scim:schemas:extension:custom:2.0:User"}
	if diff := cmp.Diff(wantSchemas, got.Body["schemas"]); diff != "" {
		t.Errorf("schemas (-want +got):\n%s", diff)
	}
}

func TestUserNameIsUniqueIgnoringCase(t *testing.T) {
	_, token := newTenant(t)
	call(t, token, http.MethodPost, "/Users", oktaCreateUser("grace@example.com")).Expect(t, http.StatusCreated)
	dup := call(t, token, http.MethodPost, "/Users", oktaCreateUser("Grace@Example.com")).Expect(t, http.StatusConflict)
	if dup.Body["scimType"] != "uniqueness" || dup.Body["status"] != "409" {
		t.Errorf("error body %s", dup.Raw)
	}
}

func TestUnknownUserIs404WithErrorBody(t *testing.T) {
	_, token := newTenant(t)
	res := call(t, token, http.MethodGet, "/Users/does-not-exist", nil).Expect(t, http.StatusNotFound)
	if res.Body["status"] != "404" || res.Body["schemas"].([]any)[0] != resource.ErrorSchema {
		t.Errorf("error body %s", res.Raw)
	}
}

func TestGroupWithMembers(t *testing.T) {
	ns, token := newTenant(t)
	alice := call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "alice"}).Expect(t, http.StatusCreated).Body["id"].(string)
	bob := call(t, token, http.MethodPost, "/Users", map[string]any{"userName": "bob"}).Expect(t, http.StatusCreated).Body["id"].(string)

	created := call(t, token, http.MethodPost, "/Groups", map[string]any{
		"schemas":     []string{resource.GroupSchema},
		"displayName": "Engineering",
		"members":     []map[string]any{{"value": alice, "display": "Alice"}, {"value": bob}},
	}).Expect(t, http.StatusCreated)
	groupID := created.Body["id"].(string)
	members := created.Body["members"].([]any)
	if len(members) != 2 {
		t.Fatalf("members %v", members)
	}
	for _, m := range members {
		m := m.(map[string]any)
		if m["type"] != "User" || m["$ref"] != scimURL+"/Users/"+m["value"].(string) {
			t.Errorf("member %v", m)
		}
	}

	got := call(t, token, http.MethodGet, "/Groups/"+groupID, nil).Expect(t, http.StatusOK)
	if diff := cmp.Diff(created.Body, got.Body); diff != "" {
		t.Errorf("GET differs from POST (-post +get):\n%s", diff)
	}
	if list := call(t, token, http.MethodGet, "/Groups", nil).Expect(t, http.StatusOK); list.Body["totalResults"] != 1.0 {
		t.Errorf("list %s", list.Raw)
	}

	// The user's read-only groups attribute is derived from the membership.
	user := call(t, token, http.MethodGet, "/Users/"+alice, nil).Expect(t, http.StatusOK)
	wantGroups := []any{map[string]any{
		"value": groupID, "$ref": scimURL + "/Groups/" + groupID, "display": "Engineering", "type": "direct",
	}}
	if diff := cmp.Diff(wantGroups, user.Body["groups"]); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}

	// kubectl shows the member count once the controller has counted the shards.
	eventually(t, func() error {
		var g scimv1.ScimGroup
		if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: groupID}, &g); err != nil {
			return err
		}
		if g.Status.MemberCount != 2 || !meta.IsStatusConditionTrue(g.Status.Conditions, scimv1.ConditionReady) {
			return fmt.Errorf("status %+v", g.Status)
		}
		return nil
	})

	dup := call(t, token, http.MethodPost, "/Groups", map[string]any{"displayName": "ENGINEERING"}).Expect(t, http.StatusConflict)
	if dup.Body["scimType"] != "uniqueness" {
		t.Errorf("error body %s", dup.Raw)
	}
}

func TestTenantsAreIsolated(t *testing.T) {
	_, tokenA := newTenant(t)
	_, tokenB := newTenant(t)
	userA := call(t, tokenA, http.MethodPost, "/Users", map[string]any{"userName": "shared-name"}).Expect(t, http.StatusCreated).Body["id"].(string)

	call(t, tokenB, http.MethodGet, "/Users/"+userA, nil).Expect(t, http.StatusNotFound)
	if list := call(t, tokenB, http.MethodGet, "/Users", nil).Expect(t, http.StatusOK); list.Body["totalResults"] != 0.0 {
		t.Errorf("tenant B sees tenant A's users: %s", list.Raw)
	}
	// The same userName may exist in both tenants.
	userB := call(t, tokenB, http.MethodPost, "/Users", map[string]any{"userName": "shared-name"}).Expect(t, http.StatusCreated).Body["id"].(string)
	if userB == userA {
		t.Errorf("the users of two tenants share id %s: ids must be unique across the service provider", userA)
	}
	// A group of tenant B cannot refer to a user of tenant A.
	res := call(t, tokenB, http.MethodPost, "/Groups", map[string]any{
		"displayName": "stolen", "members": []map[string]any{{"value": userA}},
	}).Expect(t, http.StatusBadRequest)
	if res.Body["scimType"] != "invalidValue" {
		t.Errorf("error body %s", res.Raw)
	}
}

func TestMissingOrWrongTokenIs401(t *testing.T) {
	newTenant(t)
	for name, token := range map[string]string{"missing": "", "wrong": "not-a-token"} {
		t.Run(name, func(t *testing.T) {
			res := call(t, token, http.MethodGet, "/Users", nil).Expect(t, http.StatusUnauthorized)
			if res.Header.Get("WWW-Authenticate") == "" || res.Body["status"] != "401" {
				t.Errorf("headers %v body %s", res.Header, res.Raw)
			}
		})
	}
}

func TestBadInputGetsAScimError(t *testing.T) {
	_, token := newTenant(t)
	cases := []struct {
		reason   string
		body     string
		status   int
		scimType string
	}{
		{"the body is not JSON", `{"userName":`, 400, "invalidSyntax"},
		{"the body is not an object", `[1,2]`, 400, "invalidSyntax"},
		{"userName is missing", `{"displayName":"x"}`, 400, "invalidValue"},
		{"an attribute is unknown", `{"userName":"x","shoeSize":44}`, 400, "invalidSyntax"},
		{"an attribute has the wrong type", `{"userName":"x","emails":"a@b"}`, 400, "invalidValue"},
		{"the API server's CEL rule rejects two primary emails", `{"userName":"x","emails":[{"value":"a","primary":true},{"value":"b","primary":true}]}`, 400, "invalidValue"},
		{"the API server's schema rejects a too-long title", `{"userName":"x","title":"` + strings.Repeat("t", 300) + `"}`, 400, "invalidValue"},
		{"the body is over the size limit", `{"userName":"x","title":"` + strings.Repeat("t", int(scimserver.DefaultOptions.MaxBodyBytes)) + `"}`, 413, ""},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			res := call(t, token, http.MethodPost, "/Users", c.body).Expect(t, c.status)
			if res.Body["scimType"] != nil && res.Body["scimType"] != c.scimType || c.scimType != "" && res.Body["scimType"] != c.scimType {
				t.Errorf("scimType %v, want %q: %s", res.Body["scimType"], c.scimType, res.Raw)
			}
			if res.Body["status"] != fmt.Sprint(c.status) || res.Header.Get("Content-Type") != "application/scim+json" {
				t.Errorf("error response %v %s", res.Header, res.Raw)
			}
		})
	}
}
