package main

import (
	"encoding/json"
	"fmt"
)

// The request bodies below follow what Okta and Microsoft Entra ID send, from their SCIM
// documentation, so that decoding costs what it costs in production.

const (
	schemaUser       = "urn:ietf:params:scim:schemas:core:2.0:User"
	schemaGroup      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	schemaEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	schemaPatchOp    = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

type obj = map[string]any

func userName(i int) string { return fmt.Sprintf("user%07d@example.com", i) }

// oktaExternalID has the shape of an Okta user id (20 characters, "00u…").
func oktaExternalID(i int) string { return fmt.Sprintf("00u%017d", i) }

// entraExternalID has the shape of an Entra object id (a GUID).
func entraExternalID(i int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i) }

// externalID is what user i was created with: even users come from Okta, odd from Entra.
func externalID(i int) string {
	if i%2 == 0 {
		return oktaExternalID(i)
	}
	return entraExternalID(i)
}

// createUserBody is Okta's create body for even i and Entra's for odd i. Okta's password is
// left out: with it every POST also writes a Secret, which the raw-create baseline does not.
func createUserBody(i int) []byte {
	name := userName(i)
	family := fmt.Sprintf("Family%07d", i)
	if i%2 == 0 {
		return mustJSON(obj{
			"schemas":     []string{schemaUser},
			"userName":    name,
			"name":        obj{"givenName": "Given", "familyName": family},
			"emails":      []obj{{"primary": true, "value": name, "type": "work"}},
			"displayName": "Given " + family,
			"locale":      "en-US",
			"externalId":  externalID(i),
			"groups":      []any{},
			"active":      true,
		})
	}
	return mustJSON(obj{
		"schemas":    []string{schemaUser, schemaEnterprise},
		"externalId": externalID(i),
		"userName":   name,
		"active":     true,
		"emails":     []obj{{"primary": true, "type": "work", "value": name}},
		"meta":       obj{"resourceType": "User"},
		"name":       obj{"formatted": "Given " + family, "familyName": family, "givenName": "Given"},
		"roles":      []any{},
		schemaEnterprise: obj{
			"department":     fmt.Sprintf("Department %d", i%50),
			"employeeNumber": fmt.Sprintf("%07d", i),
		},
	})
}

// createGroupBody is an empty group as Entra creates it.
func createGroupBody(displayName, externalID string) []byte {
	return mustJSON(obj{
		"schemas":     []string{schemaGroup},
		"externalId":  externalID,
		"displayName": displayName,
		"meta":        obj{"resourceType": "Group"},
		"members":     []any{},
	})
}

// scaleGroupBody is scale group i: Okta's push body for even i, Entra's for odd i. Okta's
// documented body has no externalId; it gets one here (the shape of an Okta group id) so that
// every group is distinct on both keys the server indexes.
func scaleGroupBody(i int) []byte {
	name := fmt.Sprintf("Scale Group %05d", i)
	if i%2 == 0 {
		return mustJSON(obj{
			"schemas":     []string{schemaGroup},
			"displayName": name,
			"externalId":  fmt.Sprintf("00g%017d", i),
			"members":     []any{},
		})
	}
	return createGroupBody(name, fmt.Sprintf("%08x-0000-4000-9000-%012x", i, i))
}

// entraMemberPatch is Entra's membership change: one member per request, capitalised op.
func entraMemberPatch(op, memberID string) []byte {
	return mustJSON(obj{
		"schemas":    []string{schemaPatchOp},
		"Operations": []obj{{"op": op, "path": "members", "value": []obj{{"value": memberID}}}},
	})
}

// member is a user as the bench knows it.
type member struct {
	ID, UserName string
}

// oktaMembersPatch is Okta's membership push: up to 256 members in one add.
func oktaMembersPatch(members []member) []byte {
	value := make([]obj, len(members))
	for i, m := range members {
		value[i] = obj{"value": m.ID, "display": m.UserName}
	}
	return mustJSON(obj{
		"schemas":    []string{schemaPatchOp},
		"Operations": []obj{{"op": "add", "path": "members", "value": value}},
	})
}

// oktaGroupPut is what Okta's integration wizard sends on every membership change: the
// whole group.
func oktaGroupPut(id, displayName string, members []member) []byte {
	value := make([]obj, len(members))
	for i, m := range members {
		value[i] = obj{"value": m.ID, "display": m.UserName}
	}
	return mustJSON(obj{
		"schemas":     []string{schemaGroup},
		"id":          id,
		"displayName": displayName,
		"members":     value,
	})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only maps, slices and strings: always encodable
	}
	return b
}
