package patch

import "testing"

// TestQuirks covers what Microsoft Entra ID (E*) and Okta (K*) really send, by the ids of
// docs/idp-quirks.md.
func TestQuirks(t *testing.T) {
	runCases(t, map[string]patchCase{
		"E1 capitalised ops": {
			reason:     "E1: Entra sends Add, Replace and Remove capitalised.",
			operations: `[{"op":"Replace","path":"displayName","value":"Barbara"},{"op":"Add","path":"title","value":"Guide"},{"op":"Remove","path":"nickName"}]`,
			want:       func(d M) { d["displayName"], d["title"] = "Barbara", "Guide" },
		},
		"E2 boolean as a string": {
			reason:     `E2: Entra without aadOptscim062020 sends {"op":"Replace","path":"active","value":"False"}.`,
			operations: `[{"op":"Replace","path":"active","value":"False"}]`,
			want:       func(d M) { d["active"] = false },
		},
		"E2 boolean string in a value without path": {
			reason:     `E2: {"active":"true"} inside a value object is the boolean true.`,
			doc:        func(d M) { d["active"] = false },
			operations: `[{"op":"Replace","value":{"active":"true"}}]`,
			want:       func(d M) { d["active"] = true },
		},
		"E2 boolean string in a sub-attribute": {
			reason:     `E2: "primary":"True" in an email is a boolean, and makes that email the primary one.`,
			operations: `[{"op":"Add","path":"emails","value":[{"value":"b@example.org","type":"other","primary":"True"}]}]`,
			want: func(d M) {
				elem(d, "emails", 0)["primary"] = false
				elem(d, "emails", 1)["primary"] = false
				d["emails"] = append(list(d, "emails"), M{"value": "b@example.org", "type": "other", "primary": true})
			},
		},
		"E2 boolean string that is not a boolean": {
			reason:     "E2 accepts true and false only: any other string for a boolean is invalidValue.",
			operations: `[{"op":"Replace","path":"active","value":"Yes"}]`,
			err:        badRequest("invalidValue"),
		},
		"E3 remove listed members": {
			reason:     `E3: {"op":"Remove","path":"members","value":[{"value":"id"}]} removes only the listed member, not all.`,
			group:      true,
			operations: `[{"op":"Remove","path":"members","value":[{"value":"902c246b-6245-4190-8e05-00816be7344a"}]}]`,
			want:       func(d M) { d["members"] = list(d, "members")[:1] },
		},
		"E3 remove a member that is not there": {
			reason:     "E3: removing a listed member that is absent changes nothing.",
			group:      true,
			operations: `[{"op":"Remove","path":"members","value":[{"value":"c0ffee"}]}]`,
		},
		"E3 remove listed emails": {
			reason:     "E3's shape on emails removes the values that hold what is listed.",
			operations: `[{"op":"Remove","path":"emails","value":{"value":"babs@jensen.org"}}]`,
			want:       func(d M) { d["emails"] = list(d, "emails")[:1] },
		},
		"E4 remove member by filter": {
			reason:     `E4: with the flag, Entra removes a member with members[value eq "id"].`,
			group:      true,
			operations: `[{"op":"remove","path":"members[value eq \"2819c223-7f76-453a-919d-413861904646\"]"}]`,
			want:       func(d M) { d["members"] = list(d, "members")[1:] },
		},
		"E4 dotted and qualified keys": {
			reason:     "E4: a value without path may have dotted keys and URN-qualified extension keys.",
			operations: `[{"op":"Replace","value":{"name.givenName":"Barb","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"42","emails[type eq \"work\"].value":"barb@example.com"}}]`,
			want: func(d M) {
				obj(d, "name")["givenName"] = "Barb"
				obj(d, enterprise)["employeeNumber"] = "42"
				elem(d, "emails", 0)["value"] = "barb@example.com"
			},
		},
		"E4 whole extension object": {
			reason:     "E4: a value without path may carry the extension as one object under its URN.",
			operations: `[{"op":"Add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"Department":"Sales","costCenter":"4130"}}}]`,
			want: func(d M) {
				ext := obj(d, enterprise)
				ext["department"], ext["costCenter"] = "Sales", "4130"
			},
		},
		"E5 null $ref": {
			reason:     `E5: Entra adds members as {"$ref":null,"value":"id"}; the null sub-attribute is dropped.`,
			group:      true,
			operations: `[{"op":"Add","path":"members","value":[{"$ref":null,"value":"c0ffee"}]}]`,
			want: func(d M) {
				d["members"] = append(list(d, "members"), M{"value": "c0ffee"})
			},
		},
		"E9 manager as a string": {
			reason:     `E9: the manager may arrive as a plain id; it becomes {"value": id}.`,
			doc:        func(d M) { delete(obj(d, enterprise), "manager") },
			operations: `[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"c0ffee"}]`,
			want:       func(d M) { obj(d, enterprise)["manager"] = M{"value": "c0ffee"} },
		},
		"E9 manager as a string without path": {
			reason:     "E9: the same plain id as a URN-qualified key of a value without path.",
			operations: `[{"op":"Replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":"c0ffee"}}]`,
			want:       func(d M) { obj(obj(d, enterprise), "manager")["value"] = "c0ffee" },
		},
		"E11 replace creates the missing value": {
			reason:     `E11: Replace emails[type eq "work"].value when there is no work email creates it.`,
			doc:        func(d M) { d["emails"] = list(d, "emails")[1:] },
			operations: `[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"babs@example.com"}]`,
			want: func(d M) {
				d["emails"] = append(list(d, "emails"), M{"type": "work", "value": "babs@example.com"})
			},
		},
		"E11 replace creates the first value": {
			reason:     "E11: the same when the user has no email at all.",
			doc:        func(d M) { delete(d, "emails") },
			operations: `[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"babs@example.com"}]`,
			want:       func(d M) { d["emails"] = L{M{"type": "work", "value": "babs@example.com"}} },
		},
		"E12 empty operations": {
			reason:     "E12: Microsoft's validator sends an empty Operations list, which changes nothing.",
			operations: `[]`,
		},
		"K3 user with id": {
			reason:     "K3: a replace without path that echoes the id ignores it.",
			operations: `[{"op":"replace","value":{"id":"2819c223-7f76-453a-919d-413861904646","userName":"babs@example.com"}}]`,
			want:       func(d M) { d["userName"] = "babs@example.com" },
		},
		"K4 Okta membership change": {
			reason:     "K4: Okta removes by members[value eq] without value and adds {value, display} without type, in one PATCH.",
			group:      true,
			operations: `[{"op":"remove","path":"members[value eq \"902c246b-6245-4190-8e05-00816be7344a\"]"},{"op":"add","path":"members","value":[{"value":"c0ffee","display":"Joe"}]}]`,
			want: func(d M) {
				d["members"] = L{elem(d, "members", 0), M{"value": "c0ffee", "display": "Joe"}}
			},
		},
		"K6 Okta deactivation": {
			reason:     `K6: Okta deactivates with {"op":"replace","value":{"active":false}}.`,
			operations: `[{"op":"replace","value":{"active":false}}]`,
			want:       func(d M) { d["active"] = false },
		},
	})
}
