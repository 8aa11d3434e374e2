package scim

import (
	"encoding/json"
	"strings"
)

// SCIM URNs the connector writes.
const (
	userSchema  = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group"
	patchOp     = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

// object is a SCIM resource as JSON decodes it.
type object = map[string]any

// listResponse is a ListResponse (RFC 7644 §3.4.2); TotalResults is nil when the answer is
// none.
type listResponse struct {
	TotalResults *int     `json:"totalResults"`
	Resources    []object `json:"Resources"`
}

// path names an attribute: in an extension schema when urn is set, else in the core schema;
// names holds the attribute and, for a sub-attribute, its name.
type path struct {
	urn   string
	names []string
}

func corePath(names ...string) path { return path{names: names} }

// String is the path as a PATCH operation writes it (RFC 7644 §3.5.2).
func (p path) String() string {
	s := strings.Join(p.names, ".")
	if p.urn != "" {
		return p.urn + ":" + s
	}
	return s
}

// lookup reads key of m: attribute names are case-insensitive (RFC 7643 §2.1).
func lookup(m object, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// get is the value at p in doc, or nil.
func get(doc object, p path) any {
	cur := doc
	keys := p.names
	if p.urn != "" {
		keys = append([]string{p.urn}, keys...)
	}
	for i, k := range keys {
		v, ok := lookup(cur, k)
		if !ok {
			return nil
		}
		if i == len(keys)-1 {
			return v
		}
		if cur, ok = v.(object); !ok {
			return nil
		}
	}
	return nil
}

// set puts v at p in doc, making the objects on the way.
func set(doc object, p path, v any) {
	keys := p.names
	if p.urn != "" {
		keys = append([]string{p.urn}, keys...)
	}
	cur := doc
	for _, k := range keys[:len(keys)-1] {
		next, ok := cur[k].(object)
		if !ok {
			next = object{}
			cur[k] = next
		}
		cur = next
	}
	cur[keys[len(keys)-1]] = v
}

// text is a scalar as text: a string as it is, a number or boolean as JSON writes it, and ""
// for no value.
func text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// id is a resource's id, "" when it has none.
func id(doc object) string {
	v, _ := lookup(doc, "id")
	s, _ := v.(string)
	return s
}
