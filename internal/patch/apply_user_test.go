package patch

import (
	"testing"
)

func TestApplyUser(t *testing.T) {
	runCases(t, map[string]patchCase{
		"replace a single-valued attribute": {
			reason:     "replace with a path to a simple attribute sets it.",
			operations: `[{"op":"replace","path":"userName","value":"babs@example.com"}]`,
			want:       func(d M) { d["userName"] = "babs@example.com" },
		},
		"paths are case-insensitive and results canonical": {
			reason:     "NAME.GIVENNAME names name.givenName, and the document keeps the schema's spelling.",
			operations: `[{"op":"replace","path":"NAME.GIVENNAME","value":"Barb"}]`,
			want:       func(d M) { obj(d, "name")["givenName"] = "Barb" },
		},
		"core URN-qualified path": {
			reason:     "a path may carry the core schema URN (RFC 7644 §3.10).",
			operations: `[{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:title","value":"Tour Guide"}]`,
			want:       func(d M) { d["title"] = "Tour Guide" },
		},
		"add sets an unassigned attribute": {
			reason:     "add to an attribute without value assigns it (RFC 7644 §3.5.2.1).",
			operations: `[{"op":"add","path":"title","value":"Tour Guide"}]`,
			want:       func(d M) { d["title"] = "Tour Guide" },
		},
		"add to a complex attribute merges": {
			reason:     "add with a path to a complex attribute sets the sub-attributes given and keeps the others.",
			operations: `[{"op":"add","path":"name","value":{"middleName":"Jane","GivenName":"Barbara Jo"}}]`,
			want: func(d M) {
				n := obj(d, "name")
				n["middleName"], n["givenName"] = "Jane", "Barbara Jo"
			},
		},
		"replace of a complex attribute merges": {
			reason:     "RFC 7644 §3.5.2.3: sub-attributes not in the value are left unchanged.",
			operations: `[{"op":"replace","path":"name","value":{"familyName":"Jensen-Smith"}}]`,
			want:       func(d M) { obj(d, "name")["familyName"] = "Jensen-Smith" },
		},
		"add a sub-attribute of a complex attribute": {
			reason:     "a path to a sub-attribute creates the complex value when it is missing.",
			doc:        func(d M) { delete(d, "name") },
			operations: `[{"op":"add","path":"name.familyName","value":"Jensen"}]`,
			want:       func(d M) { d["name"] = M{"familyName": "Jensen"} },
		},
		"add one value to a multi-valued attribute": {
			reason:     "add with a path to a multi-valued attribute appends a single object as one value.",
			operations: `[{"op":"add","path":"phoneNumbers","value":{"value":"555-555-4444","type":"mobile"}}]`,
			want: func(d M) {
				d["phoneNumbers"] = append(list(d, "phoneNumbers"), M{"value": "555-555-4444", "type": "mobile"})
			},
		},
		"add skips a value already there": {
			reason: "RFC 7644 §3.5.2.1: a value the attribute already holds is not added again.",
			operations: `[{"op":"add","path":"emails","value":[
				{"value":"BJENSEN@example.com","type":"work"},
				{"value":"barbara@example.org","type":"other"}]}]`,
			want: func(d M) {
				d["emails"] = append(list(d, "emails"), M{"value": "barbara@example.org", "type": "other"})
			},
		},
		"add a new primary value": {
			reason:     "RFC 7643 §2.4: a new primary value makes every other value non-primary.",
			operations: `[{"op":"add","path":"emails","value":{"value":"barbara@example.org","type":"other","primary":true}}]`,
			want: func(d M) {
				elem(d, "emails", 0)["primary"] = false
				elem(d, "emails", 1)["primary"] = false
				d["emails"] = append(list(d, "emails"), M{"value": "barbara@example.org", "type": "other", "primary": true})
			},
		},
		"replace a whole multi-valued attribute": {
			reason:     "replace with a path to a multi-valued attribute and no filter replaces every value.",
			operations: `[{"op":"replace","path":"emails","value":[{"value":"babs@example.net","type":"home"}]}]`,
			want:       func(d M) { d["emails"] = L{M{"value": "babs@example.net", "type": "home"}} },
		},
		"replace a sub-attribute of filtered values": {
			reason:     `emails[type eq "work"].value replaces the value of the work email only.`,
			operations: `[{"op":"replace","path":"emails[type eq \"work\"].value","value":"babs@example.com"}]`,
			want:       func(d M) { elem(d, "emails", 0)["value"] = "babs@example.com" },
		},
		"replace filtered values merges the value given": {
			reason:     `replace of emails[type eq "work"] with an object changes the sub-attributes given and keeps type and primary.`,
			operations: `[{"op":"replace","path":"emails[type eq \"work\"]","value":{"value":"babs@example.com"}}]`,
			want:       func(d M) { elem(d, "emails", 0)["value"] = "babs@example.com" },
		},
		"make another value primary": {
			reason:     "setting primary on the home email takes it off the work email (RFC 7643 §2.4).",
			operations: `[{"op":"replace","path":"emails[type eq \"home\"].primary","value":true}]`,
			want: func(d M) {
				elem(d, "emails", 0)["primary"] = false
				elem(d, "emails", 1)["primary"] = true
			},
		},
		"later primary wins": {
			reason:     "when two operations set primary, the last one holds it.",
			operations: `[{"op":"replace","path":"emails[type eq \"home\"].primary","value":true},{"op":"replace","path":"emails[type eq \"work\"].primary","value":true}]`,
			want: func(d M) {
				elem(d, "emails", 1)["primary"] = false
			},
		},
		"sub-attribute of every value": {
			reason:     "a sub-attribute path of a multi-valued attribute without filter addresses every value.",
			operations: `[{"op":"replace","path":"emails.type","value":"other"}]`,
			want: func(d M) {
				elem(d, "emails", 0)["type"] = "other"
				elem(d, "emails", 1)["type"] = "other"
			},
		},
		"add through a filter that matches nothing": {
			reason:     "an add through an equality filter with no match creates the value, as Entra expects for new phone numbers.",
			operations: `[{"op":"add","path":"phoneNumbers[type eq \"mobile\"].value","value":"555-555-4444"}]`,
			want: func(d M) {
				d["phoneNumbers"] = append(list(d, "phoneNumbers"), M{"type": "mobile", "value": "555-555-4444"})
			},
		},
		"create with every equality of the filter": {
			reason:     "a filter of several equalities joined by and describes the value to create, primary included.",
			operations: `[{"op":"replace","path":"addresses[type eq \"work\" and primary eq true].streetAddress","value":"100 Universal City Plaza"}]`,
			want: func(d M) {
				d["addresses"] = L{M{"type": "work", "primary": true, "streetAddress": "100 Universal City Plaza"}}
			},
		},
		"create through a filter with a bracket in a string": {
			reason:     "the closing bracket of a value path is found outside quoted strings.",
			operations: `[{"op":"replace","path":"emails[value eq \"odd]box@example.com\"].type","value":"other"}]`,
			want: func(d M) {
				d["emails"] = append(list(d, "emails"), M{"value": "odd]box@example.com", "type": "other"})
			},
		},
		"no match and no equality filter": {
			reason:     "RFC 7644 §3.5.2.3: a value filter that matches nothing and describes no value is noTarget.",
			operations: `[{"op":"replace","path":"emails[value co \"nowhere\"].type","value":"other"}]`,
			err:        badRequest("noTarget"),
		},
		"no match with or": {
			reason:     "a filter with or does not describe one value, so no value is created.",
			operations: `[{"op":"replace","path":"phoneNumbers[type eq \"fax\" or type eq \"pager\"].value","value":"555"}]`,
			err:        badRequest("noTarget"),
		},
		"no match on the filtered sub-attribute itself": {
			reason:     "creating emails[value eq x].value = y would contradict the filter, so it is noTarget.",
			operations: `[{"op":"replace","path":"emails[value eq \"a@example.com\"].value","value":"b@example.com"}]`,
			err:        badRequest("noTarget"),
		},
		"remove filtered values": {
			reason:     `remove emails[type eq "home"] removes the matching value only.`,
			operations: `[{"op":"remove","path":"emails[type eq \"home\"]"}]`,
			want:       func(d M) { d["emails"] = list(d, "emails")[:1] },
		},
		"remove the last value": {
			reason:     "a multi-valued attribute left without values is unassigned (RFC 7644 §3.5.2.2).",
			operations: `[{"op":"remove","path":"phoneNumbers[type eq \"work\"]"}]`,
			want:       func(d M) { delete(d, "phoneNumbers") },
		},
		"remove a sub-attribute of filtered values": {
			reason:     `remove emails[type eq "work"].value removes that sub-attribute and keeps the rest of the value.`,
			operations: `[{"op":"remove","path":"emails[type eq \"work\"].value"}]`,
			want:       func(d M) { delete(elem(d, "emails", 0), "value") },
		},
		"remove with no match": {
			reason:     "a remove whose filter matches nothing succeeds without change, so retries are harmless.",
			operations: `[{"op":"remove","path":"emails[type eq \"other\"]"}]`,
		},
		"remove a multi-valued attribute": {
			reason:     "remove of a multi-valued attribute without filter or value removes every value.",
			operations: `[{"op":"remove","path":"emails"}]`,
			want:       func(d M) { delete(d, "emails") },
		},
		"remove a sub-attribute": {
			reason:     "remove name.givenName unassigns that sub-attribute only.",
			operations: `[{"op":"remove","path":"name.givenName"}]`,
			want:       func(d M) { delete(obj(d, "name"), "givenName") },
		},
		"remove every sub-attribute": {
			reason:     "a complex attribute left without sub-attributes is unassigned.",
			operations: `[{"op":"remove","path":"name.givenName"},{"op":"remove","path":"name.familyName"},{"op":"remove","path":"name.formatted"}]`,
			want:       func(d M) { delete(d, "name") },
		},
		"remove an unassigned attribute": {
			reason:     "removing what is not there succeeds without change.",
			operations: `[{"op":"remove","path":"title"}]`,
		},
		"replace with null unassigns": {
			reason:     "RFC 7643 §2.5 makes null the same as unassigned, so replace with null removes.",
			operations: `[{"op":"replace","path":"displayName","value":null},{"op":"replace","path":"emails","value":null}]`,
			want:       func(d M) { delete(d, "displayName"); delete(d, "emails") },
		},
		"add null changes nothing": {
			reason:     "add of null has nothing to add.",
			operations: `[{"op":"add","path":"displayName","value":null},{"op":"add","path":"nickName","value":null}]`,
		},
		"password is writable": {
			reason:     "password is writeOnly: it may be added and replaced (Okta sends it).",
			operations: `[{"op":"replace","path":"password","value":"t1meMa$heen"}]`,
			want:       func(d M) { d["password"] = "t1meMa$heen" },
		},
		"extension attribute by path": {
			reason:     "a URN-qualified path names an attribute of the enterprise extension.",
			operations: `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Sales"}]`,
			want:       func(d M) { obj(d, enterprise)["department"] = "Sales" },
		},
		"extension sub-attribute by path": {
			reason:     "manager.value of the extension is addressed like a core sub-attribute.",
			operations: `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value","value":"c0ffee"}]`,
			want:       func(d M) { obj(obj(d, enterprise), "manager")["value"] = "c0ffee" },
		},
		"first extension attribute": {
			reason:     "adding to an extension the user lacks creates its object and lists its schema.",
			doc:        func(d M) { delete(d, enterprise); d["schemas"] = list(d, "schemas")[:1] },
			operations: `[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter","value":"4130"}]`,
			want: func(d M) {
				d[enterprise] = M{"costCenter": "4130"}
				d["schemas"] = append(list(d, "schemas"), enterprise)
			},
		},
		"remove a whole extension": {
			reason:     "a path that is an extension URN names the whole extension; removing it unlists the schema.",
			operations: `[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}]`,
			want: func(d M) {
				delete(d, enterprise)
				d["schemas"] = list(d, "schemas")[:1]
			},
		},
		"remove the last extension attribute": {
			reason: "an extension left empty is removed with its schema URN.",
			operations: `[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"},
				{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"},
				{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]`,
			want: func(d M) {
				delete(d, enterprise)
				d["schemas"] = list(d, "schemas")[:1]
			},
		},
		"read-only attributes in a value without path": {
			reason:     "id, meta, groups and schemas echoed in a value without path are ignored; the rest applies.",
			operations: `[{"op":"replace","value":{"id":"other","schemas":["x"],"meta":{"version":"W/\"1\""},"groups":[],"displayName":"Barbara"}}]`,
			want:       func(d M) { d["displayName"] = "Barbara" },
		},
		"unknown key in a value without path": {
			reason:     "a key that names no attribute is kept as given, for the strict decoder to reject by name.",
			operations: `[{"op":"add","value":{"favoriteColor":"blue"}}]`,
			want:       func(d M) { d["favoriteColor"] = "blue" },
		},
		"custom extension round-trips": {
			reason:     "an object under a URN the server does not model is merged key by key and kept.",
			doc:        func(d M) { d["urn:example:custom:2.0:User"] = M{"badge": "7", "floor": "3"} },
			operations: `[{"op":"replace","value":{"urn:example:custom:2.0:User":{"badge":"8"}}},{"op":"replace","path":"title","value":"Guide"}]`,
			want: func(d M) {
				obj(d, "urn:example:custom:2.0:User")["badge"] = "8"
				d["title"] = "Guide"
			},
		},
		"core attributes under the core URN": {
			reason:     "a value without path may nest core attributes under the core schema URN.",
			operations: `[{"op":"replace","value":{"urn:ietf:params:scim:schemas:core:2.0:User":{"nickName":"Babs"}}}]`,
			want:       func(d M) { d["nickName"] = "Babs" },
		},
		"no-path replace of a complex attribute merges": {
			reason:     "a value without path behaves as one operation per key, so name is merged, not overwritten.",
			operations: `[{"op":"replace","value":{"name":{"givenName":"Barb"},"title":null}}]`,
			want:       func(d M) { obj(d, "name")["givenName"] = "Barb" },
		},
	})
}

func TestApplyUserErrors(t *testing.T) {
	runCases(t, map[string]patchCase{
		"unknown attribute in a path": {
			reason:     "a path that names no attribute of the resource type is invalidPath.",
			operations: `[{"op":"replace","path":"favoriteColor","value":"blue"}]`,
			err:        badRequest("invalidPath"),
		},
		"members on a user": {
			reason:     "members belongs to Group, not User.",
			operations: `[{"op":"add","path":"members","value":[{"value":"x"}]}]`,
			err:        badRequest("invalidPath"),
		},
		"replace id": {
			reason:     "id is read-only: naming it in a path is a mutability error.",
			operations: `[{"op":"replace","path":"id","value":"x"}]`,
			err:        badRequest("mutability"),
		},
		"add meta sub-attribute": {
			reason:     "meta.lastModified is read-only.",
			operations: `[{"op":"add","path":"meta.lastModified","value":"2020-01-01T00:00:00Z"}]`,
			err:        badRequest("mutability"),
		},
		"replace groups": {
			reason:     "groups is derived from memberships and read-only.",
			operations: `[{"op":"replace","path":"groups","value":[]}]`,
			err:        badRequest("mutability"),
		},
		"remove manager displayName": {
			reason:     "manager.displayName is read-only.",
			operations: `[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName"}]`,
			err:        badRequest("mutability"),
		},
		"remove userName": {
			reason:     "RFC 7644 §3.5.2.2: removing a required attribute is a mutability error.",
			operations: `[{"op":"remove","path":"userName"}]`,
			err:        badRequest("mutability"),
		},
		"replace userName with null": {
			reason:     "null unassigns, which a required attribute forbids.",
			operations: `[{"op":"replace","path":"userName","value":null}]`,
			err:        badRequest("mutability"),
		},
		"string attribute given a number": {
			reason:     "userName is a string.",
			operations: `[{"op":"replace","path":"userName","value":5}]`,
			err:        badRequest("invalidValue"),
		},
		"complex attribute given a string": {
			reason:     "name has no value sub-attribute, so a bare string cannot stand for it.",
			operations: `[{"op":"add","path":"name","value":"Barbara"}]`,
			err:        badRequest("invalidValue"),
		},
		"simple attribute given a list": {
			reason:     "title is single-valued.",
			operations: `[{"op":"add","path":"title","value":["a","b"]}]`,
			err:        badRequest("invalidValue"),
		},
		"list of lists": {
			reason:     "a value of emails must be an object.",
			operations: `[{"op":"add","path":"emails","value":[[{"value":"a@example.com"}]]}]`,
			err:        badRequest("invalidValue"),
		},
		"no-path value that is not an object": {
			reason:     "without path the value is the set of attributes to change, so it must be an object.",
			operations: `[{"op":"replace","value":"Barbara"}]`,
			err:        badRequest("invalidValue"),
		},
		"boolean sub-attribute that is not a boolean": {
			reason:     "primary must be a boolean or its string form.",
			operations: `[{"op":"add","path":"emails","value":{"value":"a@example.com","primary":"yes"}}]`,
			err:        badRequest("invalidValue"),
		},
		"extension given as a string": {
			reason:     "an extension URN key must hold an object.",
			operations: `[{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":"Sales"}}]`,
			err:        badRequest("invalidValue"),
		},
		"bad key with a filter in a value without path": {
			reason:     "a key with a filter is a path, and an invalid one is invalidPath rather than kept.",
			operations: `[{"op":"replace","value":{"emails[type eq \"work\".value":"a@example.com"}}]`,
			err:        badRequest("invalidPath"),
		},
		"atomic: the second operation fails": {
			reason:     "operations apply all or none: a failing second operation leaves no change.",
			operations: `[{"op":"replace","path":"displayName","value":"Barbara"},{"op":"replace","path":"id","value":"x"}]`,
			err:        badRequest("mutability"),
		},
		"atomic: a late noTarget": {
			reason: "a failing operation after changes to lists and extensions still leaves the input document alone.",
			operations: `[{"op":"add","path":"emails","value":{"value":"x@example.com","primary":true}},
				{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
				{"op":"replace","path":"emails[value co \"nowhere\"].type","value":"home"}]`,
			err: badRequest("noTarget"),
		},
	})
}
