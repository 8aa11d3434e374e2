package patch

import (
	"math"
	"strings"

	"github.com/scim-operator/scim-operator/internal/schema"
	"github.com/scim-operator/scim-operator/internal/scimerr"
)

// The functions here convert a client's value to the shape the schema defines, accepting the
// deviations real clients send. They never modify their input: every map and slice they
// return is new, so the result shares nothing with the request.

// coerceValue converts one value (not a list) of attribute attr; label names it in errors.
// nil stays nil: it means "unassigned" and the caller decides what that does.
func coerceValue(attr *schema.Attribute, v any, label string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch attr.Type {
	case schema.TypeComplex:
		return coerceComplex(attr, v, label)
	case schema.TypeBoolean:
		return coerceBool(v, label)
	case schema.TypeInteger:
		if f, ok := v.(float64); ok && f == math.Trunc(f) && !math.IsInf(f, 0) {
			return f, nil
		}
		return nil, scimerr.InvalidValue("attribute %q must be an integer", label)
	case schema.TypeDecimal:
		if f, ok := v.(float64); ok {
			return f, nil
		}
		return nil, scimerr.InvalidValue("attribute %q must be a number", label)
	default: // string, reference, dateTime, binary
		if s, ok := v.(string); ok {
			return s, nil
		}
		return nil, scimerr.InvalidValue("attribute %q must be a string", label)
	}
}

// coerceBool accepts a JSON boolean or, because Entra sends booleans as strings without the
// aadOptscim062020 flag (E2), "true" or "false" in any case.
func coerceBool(v any, label string) (any, error) {
	switch t := v.(type) {
	case bool:
		return t, nil
	case string:
		switch s := strings.TrimSpace(t); {
		case strings.EqualFold(s, "true"):
			return true, nil
		case strings.EqualFold(s, "false"):
			return false, nil
		}
	}
	return nil, scimerr.InvalidValue("attribute %q must be a boolean", label)
}

// coerceComplex converts a complex value to a new map with canonical sub-attribute names.
// Read-only sub-attributes are dropped (clients echo them); null ones are kept as nil for the
// caller to interpret; unknown ones are kept as given for the strict decoder to report.
func coerceComplex(attr *schema.Attribute, v any, label string) (map[string]any, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		// A bare value for a complex attribute that has a "value" sub-attribute is that
		// value: Entra sends the manager as a plain id (E9), Microsoft's own tests add a
		// member as a plain string.
		valueAttr := attr.Sub("value")
		if valueAttr == nil || isList(v) {
			return nil, scimerr.InvalidValue("attribute %q must be a JSON object", label)
		}
		s, err := coerceValue(valueAttr, v, label+".value")
		if err != nil {
			return nil, err
		}
		return map[string]any{valueAttr.Name: s}, nil
	}
	out := make(map[string]any, len(obj))
	for _, k := range sortedKeys(obj) {
		sub := subAttribute(attr, obj, k)
		if sub == nil {
			out[k] = deepCopy(obj[k])
			continue
		}
		if sub.Mutability == schema.ReadOnly {
			continue
		}
		cv, err := coerceValue(sub, obj[k], attr.Name+"."+sub.Name)
		if err != nil {
			return nil, err
		}
		out[sub.Name] = cv
	}
	return out, nil
}

// subAttribute finds the definition of key in a value of attr. Microsoft's SCIM test
// collection adds members as {"displayName": ..., "value": ...} and expects the name to be
// kept, so "displayName" stands for "display" where attr has no displayName of its own.
func subAttribute(attr *schema.Attribute, obj map[string]any, key string) *schema.Attribute {
	if sub := attr.Sub(key); sub != nil {
		return sub
	}
	if strings.EqualFold(key, "displayName") {
		if _, _, given := getFold(obj, "display"); !given {
			return attr.Sub("display")
		}
	}
	return nil
}

// coerceElements converts the value of a multi-valued attribute: a list, or a single value
// standing for a list of one. Null and empty values are dropped (E5: {"$ref": null}).
func coerceElements(attr *schema.Attribute, v any) ([]any, error) {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	out := make([]any, 0, len(list))
	for _, e := range list {
		if isList(e) {
			return nil, scimerr.InvalidValue("attribute %q must be a list of values, not of lists", attr.Name)
		}
		cv, err := coerceValue(attr, e, attr.Name)
		if err != nil {
			return nil, err
		}
		if m, ok := cv.(map[string]any); ok {
			dropNulls(m)
			if len(m) == 0 {
				continue
			}
		}
		if cv != nil {
			out = append(out, cv)
		}
	}
	return out, nil
}

func dropNulls(m map[string]any) {
	for k, v := range m {
		if v == nil {
			delete(m, k)
		}
	}
}

func isList(v any) bool {
	_, ok := v.([]any)
	return ok
}

// equalValue compares two values of attribute attr (nil when unknown), honouring caseExact
// for strings.
func equalValue(attr *schema.Attribute, a, b any) bool {
	as, aok := a.(string)
	bs, bok := b.(string)
	if aok && bok {
		if attr != nil && !attr.CaseExact {
			return strings.EqualFold(as, bs)
		}
		return as == bs
	}
	return jsonEqual(a, b)
}

// jsonEqual compares JSON-shaped values.
func jsonEqual(a, b any) bool {
	switch at := a.(type) {
	case map[string]any:
		bt, ok := b.(map[string]any)
		if !ok || len(at) != len(bt) {
			return false
		}
		for k, v := range at {
			w, ok := bt[k]
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		bt, ok := b.([]any)
		if !ok || len(at) != len(bt) {
			return false
		}
		for i := range at {
			if !jsonEqual(at[i], bt[i]) {
				return false
			}
		}
		return true
	default:
		return a == b
	}
}
