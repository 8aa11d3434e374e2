package patch

import (
	"encoding/json"
	"strings"

	"github.com/scim-operator/scim-operator/internal/schema"
	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// PatchOpURN is the schema of a PATCH request message (RFC 7644 §3.5.2).
const PatchOpURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

// MaxOperations bounds the operations of one request. Okta sends a few hundred membership
// changes at most (K5); more is a client bug or an attack on the API server.
const MaxOperations = 1000

// The operations of RFC 7644 §3.5.2, in the spelling Operation.Op uses.
const (
	OpAdd     = "add"
	OpRemove  = "remove"
	OpReplace = "replace"
)

// Operation is one PATCH operation, normalised: Op is "add", "replace" or "remove".
type Operation struct {
	Op string
	// Path is nil when the request gave none (allowed for add and replace).
	Path *Path
	// Value is the JSON-decoded value as sent; Apply converts it against the schema.
	Value any
}

// ParseRequest parses a PatchOp message for resources of type rt. Member names are matched
// case-insensitively, as encoding/json does for the rest of the server. Errors are
// *scimerr.Error with status 400.
func ParseRequest(body []byte, rt *schema.ResourceType) ([]Operation, error) {
	var msg map[string]any
	if err := json.Unmarshal(body, &msg); err != nil || msg == nil {
		return nil, scimerr.InvalidSyntax("the PATCH body must be a JSON object with %q", "Operations")
	}
	schemas, err := member(msg, "schemas")
	if err != nil {
		return nil, err
	}
	// A missing schemas member is accepted: Entra and others omit it, and the body's shape
	// is unambiguous without it.
	if schemas != nil && !listsPatchOp(schemas) {
		return nil, scimerr.InvalidSyntax("schemas must contain %q", PatchOpURN)
	}
	raw, err := member(msg, "Operations")
	if err != nil {
		return nil, err
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, scimerr.InvalidSyntax("Operations must be a JSON array")
	}
	if len(list) > MaxOperations {
		return nil, tooManyOperations(len(list))
	}
	ops := make([]Operation, 0, len(list))
	for i, r := range list {
		op, err := parseOperation(r, rt)
		if err != nil {
			return nil, atOperation(i, err)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

func parseOperation(raw any, rt *schema.ResourceType) (Operation, error) {
	m, ok := raw.(map[string]any)
	if !ok {
		return Operation{}, scimerr.InvalidSyntax("an operation must be a JSON object")
	}
	rawOp, err := member(m, "op")
	if err != nil {
		return Operation{}, err
	}
	name, _ := rawOp.(string)
	op := Operation{Op: normaliseOp(name)}
	if op.Op == "" {
		return Operation{}, scimerr.InvalidSyntax("op must be add, remove or replace")
	}
	rawPath, err := member(m, "path")
	if err != nil {
		return Operation{}, err
	}
	if rawPath != nil {
		s, ok := rawPath.(string)
		if !ok {
			return Operation{}, invalidPath("path must be a string")
		}
		// An empty path is treated as no path: some clients send "path": "".
		if strings.TrimSpace(s) != "" {
			if op.Path, err = ParsePath(s, rt); err != nil {
				return Operation{}, err
			}
		}
	}
	if op.Value, err = member(m, "value"); err != nil {
		return Operation{}, err
	}
	_, hasValue := memberKey(m, "value")
	switch {
	case op.Op == OpRemove && op.Path == nil:
		return Operation{}, noTarget("a remove operation needs a path")
	case op.Op != OpRemove && !hasValue:
		return Operation{}, scimerr.InvalidValue("an %s operation needs a value", op.Op)
	}
	return op, nil
}

// normaliseOp returns the canonical op name, or "" for an unknown one. Entra capitalises ops
// ("Replace", E1), so they match case-insensitively.
func normaliseOp(s string) string {
	for _, op := range []string{OpAdd, OpRemove, OpReplace} {
		if strings.EqualFold(strings.TrimSpace(s), op) {
			return op
		}
	}
	return ""
}

// member returns m's member called name in any case, nil if absent. Two spellings of one
// member are ambiguous, so they are an error rather than a guess.
func member(m map[string]any, name string) (any, error) {
	key, ok := memberKey(m, name)
	if !ok {
		return nil, nil
	}
	for k := range m {
		if k != key && strings.EqualFold(k, name) {
			return nil, scimerr.InvalidSyntax("the member %q appears twice", name)
		}
	}
	return m[key], nil
}

func memberKey(m map[string]any, name string) (string, bool) {
	key, _, ok := getFold(m, name)
	return key, ok
}

func listsPatchOp(schemas any) bool {
	list, ok := schemas.([]any)
	if !ok {
		list = []any{schemas} // a lone string instead of an array is sloppy but unambiguous
	}
	for _, s := range list {
		if s, ok := s.(string); ok && strings.EqualFold(s, PatchOpURN) {
			return true
		}
	}
	return false
}

func tooManyOperations(n int) *scimerr.Error {
	return scimerr.InvalidValue("the request has %d operations; at most %d are allowed per request", n, MaxOperations)
}
