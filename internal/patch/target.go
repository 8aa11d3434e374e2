package patch

import (
	"github.com/scim-operator/scim-operator/internal/schema"
)

// target is the attribute one operation changes: c is the map holding it (the document or
// an extension object), attr its definition, sub the sub-attribute the path names, if any.
type target struct {
	a    *applier
	op   string
	path *Path
	c    map[string]any
	attr *schema.Attribute
	sub  *schema.Attribute
}

// unassigns reports whether the operation with this value clears its target: remove, or
// replace with null (null is "unassigned", RFC 7643 §2.5). An add of null changes nothing.
func (t *target) unassigns(value any) bool {
	return t.op == OpRemove || t.op == OpReplace && value == nil
}

// simple handles a single-valued attribute of a simple type: userName, active, title...
func (t *target) simple(value any) error {
	if t.unassigns(value) {
		deleteFold(t.c, t.attr.Name)
		return nil
	}
	if value == nil {
		return nil
	}
	v, err := coerceValue(t.attr, value, t.path.String())
	if err != nil {
		return err
	}
	setFold(t.c, t.attr.Name, v)
	return nil
}

// complex handles a single-valued complex attribute (name, manager): add and replace merge
// the sub-attributes given and leave the others (RFC 7644 §3.5.2.3).
func (t *target) complex(value any) error {
	if t.unassigns(value) {
		deleteFold(t.c, t.attr.Name)
		return nil
	}
	if value == nil {
		return nil
	}
	given, err := coerceComplex(t.attr, value, t.path.String())
	if err != nil {
		return err
	}
	_, cur, _ := getFold(t.c, t.attr.Name)
	obj, existed := cur.(map[string]any)
	if !existed {
		obj = map[string]any{}
	}
	if err := merge(obj, given, t.op, t.attr, existed); err != nil {
		return err
	}
	t.store(obj)
	return nil
}

// subAttribute handles a sub-attribute of a single-valued complex attribute: name.givenName.
func (t *target) subAttribute(value any) error {
	_, cur, _ := getFold(t.c, t.attr.Name)
	obj, existed := cur.(map[string]any)
	if t.unassigns(value) {
		if existed {
			deleteFold(obj, t.sub.Name)
			t.store(obj)
		}
		return nil
	}
	if value == nil {
		return nil
	}
	v, err := coerceValue(t.sub, value, t.path.String())
	if err != nil {
		return err
	}
	if !existed {
		obj = map[string]any{}
	}
	setFold(obj, t.sub.Name, v)
	t.store(obj)
	return nil
}

// store writes a complex value back, unassigning it when it has no sub-attribute left.
func (t *target) store(obj map[string]any) {
	if len(obj) == 0 {
		deleteFold(t.c, t.attr.Name)
		return
	}
	setFold(t.c, t.attr.Name, obj)
}

// merge writes the sub-attributes of given into dst. With replace, a null sub-attribute
// unassigns it; with add it is skipped (E5: {"$ref": null}). When dst is an existing record,
// an immutable sub-attribute may only be given its current value (RFC 7643 §7).
func merge(dst, given map[string]any, op string, attr *schema.Attribute, existing bool) error {
	for _, k := range sortedKeys(given) {
		v := given[k]
		sub := attr.Sub(k)
		if existing && sub != nil && sub.Mutability == schema.Immutable {
			_, cur, set := getFold(dst, k)
			if set && (v == nil && op == OpReplace || v != nil && !equalValue(sub, cur, v)) {
				return mutability("sub-attribute %q of an existing %q value is immutable", sub.Name, attr.Name)
			}
		}
		switch {
		case v != nil:
			setFold(dst, k, v)
		case op == OpReplace:
			deleteFold(dst, k)
		}
	}
	return nil
}
