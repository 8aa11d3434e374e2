package patch

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/scim-operator/scim-operator/internal/schema"
	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// seedBodies are PATCH bodies from Microsoft's SCIM test collection and Okta's reference
// (shared/conformance), the shapes of docs/idp-quirks.md, and edge cases of our own.
var seedBodies = []string{
	// Microsoft's Postman collection.
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"userName","value":"ryan3"}]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"name":"addMember","op":"add","path":"members","value":[{"displayName":"new User","value":"{{id4}}"}]}]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"{{id4}}\"]"}]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members"}]}`,
	`{ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations":[ { "op":"Replace", "path":"userName", "value":"newusername" }] }`,
	`{ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations":[ { "op":"Replace", "path":"active", "value": false }] }`,
	`{"id":"{{1stgroupid}}","Operations":[{"op":"add","path":"members","value":"string id 1"}],"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`,
	// docs/idp-quirks.md.
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"value":"2819c223-7f76-453a-919d-413861904646"}]}]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"2819c223-7f76-453a-919d-413861904646\"]"}]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","value":{"name.givenName":"Barb","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"42"}}]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"c0ffee"}]}]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"c0ffee"}]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"babs@example.com"}]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"id":"e9e30dba","displayName":"Tour Guides EMEA"}}]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"x\"]"},{"op":"add","path":"members","value":[{"value":"y","display":"Y"}]}]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`,
	// Our own.
	`{"Operations":[{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Sales","manager":"m"}}}]}`,
	`{"Operations":[{"op":"add","path":"emails","value":[{"value":"a@example.com","primary":"True"},{"value":"b@example.com","primary":true}]}]}`,
	`{"Operations":[{"op":"replace","path":"addresses[type eq \"work\" and primary eq true].streetAddress","value":"x"}]}`,
	`{"Operations":[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}]}`,
	`{"Operations":[{"op":"replace","value":{"urn:example:custom:2.0:User":{"a":1},"favoriteColor":[1,{"x":null}],"schemas":null}}]}`,
	`{"Operations":[{"op":"replace","path":"emails[value co \"x\" or not (type eq \"work\")].value","value":"x"}]}`,
	`{"Operations":[{"op":"add","path":"members[value eq \"2819c223-7f76-453a-919d-413861904646\"]","value":{"value":"other"}}]}`,
	`{"Operations":[{"op":"remove","path":"emails","value":"bjensen@example.com"}]}`,
	`{"Operations":[{"op":"replace","path":"phoneNumbers[type eq work].value","value":"1"}]}`,
	`{"operations":[{"OP":"ADD","PATH":"","VALUE":{}}],"SCHEMAS":"urn:ietf:params:scim:api:messages:2.0:PatchOp"}`,
	`{"Operations":[{"op":"add","path":"x509Certificates","value":[[]]}]}`,
	`[]`, `null`, `{}`, `{"Operations":null}`, `{"Operations":[null]}`, ``,
}

// seedPaths are paths from the same sources and their edge cases.
var seedPaths = []string{
	"userName", "active", "members", "name.givenName", "NAME.GIVENNAME", "emails.value",
	`members[value eq "{{id4}}"]`, `emails[type eq "work"].value`, `emails[type eq "work" and primary eq true]`,
	`emails[value eq "a]b"].type`, `emails[type eq "a\"]"].value`, `phoneNumbers[type eq work]`,
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
	"urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq \"work\"].value",
	"meta.lastModified", "groups", "id", "", " ", "[", "]", "emails[", "emails[]", "emails[]].x",
	`emails[not (type eq "work")].value`, `emails[type pr]`, `emails[(type eq "a") or (value sw "b")].display`,
	"a.b.c", "urn:", "urn::x", "$ref", `members[$ref eq "x"].$ref`, "emails[type eq \"work\"].",
}

// checkError fails unless err is nil or a *scimerr.Error with status 400, the only answer a
// client's PATCH may get from this package.
func checkError(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if e, ok := err.(*scimerr.Error); !ok || e.Status != 400 {
		t.Fatalf("%s: every error is a *scimerr.Error with status 400, got %T %v", what, err, err)
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range seedPaths {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, rt := range []*schema.ResourceType{schema.UserResourceType, schema.GroupResourceType} {
			p, err := ParsePath(s, rt)
			checkError(t, "ParsePath", err)
			if err != nil {
				continue
			}
			// A parsed path written back parses to the same path.
			again, err := ParsePath(p.String(), rt)
			if err != nil {
				t.Fatalf("ParsePath(%q).String() = %q does not parse: %v", s, p.String(), err)
			}
			if again.Schema != p.Schema || again.Attribute != p.Attribute || again.SubAttribute != p.SubAttribute ||
				again.FilterText != p.FilterText || (again.Filter == nil) != (p.Filter == nil) {
				t.Fatalf("ParsePath(%q) = %+v, but its String %q parses to %+v", s, p, p.String(), again)
			}
		}
	})
}

func FuzzParseRequest(f *testing.F) {
	for _, s := range seedBodies {
		f.Add([]byte(s))
	}
	user, group := userDoc(f), groupDoc(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, c := range []struct {
			rt  *schema.ResourceType
			doc M
		}{{schema.UserResourceType, user}, {schema.GroupResourceType, group}} {
			ops, err := ParseRequest(body, c.rt)
			checkError(t, "ParseRequest", err)
			if err != nil {
				continue
			}
			input := deepCopy(c.doc).(M)
			got, err := Apply(input, ops, c.rt)
			checkError(t, "Apply", err)
			if !reflect.DeepEqual(input, c.doc) {
				t.Fatalf("Apply changed its input document")
			}
			if err != nil {
				if got != nil {
					t.Fatalf("Apply returned a document with an error")
				}
				continue
			}
			if _, err := json.Marshal(got); err != nil {
				t.Fatalf("the result is not JSON: %v", err)
			}
			// Map order must not leak into the result.
			again, err := Apply(input, ops, c.rt)
			if err != nil || !reflect.DeepEqual(got, again) {
				t.Fatalf("Apply is not deterministic: %v", err)
			}
		}
	})
}

// FuzzApplyOperation reaches Apply's cases faster than FuzzParseRequest: the fuzzer varies one
// operation's op, path and value instead of a whole JSON body.
func FuzzApplyOperation(f *testing.F) {
	for _, op := range []string{"add", "Replace", "remove"} {
		for _, p := range seedPaths {
			for _, v := range []string{`"x"`, `"True"`, `null`, `{"value":"a","type":"work","primary":true}`, `[{"value":"a","$ref":null}]`, `{"name.givenName":"x","id":"y"}`} {
				f.Add(op, p, v)
			}
		}
	}
	user, group := userDoc(f), groupDoc(f)
	f.Fuzz(func(t *testing.T, op, path, value string) {
		opJSON, _ := json.Marshal(op)
		pathJSON, _ := json.Marshal(path)
		body := []byte(`{"Operations":[{"op":` + string(opJSON) + `,"path":` + string(pathJSON) + `,"value":` + value + `}]}`)
		for _, c := range []struct {
			rt  *schema.ResourceType
			doc M
		}{{schema.UserResourceType, user}, {schema.GroupResourceType, group}} {
			ops, err := ParseRequest(body, c.rt)
			checkError(t, "ParseRequest", err)
			if err != nil {
				continue
			}
			input := deepCopy(c.doc).(M)
			got, err := Apply(input, ops, c.rt)
			checkError(t, "Apply", err)
			if !reflect.DeepEqual(input, c.doc) {
				t.Fatalf("Apply changed its input document")
			}
			if err == nil {
				if _, err := json.Marshal(got); err != nil {
					t.Fatalf("the result is not JSON: %v", err)
				}
			}
		}
	})
}
