package filter

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/scim-operator/scim-operator/internal/schema"
)

// target is an attribute named in a filter, resolved against the schema.
type target struct {
	keys []string          // document keys from the resource (or value-path element) down
	attr *schema.Attribute // the attribute named (in a value filter: the sub-attribute)
	sub  *schema.Attribute // its sub-attribute, or nil
	path string            // canonical name: "emails.value", "urn:...:User:department", "type"
	core bool              // of the core schema or a common attribute, outside a value filter
}

func (t target) leaf() *schema.Attribute {
	if t.sub != nil {
		return t.sub
	}
	return t.attr
}

func (t target) withSub(sub *schema.Attribute) target {
	t.sub = sub
	t.keys = append(t.keys[:len(t.keys):len(t.keys)], sub.Name)
	t.path += "." + sub.Name
	return t
}

// resolvePath resolves an attribute path of resource type rt, such as "name.givenName" or
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value".
func resolvePath(rt *schema.ResourceType, path string) (target, error) {
	s, attr, sub, ok := rt.Resolve(path)
	switch {
	case ok:
	case attr != nil && attr.Type != schema.TypeComplex:
		return target{}, invalid("attribute %q has no sub-attributes", attr.Name)
	case attr != nil:
		return target{}, invalid("unknown sub-attribute in %q", path)
	default:
		if urn := urnPrefix(path); urn != "" && rt.Schema(urn) == nil {
			return target{}, invalid("unknown schema %q", urn)
		}
		return target{}, invalid("unknown attribute %q", path)
	}
	t := target{attr: attr, path: attr.Name, core: s == rt.Core}
	if !t.core {
		t.keys = []string{s.ID}
		t.path = s.ID + ":" + attr.Name
	}
	t.keys = append(t.keys, attr.Name)
	if sub != nil {
		t = t.withSub(sub)
	}
	return t, nil
}

// urnPrefix returns the schema URN of a URN-qualified path ("urn:...:User" of
// "urn:...:User:manager.value"), or "".
func urnPrefix(path string) string {
	if !strings.HasPrefix(strings.ToLower(path), "urn:") {
		return ""
	}
	name := path
	if i := strings.LastIndexByte(path, ':'); i >= 0 {
		name = path[i:]
	}
	// The attribute name ends at its first '.', but "2.0" in the URN must not count.
	if dot := strings.IndexByte(name, '.'); dot >= 0 {
		path = path[:len(path)-len(name)+dot]
	}
	i := strings.LastIndexByte(path, ':')
	if i <= 0 {
		return ""
	}
	return path[:i]
}

// resolveIn resolves an attribute path of a filter in scope sc; parse has checked that it is
// an attrPath.
func resolveIn(sc scope, path string) (target, error) {
	if sc.parent == nil {
		return resolvePath(sc.rt, path)
	}
	uri, name, subName, _ := splitAttrPath(path)
	if uri != "" {
		return target{}, invalid("a schema URN is not allowed inside the value filter of %q", sc.parentPath)
	}
	sub := sc.parent.Sub(name)
	if sub == nil {
		return target{}, invalid("%q has no sub-attribute %q", sc.parentPath, name)
	}
	if subName != "" {
		return target{}, invalid("attribute %q has no sub-attributes", sc.parentPath+"."+sub.Name)
	}
	return target{keys: []string{sub.Name}, attr: sub, path: sub.Name}, nil
}

// comparison validates `t op v` (or `t pr`) against the schema and builds its node. v is the
// value as parsed: nil (null), a bool, a json.Number or a decoded string.
func comparison(t target, op string, v any) (node, error) {
	if op == "pr" {
		return &presentNode{keys: t.keys, path: t.path}, nil
	}
	if v == nil {
		// RFC 7643 §2.5: unassigned and null are the same state, so `eq null` is "not
		// present" and `ne null` is "present", with pr's notion of presence.
		switch op {
		case "eq":
			return &notNode{&presentNode{keys: t.keys, path: t.path}}, nil
		case "ne":
			return &presentNode{keys: t.keys, path: t.path}, nil
		}
		return nil, invalid("%q %s null: only eq and ne compare with null", t.path, op)
	}
	if leaf := t.leaf(); leaf.Type == schema.TypeComplex {
		// RFC 7643 §2.4: the "value" sub-attribute stands for a multi-valued complex
		// attribute, as in RFC 7644's own example `emails co "example.com"`.
		value := leaf.Sub("value")
		if !leaf.MultiValued || value == nil {
			return nil, invalid("complex attribute %q needs a sub-attribute for %s", t.path, op)
		}
		t = t.withSub(value)
	}
	return typedComparison(t, op, v)
}

// typedComparison checks the operator and the value against the attribute's type.
func typedComparison(t target, op string, v any) (node, error) {
	leaf := t.leaf()
	c := &cmpNode{keys: t.keys, path: t.path, core: t.core, op: op, typ: leaf.Type,
		caseExact: leaf.CaseExact}
	str, isStr := v.(string)
	switch leaf.Type {
	case schema.TypeBoolean:
		b, ok := v.(bool)
		if isStr {
			// Microsoft Entra sends booleans as the strings "True" and "False".
			switch strings.ToLower(str) {
			case "true":
				b, ok = true, true
			case "false":
				b, ok = false, true
			}
		}
		if op != "eq" && op != "ne" {
			return nil, invalid("%s is not allowed on boolean attribute %q", op, t.path)
		}
		if !ok {
			return nil, wrongType(t, v)
		}
		c.b = b
	case schema.TypeInteger, schema.TypeDecimal:
		n, ok := v.(json.Number)
		if !ok {
			return nil, wrongType(t, v)
		}
		if textOp(op) {
			return nil, invalid("%s is not allowed on numeric attribute %q", op, t.path)
		}
		f, err := n.Float64()
		if err != nil || math.IsInf(f, 0) {
			return nil, invalid("number %s is out of range", n)
		}
		c.f, c.num = f, n
	default: // string, reference, binary, dateTime
		if !isStr {
			return nil, wrongType(t, v)
		}
		if leaf.Type == schema.TypeBinary && !textOp(op) && op != "eq" && op != "ne" {
			return nil, invalid("%s is not allowed on binary attribute %q", op, t.path)
		}
		c.raw, c.s = str, str
		if !c.caseExact {
			c.s = fold(c.s)
		}
		if leaf.Type == schema.TypeDateTime && !textOp(op) {
			tm, ok := parseTime(str)
			if !ok {
				return nil, invalid("%q is not an RFC 3339 dateTime, which %q needs", str, t.path)
			}
			c.t = tm
		}
	}
	return c, nil
}

// textOp reports whether op compares strings by substring (and so not by type order).
func textOp(op string) bool {
	return op == "co" || op == "sw" || op == "ew"
}

func wrongType(t target, v any) error {
	got := fmt.Sprint(v)
	if s, ok := v.(string); ok {
		got = fmt.Sprintf("%q", s)
	}
	return invalid("%s is not a valid value for %s attribute %q", got, t.leaf().Type, t.path)
}
