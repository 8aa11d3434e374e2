package patch

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/scim-operator/scim-operator/internal/filter"
	"github.com/scim-operator/scim-operator/internal/schema"
)

// ignoreFilter compares paths by their text: a parsed filter is opaque.
var ignoreFilter = cmpopts.IgnoreUnexported(filter.Filter{})

func TestParseRequest(t *testing.T) {
	cases := map[string]struct {
		reason string
		body   string
		want   []Operation
		err    *scimError
	}{
		"the RFC's example": {
			reason: "a well-formed PatchOp message parses to normalised operations.",
			body:   `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"emails","value":[{"value":"x"}]}]}`,
			want:   []Operation{{Op: "add", Path: &Path{Attribute: "emails"}, Value: L{M{"value": "x"}}}},
		},
		"E1 op case": {
			reason: "E1: op matches case-insensitively and is normalised to lower case.",
			body:   `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"REPLACE","path":"active","value":"False"},{"op":"Remove","path":"title"}]}`,
			want: []Operation{
				{Op: "replace", Path: &Path{Attribute: "active"}, Value: "False"},
				{Op: "remove", Path: &Path{Attribute: "title"}},
			},
		},
		"E12 empty operations": {
			reason: "E12: an empty Operations list is valid.",
			body:   `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}`,
			want:   []Operation{},
		},
		"member names in any case": {
			reason: `"operations", "SCHEMAS", "Op", "PATH" and "Value" are the same members in another case.`,
			body:   `{"SCHEMAS":["urn:ietf:params:scim:api:messages:2.0:patchop"],"operations":[{"Op":"add","PATH":"title","Value":"x"}]}`,
			want:   []Operation{{Op: "add", Path: &Path{Attribute: "title"}, Value: "x"}},
		},
		"missing schemas": {
			reason: "a message without schemas is accepted: clients are sloppy and the shape is unambiguous.",
			body:   `{"Operations":[{"op":"replace","value":{"active":false}}]}`,
			want:   []Operation{{Op: "replace", Value: M{"active": false}}},
		},
		"schemas as a lone string": {
			reason: "a single schema URN instead of a list is accepted.",
			body:   `{"schemas":"urn:ietf:params:scim:api:messages:2.0:PatchOp","Operations":[]}`,
			want:   []Operation{},
		},
		"extra members": {
			reason: `members the RFC does not define ("name" in Microsoft's tests, "id" in the message) are ignored.`,
			body:   `{"id":"g1","schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"name":"addEmail","op":"add","path":"emails","value":"x"}]}`,
			want:   []Operation{{Op: "add", Path: &Path{Attribute: "emails"}, Value: "x"}},
		},
		"empty path": {
			reason: `"path": "" is taken as no path.`,
			body:   `{"Operations":[{"op":"replace","path":"","value":{"active":true}}]}`,
			want:   []Operation{{Op: "replace", Value: M{"active": true}}},
		},
		"null value": {
			reason: "a present null value is a value (it unassigns on replace).",
			body:   `{"Operations":[{"op":"replace","path":"title","value":null}]}`,
			want:   []Operation{{Op: "replace", Path: &Path{Attribute: "title"}}},
		},
		"filtered path": {
			reason: "a value path keeps its filter text and canonical sub-attribute.",
			body:   `{"Operations":[{"op":"replace","path":"EMAILS[type eq \"work\"].VALUE","value":"x"}]}`,
			want:   []Operation{{Op: "replace", Path: &Path{Attribute: "emails", FilterText: `type eq "work"`, Filter: &filter.Filter{}, SubAttribute: "value"}, Value: "x"}},
		},
		"malformed JSON": {
			reason: "a body that is not JSON is invalidSyntax.",
			body:   `{"Operations":[`,
			err:    badRequest("invalidSyntax"),
		},
		"not an object": {
			reason: "the message must be a JSON object.",
			body:   `[{"op":"add"}]`,
			err:    badRequest("invalidSyntax"),
		},
		"JSON null": {
			reason: "null is not a message.",
			body:   `null`,
			err:    badRequest("invalidSyntax"),
		},
		"trailing data": {
			reason: "data after the object is malformed JSON.",
			body:   `{"Operations":[]} {}`,
			err:    badRequest("invalidSyntax"),
		},
		"wrong schemas": {
			reason: "schemas that do not name PatchOp say this is another message.",
			body:   `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"Operations":[]}`,
			err:    badRequest("invalidSyntax"),
		},
		"missing Operations": {
			reason: "RFC 7644 §3.5.2: the body MUST contain Operations.",
			body:   `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`,
			err:    badRequest("invalidSyntax"),
		},
		"Operations not an array": {
			reason: "Operations is a list.",
			body:   `{"Operations":{"op":"add"}}`,
			err:    badRequest("invalidSyntax"),
		},
		"Operations twice": {
			reason: "two spellings of Operations are ambiguous.",
			body:   `{"Operations":[],"operations":[{"op":"remove","path":"members"}]}`,
			err:    badRequest("invalidSyntax"),
		},
		"operation not an object": {
			reason: "each operation is an object.",
			body:   `{"Operations":["add"]}`,
			err:    badRequest("invalidSyntax"),
		},
		"unknown op": {
			reason: "op must be add, remove or replace; JSON Patch's copy is not SCIM.",
			body:   `{"Operations":[{"op":"copy","path":"title","value":"x"}]}`,
			err:    badRequest("invalidSyntax"),
		},
		"missing op": {
			reason: "every operation needs an op.",
			body:   `{"Operations":[{"path":"title","value":"x"}]}`,
			err:    badRequest("invalidSyntax"),
		},
		"op not a string": {
			reason: "op is a string.",
			body:   `{"Operations":[{"op":1,"path":"title","value":"x"}]}`,
			err:    badRequest("invalidSyntax"),
		},
		"path not a string": {
			reason: "path is a string.",
			body:   `{"Operations":[{"op":"add","path":["title"],"value":"x"}]}`,
			err:    badRequest("invalidPath"),
		},
		"unknown attribute": {
			reason: "a path naming no attribute is invalidPath.",
			body:   `{"Operations":[{"op":"add","path":"shoeSize","value":"x"}]}`,
			err:    badRequest("invalidPath"),
		},
		"remove without path": {
			reason: "RFC 7644 §3.5.2.2: remove without path is noTarget.",
			body:   `{"Operations":[{"op":"remove","value":{"title":"x"}}]}`,
			err:    badRequest("noTarget"),
		},
		"add without value": {
			reason: "add and replace MUST carry a value.",
			body:   `{"Operations":[{"op":"add","path":"title"}]}`,
			err:    badRequest("invalidValue"),
		},
		"replace without value": {
			reason: "add and replace MUST carry a value.",
			body:   `{"Operations":[{"op":"replace"}]}`,
			err:    badRequest("invalidValue"),
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseRequest([]byte(c.body), schema.UserResourceType)
			if diff := cmp.Diff(c.err, errorOf(err)); diff != "" {
				t.Fatalf("%s\nerror (-want +got):\n%s\nerr: %v", c.reason, diff, err)
			}
			if diff := cmp.Diff(c.want, got, ignoreFilter); diff != "" {
				t.Errorf("%s\n(-want +got):\n%s", c.reason, diff)
			}
		})
	}
}

func TestOperationLimit(t *testing.T) {
	ops := func(n int) []byte {
		one := `{"op":"add","path":"members","value":{"value":"x"}}`
		return body("[" + strings.TrimSuffix(strings.Repeat(one+",", n), ",") + "]")
	}
	if _, err := ParseRequest(ops(MaxOperations), schema.GroupResourceType); err != nil {
		t.Errorf("%d operations are allowed: %v", MaxOperations, err)
	}
	_, err := ParseRequest(ops(MaxOperations+1), schema.GroupResourceType)
	if diff := cmp.Diff(badRequest("invalidValue"), errorOf(err)); diff != "" {
		t.Errorf("one operation more than the limit is rejected (-want +got):\n%s", diff)
	}
	_, err = Apply(groupDoc(t), make([]Operation, MaxOperations+1), schema.GroupResourceType)
	if diff := cmp.Diff(badRequest("invalidValue"), errorOf(err)); diff != "" {
		t.Errorf("Apply enforces the limit too (-want +got):\n%s", diff)
	}
}

func TestApplyHandBuiltOperations(t *testing.T) {
	cases := map[string]struct {
		reason string
		op     Operation
		err    *scimError
	}{
		"unknown op": {
			reason: "Apply checks the op of operations it did not parse.",
			op:     Operation{Op: "move", Path: &Path{Attribute: "title"}},
			err:    badRequest("invalidSyntax"),
		},
		"remove without path": {
			reason: "Apply refuses remove without path like ParseRequest.",
			op:     Operation{Op: "remove"},
			err:    badRequest("noTarget"),
		},
		"path naming nothing": {
			reason: "a hand-built path is resolved against the schema.",
			op:     Operation{Op: "add", Path: &Path{Attribute: "shoeSize"}, Value: "x"},
			err:    badRequest("invalidPath"),
		},
		"core URN as the schema": {
			reason: "a hand-built path may name the core schema by URN; it is the core, not an extension.",
			op:     Operation{Op: "add", Path: &Path{Schema: schema.UserURN, Attribute: "title"}, Value: "x"},
		},
		"capitalised op": {
			reason: "E1 holds for hand-built operations too.",
			op:     Operation{Op: "Add", Path: &Path{Attribute: "title"}, Value: "x"},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Apply(userDoc(t), []Operation{c.op}, schema.UserResourceType)
			if _, created := got[schema.UserURN]; created {
				t.Errorf("%s\nthe core schema became an extension object", c.reason)
			}
			if diff := cmp.Diff(c.err, errorOf(err)); diff != "" {
				t.Errorf("%s\n(-want +got):\n%s\nerr: %v", c.reason, diff, err)
			}
		})
	}
}

func TestErrorNamesTheOperation(t *testing.T) {
	_, err := ParseRequest(body(`[{"op":"add","path":"title","value":"x"},{"op":"add","path":"shoeSize","value":"x"}]`), schema.UserResourceType)
	if err == nil || !strings.Contains(err.Error(), "Operations[1]") {
		t.Errorf("the error names the failing operation so a client can find it in a long request; got %v", err)
	}
}
