package patch

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scim-operator/scim-operator/internal/schema"
	"github.com/scim-operator/scim-operator/internal/scimerr"
)

type (
	M = map[string]any
	L = []any
)

const enterprise = schema.EnterpriseUserURN

// userJSON is a User as the server returns it, with the enterprise extension.
const userJSON = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "id": "2819c223-7f76-453a-919d-413861904646",
  "externalId": "bjensen",
  "userName": "bjensen@example.com",
  "name": {"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Barbara"},
  "displayName": "Babs Jensen",
  "active": true,
  "emails": [
    {"value": "bjensen@example.com", "type": "work", "primary": true},
    {"value": "babs@jensen.org", "type": "home"}
  ],
  "phoneNumbers": [{"value": "555-555-8377", "type": "work"}],
  "groups": [{"value": "e9e30dba-f08f-4109-8486-d5c6a331660a", "display": "Tour Guides", "type": "direct"}],
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
    "employeeNumber": "701984",
    "department": "Tour Operations",
    "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}
  },
  "meta": {
    "resourceType": "User",
    "created": "2010-01-23T04:56:22Z",
    "lastModified": "2011-05-13T04:42:34Z",
    "location": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646",
    "version": "W/\"3694e05e9dff590\""
  }
}`

// groupJSON is a Group as the server returns it.
const groupJSON = `{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
  "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
  "displayName": "Tour Guides",
  "members": [
    {"value": "2819c223-7f76-453a-919d-413861904646", "$ref": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646", "display": "Babs Jensen", "type": "User"},
    {"value": "902c246b-6245-4190-8e05-00816be7344a", "$ref": "https://example.com/v2/Users/902c246b-6245-4190-8e05-00816be7344a", "display": "Mandy Pepperidge", "type": "User"}
  ],
  "meta": {"resourceType": "Group", "created": "2010-01-23T04:56:22Z", "lastModified": "2011-05-13T04:42:34Z", "location": "https://example.com/v2/Groups/e9e30dba-f08f-4109-8486-d5c6a331660a", "version": "W/\"3694e05e9dff592\""}
}`

const (
	babs  = "2819c223-7f76-453a-919d-413861904646"
	mandy = "902c246b-6245-4190-8e05-00816be7344a"
)

func decode(t testing.TB, s string) M {
	t.Helper()
	var m M
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad fixture: %v", err)
	}
	return m
}

func userDoc(t testing.TB) M  { return decode(t, userJSON) }
func groupDoc(t testing.TB) M { return decode(t, groupJSON) }

// body wraps a JSON array of operations in a PatchOp message.
func body(operations string) []byte {
	return []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":` + operations + `}`)
}

// scimError is the part of an error a client sees and the tests compare.
type scimError struct {
	Status   int
	ScimType string
}

func errorOf(err error) *scimError {
	if err == nil {
		return nil
	}
	e := scimerr.As(err)
	if e == nil {
		return &scimError{Status: -1, ScimType: err.Error()}
	}
	return &scimError{Status: e.Status, ScimType: e.ScimType}
}

func badRequest(scimType string) *scimError { return &scimError{Status: 400, ScimType: scimType} }

// patchCase is a PATCH on a fixture: operations is the JSON array of operations, want edits a
// fresh copy of the fixture into the expected result.
type patchCase struct {
	reason     string
	group      bool
	doc        func(M) // optional change to the fixture before the PATCH
	operations string
	want       func(M)
	err        *scimError
}

// run parses and applies the case, and checks the result, the error and that the input
// document was left alone.
func (c patchCase) run(t *testing.T) {
	t.Helper()
	rt, fixture := schema.UserResourceType, userDoc
	if c.group {
		rt, fixture = schema.GroupResourceType, groupDoc
	}
	doc, pristine := fixture(t), fixture(t)
	if c.doc != nil {
		c.doc(doc)
		c.doc(pristine)
	}
	var got M
	ops, err := ParseRequest(body(c.operations), rt)
	if err == nil {
		got, err = Apply(doc, ops, rt)
	}
	if diff := cmp.Diff(c.err, errorOf(err)); diff != "" {
		t.Fatalf("%s\nerror (-want +got):\n%s\nerr: %v", c.reason, diff, err)
	}
	if diff := cmp.Diff(pristine, doc); diff != "" {
		t.Errorf("%s\nthe input document changed (-before +after):\n%s", c.reason, diff)
	}
	if c.err != nil {
		if got != nil {
			t.Errorf("%s\nwant no document with an error, got %v", c.reason, got)
		}
		return
	}
	want := pristine
	if c.want != nil {
		c.want(want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s\nresult (-want +got):\n%s", c.reason, diff)
	}
}

func runCases(t *testing.T, cases map[string]patchCase) {
	t.Helper()
	for name, c := range cases {
		t.Run(name, func(t *testing.T) { c.run(t) })
	}
}

// Small accessors that keep the expected-document edits short.
func obj(d M, key string) M         { return d[key].(M) }
func list(d M, key string) L        { return d[key].(L) }
func elem(d M, key string, i int) M { return list(d, key)[i].(M) }
