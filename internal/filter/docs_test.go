package filter

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/scim-operator/scim-operator/internal/schema"
	"github.com/scim-operator/scim-operator/internal/scimerr"
)

const enterprise = schema.EnterpriseUserURN

// decode turns JSON into a document the way the server holds one.
func decode(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad fixture: %v", err)
	}
	return m
}

// users returns realistic User documents by name. carol is written the way Microsoft Entra
// sends attributes (capitalised keys, "True" for a boolean) to exercise lenient lookups.
func users(t testing.TB) map[string]map[string]any {
	return map[string]map[string]any{
		"alice": decode(t, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "`+enterprise+`"],
			"id": "2819c223-7f76-453a-919d-413861904646",
			"externalId": "AliceExt",
			"userName": "alice@example.com",
			"name": {"givenName": "Alice", "familyName": "Smith", "formatted": "Alice Smith"},
			"displayName": "Alice Smith",
			"title": "Engineer",
			"userType": "Employee",
			"active": true,
			"emails": [
				{"value": "alice@example.com", "type": "work", "primary": true},
				{"value": "alice@home.org", "type": "home", "primary": false}
			],
			"phoneNumbers": [{"value": "+1 555 0100", "type": "mobile"}],
			"x509Certificates": [{"value": "TUlJRElU"}],
			"meta": {"resourceType": "User", "created": "2026-01-02T03:04:05Z",
				"lastModified": "2026-03-04T05:06:07.123Z", "version": "W/\"3\""},
			"`+enterprise+`": {"department": "R&D", "employeeNumber": "701984",
				"manager": {"value": "bob-id", "displayName": "Bob Jensen"}}
		}`),
		"bob": decode(t, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
			"id": "bob-id",
			"userName": "bjensen",
			"name": {"givenName": null, "familyName": ""},
			"displayName": "Bob Jensen",
			"active": false,
			"emails": [{"value": "Bob@Example.org", "type": "work"}],
			"meta": {"resourceType": "User", "created": "2025-06-01T12:00:00Z",
				"lastModified": "2025-06-01T12:00:00Z"}
		}`),
		"carol": decode(t, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "`+enterprise+`"],
			"id": "carol-id",
			"UserName": "carol",
			"title": "",
			"Active": "True",
			"emails": [],
			"meta": {"resourceType": "User", "Created": "2026-05-05T00:00:00+02:00",
				"lastModified": "2026-05-05T00:00:00+02:00"},
			"`+enterprise+`": {"Department": "Sales"}
		}`),
	}
}

func groups(t testing.TB) map[string]map[string]any {
	return map[string]map[string]any{
		"admins": decode(t, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
			"id": "g1", "displayName": "Admins",
			"members": [
				{"value": "2819c223-7f76-453a-919d-413861904646", "type": "User", "display": "Alice"},
				{"value": "bob-id", "type": "User"}
			],
			"meta": {"resourceType": "Group", "created": "2026-01-01T00:00:00Z"}
		}`),
		"empty": decode(t, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
			"id": "g2", "displayName": "Empty", "members": [],
			"meta": {"resourceType": "Group", "created": "2026-02-01T00:00:00Z"}
		}`),
	}
}

// deviceURN is a test-only schema with the types the User and Group schemas do not use.
const deviceURN = "urn:example:params:scim:schemas:core:2.0:Device"

var deviceType = &schema.ResourceType{Name: "Device", Endpoint: "/Devices", Core: &schema.Schema{
	ID: deviceURN, Name: "Device",
	Attributes: []schema.Attribute{
		{Name: "serial", Type: schema.TypeString, CaseExact: true},
		{Name: "cores", Type: schema.TypeInteger},
		{Name: "load", Type: schema.TypeDecimal},
		{Name: "ports", Type: schema.TypeInteger, MultiValued: true},
		{Name: "firmware", Type: schema.TypeBinary},
		{Name: "tags", Type: schema.TypeString, MultiValued: true},
	},
}}

func devices(t testing.TB) map[string]map[string]any {
	return map[string]map[string]any{
		"small": decode(t, `{"serial": "AB-1", "cores": 2, "load": 0.25, "ports": [22, 80],
			"tags": ["edge", "Lab"]}`),
		"big": decode(t, `{"serial": "ab-2", "cores": 64, "load": 1.5e1, "ports": [443],
			"firmware": "AAEC"}`),
		"bare": decode(t, `{"serial": "ab-3"}`),
	}
}

// matching returns the sorted names of the documents f matches.
func matching(f *Filter, docs map[string]map[string]any) []string {
	names := []string{}
	for name, doc := range docs {
		if f.Matches(doc) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// checkInvalidFilter fails unless err is a 400 invalidFilter SCIM error.
func checkInvalidFilter(t testing.TB, err error) {
	t.Helper()
	e := scimerr.As(err)
	if e == nil {
		t.Fatalf("error %v (%T) is not a *scimerr.Error", err, err)
	}
	if e.Status != http.StatusBadRequest || e.ScimType != scimerr.TypeInvalidFilter || e.Detail == "" {
		t.Fatalf("error = %d %q %q, want 400 invalidFilter with a detail", e.Status, e.ScimType, e.Detail)
	}
}
