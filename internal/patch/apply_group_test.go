package patch

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scim-operator/scim-operator/internal/schema"
)

func TestApplyGroup(t *testing.T) {
	runCases(t, map[string]patchCase{
		"add a member": {
			reason:     "add with path members appends the member.",
			group:      true,
			operations: `[{"op":"add","path":"members","value":[{"value":"c0ffee","display":"Joe","type":"User"}]}]`,
			want: func(d M) {
				d["members"] = append(list(d, "members"), M{"value": "c0ffee", "display": "Joe", "type": "User"})
			},
		},
		"add an existing member": {
			reason:     "a member is identified by its value alone: adding it again, with another display or case, changes nothing.",
			group:      true,
			operations: `[{"op":"add","path":"members","value":[{"value":"2819C223-7F76-453A-919D-413861904646","display":"Barbara"}]}]`,
		},
		"add to a group without members": {
			reason:     "the first member creates the members attribute.",
			group:      true,
			doc:        func(d M) { delete(d, "members") },
			operations: `[{"op":"add","path":"members","value":{"value":"c0ffee"}}]`,
			want:       func(d M) { d["members"] = L{M{"value": "c0ffee"}} },
		},
		"add a member without value": {
			reason:     "a member is identified by its value only, so one without value is never taken for an existing member: it is added for the strict decoder to reject.",
			group:      true,
			operations: `[{"op":"add","path":"members","value":[{"display":"Babs Jensen"}]}]`,
			want: func(d M) {
				d["members"] = append(list(d, "members"), M{"display": "Babs Jensen"})
			},
		},
		"remove a member by filter": {
			reason:     `remove members[value eq "x"] removes that member only.`,
			group:      true,
			operations: `[{"op":"remove","path":"members[value eq \"902c246b-6245-4190-8e05-00816be7344a\"]"}]`,
			want:       func(d M) { d["members"] = list(d, "members")[:1] },
		},
		"remove a member twice": {
			reason:     "Okta and Entra retry removals, so removing an absent member succeeds without change.",
			group:      true,
			operations: `[{"op":"remove","path":"members[value eq \"902c246b-6245-4190-8e05-00816be7344a\"]"},{"op":"remove","path":"members[value eq \"902c246b-6245-4190-8e05-00816be7344a\"]"}]`,
			want:       func(d M) { d["members"] = list(d, "members")[:1] },
		},
		"remove from a group without members": {
			reason:     "a filtered remove on an unassigned attribute is a no-op, not an error.",
			group:      true,
			doc:        func(d M) { delete(d, "members") },
			operations: `[{"op":"remove","path":"members[value eq \"x\"]"}]`,
		},
		"remove all members": {
			reason:     "remove of members with no value removes every member (RFC 7644 §3.5.2.2).",
			group:      true,
			operations: `[{"op":"remove","path":"members"}]`,
			want:       func(d M) { delete(d, "members") },
		},
		"remove with an empty list": {
			reason:     "a remove that lists no members removes none: emptying a group takes no value at all.",
			group:      true,
			operations: `[{"op":"remove","path":"members","value":[]}]`,
		},
		"replace all members": {
			reason:     "replace of members without filter replaces the list (used by full syncs).",
			group:      true,
			operations: `[{"op":"replace","path":"members","value":[{"value":"c0ffee"},{"value":"beef"}]}]`,
			want:       func(d M) { d["members"] = L{M{"value": "c0ffee"}, M{"value": "beef"}} },
		},
		"replace a member's display": {
			reason:     "display is readWrite, so a filtered replace may change it.",
			group:      true,
			operations: `[{"op":"replace","path":"members[value eq \"2819c223-7f76-453a-919d-413861904646\"].display","value":"Barbara"}]`,
			want:       func(d M) { elem(d, "members", 0)["display"] = "Barbara" },
		},
		"add an immutable sub-attribute with its current value": {
			reason:     "giving an immutable sub-attribute its current value is not an update.",
			group:      true,
			operations: `[{"op":"add","path":"members[value eq \"2819c223-7f76-453a-919d-413861904646\"]","value":{"type":"User","display":"B"}}]`,
			want:       func(d M) { elem(d, "members", 0)["display"] = "B" },
		},
		"set an immutable sub-attribute on a new member": {
			reason:     "members.type is immutable but may be set when the member is added.",
			group:      true,
			doc:        func(d M) { delete(elem(d, "members", 0), "type") },
			operations: `[{"op":"add","path":"members[value eq \"2819c223-7f76-453a-919d-413861904646\"].type","value":"User"}]`,
			want:       func(d M) { elem(d, "members", 0)["type"] = "User" },
		},
		"K3 group rename": {
			reason:     "K3: Okta renames with replace, no path and {id, displayName}; the id is ignored.",
			group:      true,
			operations: `[{"op":"replace","value":{"id":"e9e30dba-f08f-4109-8486-d5c6a331660a","displayName":"Tour Guides EMEA"}}]`,
			want:       func(d M) { d["displayName"] = "Tour Guides EMEA" },
		},
		"member displayName from Microsoft's tests": {
			reason:     "Microsoft's SCIM test collection adds members with displayName and expects it stored as display.",
			group:      true,
			operations: `[{"name":"addMember","op":"add","path":"members","value":[{"displayName":"new User","value":"c0ffee"}]}]`,
			want: func(d M) {
				d["members"] = append(list(d, "members"), M{"display": "new User", "value": "c0ffee"})
			},
		},
		"member as a plain string": {
			reason:     "Microsoft's garbage tests add a member as a bare string, which is its value.",
			group:      true,
			operations: `[{"op":"add","path":"members","value":"string id 1"}]`,
			want: func(d M) {
				d["members"] = append(list(d, "members"), M{"value": "string id 1"})
			},
		},
	})
}

func TestApplyGroupErrors(t *testing.T) {
	runCases(t, map[string]patchCase{
		"replace a member's value": {
			reason:     "members.value is immutable: replacing it on an existing member is a mutability error.",
			group:      true,
			operations: `[{"op":"replace","path":"members[value eq \"2819c223-7f76-453a-919d-413861904646\"].value","value":"c0ffee"}]`,
			err:        badRequest("mutability"),
		},
		"add another value to an existing member": {
			reason:     "an add that merges a different value into an existing member changes an immutable sub-attribute.",
			group:      true,
			operations: `[{"op":"add","path":"members[value eq \"2819c223-7f76-453a-919d-413861904646\"]","value":{"value":"c0ffee"}}]`,
			err:        badRequest("mutability"),
		},
		"remove a member's type": {
			reason:     "immutable sub-attributes cannot be removed.",
			group:      true,
			operations: `[{"op":"remove","path":"members[value eq \"2819c223-7f76-453a-919d-413861904646\"].type"}]`,
			err:        badRequest("mutability"),
		},
		"remove displayName": {
			reason:     "displayName is required for a Group.",
			group:      true,
			operations: `[{"op":"remove","path":"displayName"}]`,
			err:        badRequest("mutability"),
		},
		"user attribute on a group": {
			reason:     "userName is not a Group attribute.",
			group:      true,
			operations: `[{"op":"replace","path":"userName","value":"x"}]`,
			err:        badRequest("invalidPath"),
		},
		"enterprise extension on a group": {
			reason:     "the Group resource type has no enterprise extension.",
			group:      true,
			operations: `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"x"}]`,
			err:        badRequest("invalidPath"),
		},
	})
}

// TestOktaMembershipBatch is K4 and K5 at scale: one PATCH of 50 operations that removes 25
// members by filter and adds 25 others as {value, display} without type.
func TestOktaMembershipBatch(t *testing.T) {
	doc := groupDoc(t)
	var members L
	for i := range 25 {
		members = append(members, M{"value": fmt.Sprintf("old-%02d", i), "display": fmt.Sprintf("Old %d", i), "type": "User"})
	}
	doc["members"] = members
	var ops []string
	var want L
	for i := range 25 {
		ops = append(ops,
			fmt.Sprintf(`{"op":"remove","path":"members[value eq \"old-%02d\"]"}`, i),
			fmt.Sprintf(`{"op":"add","path":"members","value":[{"value":"new-%02d","display":"New %d"}]}`, i, i))
		want = append(want, M{"value": fmt.Sprintf("new-%02d", i), "display": fmt.Sprintf("New %d", i)})
	}
	parsed, err := ParseRequest(body("["+strings.Join(ops, ",")+"]"), schema.GroupResourceType)
	if err != nil {
		t.Fatalf("K4: Okta's membership PATCH must parse: %v", err)
	}
	got, err := Apply(doc, parsed, schema.GroupResourceType)
	if err != nil {
		t.Fatalf("K4: Okta's membership PATCH must apply: %v", err)
	}
	if diff := cmp.Diff(want, got["members"]); diff != "" {
		t.Errorf("K4: every old member is gone and every new one added, in order (-want +got):\n%s", diff)
	}
	if len(doc["members"].(L)) != 25 {
		t.Errorf("the input document changed")
	}
}
